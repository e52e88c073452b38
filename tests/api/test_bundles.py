"""Export a project to a JSON or YAML bundle and import it back exactly; bad bundles refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import (
    API,
    PROMPTS,
    create,
    error,
    get,
    new_project,
    ok,
    patch,
    set_label,
    snapshot,
    url,
)


def _export(client: TestClient, slug: str, fmt: str = "json") -> dict[str, Any]:
    response = client.get(f"{API}/projects/{slug}/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert "attachment" in disposition and f"{slug}.promptyard.{fmt}" in disposition
    if fmt == "yaml":
        assert response.headers["content-type"].startswith("application/yaml")
        data = yaml.safe_load(response.text)
    else:
        assert response.headers["content-type"].startswith("application/json")
        data = response.json()
    assert isinstance(data, dict)
    return data


def _import(
    client: TestClient, slug: str, body: bytes, *, fmt: str = "json", on_conflict: str = "fail"
) -> Any:
    media = "application/yaml" if fmt == "yaml" else "application/json"
    return client.post(
        f"{API}/projects/{slug}/import",
        params={"on_conflict": on_conflict},
        content=body,
        headers={"Content-Type": media},
    )


def _dump(bundle: dict[str, Any], fmt: str = "json") -> bytes:
    if fmt == "yaml":
        return yaml.safe_dump(bundle, sort_keys=False).encode()
    return json.dumps(bundle).encode()


def _rich_project(client: TestClient) -> None:
    """Prompts with history, labels and their moves, branches, a merge and a deleted prompt."""
    create(
        client,
        "tone",
        "Be polite.",
        folder="shared",
        tags=["base"],
        metadata={"owner": "cx", "n": 1},
        config={"model": "m", "provider_options": {"seed": 3}},
        description="Tone of voice",
    )
    ok(patch(client, "tone", content="Be polite and brief.", commit_message="shorter"))
    ok(set_label(client, "tone", "production", 1))
    ok(set_label(client, "tone", "production", 2))
    create(
        client,
        "reply",
        'Hi {{ name }}. {% include "prompt:tone@production" %}\nMiddle.\nBye.\n',
        folder="support/email",
        tags=["cx", "email"],
    )
    ok(client.post(f"{PROMPTS}/reply/branches", json={"name": "exp", "from_version": 1}), 201)
    ok(
        patch(
            client,
            "reply",
            branch="exp",
            content='Hi {{ name }}. {% include "prompt:tone@production" %}\nMiddle.\nSee you.\n',
        )
    )
    ok(
        patch(
            client,
            "reply",
            content='Hello {{ name }}. {% include "prompt:tone@production" %}\nMiddle.\nBye.\n',
        )
    )
    ok(client.post(f"{PROMPTS}/reply/branches/exp/merge", json={}))
    create(
        client,
        "chat",
        [
            {"role": "system", "content": "You are {{ persona }}"},
            {"type": "placeholder", "name": "history"},
        ],
    )
    create(client, "old", "retired")
    ok(client.delete(f"{PROMPTS}/old"), 204)


def _without_envelope(bundle: dict[str, Any]) -> dict[str, Any]:
    out = dict(bundle)
    for key in ("exported_at", "project", "audit_checkpoint"):
        out.pop(key)
    return out


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_import_export_round_trip(app_client: TestClient, fmt: str) -> None:
    _rich_project(app_client)
    first = _export(app_client, "default", fmt)
    assert first["format"] == "promptyard-bundle" and first["format_version"] == 1
    assert first["project"] == {"slug": "default", "name": "Default project"}
    assert [p["name"] for p in first["prompts"]] == ["chat", "old", "reply", "tone"]
    reply = next(p for p in first["prompts"] if p["name"] == "reply")
    assert [v["number"] for v in reply["versions"]] == [1, 2, 3, 4]
    assert reply["versions"][3]["merge_parent"] == 2
    assert {b["name"] for b in reply["branches"]} == {"main", "exp"}
    tone = next(p for p in first["prompts"] if p["name"] == "tone")
    assert [(e["label"], e["from_version"], e["to_version"]) for e in tone["label_events"]] == [
        ("latest", None, 1),
        ("latest", 1, 2),
        ("production", None, 1),
        ("production", 1, 2),
    ]
    assert next(p for p in first["prompts"] if p["name"] == "old")["deleted_at"] is not None

    new_project(app_client, "copy", "Copy")
    result = ok(_import(app_client, "copy", _dump(first, fmt), fmt=fmt))
    assert sorted(result["created"]) == ["chat", "old", "reply", "tone"]
    assert result["skipped"] == []

    second = _export(app_client, "copy", fmt)
    assert second["project"] == {"slug": "copy", "name": "Copy"}
    assert _without_envelope(second) == _without_envelope(first)

    # The copy works like the original: reads, labels, renders, search.
    copied = ok(get(app_client, "reply", project="copy"))
    original = ok(get(app_client, "reply"))
    for key in ("version", "labels", "tags", "folder", "metadata", "latest_version"):
        assert copied[key] == original[key], key
    rendered = ok(
        app_client.post(url(f"{PROMPTS}/reply/render", "copy"), json={"variables": {"name": "Al"}})
    )
    assert rendered["rendered"] == "Hello Al. Be polite and brief.\nMiddle.\nSee you.\n"
    found = ok(app_client.get(PROMPTS, params={"project": "copy", "q": "polite"}))
    assert [p["name"] for p in found["items"]] == ["tone"]
    error(get(app_client, "old", project="copy"), 404)
    next_version = ok(patch(app_client, "tone", project="copy", content="new"))
    assert next_version["version"]["number"] == 3


def test_import_conflicts_fail_or_skip(app_client: TestClient, core: Core) -> None:
    _rich_project(app_client)
    bundle = _export(app_client, "default")
    new_project(app_client, "target")
    create(app_client, "tone", "Existing tone", project="target")
    state = snapshot(core)

    err = error(_import(app_client, "target", _dump(bundle)), 409, "already_exists")
    assert err["details"]["existing"] == ["tone"]
    assert snapshot(core) == state
    listed = ok(app_client.get(PROMPTS, params={"project": "target", "deleted": "include"}))
    assert [p["name"] for p in listed["items"]] == ["tone"]

    result = ok(_import(app_client, "target", _dump(bundle), on_conflict="skip"))
    assert result == {"created": ["chat", "old", "reply"], "skipped": ["tone"]}
    assert ok(get(app_client, "tone", project="target"))["version"]["content"] == "Existing tone"
    assert ok(get(app_client, "reply", project="target"))["latest_version"] == 4


def _corruptions(bundle: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []

    def variant(label: str, edit: Any) -> None:
        copy_ = copy.deepcopy(bundle)
        edit(copy_)
        out.append((label, copy_))

    def prompt(b: dict[str, Any], name: str) -> dict[str, Any]:
        return next(p for p in b["prompts"] if p["name"] == name)

    variant("edited content", lambda b: prompt(b, "reply")["versions"][1].update(content="Evil"))
    variant(
        "edited config",
        lambda b: prompt(b, "tone")["versions"][0].update(config={"model": "other"}),
    )
    variant("bad hash", lambda b: prompt(b, "reply")["versions"][0].update(content_hash="x"))
    variant("no versions", lambda b: prompt(b, "reply").update(versions=[]))
    variant("missing parent", lambda b: prompt(b, "reply")["versions"][1].update(parent=77))
    variant("label to nowhere", lambda b: prompt(b, "tone")["labels"][0].update(version=99))
    variant("bad name", lambda b: prompt(b, "reply").update(name="bad/name"))
    variant("unknown field", lambda b: prompt(b, "reply").update(surprise=True))
    variant("wrong format", lambda b: b.update(format="other"))
    variant("duplicate prompt", lambda b: b["prompts"].append(copy.deepcopy(b["prompts"][0])))
    variant(
        "no main branch",
        lambda b: prompt(b, "reply").update(
            branches=[x for x in prompt(b, "reply")["branches"] if x["name"] != "main"]
        ),
    )
    variant(
        "bad template",
        lambda b: prompt(b, "chat")["versions"][0]["content"][0].update(content="{{ x }"),
    )
    return out


def test_corrupted_bundles_are_refused_and_nothing_is_imported(
    app_client: TestClient, core: Core
) -> None:
    _rich_project(app_client)
    bundle = _export(app_client, "default")
    new_project(app_client, "target")
    state = snapshot(core)
    for label, corrupted in _corruptions(bundle):
        response = _import(app_client, "target", _dump(corrupted))
        err = error(response, 422)
        assert err["code"] in {"invalid_bundle", "template_syntax_error"}, (label, err)
        assert snapshot(core) == state, label
    # The hash check names the damaged prompt and version.
    err = error(_import(app_client, "target", _dump(_corruptions(bundle)[0][1])), 422)
    assert err["code"] == "invalid_bundle"
    assert "reply" in err["message"] and "2" in err["message"]


def test_structurally_inconsistent_bundles_are_refused_not_500(
    app_client: TestClient, core: Core
) -> None:
    """Bundles that pass the schema but break the database's rules must be a 4xx."""
    _rich_project(app_client)
    bundle = _export(app_client, "default")
    new_project(app_client, "target")
    state = snapshot(core)

    dup_branch = copy.deepcopy(bundle)
    reply = next(p for p in dup_branch["prompts"] if p["name"] == "reply")
    reply["branches"].append(copy.deepcopy(reply["branches"][0]))
    dup_label = copy.deepcopy(bundle)
    tone = next(p for p in dup_label["prompts"] if p["name"] == "tone")
    tone["labels"].append(copy.deepcopy(tone["labels"][0]))
    head_nowhere = copy.deepcopy(bundle)
    tone = next(p for p in head_nowhere["prompts"] if p["name"] == "tone")
    next(b for b in tone["branches"] if b["name"] == "main")["head"] = 42

    outcomes = {}
    for label, variant in (
        ("duplicate branch", dup_branch),
        ("duplicate label", dup_label),
        ("main head names a missing version", head_nowhere),
    ):
        response = _import(app_client, "target", _dump(variant))
        code = response.json()["error"]["code"] if response.status_code >= 400 else None
        outcomes[label] = (response.status_code, code, snapshot(core) == state)
    assert outcomes == {
        "duplicate branch": (422, "invalid_bundle", True),
        "duplicate label": (422, "invalid_bundle", True),
        "main head names a missing version": (422, "invalid_bundle", True),
    }


def test_garbage_bodies_are_4xx(app_client: TestClient, core: Core) -> None:
    create(app_client, "keep", "me")
    new_project(app_client, "target")
    state = snapshot(core)
    for body, fmt in (
        (b"{not json", "json"),
        (b"", "json"),
        (b"[1, 2, 3]", "json"),
        (b'"just a string"', "json"),
        (b"\xff\xfe\x00garbage", "json"),
        (b"key: [unclosed", "yaml"),
        (b"- a\n- b\n", "yaml"),
        (b"\xff\xfe\x00", "yaml"),
        (json.dumps({"format": "promptyard-bundle"}).encode(), "json"),
        (b"!!python/object/apply:os.system ['echo pwned']", "yaml"),
    ):
        response = _import(app_client, "target", body, fmt=fmt)
        err = error(response, response.status_code)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert err["code"] != "internal_error"
    assert snapshot(core) == state
    error(
        _import(app_client, "missing-project", b"{}"),
        404,
        "not_found",
    )
    error(app_client.get(f"{API}/projects/missing-project/export"), 404, "not_found")
    error(app_client.get(f"{API}/projects/default/export", params={"format": "xml"}), 422)
    error(
        app_client.post(f"{API}/projects/target/import", params={"on_conflict": "merge"}, json={}),
        422,
    )


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_stored_json_that_cannot_be_read_back_is_named_then_repaired(
    app_client: TestClient, core: Core
) -> None:
    """A value stored before the write-time checks (issue 15 §4) broke the prompt's reads
    and the project's export for good, even after an update and a delete. Now reads and
    the export name it (409), and ``db check --repair`` makes both work again."""
    from sqlalchemy import select, update

    from promptyard.services.operations import audit, integrity
    from promptyard.store.models import SqlAuditEvent, SqlPrompt, SqlVersion

    create(app_client, "fine", "All good", metadata={"k": "v"})
    create(app_client, "deep", "Hello {{ name }}", config={"model": "m"})
    ok(patch(app_client, "deep", content="Hi {{ name }}"))
    with core.store.write() as session:  # as an older server let it be stored
        prompt_id = session.execute(
            select(SqlPrompt.id).where(SqlPrompt.name == "deep")
        ).scalar_one()
        session.execute(
            update(SqlVersion)
            .where(SqlVersion.prompt_id == prompt_id, SqlVersion.number == 1)
            .values(config=_nested(260))
        )
        session.execute(update(SqlPrompt).where(SqlPrompt.id == prompt_id).values(meta=_nested(30)))
    core.cache.clear()

    err = error(get(app_client, "deep", version=1), 409, "stored_data_unreadable")
    assert "'deep' (version 1)" in err["message"] and "db check --repair" in err["message"]
    assert ok(get(app_client, "fine"))["metadata"] == {"k": "v"}
    ok(patch(app_client, "deep", content="Hey {{ name }}"))
    assert app_client.delete(f"{PROMPTS}/deep").status_code == 204
    for fmt in ("json", "yaml"):
        response = app_client.get(f"{API}/projects/default/export", params={"format": fmt})
        err = error(response, 409, "stored_data_unreadable")
        assert err["details"] == {"prompts": ["deep"]}, err

    findings = integrity.check_stored_json(core)
    assert {(f.table, f.column, f.repaired) for f in findings} == {
        ("prompts", "metadata", False),
        ("prompt_versions", "config", False),
    }
    assert all(f.repairable and "deep" in f.where for f in findings)
    repaired = integrity.check_stored_json(core, repair=True)
    assert [f.repaired for f in repaired] == [True, True]
    assert integrity.check_stored_json(core) == []
    core.cache.clear()

    bundle = _export(app_client, "default")
    deep = next(p for p in bundle["prompts"] if p["name"] == "deep")
    assert deep["metadata"] == {} and deep["versions"][0]["config"] == {}
    assert deep["deleted_at"] is not None and len(deep["versions"]) == 3
    new_project(app_client, "restored")  # content hashes were recomputed: it imports back
    assert sorted(ok(_import(app_client, "restored", json.dumps(bundle).encode()))["created"]) == [
        "deep",
        "fine",
    ]
    with core.store.read() as session:
        events = (
            session.execute(select(SqlAuditEvent).where(SqlAuditEvent.action == "db.repair"))
            .scalars()
            .all()
        )
    assert sorted(event.object_type for event in events) == ["prompt_versions", "prompts"]
    version_event = next(e for e in events if e.object_type == "prompt_versions")
    assert version_event.summary["columns"]["config"]["replaced_with"] == {}
    assert set(version_event.summary["content_hash"]) == {"old", "new"}
    assert audit.verify(core).ok
