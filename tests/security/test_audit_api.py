"""The audit API: search filters, streamed exports with chain hashes, verify."""

from __future__ import annotations

import csv
import io
import itertools
import json

from fastapi.testclient import TestClient
from sqlalchemy import text

from promptyard.services.context import Core


def _writes(client: TestClient) -> None:
    assert client.post("/api/v1/prompts", json={"name": "a", "content": "x"}).status_code == 201
    assert client.patch("/api/v1/prompts/a", json={"content": "y"}).status_code == 200
    assert client.post("/api/v1/projects", json={"slug": "s", "name": "S"}).status_code == 201


def test_search_filters_and_order(app_client: TestClient) -> None:
    _writes(app_client)
    found = app_client.get("/api/v1/audit").json()
    seqs = [event["seq"] for event in found["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert found["total"] == len(seqs)
    assert {"prev_hash", "hash", "seq", "summary"} <= set(found["items"][0])
    prompts = app_client.get("/api/v1/audit", params={"action": "prompt.*"}).json()
    assert {event["action"] for event in prompts["items"]} == {"prompt.create", "prompt.update"}
    exact = app_client.get("/api/v1/audit", params={"action": "project.create"}).json()
    assert exact["total"] == 1
    actor = app_client.get("/api/v1/audit", params={"actor": "key:bootstrap-admin"}).json()
    assert actor["total"] >= 3
    page = app_client.get("/api/v1/audit", params={"limit": 1, "offset": 1}).json()
    assert page["items"][0]["seq"] == seqs[1]
    future = app_client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00Z"}).json()
    assert future == {"items": [], "total": 0}
    past = app_client.get("/api/v1/audit", params={"until": "2000-01-01T00:00:00Z"}).json()
    assert past["total"] == 0


def test_exports_carry_the_chain(app_client: TestClient) -> None:
    _writes(app_client)
    response = app_client.get("/api/v1/audit/export", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0])[:1] == ["seq"] and {"prev_hash", "hash"} <= set(rows[0])
    for before, after in itertools.pairwise(rows):
        if int(after["seq"]) == int(before["seq"]) + 1:
            assert after["prev_hash"] == before["hash"]
    lines = app_client.get("/api/v1/audit/export", params={"format": "jsonl"}).text.splitlines()
    events = [json.loads(line) for line in lines]
    assert [event["seq"] for event in events] == [int(row["seq"]) for row in rows]
    only = app_client.get(
        "/api/v1/audit/export", params={"format": "jsonl", "object_type": "project"}
    )
    assert [json.loads(line)["action"] for line in only.text.splitlines()] == ["project.create"]
    bad = app_client.get("/api/v1/audit/export", params={"format": "xml"})
    assert bad.status_code == 422


def test_verify_names_the_first_broken_event(app_client: TestClient, core: Core) -> None:
    _writes(app_client)
    assert app_client.get("/api/v1/audit/verify").json()["ok"] is True
    with core.store.write() as session:
        session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"))
    result = app_client.get("/api/v1/audit/verify").json()
    assert result["ok"] is False
    assert result["first_broken_seq"] == 3
    assert "mallory" not in json.dumps(result)
