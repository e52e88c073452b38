"""Provider connections over the API: CRUD, keys encrypted at rest and never returned,
the server's secret, models listed by the provider, validation, prices, other workspaces."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.client import AsyncClient, Client
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.services.runtime import connections, secrets
from promptyard.store.models import SqlProviderConnection
from promptyard.wiring import build_core
from tests._server import LiveServer, free_port
from tests.api._helpers import API, error, ok
from tests.runtime._wire import Reply, WireServer
from tests.security._setup import add_key, default_workspace_id, other_workspace

PROVIDERS = f"{API}/providers"
PRICES = f"{PROVIDERS}/prices"
KEY = "sk-live-Zq8RANDOMsecretVALUE0123abcd"
OTHER_KEY = "sk-ant-api03-ANOTHERsecretVALUE9876wxyz"


class Recorder:
    """Every answer the test client got, to grep for a key."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.bodies: list[str] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.request(method, url, **kwargs)
        self.bodies.append(response.text)
        return response


@pytest.fixture
def api(app_client: TestClient) -> Recorder:
    return Recorder(app_client)


def _row(core: Core, name: str) -> SqlProviderConnection:
    with core.store.read() as session:
        row = session.execute(
            select(SqlProviderConnection).where(SqlProviderConnection.name == name)
        ).scalar_one()
        session.expunge(row)
        return row


def test_crud_with_the_key_masked_everywhere(api: Recorder, core: Core) -> None:
    body = {
        "name": "openai-main",
        "kind": "openai",
        "base_url": "https://api.example.com/v1/",
        "api_key": KEY,
        "models": ["gpt-4o", "gpt-4o-mini", "gpt-4o"],
        "default_params": {"temperature": 0.2},
        "options": {"organization": "org-1", "headers": {"X-Extra": "header-secret-123456"}},
        "timeout_seconds": 20,
        "max_concurrency": 4,
    }
    created = ok(api("POST", PROVIDERS, json=body), 201)
    assert created["api_key_set"] is True
    assert created["api_key_hint"] == "sk-…abcd"
    assert "api_key" not in created
    assert created["base_url"] == "https://api.example.com/v1"
    assert created["models"] == ["gpt-4o", "gpt-4o-mini"]
    assert created["timeout_seconds"] == 20
    assert created["options"]["headers"] == {"X-Extra": "hea…3456"}
    assert created["created_by"] == "key:bootstrap-admin"

    listed = ok(api("GET", PROVIDERS))
    assert [item["name"] for item in listed["items"]] == ["openai-main"]
    shown = ok(api("GET", f"{PROVIDERS}/openai-main"))
    assert shown["api_key_hint"] == "sk-…abcd" and shown["max_concurrency"] == 4

    patched = ok(
        api("PATCH", f"{PROVIDERS}/openai-main", json={"max_concurrency": 16, "models": ["o1"]})
    )
    assert (patched["max_concurrency"], patched["models"]) == (16, ["o1"])
    assert patched["api_key_hint"] == "sk-…abcd"  # untouched
    assert patched["timeout_seconds"] == 20 and patched["default_params"] == {"temperature": 0.2}
    rekeyed = ok(api("PATCH", f"{PROVIDERS}/openai-main", json={"api_key": OTHER_KEY}))
    assert rekeyed["api_key_hint"] == "sk-…wxyz"
    assert connections.connection_for(core, default_workspace_id(core), "openai-main").api_key == (
        OTHER_KEY
    )
    cleared = ok(api("PATCH", f"{PROVIDERS}/openai-main", json={"api_key": None}))
    assert (cleared["api_key_set"], cleared["api_key_hint"]) == (False, None)
    ok(api("PATCH", f"{PROVIDERS}/openai-main", json={"api_key": KEY}))

    audit = api("GET", f"{API}/audit", params={"action": "provider.*"})
    actions = [event["action"] for event in ok(audit)["items"]]
    assert actions.count("provider.update") == 4 and "provider.create" in actions
    for fmt in ("csv", "jsonl"):
        exported = api("GET", f"{API}/audit/export", params={"format": fmt})
        assert exported.status_code == 200 and "provider.create" in exported.text
    export = api("GET", f"{API}/projects/default/export")
    assert export.status_code == 200, export.text
    api("GET", "/openapi.json")

    ok(api("DELETE", f"{PROVIDERS}/openai-main"), 204)
    assert error(api("GET", f"{PROVIDERS}/openai-main"), 404)["code"] == "not_found"
    deleted = ok(api("GET", f"{API}/audit", params={"action": "provider.delete"}))["items"]
    assert deleted[0]["summary"]["api_key_hint"] == "sk-…abcd"

    for text in api.bodies:
        assert KEY not in text and OTHER_KEY not in text
        assert "header-secret-123456" not in text
        assert "Zq8RANDOM" not in text


def test_keys_are_encrypted_at_rest_with_a_0600_secret(api: Recorder, core: Core) -> None:
    ok(api("POST", PROVIDERS, json={"name": "claude", "kind": "anthropic", "api_key": KEY}), 201)
    row = _row(core, "claude")
    assert row.api_key_encrypted is not None and KEY not in row.api_key_encrypted
    assert "Zq8RANDOM" not in row.api_key_encrypted
    assert row.api_key_hint == "sk-…abcd"
    path = core.settings.data_dir / secrets.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Fernet(path.read_bytes().strip()).decrypt(row.api_key_encrypted.encode()) == KEY.encode()
    connection = connections.connection_for(core, default_workspace_id(core), "claude")
    assert (connection.kind, connection.api_key, connection.id) == ("anthropic", KEY, str(row.id))
    assert connection.max_concurrency == 8 and connection.timeout_seconds == 60.0
    # the same key encrypts to a different token every time
    ok(api("PATCH", f"{PROVIDERS}/claude", json={"api_key": KEY}))
    assert _row(core, "claude").api_key_encrypted != row.api_key_encrypted


def test_a_lost_or_replaced_secret_is_a_clear_409(api: Recorder, core: Core) -> None:
    ok(api("POST", PROVIDERS, json={"name": "claude", "kind": "anthropic", "api_key": KEY}), 201)
    path = core.settings.data_dir / secrets.KEY_FILE_NAME
    original = path.read_bytes()
    path.unlink()
    # reading the masked connection needs no secret
    assert ok(api("GET", f"{PROVIDERS}/claude"))["api_key_hint"] == "sk-…abcd"
    err = error(api("GET", f"{PROVIDERS}/claude/models"), 409)
    assert err["code"] == "secret_key_unavailable"
    assert "does not exist" in err["message"] and str(path) in err["message"]
    assert not path.exists()  # reading never makes a new secret

    path.write_bytes(Fernet.generate_key())
    err = error(api("GET", f"{PROVIDERS}/claude/models"), 409)
    assert err["code"] == "secret_undecryptable"
    assert "connection 'claude'" in err["message"] and "set the API key again" in err["message"]

    path.write_bytes(b"not a key")
    err = error(api("GET", f"{PROVIDERS}/claude/models"), 409)
    assert err["code"] == "secret_key_unavailable" and "does not hold a key" in err["message"]

    path.write_bytes(original)
    assert ok(api("GET", f"{PROVIDERS}/claude/models"))["connection"] == "claude"
    for text in api.bodies:
        assert KEY not in text


@pytest.fixture
def keyfile_core(core: Core, tmp_path: Any) -> Iterator[Core]:
    """A Core whose secret_key_file names a file that does not exist."""
    settings = core.settings.model_copy(update={"secret_key_file": tmp_path / "absent.key"})
    other = build_core(settings, core.store, entry_points=False)
    yield other


def test_a_named_secret_file_is_never_created(keyfile_core: Core) -> None:
    named = keyfile_core.settings.secret_key_file
    assert named is not None
    with TestClient(
        create_app(keyfile_core, static_dir=None),
        headers={"Authorization": "Bearer py_test_admin_key_0123456789"},
        raise_server_exceptions=False,
    ) as client:
        body = {"name": "oa", "kind": "openai", "api_key": KEY}
        response = client.post(PROVIDERS, json=body)
        err = error(response, 409)
        assert err["code"] == "secret_key_unavailable"
        assert "absent.key" in err["message"] and KEY not in response.text
        assert not named.exists()
        # without a key nothing is encrypted, so nothing needs the secret
        ok(client.post(PROVIDERS, json={"name": "oa", "kind": "openai"}), 201)
        named.write_bytes(Fernet.generate_key())
        assert ok(client.patch(f"{PROVIDERS}/oa", json={"api_key": KEY}))["api_key_hint"] == (
            "sk-…abcd"
        )
        short = ok(client.patch(f"{PROVIDERS}/oa", json={"api_key": "short-key"}))
        assert short["api_key_hint"] == "…"  # too short to show any of it


# -- models ------------------------------------------------------------------------------


def test_models_come_from_an_openai_compatible_server(api: Recorder, wire: WireServer) -> None:
    data = [{"id": m, "object": "model", "created": 1, "owned_by": "x"} for m in ("m-b", "m-a")]
    wire.app.add("/v1/models", Reply(body={"object": "list", "data": data}))
    body = {"name": "local", "kind": "openai", "base_url": f"{wire.url}/v1", "api_key": KEY}
    ok(api("POST", PROVIDERS, json={**body, "models": ["configured"]}), 201)
    found = ok(api("GET", f"{PROVIDERS}/local/models"))
    assert found["source"] == "provider" and found["error"] is None
    assert found["items"] == [
        {"id": "local/m-a", "model": "m-a"},
        {"id": "local/m-b", "model": "m-b"},
    ]
    [seen] = wire.app.seen("/v1/models")
    assert seen.headers["authorization"] == f"Bearer {KEY}"  # decrypted for the call

    wire.app.add("/v1/models", Reply(status=404, body={"error": {"message": "Not Found"}}))
    found = ok(api("GET", f"{PROVIDERS}/local/models"))
    assert (found["source"], found["error"]) == ("configured", None)
    assert [item["model"] for item in found["items"]] == ["configured"]

    wire.app.add("/v1/models", Reply(status=401, body={"error": {"message": "bad key given"}}))
    found = ok(api("GET", f"{PROVIDERS}/local/models"))
    assert found["source"] == "configured" and "bad key given" in found["error"]
    for text in api.bodies:
        assert KEY not in text


def test_models_come_from_anthropic(api: Recorder, wire: WireServer) -> None:
    data = [
        {"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"}
        for m in ("claude-b", "claude-a")
    ]
    wire.app.add(
        "/v1/models",
        Reply(
            body={"data": data, "has_more": False, "first_id": "claude-b", "last_id": "claude-a"}
        ),
    )
    body = {"name": "claude", "kind": "anthropic", "base_url": wire.url, "api_key": OTHER_KEY}
    ok(api("POST", PROVIDERS, json=body), 201)
    found = ok(api("GET", f"{PROVIDERS}/claude/models"))
    assert found["source"] == "provider"
    assert [item["id"] for item in found["items"]] == ["claude/claude-a", "claude/claude-b"]
    [seen] = wire.app.seen("/v1/models")
    # the SDK version decides the header (x-api-key, or a bearer token in 2.x)
    assert OTHER_KEY in (seen.headers.get("x-api-key"), seen.headers.get("authorization", "")[7:])


def test_configured_models_where_the_kind_has_no_list(api: Recorder) -> None:
    body = {
        "name": "azure",
        "kind": "azure_openai",
        "base_url": "https://example.openai.azure.com",
        "api_key": KEY,
        "models": ["prod-4o"],
        "options": {"api_version": "2024-10-21"},
    }
    ok(api("POST", PROVIDERS, json=body), 201)
    found = ok(api("GET", f"{PROVIDERS}/azure/models"))
    assert (found["source"], found["items"]) == (
        "configured",
        [{"id": "azure/prod-4o", "model": "prod-4o"}],
    )
    ok(api("POST", PROVIDERS, json={"name": "demo", "kind": "fake"}), 201)
    fake = ok(api("GET", f"{PROVIDERS}/demo/models"))
    assert fake["source"] == "provider" and {"demo/echo", "demo/upper"} <= {
        item["id"] for item in fake["items"]
    }


# -- validation and hostile input --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "x", "kind": "nope"}, "registered kinds: anthropic, azure_openai, fake, openai"),
        ({"name": "x", "kind": "openai", "base_url": "ftp://h/"}, "http:// or https://"),
        ({"name": "x", "kind": "openai", "base_url": "file:///etc/passwd"}, "http:// or https://"),
        ({"name": "x", "kind": "openai", "base_url": "http://u:p@h/"}, "credentials"),
        ({"name": "Bad Name", "kind": "fake"}, "name"),
        ({"name": "../etc", "kind": "fake"}, "name"),
        ({"name": "a/b", "kind": "fake"}, "name"),
        ({"name": "prices", "kind": "fake"}, "reserved"),
        ({"name": "x", "kind": "fake", "max_concurrency": 0}, "max_concurrency"),
        ({"name": "x", "kind": "fake", "max_concurrency": 257}, "max_concurrency"),
        ({"name": "x", "kind": "fake", "models": ["m"] * 501}, "at most 500"),
        ({"name": "x", "kind": "fake", "models": [""]}, "1 to 200"),
        ({"name": "x", "kind": "fake", "options": {"k": "v" * 20_000}}, "bytes of JSON"),
        ({"name": "x", "kind": "fake", "timeout_seconds": 0}, "timeout_seconds"),
        ({"name": "x", "kind": "anthropic"}, "needs an api_key"),
        ({"name": "x", "kind": "fake", "api_key": "sk-abc\ndef-0123456789"}, "control"),
        ({"name": "x", "kind": "fake", "api_key": "   "}, "empty"),
        ({"name": "x", "kind": "fake", "api_key": "k" * 4001}, "longer than"),
        ({"name": "x", "kind": "fake", "api_key": 12345}, "api_key"),
        ({"name": "x", "kind": "fake", "surprise": 1}, "surprise"),
    ],
)
def test_bad_connections_are_refused_with_the_rule(
    app_client: TestClient, body: dict[str, Any], words: str
) -> None:
    response = app_client.post(PROVIDERS, json=body)
    err = error(response, 422)
    assert words in err["message"] or words in str(err["details"]), err
    if isinstance(body.get("api_key"), str) and body["api_key"].strip():
        assert body["api_key"] not in response.text


def test_names_are_unique_per_workspace_and_paths_are_checked(app_client: TestClient) -> None:
    ok(app_client.post(PROVIDERS, json={"name": "demo", "kind": "fake"}), 201)
    err = error(app_client.post(PROVIDERS, json={"name": "demo", "kind": "openai"}), 409)
    assert err["code"] == "already_exists"
    assert error(app_client.get(f"{PROVIDERS}/Demo%20X"), 422)
    assert error(app_client.get(f"{PROVIDERS}/nope/models"), 404)["code"] == "not_found"
    assert error(app_client.patch(f"{PROVIDERS}/demo", json={"kind": "openai"}), 422)
    err = error(
        app_client.patch(f"{PROVIDERS}/demo", json={"base_url": "javascript:alert(1)"}), 422
    )
    assert "http://" in err["message"]
    assert error(app_client.delete(f"{PROVIDERS}/nope"), 404)


def test_other_workspaces_and_weaker_roles(app_client: TestClient, core: Core) -> None:
    ok(
        app_client.post(PROVIDERS, json={"name": "claude", "kind": "anthropic", "api_key": KEY}),
        201,
    )
    viewer = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="v")
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    seen = app_client.get(PROVIDERS, headers=as_viewer)
    assert ok(seen)["items"][0]["api_key_hint"] == "sk-…abcd" and KEY not in seen.text
    body = {"name": "x", "kind": "fake"}
    assert error(app_client.post(PROVIDERS, json=body, headers=as_viewer), 403)["code"] == (
        "forbidden"
    )
    assert error(app_client.delete(f"{PROVIDERS}/claude", headers=as_viewer), 403)

    foreign = {"Authorization": f"Bearer {other_workspace(core)}"}
    assert ok(app_client.get(PROVIDERS, headers=foreign))["items"] == []
    assert error(app_client.get(f"{PROVIDERS}/claude", headers=foreign), 404)
    assert error(app_client.get(f"{PROVIDERS}/claude/models", headers=foreign), 404)
    assert error(app_client.patch(f"{PROVIDERS}/claude", json={}, headers=foreign), 404)
    assert error(app_client.delete(f"{PROVIDERS}/claude", headers=foreign), 404)
    # the same name in another workspace is another connection
    ok(app_client.post(PROVIDERS, json={"name": "claude", "kind": "fake"}, headers=foreign), 201)
    assert ok(app_client.get(f"{PROVIDERS}/claude"))["kind"] == "anthropic"


# -- prices ------------------------------------------------------------------------------


def test_price_overrides_are_listed_audited_and_used(app_client: TestClient, core: Core) -> None:
    since = datetime.now(UTC) - timedelta(days=2)
    body = {
        "model": "gpt-4o",
        "provider": "openai",
        "input_per_mtok": 1.0,
        "output_per_mtok": 4.0,
        "cached_input_per_mtok": 0.5,
        "effective_from": since.isoformat(),
    }
    created = ok(app_client.post(PRICES, json=body), 201)
    assert created["currency"] == "USD" and created["cached_input_per_mtok"] == 0.5
    later = ok(
        app_client.post(
            PRICES, json={"model": "gpt-4o", "input_per_mtok": 3, "output_per_mtok": 6}
        ),
        201,
    )
    listed = ok(app_client.get(PRICES, params={"model": "gpt-4o"}))["items"]
    assert [item["id"] for item in listed] == [later["id"], created["id"]]  # latest first
    assert ok(app_client.get(PRICES, params={"model": "other"}))["items"] == []

    gen = {
        "id": "g-price",
        "model": "gpt-4o",
        "provider": "openai",
        "input_tokens": 1_000_000,
        "output_tokens": 1_000_000,
        "start_time": (since + timedelta(hours=1)).isoformat(),
    }
    ok(app_client.post(f"{API}/generations/batch", json={"generations": [gen]}))
    stored = ok(app_client.get(f"{API}/generations/g-price"))
    cost = stored["cost"]
    assert (cost["source"], cost["input"], cost["output"]) == ("override", 1.0, 4.0)

    ok(app_client.delete(f"{PRICES}/{created['id']}"), 204)
    assert error(app_client.delete(f"{PRICES}/{created['id']}"), 404)
    actions = [
        event["action"]
        for event in ok(app_client.get(f"{API}/audit", params={"action": "price_override.*"}))[
            "items"
        ]
    ]
    assert sorted(actions) == [
        "price_override.create",
        "price_override.create",
        "price_override.delete",
    ]

    foreign = {"Authorization": f"Bearer {other_workspace(core)}"}
    assert ok(app_client.get(PRICES, headers=foreign))["items"] == []
    assert error(app_client.delete(f"{PRICES}/{later['id']}", headers=foreign), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"model": "m", "input_per_mtok": -1, "output_per_mtok": 1},
        {"model": "m", "input_per_mtok": 1, "output_per_mtok": 1e12},
        {"model": "", "input_per_mtok": 1, "output_per_mtok": 1},
        {"model": "m", "input_per_mtok": 1, "output_per_mtok": 1, "currency": "EUR"},
        {"model": "m", "input_per_mtok": 1, "output_per_mtok": 1, "effective_from": "soon"},
        {"model": "m", "input_per_mtok": "NaN", "output_per_mtok": 1},
        {"model": "m", "input_per_mtok": 1},
    ],
)
def test_bad_prices_are_refused(app_client: TestClient, body: dict[str, Any]) -> None:
    error(app_client.post(PRICES, json=body), 422)


def test_the_sdk_clients_read_connections_masked(live_server: LiveServer) -> None:
    with Client(live_server.url, live_server.api_key) as client:
        closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: refused at once
        created = client.create_provider(
            "claude", "anthropic", base_url=closed, api_key=KEY, models=["c-1"]
        )
        assert created["api_key_hint"] == "sk-…abcd" and "api_key" not in created

    async def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with AsyncClient(live_server.url, live_server.api_key, reporting=False) as aclient:
            return (
                await aclient.list_providers(),
                await aclient.get_provider("claude"),
                await aclient.list_provider_models("claude"),
            )

    listed, shown, models = asyncio.run(read())
    assert [item["name"] for item in listed["items"]] == ["claude"]
    assert shown["models"] == ["c-1"] and KEY not in str(listed) + str(shown)
    # the provider cannot be reached: the configured models, with why
    assert models["source"] == "configured" and models["error"]
