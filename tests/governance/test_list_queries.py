"""Listing change requests costs a fixed number of SQL statements, whatever the page size."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.services.context import Core
from promptyard.services.governance import change_requests
from promptyard.store.models import SqlProject
from tests._statements import statements
from tests.governance._helpers import (
    API,
    create_prompt,
    make_key,
    new_version,
    open_request,
    set_policy,
)


def _open(client: TestClient, reviewer: dict[str, str], prompts: list[str], n: int) -> None:
    """``n`` requests spread over the prompts; every other one approved, every third sent
    back, so the listing has approvals and events of several kinds to show."""
    for i in range(n):
        request = open_request(client, prompt=prompts[i % len(prompts)], version=2)
        url = f"{API}/change-requests/{request['id']}"
        assert client.post(f"{url}/comments", json={"body": f"note {i}"}).is_success
        if i % 2 == 0:
            assert client.post(f"{url}/approve", headers=reviewer).is_success
        if i % 3 == 0:
            sent_back = client.post(f"{url}/request-changes", json={"comment": "no"})
            assert sent_back.is_success


def _list_counted(core: Core, project_id: int) -> tuple[dict[str, Any], int]:
    with statements(core) as seen:
        page = change_requests.list_requests(core, project_id=project_id, limit=100)
    return page, len(seen)


def test_listing_does_not_query_per_request(app_client: TestClient, core: Core) -> None:
    prompts = ["alpha", "beta", "gamma"]
    for name in prompts:
        create_prompt(app_client, name, "Hello")
        new_version(app_client, name, "Hello there")
    set_policy(app_client, require_review=True, required_approvals=2)
    reviewer = make_key(core, "reviewer-1")
    with core.store.read() as session:
        project_id = session.execute(
            select(SqlProject.id).where(SqlProject.slug == "default")
        ).scalar_one()

    _open(app_client, reviewer, prompts, 5)
    few, few_statements = _list_counted(core, project_id)
    _open(app_client, reviewer, prompts, 25)
    many, many_statements = _list_counted(core, project_id)

    assert (few["total"], len(few["items"])) == (5, 5)
    assert (many["total"], len(many["items"])) == (30, 30)
    assert many_statements == few_statements
    # Each listed request reads as its own page shows it, but for the events.
    for item in many["items"]:
        detail = app_client.get(f"{API}/change-requests/{item['id']}").json()
        detail.pop("events")
        assert item == detail
    assert any(item["approvals"] for item in many["items"])
    assert any(item["status"] == "changes_requested" for item in many["items"])
