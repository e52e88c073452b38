"""Policy, protected labels, change requests, gates, approvals, apply and lifecycle."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from promptyard.services.context import Core
from promptyard.store.models import SqlChangeRequest
from tests.governance._helpers import (
    API,
    audit_actions,
    create_prompt,
    make_key,
    new_version,
    open_request,
    other_workspace_admin,
    set_policy,
)


def test_policy_defaults_update_and_validation(app_client: TestClient, core: Core) -> None:
    got = app_client.get(f"{API}/projects/default/policy").json()
    assert got == {
        "require_review": False,
        "protected_labels": ["production"],
        "required_approvals": 1,
        "gates": {"variables_declared": True, "renders_with_samples": True},
        "gate_settings": {},
    }
    put = set_policy(app_client, require_review=True, required_approvals=2)
    assert put["require_review"] is True and put["required_approvals"] == 2
    assert put["protected_labels"] == ["production"]
    again = app_client.get(f"{API}/projects/default/policy").json()
    assert again == put
    assert "policy.update" in audit_actions(core)
    bad = app_client.put(f"{API}/projects/default/policy", json={"gates": {"nope": True}})
    assert bad.status_code == 422
    bad = app_client.put(f"{API}/projects/default/policy", json={"protected_labels": ["latest"]})
    assert bad.status_code == 422
    assert app_client.get(f"{API}/projects/nope/policy").status_code == 404
    viewer = make_key(core, "viewer-1", "viewer")
    refused = app_client.put(
        f"{API}/projects/default/policy", json={"require_review": False}, headers=viewer
    )
    assert refused.status_code == 403


def test_protected_label_refuses_direct_moves(app_client: TestClient) -> None:
    create_prompt(app_client, "greet", "Hello")
    assert app_client.put(f"{API}/prompts/greet/labels/production", json={"version": 1}).is_success
    set_policy(app_client, require_review=True)
    moved = app_client.put(f"{API}/prompts/greet/labels/production", json={"version": 1})
    assert moved.status_code == 409
    assert moved.json()["error"]["code"] == "review_required"
    assert "change request" in moved.json()["error"]["message"]
    deleted = app_client.delete(f"{API}/prompts/greet/labels/production")
    assert deleted.status_code == 409
    bulk = app_client.post(
        f"{API}/prompts/bulk", json={"action": "label", "names": ["greet"], "label": "production"}
    )
    assert bulk.status_code == 409
    assert bulk.json()["error"]["code"] == "review_required"
    # Labels that are not protected move as before.
    assert app_client.put(f"{API}/prompts/greet/labels/staging", json={"version": 1}).is_success


def test_open_runs_gates_and_stores_nothing_on_failure(app_client: TestClient, core: Core) -> None:
    create_prompt(app_client, "greet", "Hello {{ name }}")
    failed = app_client.post(
        f"{API}/change-requests", json={"prompt": "greet", "version": 1, "label": "production"}
    )
    assert failed.status_code == 422
    error = failed.json()["error"]
    assert error["code"] == "gate_failed"
    gates = {item["gate"]: item for item in error["details"]["gates"]}
    assert gates["variables_declared"]["ok"] is False
    assert gates["renders_with_samples"]["ok"] is False
    assert "name" in gates["variables_declared"]["message"]
    with core.store.read() as session:
        assert session.execute(select(func.count()).select_from(SqlChangeRequest)).scalar() == 0
    assert "change_request.open" not in audit_actions(core)

    opened = open_request(
        app_client,
        prompt="greet",
        version=1,
        description="first release",
        sample_variables={"name": "Ada"},
    )
    assert opened["status"] == "open"
    assert opened["author"] == "key:bootstrap-admin"
    assert all(item["ok"] for item in opened["gate_results"])
    assert [event["kind"] for event in opened["events"]] == ["opened"]
    assert app_client.get(f"{API}/prompts/greet").json()["lifecycle"] == "in_review"
    listed = app_client.get(f"{API}/change-requests", params={"status": "open"}).json()
    assert [item["id"] for item in listed["items"]] == [opened["id"]]
    assert app_client.get(f"{API}/change-requests", params={"prompt": "other"}).json()["total"] == 0
    # A policy can switch a gate off.
    set_policy(app_client, gates={"variables_declared": False, "renders_with_samples": False})
    assert app_client.post(
        f"{API}/change-requests", json={"prompt": "greet", "version": 1, "label": "staging"}
    ).is_success


def test_self_approval_forbidden_then_approve_and_apply(app_client: TestClient, core: Core) -> None:
    create_prompt(app_client, "greet", "Hello")
    new_version(app_client, "greet", "Hello there")
    set_policy(app_client, require_review=True)
    request = open_request(app_client, prompt="greet", version=2)
    own = app_client.post(f"{API}/change-requests/{request['id']}/approve", json={})
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "self_approval"
    early = app_client.post(f"{API}/change-requests/{request['id']}/apply")
    assert early.status_code == 409

    reviewer = make_key(core, "reviewer-1")
    comment = app_client.post(
        f"{API}/change-requests/{request['id']}/comments", json={"body": "looks fine"}
    )
    assert comment.status_code == 201
    approved = app_client.post(
        f"{API}/change-requests/{request['id']}/approve",
        json={"comment": "ship it"},
        headers=reviewer,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approvals"] == ["key:reviewer-1"]

    applied = app_client.post(f"{API}/change-requests/{request['id']}/apply")
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert body["status"] == "applied" and body["applied_by"] == "key:bootstrap-admin"
    assert [event["kind"] for event in body["events"]] == ["opened", "comment", "approve", "apply"]
    prompt = app_client.get(f"{API}/prompts/greet", params={"label": "production"}).json()
    assert prompt["version"]["number"] == 2
    assert prompt["lifecycle"] == "published"
    actions = audit_actions(core)
    for action in (
        "change_request.open",
        "change_request.comment",
        "change_request.approve",
        "change_request.apply",
        "label.move",
    ):
        assert action in actions
    assert actions.index("label.move") < actions.index("change_request.apply")
    again = app_client.post(f"{API}/change-requests/{request['id']}/apply")
    assert again.status_code == 409


def test_label_move_of_apply_is_in_label_history(app_client: TestClient, core: Core) -> None:
    from promptyard.services.prompts import versions

    create_prompt(app_client, "greet", "Hello")
    set_policy(app_client, require_review=True)
    request = open_request(app_client, prompt="greet", version=1)
    reviewer = make_key(core, "reviewer-1")
    app_client.post(f"{API}/change-requests/{request['id']}/approve", headers=reviewer)
    assert app_client.post(f"{API}/change-requests/{request['id']}/apply").is_success
    project_id = 1
    moves = versions.label_events(core, project_id=project_id, name="greet", label="production")
    assert [(m.from_version, m.to_version, m.actor) for m in moves] == [
        (None, 1, "key:bootstrap-admin")
    ]


def test_approval_threshold_and_request_changes(app_client: TestClient, core: Core) -> None:
    create_prompt(app_client, "greet", "Hello")
    set_policy(app_client, require_review=True, required_approvals=2)
    request = open_request(app_client, prompt="greet", version=1)
    assert request["required_approvals"] == 2
    first = make_key(core, "reviewer-1")
    second = make_key(core, "reviewer-2")
    url = f"{API}/change-requests/{request['id']}"
    one = app_client.post(f"{url}/approve", headers=first).json()
    assert one["status"] == "open" and one["approvals"] == ["key:reviewer-1"]
    twice = app_client.post(f"{url}/approve", headers=first)
    assert twice.status_code == 409
    assert app_client.post(f"{url}/apply").status_code == 409

    sent_back = app_client.post(
        f"{url}/request-changes", json={"comment": "fix the tone"}, headers=second
    )
    assert sent_back.status_code == 200
    assert sent_back.json()["status"] == "changes_requested"
    assert sent_back.json()["approvals"] == []  # approvals start over
    assert app_client.post(f"{url}/request-changes", json={}, headers=second).status_code == 422

    app_client.post(f"{url}/approve", headers=first)
    done = app_client.post(f"{url}/approve", headers=second).json()
    assert done["status"] == "approved"
    assert sorted(done["approvals"]) == ["key:reviewer-1", "key:reviewer-2"]
    shown = app_client.get(url).json()
    assert [e["kind"] for e in shown["events"]] == [
        "opened",
        "approve",
        "request_changes",
        "approve",
        "approve",
    ]
    assert "change_request.request_changes" in audit_actions(core)


def test_editor_cannot_approve_and_close(app_client: TestClient, core: Core) -> None:
    create_prompt(app_client, "greet", "Hello")
    request = open_request(app_client, prompt="greet", version=1)
    editor = make_key(core, "editor-1", "editor")
    url = f"{API}/change-requests/{request['id']}"
    assert app_client.post(f"{url}/approve", headers=editor).status_code == 403
    assert app_client.post(f"{url}/close", headers=editor).status_code == 403
    closed = app_client.post(f"{url}/close", json={"comment": "not needed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert app_client.get(f"{API}/prompts/greet").json()["lifecycle"] == "draft"
    assert app_client.post(f"{url}/close").status_code == 409
    assert "change_request.close" in audit_actions(core)


def test_other_workspace_sees_404(app_client: TestClient, core: Core) -> None:
    create_prompt(app_client, "greet", "Hello")
    request = open_request(app_client, prompt="greet", version=1)
    intruder = other_workspace_admin(core)
    url = f"{API}/change-requests/{request['id']}"
    assert app_client.get(url, headers=intruder).status_code == 404
    assert app_client.post(f"{url}/approve", headers=intruder).status_code == 404
    assert app_client.post(f"{url}/close", headers=intruder).status_code == 404
    listed = app_client.get(f"{API}/change-requests", headers=intruder).json()
    assert listed["total"] == 0
    hook = app_client.post(
        f"{API}/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["change_request.opened"]}
    ).json()
    assert app_client.delete(f"{API}/webhooks/{hook['id']}", headers=intruder).status_code == 404
    assert (
        app_client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=intruder).status_code
        == 404
    )


def test_lifecycle_transitions_and_deprecation_header(app_client: TestClient, core: Core) -> None:
    create_prompt(app_client, "greet", "Hello")
    first = app_client.get(f"{API}/prompts/greet")
    assert first.json()["lifecycle"] == "draft"
    assert "deprecation" not in first.headers
    url = f"{API}/prompts/greet/lifecycle"
    changed = app_client.post(url, json={"state": "deprecated"})
    assert changed.status_code == 200
    assert changed.json() == {"name": "greet", "lifecycle": "deprecated", "previous": "draft"}
    got = app_client.get(f"{API}/prompts/greet")
    assert got.status_code == 200
    assert got.json()["lifecycle"] == "deprecated"
    assert got.headers["deprecation"] == "true"
    assert app_client.post(url, json={"state": "in_review"}).status_code == 422
    assert app_client.post(url, json={"state": "archived"}).json()["lifecycle"] == "archived"
    archived = app_client.post(
        f"{API}/change-requests", json={"prompt": "greet", "version": 1, "label": "production"}
    )
    assert archived.status_code == 409
    assert app_client.post(url, json={"state": "published"}).json()["lifecycle"] == "published"
    assert "deprecation" not in app_client.get(f"{API}/prompts/greet").headers
    viewer = make_key(core, "viewer-1", "viewer")
    assert app_client.post(url, json={"state": "draft"}, headers=viewer).status_code == 403
    assert "prompt.lifecycle" in audit_actions(core)


def test_impact_lists_labels_dependents_and_open_requests(app_client: TestClient) -> None:
    create_prompt(app_client, "tone", "Be kind.")
    new_version(app_client, "tone", "Be very kind.")
    assert app_client.put(f"{API}/prompts/tone/labels/production", json={"version": 1}).is_success
    create_prompt(app_client, "agent", '{% include "prompt:tone@production" %} Help {{ user }}.')
    create_prompt(app_client, "pinned", '{% include "prompt:tone@v2" %}')
    create_prompt(app_client, "unrelated", "Hi")
    request = open_request(app_client, prompt="tone", version=2)

    result = app_client.get(f"{API}/prompts/tone/impact").json()
    assert {(item["name"], item["version"]) for item in result["labels"]} == {
        ("latest", 2),
        ("production", 1),
    }
    assert result["dependents"] == [
        {"prompt": "agent", "version": 1, "reference": "prompt:tone@production", "resolves_to": 1},
        {"prompt": "pinned", "version": 1, "reference": "prompt:tone@v2", "resolves_to": 2},
    ]
    assert [item["id"] for item in result["change_requests"]] == [request["id"]]
    only = app_client.get(f"{API}/prompts/tone/impact", params={"version": 1}).json()
    assert only["labels"] == [{"name": "production", "version": 1}]
    assert app_client.get(f"{API}/prompts/tone/impact", params={"version": 9}).status_code == 404
    assert app_client.get(f"{API}/prompts/nope/impact").status_code == 404


def test_a_request_keeps_the_labels_starting_version(app_client: TestClient, core: Core) -> None:
    """The reviewed diff is base_version → version, before and after the request lands."""
    create_prompt(app_client, "trail", "v1")
    for n in range(2, 5):
        new_version(app_client, "trail", f"v{n}")
    assert app_client.put(f"{API}/prompts/trail/labels/production", json={"version": 2}).is_success
    request = open_request(app_client, prompt="trail", version=4)
    assert request["base_version"] == 2
    fresh = open_request(app_client, prompt="trail", version=3, label="brand-new")
    assert fresh["base_version"] is None  # the label pointed nowhere yet

    reviewer = make_key(core, "reviewer-trail")
    url = f"{API}/change-requests/{request['id']}"
    assert app_client.post(f"{url}/approve", json={}, headers=reviewer).status_code == 200
    # the label moves meanwhile: what was reviewed stays the starting point
    assert app_client.put(f"{API}/prompts/trail/labels/production", json={"version": 3}).is_success
    applied = app_client.post(f"{url}/apply")
    assert applied.status_code == 200, applied.text
    assert applied.json()["base_version"] == 2
    assert app_client.get(url).json()["base_version"] == 2
    listed = app_client.get(f"{API}/change-requests", params={"status": "applied"}).json()
    assert [(r["id"], r["base_version"]) for r in listed["items"]] == [(request["id"], 2)]
    with core.store.read() as session:
        row = session.get(SqlChangeRequest, request["id"])
        assert row is not None and row.base_version == 2
