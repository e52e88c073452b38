"""Point-in-time restore of prompt state: the dry run lists, the run applies through the
normal services (new versions, label moves, audit events), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import create, error, get, ok, patch, set_label, snapshot
from tests.cli._cli import Cli

URL = "/api/v1/projects/default/point-in-time-restore"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 60) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def history(app_client: TestClient, core: Core) -> tuple[Clock, datetime]:
    """Prompts changed before and after a moment; returns the clock and that moment."""
    clock = Clock()
    core.clock = clock
    create(app_client, "p", "first {{ x }}")
    ok(set_label(app_client, "p", "production", 1))
    create(app_client, "q", "kept")
    create(app_client, "gone", "deleted before the moment")
    ok(app_client.delete("/api/v1/prompts/gone"), 204)
    moment = clock.advance()
    clock.advance()
    ok(patch(app_client, "p", content="second {{ x }}"))
    ok(patch(app_client, "p", content="third {{ x }}"))
    ok(set_label(app_client, "p", "production", 3))
    ok(set_label(app_client, "p", "staging", 2))
    create(app_client, "r", "created after the moment")
    ok(app_client.delete("/api/v1/prompts/q"), 204)
    clock.advance()
    return clock, moment


def test_dry_run_lists_and_the_run_applies_through_the_services(
    app_client: TestClient, core: Core
) -> None:
    _clock, moment = history(app_client, core)
    before = snapshot(core)
    planned = ok(app_client.post(URL, json={"at": moment.isoformat()}))
    assert planned["dry_run"] is True and planned["applied"] == 0
    assert snapshot(core) == before  # a dry run changes nothing
    kinds = [
        (c["prompt"], c["kind"], c["label"], c["current"], c["target"]) for c in planned["changes"]
    ]
    assert kinds == [
        ("q", "undelete", None, None, None),
        ("p", "content", None, 3, 1),
        ("p", "label", "production", 3, 1),
        ("p", "label", "staging", 2, None),
        ("r", "delete", None, 1, None),
    ]
    assert planned["prompts_checked"] == 4

    done = ok(app_client.post(URL, json={"at": moment.isoformat(), "dry_run": False}))
    assert done["applied"] == 5 and done["failed"] == 0
    p = ok(get(app_client, "p"))
    assert p["version"]["number"] == 4 and p["version"]["content"] == "first {{ x }}"
    assert p["labels"] == {"latest": 4, "production": 1}
    assert ok(get(app_client, "q"))["version"]["content"] == "kept"
    error(get(app_client, "r"), 404)
    error(get(app_client, "gone"), 404)  # was deleted at the moment too

    events = ok(app_client.get("/api/v1/audit", params={"limit": 6}))["items"]
    assert events[0]["action"] == "recovery.point_in_time"
    assert events[0]["summary"]["applied"] == 5
    assert [e["action"] for e in events[1:]] == [
        "prompt.delete",
        "label.delete",
        "label.move",
        "prompt.rollback",
        "prompt.restore",
    ]

    again = ok(app_client.post(URL, json={"at": moment.isoformat()}))
    assert again["changes"] == []  # already as it was


def test_one_prompt_and_bad_input(app_client: TestClient, core: Core) -> None:
    clock, moment = history(app_client, core)
    one = ok(app_client.post(URL, json={"at": moment.isoformat(), "prompt": "p", "dry_run": False}))
    assert {c["prompt"] for c in one["changes"]} == {"p"} and one["applied"] == 3
    future = (clock.now + timedelta(days=1)).isoformat()
    error(app_client.post(URL, json={"at": future}), 422)
    error(app_client.post(URL, json={"at": moment.isoformat(), "prompt": "nope"}), 422)
    error(app_client.post(URL, json={"at": "yesterday"}), 422)
    error(app_client.post(URL, json={"at": moment.isoformat(), "extra": 1}), 422)
    error(app_client.post(URL.replace("default", "no-such"), json={"at": moment.isoformat()}), 404)


def test_the_cli_restores_a_project_on_the_database(
    app_client: TestClient, core: Core, db_url: str, tmp_path: Path
) -> None:
    _clock, moment = history(app_client, core)
    cli = Cli(
        {
            "PROMPTYARD_DATA_DIR": str(tmp_path / "cli-data"),
            "PROMPTYARD_DATABASE_URL": db_url,
            "COLUMNS": "200",
        }
    )
    at = moment.strftime("%Y-%m-%dT%H:%M:%S")
    listed = cli("restore-prompts", "--at", at, "--project", "default", "--dry-run")
    assert "would change 5" in listed.stdout
    assert ok(get(app_client, "p"))["version"]["number"] == 3
    report = cli.json("restore-prompts", "--at", at)
    assert report["applied"] == 5
    core.cache.clear()
    assert ok(get(app_client, "p"))["labels"] == {"latest": 4, "production": 1}
    events = ok(app_client.get("/api/v1/audit", params={"actor": "system", "limit": 20}))["items"]
    assert any(e["action"] == "recovery.point_in_time" for e in events)
    bad = cli("restore-prompts", "--at", at, "--prompt", "p", code=1)
    assert "--prompt needs exactly one --project" in bad.stderr
    missing = cli("restore-prompts", "--at", at, "--project", "nope", code=1)
    assert "no project nope" in missing.stderr


def test_a_protected_label_is_reported_and_the_rest_applied(
    app_client: TestClient, core: Core
) -> None:
    """The label guard of the review policy refuses the direct move, as it would refuse a
    person's: that change carries the reason, the others go through."""
    _clock, moment = history(app_client, core)
    ok(
        app_client.put(
            "/api/v1/projects/default/policy",
            json={"require_review": True, "protected_labels": ["production"]},
        )
    )
    done = ok(app_client.post(URL, json={"at": moment.isoformat(), "dry_run": False}))
    failed = [change for change in done["changes"] if change["error"]]
    assert [(c["prompt"], c["label"]) for c in failed] == [("p", "production")]
    assert done["failed"] == 1 and done["applied"] == 4
    assert ok(get(app_client, "p"))["labels"]["production"] == 3  # left for a change request
