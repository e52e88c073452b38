"""The quality routes over the ASGI app and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.config import Settings
from promptyard.plugins.api import QualityRule, RuleContext, RuleHit
from promptyard.plugins.hookspecs import hookimpl
from promptyard.server.app import create_app
from promptyard.services.identity import auth
from promptyard.wiring import build_core
from tests.conftest import API_KEY

API = "/api/v1"
CLEAN = (
    "You are a support lead. Summarise the ticket below for an engineer in at most 3 bullet "
    "points.\n<ticket>\n{{ ticket }}\n</ticket>"
)
SECRET = "sk-proj-" + "Qw3rTy7uI9oP" * 4
LEAKY = f"{CLEAN}\nCall the API with {SECRET}."


def create(client: TestClient, name: str, content: Any, **extra: Any) -> None:
    body = {"name": name, "content": content, **extra}
    if isinstance(content, list):
        body["type"] = "chat"
    response = client.post(f"{API}/prompts", json=body)
    assert response.status_code == 201, response.text


def update(client: TestClient, name: str, content: str) -> None:
    response = client.patch(f"{API}/prompts/{name}", json={"content": content})
    assert response.status_code == 200, response.text


def test_findings_of_a_version_by_number_label_and_latest(app_client: TestClient) -> None:
    create(app_client, "support", CLEAN)
    update(app_client, "support", LEAKY)
    label = app_client.put(f"{API}/prompts/support/labels/production", json={"version": 1})
    assert label.is_success

    latest = app_client.get(f"{API}/prompts/support/findings")
    assert latest.status_code == 200, latest.text
    body = latest.json()
    assert body["prompt"] == "support" and body["version"] == 2
    secret = next(f for f in body["findings"] if f["rule"] == "secret")
    assert secret["severity"] == "high" and secret["category"] == "security"
    assert (secret["field"], secret["line"], secret["message_index"]) == ("content", 5, None)
    assert SECRET not in latest.text and SECRET[8:] not in latest.text
    assert body["score"] == 75 and body["counts"]["high"] == 1
    assert body["deductions"] == [
        {"rule": "secret", "category": "security", "count": 1, "deduction": 25}
    ]
    assert body["tokens"]["count"] > 10

    first = app_client.get(f"{API}/prompts/support/findings", params={"version": 1}).json()
    assert first["version"] == 1 and first["score"] == 100 and first["findings"] == []
    production = app_client.get(f"{API}/prompts/support/findings", params={"label": "production"})
    assert production.json()["version"] == 1

    trend = app_client.get(f"{API}/prompts/support/quality-trend").json()
    assert trend == {
        "prompt": "support",
        "items": [
            {"version": 1, "branch": "main", "score": 100, "counts": first["counts"]},
            {"version": 2, "branch": "main", "score": 75, "counts": body["counts"]},
        ],
    }


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/prompts/nope/findings", {}, 404, "not_found"),
        ("/prompts/support/findings", {"version": 9}, 404, "not_found"),
        ("/prompts/support/findings", {"label": "gone"}, 404, "not_found"),
        ("/prompts/support/findings", {"version": 1, "label": "latest"}, 422, None),
        ("/prompts/support/findings", {"version": 0}, 422, None),
        ("/prompts/nope/quality-trend", {}, 404, "not_found"),
    ],
)
def test_findings_errors(
    app_client: TestClient, path: str, params: dict[str, Any], status: int, code: str | None
) -> None:
    create(app_client, "support", CLEAN)
    response = app_client.get(f"{API}{path}", params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code


def test_scan_unsaved_content_lints_as_you_type(app_client: TestClient) -> None:
    chat = [
        {"role": "system", "content": "You are a bot. The user said {{ message }}. Be polite."},
        {"role": "user", "content": "Email me at jane.doe@acme-corp.io"},
    ]
    response = app_client.post(f"{API}/scan", json={"type": "chat", "content": chat})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "content"
    located = {(f["rule"], f["message_index"], f["line"], f["column"]) for f in body["findings"]}
    assert ("injection-variable-placement", 0, 1, 30) in located
    assert ("pii-email", 1, 1, 13) in located
    assert body["score"] < 100
    clean = app_client.post(f"{API}/scan", json={"content": CLEAN}).json()
    assert clean["score"] == 100 and clean["findings"] == []
    window = app_client.post(
        f"{API}/scan",
        json={
            "content": "Summarise in one sentence. " + "word " * 3000,
            "config": {"model": "gpt-4"},
        },
    ).json()
    assert "context-window" in [f["rule"] for f in window["findings"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "chat", "content": "not a list"}, "validation_error"),
        ({"type": "text", "content": [{"role": "user", "content": "x"}]}, "validation_error"),
        ({"type": "chat", "content": [{"role": "user"}]}, "validation_error"),
        ({"content": "x", "surprise": 1}, "validation_error"),
        ({"content": "x", "limit": 0}, "validation_error"),
        ({"content": "x" * 200_001}, None),
    ],
)
def test_scan_refuses_bad_input_with_4xx(
    app_client: TestClient, body: dict[str, Any], code: str | None
) -> None:
    response = app_client.post(f"{API}/scan", json=body)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code


def test_scan_a_project(app_client: TestClient) -> None:
    create(app_client, "clean", CLEAN)
    create(app_client, "leaky", LEAKY)
    create(app_client, "vague", "Here is {{ stuff }}")
    create(app_client, "deleted", LEAKY)
    assert app_client.delete(f"{API}/prompts/deleted").status_code == 204
    other = app_client.post(f"{API}/projects", json={"slug": "second", "name": "Second"})
    assert other.status_code == 201, other.text
    moved = app_client.post(
        f"{API}/prompts", params={"project": "second"}, json={"name": "x", "content": LEAKY}
    )
    assert moved.status_code == 201, moved.text

    report = app_client.post(f"{API}/scan", json={}).json()
    assert report["scope"] == "project" and report["label"] == "latest"
    assert report["prompts"] == 3 and report["truncated"] is False
    assert [item["name"] for item in report["items"]] == ["clean", "leaky", "vague"]
    assert [item["name"] for item in report["with_high_findings"]] == ["leaky"]
    assert report["worst"][-1]["name"] == "clean" and report["worst"][-1]["score"] == 100
    assert sum(report["distribution"].values()) == 3 and report["distribution"]["90-100"] == 1
    common = {item["rule"]: item for item in report["common_findings"]}
    assert common["secret"] == {
        "rule": "secret",
        "category": "security",
        "severity": "high",
        "findings": 1,
        "prompts": 1,
    }
    assert report["counts"]["high"] == 1
    assert report["mean_score"] == round(sum(i["score"] for i in report["items"]) / 3, 2)

    bounded = app_client.post(f"{API}/scan", json={"limit": 2}).json()
    assert bounded["prompts"] == 2 and bounded["truncated"] is True
    assert app_client.put(f"{API}/prompts/clean/labels/production", json={"version": 1}).is_success
    production = app_client.post(f"{API}/scan", json={"label": "production"}).json()
    assert [item["name"] for item in production["items"]] == ["clean"]
    assert app_client.post(f"{API}/scan", params={"project": "nope"}, json={}).status_code == 404


def test_rules_catalogue(app_client: TestClient) -> None:
    body = app_client.get(f"{API}/quality/rules").json()
    ids = [rule["id"] for rule in body["items"]]
    assert "secret" in ids and "no-task" in ids
    assert body["weights"] == {"high": 25, "medium": 10, "low": 4, "info": 0}
    assert all(rule["source"] and rule["suggestion"] for rule in body["items"])


def test_a_recreated_prompt_is_scanned_anew(app_client: TestClient) -> None:
    create(app_client, "again", LEAKY)
    assert app_client.get(f"{API}/prompts/again/findings").json()["score"] == 75
    assert app_client.delete(f"{API}/prompts/again").status_code == 204
    assert app_client.post(f"{API}/prompts/again/restore").is_success
    update(app_client, "again", CLEAN)
    assert app_client.get(f"{API}/prompts/again/findings").json()["score"] == 100


def test_the_gate_blocks_publishing_high_severity_findings(app_client: TestClient) -> None:
    create(app_client, "leaky", LEAKY)
    policy = app_client.put(f"{API}/projects/default/policy", json={"require_review": True})
    assert policy.status_code == 200
    opened = app_client.post(
        f"{API}/change-requests", json={"prompt": "leaky", "version": 1, "label": "production"}
    )
    assert opened.status_code == 422, opened.text
    error = opened.json()["error"]
    assert error["code"] == "gate_failed"
    gates = {item["gate"]: item for item in error["details"]["gates"]}
    assert gates["no_high_severity_findings"]["ok"] is False
    assert "secret at content line 5" in gates["no_high_severity_findings"]["message"]
    assert SECRET[8:] not in opened.text
    # The policy can switch it off like any gate.
    off = app_client.put(
        f"{API}/projects/default/policy", json={"gates": {"no_high_severity_findings": False}}
    )
    assert off.status_code == 200, off.text
    body = {"prompt": "leaky", "version": 1, "sample_variables": {"ticket": "It broke."}}
    again = app_client.post(f"{API}/change-requests", json={**body, "label": "production"})
    assert again.status_code == 201, again.text


class _ShoutingRule:
    """An outside plugin: one rule that works and one that crashes."""

    @hookimpl
    def register_quality_rules(self, register: Callable[[QualityRule], Any]) -> None:
        def shouting(ctx: RuleContext) -> Iterator[RuleHit]:
            for message in ctx.messages:
                start = message.text.find("!!!")
                if start >= 0:
                    yield RuleHit(message=message.index, start=start, end=start + 3, detail="!!!")

        def broken(ctx: RuleContext) -> Iterator[RuleHit]:
            raise RuntimeError("bug in a plugin")

        common = {"category": "quality", "rationale": "r", "suggestion": "s", "source": "x"}
        register(QualityRule(id="no-shouting", severity="low", title="t", check=shouting, **common))
        register(QualityRule(id="broken", severity="high", title="t", check=broken, **common))


def test_a_plugin_adds_rules_and_a_broken_rule_is_reported(settings: Settings) -> None:
    core = build_core(settings, plugins=[_ShoutingRule()], entry_points=False)
    auth.bootstrap(core)
    app = create_app(core, static_dir=None)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        body = client.post(f"{API}/scan", json={"content": f"{CLEAN}\nNow!!!"}).json()
        rules = client.get(f"{API}/quality/rules").json()
    core.store.dispose()
    hit = next(f for f in body["findings"] if f["rule"] == "no-shouting")
    assert (hit["line"], hit["column"], hit["end_column"]) == (5, 4, 7)
    assert body["failed_rules"] == ["broken"]
    assert {"no-shouting", "broken"} <= {rule["id"] for rule in rules["items"]}


def test_a_project_can_block_saving_secrets(app_client: TestClient) -> None:
    policy_url = f"{API}/projects/default/quality-policy"
    assert app_client.get(policy_url).json() == {"block_secrets_on_save": False}
    create(app_client, "allowed", LEAKY)  # off by default: saved, reported as a finding
    put = app_client.put(policy_url, json={"block_secrets_on_save": True})
    assert put.status_code == 200 and put.json() == {"block_secrets_on_save": True}
    assert app_client.get(policy_url).json() == {"block_secrets_on_save": True}

    refused = app_client.post(f"{API}/prompts", json={"name": "blocked", "content": LEAKY})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "secret_in_content"
    assert "content line 5" in error["message"]
    assert error["details"]["findings"][0]["rule"] == "secret"
    assert SECRET[8:] not in refused.text
    assert app_client.get(f"{API}/prompts/blocked").status_code == 404
    chat = [{"role": "user", "content": f"token {SECRET}"}]
    refused_chat = app_client.post(
        f"{API}/prompts", json={"name": "blocked", "type": "chat", "content": chat}
    )
    assert refused_chat.status_code == 422
    assert "content[0].content line 1" in refused_chat.json()["error"]["message"]
    update_refused = app_client.patch(f"{API}/prompts/allowed", json={"content": LEAKY + "!"})
    assert update_refused.status_code == 422
    # Clean content and other findings still save.
    create(app_client, "fine", f"{CLEAN}\nCC jane.doe@acme-corp.io")
    assert app_client.put(policy_url, json={}).json() == {"block_secrets_on_save": True}
    assert app_client.put(policy_url, json={"nope": 1}).status_code == 422
    assert app_client.get(f"{API}/projects/nope/quality-policy").status_code == 404
    assert app_client.put(policy_url, json={"block_secrets_on_save": False}).is_success
    create(app_client, "blocked", LEAKY)
