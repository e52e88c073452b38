"""/api/v1/datasets: versions, case edits, imports that name the bad row and column and
keep nothing, exports that import back, cases from generations, workspace isolation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import API, count_rows, error, ok
from tests.security._setup import other_workspace

DS = f"{API}/datasets"


def _create(client: TestClient, name: str = "qa", **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "description": "questions",
        "cases": [
            {"id": "q1", "input": {"question": "2+2?"}, "expected": "4"},
            {"id": "q2", "input": {"question": "capital of France?"}, "expected": "Paris"},
        ],
        **extra,
    }
    return ok(client.post(DS, json=body), 201)


def test_create_list_get_and_versions(app_client: TestClient) -> None:
    created = _create(app_client)
    assert (created["version"], created["version_case_count"]) == (1, 2)
    assert [c["id"] for c in created["cases"]] == ["q1", "q2"]
    listed = ok(app_client.get(DS))["items"]
    assert [(d["name"], d["latest_version"], d["case_count"]) for d in listed] == [("qa", 1, 2)]
    error(app_client.post(DS, json={"name": "qa"}), 409)

    added = ok(
        app_client.post(f"{DS}/qa/cases", json={"cases": [{"input": {"question": "3x3?"}}]}), 201
    )
    assert added["version"] == 2 and added["version_case_count"] == 3
    edited = ok(
        app_client.patch(f"{DS}/qa/cases/q1", json={"expected": "four", "message": "words"})
    )
    assert edited["version"] == 3 and edited["cases"][0]["expected"] == "four"
    deleted = ok(app_client.delete(f"{DS}/qa/cases/q2"))
    assert deleted["version"] == 4 and [c["id"] for c in deleted["cases"]] == [
        "q1",
        added["cases"][2]["id"],
    ]

    # Versions never change: version 1 is still what it was.
    v1 = ok(app_client.get(f"{DS}/qa", params={"version": 1}))
    assert [(c["id"], c["expected"]) for c in v1["cases"]] == [("q1", "4"), ("q2", "Paris")]
    versions = ok(app_client.get(f"{DS}/qa/versions"))["items"]
    assert [(v["version"], v["case_count"]) for v in versions] == [(4, 2), (3, 3), (2, 3), (1, 2)]
    assert versions[1]["message"] == "words"
    assert versions[0]["created_by"] == "key:bootstrap-admin"
    error(app_client.get(f"{DS}/qa", params={"version": 9}), 404, "dataset_version_not_found")
    error(app_client.patch(f"{DS}/qa/cases/nope", json={"expected": "x"}), 404, "case_not_found")


CSV_GOOD = 'id,question,expected,metadata\nq1,2+2?,4,\nq2,"Paris, or?",Paris,"{""lang"": ""en""}"\n'


def test_csv_import_and_export_round_trip(app_client: TestClient) -> None:
    imported = ok(
        app_client.post(
            f"{DS}/csvset/import",
            params={"format": "csv"},
            content=CSV_GOOD.encode(),
            headers={"content-type": "text/csv"},
        )
    )
    assert imported == {
        "dataset": "csvset",
        "version": 1,
        "added": 2,
        "replaced": 0,
        "case_count": 2,
    }
    got = ok(app_client.get(f"{DS}/csvset"))["cases"]
    assert got[1]["input"] == {"question": "Paris, or?"} and got[1]["metadata"] == {"lang": "en"}
    for fmt in ("csv", "json", "jsonl"):
        exported = app_client.get(f"{DS}/csvset/export", params={"format": fmt})
        assert exported.status_code == 200
        assert f'csvset@1.{fmt}"' in exported.headers["content-disposition"]
        again = ok(
            app_client.post(
                f"{DS}/copy-{fmt}/import", params={"format": fmt}, content=exported.content
            )
        )
        assert again["added"] == 2
        copy = ok(app_client.get(f"{DS}/copy-{fmt}"))["cases"]
        assert [(c["id"], c["input"], c["expected"], c["metadata"]) for c in copy] == [
            (c["id"], c["input"], c["expected"], c["metadata"]) for c in got
        ]


@pytest.mark.parametrize(
    ("fmt", "content", "row", "column"),
    [
        ("csv", "question,metadata\nok,\nfine,{not json}\n", 2, "metadata"),
        ("csv", "question,expected\na,1\nb\n", 2, None),
        ("csv", "id,question\nx,a\nx,b\n", 2, "id"),
        ("json", json.dumps([{"input": {"a": 1}}, {"input": [1, 2]}]), 2, "input"),
        ("json", json.dumps([{"input": {}}, {"input": {}, "expected": {"x": 1}}]), 2, "expected"),
        ("jsonl", '{"input": {"a": 1}}\n{"input": {"a": 2}}\n{broken\n', 3, None),
        ("jsonl", '{"input": {"a": 1}}\n[1]\n', 2, None),
    ],
)
def test_a_bad_record_names_row_and_column_and_nothing_is_imported(
    app_client: TestClient, core: Core, fmt: str, content: str, row: int, column: str | None
) -> None:
    _create(app_client, "target")
    before = (count_rows(core, "dataset_cases"), count_rows(core, "dataset_versions"))
    err = error(
        app_client.post(f"{DS}/target/import", params={"format": fmt}, content=content.encode()),
        400,
        "invalid_import",
    )
    assert err["details"]["row"] == row
    assert err["details"]["column"] == column
    assert f"row {row}" in err["message"]
    if column:
        assert repr(column) in err["message"]
    after = (count_rows(core, "dataset_cases"), count_rows(core, "dataset_versions"))
    assert after == before
    # A new dataset is not made half either.
    error(
        app_client.post(f"{DS}/fresh/import", params={"format": fmt}, content=content.encode()), 400
    )
    error(app_client.get(f"{DS}/fresh"), 404)


def test_an_import_whose_id_is_taken_is_refused_whole(app_client: TestClient) -> None:
    _create(app_client, "target")
    content = '{"id": "new", "input": {}}\n{"id": "q2", "input": {}}\n'
    err = error(
        app_client.post(
            f"{DS}/target/import", params={"format": "jsonl"}, content=content.encode()
        ),
        400,
    )
    assert (err["details"]["row"], err["details"]["column"]) == (2, "id")
    assert ok(app_client.get(f"{DS}/target"))["latest_version"] == 1


def test_replace_import_and_size_caps(app_client: TestClient) -> None:
    _create(app_client, "target")
    done = ok(
        app_client.post(
            f"{DS}/target/import",
            params={"format": "json", "mode": "replace"},
            json=[{"input": {"question": "only"}}],
        )
    )
    assert (done["version"], done["replaced"], done["case_count"]) == (2, 2, 1)
    huge = {"cases": [{"input": {"text": "x" * 300_000}}]}
    error(app_client.post(f"{DS}/target/cases", json=huge), 422)


def test_cases_from_generations_with_negative_feedback(app_client: TestClient) -> None:
    generations = [
        {
            "id": f"g{i}",
            "model": "gpt-4o",
            "prompt_name": "support",
            "input": f"question {i}",
            "output": f"answer {i}",
            "metadata": {"variables": {"question": f"q{i}"}} if i == 1 else {},
        }
        for i in range(1, 4)
    ]
    ok(app_client.post(f"{API}/generations/batch", json={"generations": generations}))
    for gid, value in (("g1", 0), ("g2", 1), ("g3", 0)):
        body = {"generation_id": gid, "kind": "thumbs", "value": value}
        ok(app_client.post(f"{API}/analytics/feedback", json=body), 201)
    added = ok(app_client.post(f"{DS}/disliked/from-generations", json={"negative_feedback": True}))
    assert added["added"] == 2 and added["version"] == 1
    cases = ok(app_client.get(f"{DS}/disliked"))["cases"]
    by_gen = {c["metadata"]["generation_id"]: c for c in cases}
    assert set(by_gen) == {"g1", "g3"}
    assert by_gen["g1"]["input"] == {"question": "q1"}
    assert by_gen["g3"]["input"] == {"input": "question 3"}
    assert by_gen["g3"]["expected"] is None
    assert by_gen["g3"]["source_generation_id"] == "g3"
    # By id, with the output as the expected one; a generation already there is skipped.
    more = ok(
        app_client.post(
            f"{DS}/disliked/from-generations",
            json={"generation_ids": ["g2", "g3"], "output_as_expected": True},
        )
    )
    assert more["added"] == 1 and more["version"] == 2
    assert ok(app_client.get(f"{DS}/disliked"))["cases"][-1]["expected"] == "answer 2"
    error(app_client.post(f"{DS}/disliked/from-generations", json={"generation_ids": ["zz"]}), 404)
    error(app_client.post(f"{DS}/disliked/from-generations", json={}), 422)


def test_another_workspace_cannot_read_or_write(app_client: TestClient, core: Core) -> None:
    _create(app_client)
    token = other_workspace(core)
    headers = {"Authorization": f"Bearer {token}"}
    other = {"project": "other"}
    assert ok(app_client.get(DS, params=other, headers=headers))["items"] == []
    error(app_client.get(f"{DS}/qa", params=other, headers=headers), 404)
    error(app_client.get(f"{DS}/qa/export", params=other, headers=headers), 404)
    error(app_client.get(f"{DS}/qa", headers=headers), 404)  # the default project is not theirs


def test_viewers_read_and_cannot_write(app_client: TestClient, core: Core) -> None:
    from tests.security._setup import add_key, default_workspace_id

    _create(app_client)
    token = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="v")
    headers = {"Authorization": f"Bearer {token}"}
    ok(app_client.get(f"{DS}/qa", headers=headers))
    error(app_client.delete(f"{DS}/qa/cases/q1", headers=headers), 403)
