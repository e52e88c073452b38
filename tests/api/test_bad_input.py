"""Bad input on many routes: always a 4xx with the one error shape, and nothing changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import (
    API,
    PROMPTS,
    client_error,
    create,
    error,
    get,
    ok,
    patch,
    set_label,
    snapshot,
)

JSON_ROUTES = [
    ("post", PROMPTS),
    ("patch", f"{PROMPTS}/p"),
    ("put", f"{PROMPTS}/p/labels/production"),
    ("post", f"{PROMPTS}/p/branches"),
    ("post", f"{PROMPTS}/p/branches/b/merge"),
    ("post", f"{PROMPTS}/p/rollback"),
    ("post", f"{PROMPTS}/p/render"),
    ("post", f"{PROMPTS}/bulk"),
    ("post", f"{PROMPTS}/templates"),
    ("put", f"{PROMPTS}/templates/1"),
    ("post", f"{PROMPTS}/execute"),
    ("post", f"{API}/templates/validate"),
    ("post", f"{API}/templates/render"),
    ("post", f"{API}/projects"),
    ("post", f"{API}/auth/login"),
]
MALFORMED = [b'{"name": ', b"{'name': 'x'}", b'{"a": 1,}', b"nul", b"{]", b'{"a": "\\x"}']


@pytest.fixture
def seeded(app_client: TestClient, core: Core) -> dict[str, Any]:
    """One prompt ``p`` with two versions, a label and a branch; returns the db snapshot."""
    create(app_client, "p", "Hello {{ name }}", tags=["t"], metadata={"k": "v"})
    ok(patch(app_client, "p", content="Hi {{ name }}"))
    ok(set_label(app_client, "p", "production", 1))
    ok(app_client.post(f"{PROMPTS}/p/branches", json={"name": "b", "from_version": 1}), 201)
    return snapshot(core)


def test_malformed_json_is_400_invalid_json(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    for method, path in JSON_ROUTES:
        for body in MALFORMED:
            response = app_client.request(
                method, path, content=body, headers={"Content-Type": "application/json"}
            )
            err = error(response, 400, "invalid_json")
            assert "JSON" in err["message"], (method, path, body)
    assert snapshot(core) == seeded


WRONG_TYPES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("post", PROMPTS, {"name": 5, "content": "x"}, ["name"]),
    ("post", PROMPTS, {"content": "x"}, ["name"]),
    ("post", PROMPTS, {"name": "n"}, ["content"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "tags": "t"}, ["tags"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "tags": [1]}, ["tags", "0"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "metadata": []}, ["metadata"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "surprise": 1}, ["surprise"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "type": "image"}, ["type"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "description": 3}, ["description"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "config": []}, ["config"]),
    (
        "post",
        PROMPTS,
        {"name": "n", "content": "x", "config": {"temperature": "hot"}},
        ["config", "temperature"],
    ),
    (
        "post",
        PROMPTS,
        {"name": "n", "content": "x", "config": {"temperature": 2.5}},
        ["config", "temperature"],
    ),
    (
        "post",
        PROMPTS,
        {"name": "n", "content": "x", "config": {"max_tokens": 0}},
        ["config", "max_tokens"],
    ),
    ("post", PROMPTS, {"name": "n", "content": "x", "config": {"top_p": 1.5}}, ["config", "top_p"]),
    ("post", PROMPTS, {"name": "n", "content": "x", "config": {"stop": "##"}}, ["config", "stop"]),
    (
        "post",
        PROMPTS,
        {"name": "n", "content": "x", "config": {"provider_options": 1}},
        ["config", "provider_options"],
    ),
    ("patch", f"{PROMPTS}/p", {"content": 5}, ["content"]),
    ("patch", f"{PROMPTS}/p", {"base_version": "three"}, ["base_version"]),
    ("patch", f"{PROMPTS}/p", {"base_version": 0}, ["base_version"]),
    ("patch", f"{PROMPTS}/p", {"branch": "no spaces"}, ["branch"]),
    ("patch", f"{PROMPTS}/p", {"tags": {"a": 1}}, ["tags"]),
    ("patch", f"{PROMPTS}/p", {"surprise": True}, ["surprise"]),
    ("patch", f"{PROMPTS}/p", {"config": {"temperature": -1}}, ["config", "temperature"]),
    ("put", f"{PROMPTS}/p/labels/production", {"version": "one"}, ["version"]),
    ("put", f"{PROMPTS}/p/labels/production", {"version": 0}, ["version"]),
    ("put", f"{PROMPTS}/p/labels/production", {}, ["version"]),
    ("put", f"{PROMPTS}/p/labels/production", {"version": 1, "x": 1}, ["x"]),
    ("post", f"{PROMPTS}/p/branches", {"name": "c"}, ["from_version"]),
    ("post", f"{PROMPTS}/p/branches", {"name": 1, "from_version": 1}, ["name"]),
    ("post", f"{PROMPTS}/p/branches/b/merge", {"into": 3}, ["into"]),
    ("post", f"{PROMPTS}/p/rollback", {}, ["version"]),
    ("post", f"{PROMPTS}/p/rollback", {"version": [1]}, ["version"]),
    ("post", f"{PROMPTS}/p/render", {"variables": []}, ["variables"]),
    ("post", f"{PROMPTS}/p/render", {"label": "Not A Label"}, ["label"]),
    ("post", f"{PROMPTS}/bulk", {"action": "tag", "names": "p", "tags": ["x"]}, ["names"]),
    ("post", f"{API}/templates/render", {"content": "x", "variables": "no"}, ["variables"]),
    ("post", f"{API}/templates/validate", {"content": 1}, ["content"]),
    ("post", f"{API}/projects", {"slug": "ok", "name": ""}, ["name"]),
    ("post", f"{API}/projects", {"slug": "ok", "name": "n", "x": 1}, ["x"]),
]


def test_wrong_types_and_unknown_fields_are_422_with_details(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    for method, path, body, loc in WRONG_TYPES:
        response = app_client.request(method, path, json=body)
        err = error(response, 422, "validation_error")
        details = err["details"]
        assert isinstance(details, list) and details, (path, body, err)
        for item in details:
            assert set(item) == {"loc", "message"}
            assert isinstance(item["loc"], list) and item["message"]
        locs = [item["loc"][: len(loc)] for item in details]
        assert loc in locs, (path, body, details)
    assert snapshot(core) == seeded


BAD_CHAT = [
    "not a list",
    [],
    ["just a string"],
    [{"role": "user"}],
    [{"content": "no role"}],
    [{"role": "user", "content": 5}],
    [{"role": "User Role", "content": "x"}],
    [{"role": "user", "content": "x", "extra": 1}],
    [{"type": "placeholder"}],
    [{"type": "placeholder", "name": "bad name"}],
]


def test_bad_chat_content_is_refused(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    for content in BAD_CHAT:
        response = app_client.post(PROMPTS, json={"name": "c", "type": "chat", "content": content})
        error(response, 422, "validation_error")
        response = patch(app_client, "p", type="chat", content=content)
        error(response, 422, "validation_error")
    assert snapshot(core) == seeded


BAD_NAMES = [
    "a/b",
    "/lead",
    "a\\b",
    "a\x01b",
    "tab\tname",
    "new\nline",
    "",
    "x" * 129,
    "bulk",
    "templates",
    "execute",
    ".hidden",
    "-dash",
    "with space",
    "ünïcode",
    "semi;colon",
]


def test_bad_prompt_names_are_refused(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    for name in BAD_NAMES:
        err = error(
            app_client.post(PROMPTS, json={"name": name, "content": "x"}), 422, "validation_error"
        )
        assert ["name"] in [item["loc"] for item in err["details"]], name
        error(app_client.post(f"{PROMPTS}/templates", json={"name": name, "content": "x"}), 422)
    assert snapshot(core) == seeded
    # The longest legal name works.
    assert create(app_client, "x" * 128, "ok")["name"] == "x" * 128


BAD_LABELS = ["Production", "-x", "x" * 65, "a b", "prod/uction", "ü", "latest"]


def test_bad_label_names_are_refused(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    for label in BAD_LABELS:
        client_error(set_label(app_client, "p", label, 1))
        client_error(app_client.delete(f"{PROMPTS}/p/labels/{label}"))
        response = app_client.post(
            f"{PROMPTS}/bulk", json={"action": "label", "names": ["p"], "label": label}
        )
        error(response, 422, "validation_error")
        if label != "latest":
            client_error(get(app_client, "p", label=label))
    assert snapshot(core) == seeded
    assert ok(set_label(app_client, "p", "x" * 64, 1))["name"] == "x" * 64


BAD_FIELDS: list[dict[str, Any]] = [
    {"folder": "../up"},
    {"folder": "a/../b"},
    {"folder": "a\\b"},
    {"folder": "a\x00b"},
    {"folder": "/".join("d" * 11)},
    {"folder": "x" * 513},
    {"tags": ["x" * 65]},
    {"tags": [""]},
    {"tags": ["bad\x07tag"]},
    {"tags": [f"t{i}" for i in range(51)]},
    {"metadata": {"big": "x" * 64_001}},
    {"description": "d" * 4001},
    {"commit_message": "m" * 4001},
]


def test_bad_fields_and_oversize_content_are_refused(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    for fields in BAD_FIELDS:
        client_error(app_client.post(PROMPTS, json={"name": "n", "content": "x", **fields}))
        client_error(patch(app_client, "p", **fields))
    too_long = "x" * 100_001
    chat_too_long = [
        {"role": "system", "content": "x" * 50_001},
        {"role": "user", "content": "y" * 50_000},
    ]
    client_error(app_client.post(PROMPTS, json={"name": "n", "content": too_long}))
    client_error(
        app_client.post(PROMPTS, json={"name": "n", "type": "chat", "content": chat_too_long})
    )
    client_error(patch(app_client, "p", content=too_long))
    client_error(
        app_client.post(f"{API}/templates/render", json={"content": too_long, "variables": {}})
    )
    assert snapshot(core) == seeded
    # The limit itself is allowed.
    body = create(app_client, "big", "x" * 100_000)
    assert len(body["version"]["content"]) == 100_000


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    yield b'{"name": "huge", "content": "'
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def test_bodies_over_5_mb_are_413(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    """Over every route's cap; each 413 names the route's own limit (test_request_limits.py)."""
    big = json.dumps({"name": "huge", "content": "x" * 5_100_000}).encode()
    for method, path, max_bytes in (
        ("post", PROMPTS, 1_000_000),
        ("patch", f"{PROMPTS}/p", 1_000_000),
        ("post", f"{API}/projects/default/import", 5_000_000),
        ("post", f"{API}/templates/render", 1_000_000),
    ):
        response = app_client.request(
            method, path, content=big, headers={"Content-Type": "application/json"}
        )
        err = error(response, 413, "payload_too_large")
        assert err["details"]["max_bytes"] == max_bytes
    assert snapshot(core) == seeded


def test_streamed_bodies_over_5_mb_are_413(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    """Without a Content-Length (chunked upload) the limit must answer the same 413."""
    outcomes = {}
    for path in (PROMPTS, f"{API}/projects/default/import", f"{API}/templates/render"):
        response = app_client.post(
            path, content=_chunks(6_000_000), headers={"Content-Type": "application/json"}
        )
        outcomes[path] = (response.status_code, response.json()["error"]["code"])
    assert outcomes == dict.fromkeys(outcomes, (413, "payload_too_large"))
    assert snapshot(core) == seeded


def test_unknown_things_are_404(app_client: TestClient, core: Core, seeded: dict[str, Any]) -> None:
    for response in (
        get(app_client, "p", version=3),
        get(app_client, "p", label="staging"),
        get(app_client, "nope"),
        app_client.get(f"{PROMPTS}/p/versions/3"),
        app_client.get(f"{PROMPTS}/nope/versions"),
        app_client.get(f"{PROMPTS}/nope/labels"),
        app_client.get(f"{PROMPTS}/nope/label-events"),
        app_client.get(f"{PROMPTS}/nope/branches"),
        set_label(app_client, "p", "staging", 3),
        app_client.delete(f"{PROMPTS}/p/labels/staging"),
        app_client.post(f"{PROMPTS}/p/render", json={"version": 3}),
        app_client.post(f"{PROMPTS}/p/rollback", json={"version": 3}),
        app_client.post(f"{PROMPTS}/p/branches", json={"name": "c", "from_version": 3}),
        app_client.post(f"{PROMPTS}/p/branches/zz/merge", json={}),
        app_client.delete(f"{PROMPTS}/p/branches/zz"),
        app_client.get(f"{API}/no/such/route"),
        get(app_client, "p", project="nope"),
    ):
        error(response, 404, "not_found")
    error(app_client.put(PROMPTS, json={}), 405, "method_not_allowed")
    error(app_client.delete(f"{PROMPTS}/p/versions/1"), 405, "method_not_allowed")
    assert snapshot(core) == seeded


HUGE = 10**20


def test_out_of_range_numbers_are_4xx(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    """Numbers too large for the database are a client error, never a 500."""
    statuses = {}
    for label, response in (
        ("get version", get(app_client, "p", version=HUGE)),
        ("version detail", app_client.get(f"{PROMPTS}/p/versions/{HUGE}")),
        ("diff", app_client.get(f"{PROMPTS}/p/diff", params={"from": 1, "to": HUGE})),
        ("label", set_label(app_client, "p", "production", HUGE)),
        ("render", app_client.post(f"{PROMPTS}/p/render", json={"version": HUGE})),
        ("rollback", app_client.post(f"{PROMPTS}/p/rollback", json={"version": HUGE})),
        (
            "branch",
            app_client.post(f"{PROMPTS}/p/branches", json={"name": "c", "from_version": HUGE}),
        ),
        ("template versions", app_client.get(f"{PROMPTS}/templates/{HUGE}/versions")),
        ("template put", app_client.put(f"{PROMPTS}/templates/{HUGE}", json={"content": "x"})),
        ("patch base", patch(app_client, "p", content="x", base_version=HUGE)),
    ):
        statuses[label] = response.status_code
        if response.status_code >= 400:
            error(response, response.status_code)
    assert {k: v for k, v in statuses.items() if not 400 <= v < 500} == {}
    assert snapshot(core) == seeded


def test_timestamps_without_a_zone_are_not_a_server_error(
    app_client: TestClient, seeded: dict[str, Any]
) -> None:
    statuses = {}
    for params in (
        {"updated_after": "2000-01-01T00:00:00"},
        {"updated_before": "2999-01-01T00:00:00"},
        {"updated_after": "2000-01-01"},
    ):
        response = app_client.get(PROMPTS, params=params)
        statuses[str(params)] = response.status_code
    assert set(statuses.values()) <= {200, 422}, statuses
    error(app_client.get(PROMPTS, params={"updated_after": "yesterday"}), 422, "validation_error")


UNSTORABLE = [
    ("nul in content", b'{"name": "u1", "content": "a\\u0000b"}'),
    ("nul in description", b'{"name": "u2", "content": "x", "description": "d\\u0000"}'),
    ("nul in metadata", b'{"name": "u3", "content": "x", "metadata": {"k": "v\\u0000"}}'),
    ("lone surrogate in content", b'{"name": "u4", "content": "x\\ud800"}'),
    ("lone surrogate in tag", b'{"name": "u5", "content": "x", "tags": ["t\\udfff"]}'),
    ("NaN in config", b'{"name": "u6", "content": "x", "config": {"seed": NaN}}'),
    ("Infinity in metadata", b'{"name": "u7", "content": "x", "metadata": {"n": Infinity}}'),
]


def test_text_the_database_cannot_store_is_4xx_or_round_trips(
    app_client: TestClient, core: Core, seeded: dict[str, Any]
) -> None:
    """NUL characters, lone surrogates and NaN are refused or stored faithfully; never a 500."""
    outcomes = {}
    for label, raw in UNSTORABLE:
        response = app_client.post(
            PROMPTS, content=raw, headers={"Content-Type": "application/json"}
        )
        outcomes[label] = response.status_code
        if response.status_code == 201:
            name = response.json()["name"]
            assert ok(get(app_client, name))["version"]["number"] == 1
    for label, params in (
        ("nul in folder filter", {"folder": "a\x00b"}),
        ("nul in tag filter", {"tag": "a\x00b"}),
        ("nul in author filter", {"author": "a\x00b"}),
        ("nul in search", {"q": "a\x00b"}),
    ):
        outcomes[label] = app_client.get(PROMPTS, params=params).status_code
    assert {k: v for k, v in outcomes.items() if v >= 500} == {}


BIG_NUMBERS = [
    (
        "int in metadata",
        b'{"name": "b1", "content": "x", "metadata": {"n": 100000000000000000000}}',
    ),
    ("int in config", b'{"name": "b2", "content": "x", "config": {"seed": 100000000000000000000}}'),
    ("float in metadata", b'{"name": "b3", "content": "x", "metadata": {"n": 1e20}}'),
    ("float in config", b'{"name": "b4", "content": "x", "config": {"seed": 1e20}}'),
    (
        "float in options",
        b'{"name": "b5", "content": "x", "config": {"provider_options": {"a": 1e300}}}',
    ),
]


def test_big_numbers_in_json_fields_are_refused_or_stay_readable(
    app_client: TestClient, seeded: dict[str, Any]
) -> None:
    """A number the server accepted must come back on every later read (and export)."""
    outcomes = {}
    for label, raw in BIG_NUMBERS:
        response = app_client.post(
            PROMPTS, content=raw, headers={"Content-Type": "application/json"}
        )
        outcome = [response.status_code]
        if response.status_code == 201:
            name = response.json()["name"]
            outcome.append(get(app_client, name).status_code)
            outcome.append(app_client.get(f"{PROMPTS}/{name}/versions").status_code)
        elif response.status_code < 500:
            client_error(response)
        outcomes[label] = outcome
    outcomes["export"] = [app_client.get(f"{API}/projects/default/export").status_code]
    assert {k: v for k, v in outcomes.items() if any(s >= 500 for s in v)} == {}


@pytest.mark.parametrize(
    "body",
    [
        {"config": {"model": "a\x00b"}},
        {"config": {"provider_options": {"k": "\ud800"}}},
        {"metadata": {"n": float("nan")}},
        {"description": "x\x00"},
        {"content": "ok", "commit_message": "\x00"},
    ],
)
def test_updates_with_unstorable_values_are_422_and_change_nothing(
    app_client: TestClient, core: Core, seeded: dict[str, Any], body: dict[str, Any]
) -> None:
    """Every field of an update is checked like a create (found by the fuzz test on PG)."""
    state = snapshot(core)
    raw = json.dumps(body).encode()
    response = app_client.patch(
        f"{PROMPTS}/p", content=raw, headers={"Content-Type": "application/json"}
    )
    error(response, 422, "validation_error")
    assert snapshot(core) == state
