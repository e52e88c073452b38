"""Langfuse's prompt API (``/api/public/v2/prompts``): the real ``langfuse`` SDK against a
real server, and the raw shapes, filters, errors, audit and governance over HTTP."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from promptyard.config import Settings
from promptyard.server.app import create_app
from promptyard.services.context import Core
from promptyard.store.models import SqlAuditEvent
from tests._server import LiveServer
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, API_KEY
from tests.security._setup import add_key, default_workspace_id

SECRET = "sk-lf-test-secret-0123456789abcdef"
BASE = "/api/public/v2/prompts"


@pytest.fixture
def public_key() -> str:
    # The SDK keeps one client per public key in the process: one key per test.
    return f"pk-lf-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(tmp_path: Path, db_url: str, public_key: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        init_api_key=API_KEY,
        init_admin_email=ADMIN_EMAIL,
        init_admin_password=ADMIN_PASSWORD,
        init_public_key=public_key,
        init_secret_key=SECRET,
    )


def basic(public: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{public}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def client(core: Core, public_key: str) -> Iterator[TestClient]:
    """The app, authenticated as Langfuse's SDK is: Basic with the key pair."""
    app = create_app(core, static_dir=None)
    with TestClient(app, headers=basic(public_key, SECRET), raise_server_exceptions=False) as c:
        yield c


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(BASE, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def assert_langfuse_error(response: Any, status: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == name, body
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


def audit_actions(core: Core) -> list[str]:
    with core.store.read() as session:
        query = select(SqlAuditEvent.action).order_by(SqlAuditEvent.seq)
        return list(session.execute(query).scalars())


# -- the real SDK --------------------------------------------------------------------


@pytest.fixture
def langfuse_client(
    live_server: LiveServer, public_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    from langfuse import Langfuse

    monkeypatch.setenv("LANGFUSE_TRACING_ENABLED", "false")
    client = Langfuse(
        public_key=public_key, secret_key=SECRET, host=live_server.url, tracing_enabled=False
    )
    yield client
    client.shutdown()


def test_the_langfuse_sdk_creates_gets_compiles_and_labels(langfuse_client: Any) -> None:
    lf = langfuse_client
    text = lf.create_prompt(
        name="greeting",
        prompt="Hello {{name}}, welcome to {{product}}.",
        labels=["production"],
        tags=["onboarding"],
        config={"model": "gpt-4o", "temperature": 0.3},
        commit_message="first",
    )
    assert (text.name, text.version) == ("greeting", 1)
    assert set(text.labels) == {"production", "latest"}
    lf.create_prompt(name="greeting", prompt="Hi {{name}}! {{product}} says hello.")

    served = lf.get_prompt("greeting", cache_ttl_seconds=0)  # default: production
    assert served.version == 1 and not served.is_fallback
    assert served.config == {"model": "gpt-4o", "temperature": 0.3}
    assert served.tags == ["onboarding"]
    assert served.compile(name="Ada", product="Promptyard") == "Hello Ada, welcome to Promptyard."
    second = lf.get_prompt("greeting", version=2, cache_ttl_seconds=0)
    assert second.compile(name="Ada", product="P") == "Hi Ada! P says hello."
    assert lf.get_prompt("greeting", label="latest", cache_ttl_seconds=0).version == 2

    chat = lf.create_prompt(
        name="support/triage",
        type="chat",
        prompt=[
            {"role": "system", "content": "You triage {{topic}} tickets."},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{question}}"},
        ],
        labels=["staging"],
    )
    assert chat.name == "support/triage"
    got = lf.get_prompt("support/triage", label="staging", type="chat", cache_ttl_seconds=0)
    assert got.version == 1
    compiled = got.compile(
        topic="billing",
        question="Why twice?",
        history=[{"role": "user", "content": "I was charged"}],
    )
    assert compiled == [
        {"role": "system", "content": "You triage billing tickets."},
        {"role": "user", "content": "I was charged"},
        {"role": "user", "content": "Why twice?"},
    ]

    lf.update_prompt(name="greeting", version=2, new_labels=["production"])
    moved = lf.get_prompt("greeting", cache_ttl_seconds=0)
    assert moved.version == 2 and "production" in moved.labels
    lf.update_prompt(name="support/triage", version=1, new_labels=["production"])
    assert lf.get_prompt("support/triage", type="chat", cache_ttl_seconds=0).version == 1


def test_the_langfuse_sdk_on_a_missing_prompt(langfuse_client: Any) -> None:
    from langfuse.api import NotFoundError

    fallback = langfuse_client.get_prompt(
        "nowhere", fallback="Hi {{name}}", max_retries=0, cache_ttl_seconds=0
    )
    assert fallback.is_fallback and fallback.compile(name="Ada") == "Hi Ada"
    with pytest.raises(NotFoundError) as raised:
        langfuse_client.get_prompt("nowhere", max_retries=0, cache_ttl_seconds=0)
    assert raised.value.status_code == 404
    assert raised.value.body["error"] == "LangfuseNotFoundError"


def test_the_langfuse_sdk_with_a_wrong_key_pair(live_server: LiveServer) -> None:
    from langfuse import Langfuse
    from langfuse.api import UnauthorizedError

    wrong = Langfuse(
        public_key=f"pk-lf-wrong-{uuid.uuid4().hex[:8]}",
        secret_key=SECRET,
        host=live_server.url,
        tracing_enabled=False,
    )
    try:
        with pytest.raises(UnauthorizedError):
            wrong.api.prompts.list()
    finally:
        wrong.shutdown()


# -- shapes over HTTP ----------------------------------------------------------------


def test_get_and_create_have_langfuse_shapes(client: TestClient) -> None:
    created = client.post(
        BASE,
        json={
            "name": "movie-critic",
            "prompt": "As a {{criticLevel}} critic, rate {{movie}}.",
            "config": {"model": "gpt-4o"},
            "labels": ["production"],
            "tags": ["film"],
            "commitMessage": "v1",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert {
        key: body[key] for key in ("name", "version", "type", "prompt", "config", "labels", "tags")
    } == {
        "name": "movie-critic",
        "version": 1,
        "type": "text",
        "prompt": "As a {{criticLevel}} critic, rate {{movie}}.",
        "config": {"model": "gpt-4o"},
        "labels": ["latest", "production"],
        "tags": ["film"],
    }
    assert body["commitMessage"] == "v1" and body["isActive"] is True
    assert body["resolutionGraph"] is None and body["createdAt"] and body["createdBy"]

    got = client.get(f"{BASE}/movie-critic").json()  # default label: production
    assert got["version"] == 1 and got["config"] == {"model": "gpt-4o"}
    assert client.get(f"{BASE}/movie-critic", params={"version": 1}).json()["version"] == 1
    assert client.get(f"{BASE}/movie-critic", params={"label": "latest"}).json()["version"] == 1
    # no config: the key is there, an empty object (as Langfuse stores it)
    plain = create(client, name="plain", prompt="x")
    assert plain["config"] == {} and plain["labels"] == ["latest"] and plain["isActive"] is False


def test_chat_prompts_keep_their_placeholders(client: TestClient) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"type": "placeholder", "name": "history"},
        {"type": "chatmessage", "role": "user", "content": "{{q}}"},
    ]
    created = create(client, name="chatty", type="chat", prompt=messages, labels=["production"])
    expected = [
        {"role": "system", "content": "Be brief."},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "{{q}}"},
    ]
    assert created["type"] == "chat" and created["prompt"] == expected
    assert client.get(f"{BASE}/chatty").json()["prompt"] == expected


def test_list_pagination_and_filters(client: TestClient) -> None:
    for index in range(5):
        create(client, name=f"p{index}", prompt="x", tags=["even" if index % 2 == 0 else "odd"])
    create(client, name="p0", prompt="y", labels=["production"])
    first = client.get(BASE, params={"limit": 2}).json()
    assert first["meta"] == {"page": 1, "limit": 2, "totalItems": 5, "totalPages": 3}
    assert first["pagination"] == first["meta"]
    assert [item["name"] for item in first["data"]] == ["p0", "p1"]
    p0 = first["data"][0]
    assert p0["versions"] == [1, 2] and p0["labels"] == ["latest", "production"]
    assert p0["type"] == "text" and p0["tags"] == ["even"] and p0["lastConfig"] == {}
    assert set(p0) == {"name", "type", "versions", "labels", "tags", "lastUpdatedAt", "lastConfig"}
    last = client.get(BASE, params={"limit": 2, "page": 3}).json()
    assert [item["name"] for item in last["data"]] == ["p4"]
    beyond = client.get(BASE, params={"limit": 2, "page": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["totalItems"] == 5

    by_tag = client.get(BASE, params={"tag": "even"}).json()
    assert [item["name"] for item in by_tag["data"]] == ["p0", "p2", "p4"]
    by_label = client.get(BASE, params={"label": "production"}).json()
    assert [(item["name"], item["versions"]) for item in by_label["data"]] == [("p0", [2])]
    by_name = client.get(BASE, params={"name": "p3"}).json()
    assert [item["name"] for item in by_name["data"]] == ["p3"]
    assert by_name["meta"]["totalItems"] == 1
    assert client.get(BASE, params={"name": "nope"}).json()["data"] == []
    assert client.get(BASE, params={"name": "p3", "tag": "even"}).json()["data"] == []
    assert_langfuse_error(client.get(BASE, params={"limit": 101}), 400, "InvalidRequestError")
    assert_langfuse_error(client.get(BASE, params={"page": 0}), 400, "InvalidRequestError")


def test_names_with_folders_work_on_every_route(client: TestClient, core: Core) -> None:
    create(client, name="support/triage", prompt="support", labels=["production"])
    create(client, name="sales/triage", prompt="sales", labels=["production"])
    create(client, name="triage", prompt="root", labels=["production"])
    create(client, name="a/b/c", prompt="deep")
    assert client.get(f"{BASE}/support%2Ftriage").json()["prompt"] == "support"
    assert client.get(f"{BASE}/sales/triage").json()["prompt"] == "sales"
    assert client.get(f"{BASE}/triage").json()["prompt"] == "root"
    assert client.get(f"{BASE}/a%2Fb%2Fc", params={"label": "latest"}).json()["name"] == "a/b/c"
    create(client, name="support/triage", prompt="support 2")
    patched = client.patch(f"{BASE}/support%2Ftriage/versions/2", json={"newLabels": ["staging"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "support/triage"
    assert client.get(f"{BASE}/support/triage", params={"label": "staging"}).json()["version"] == 2
    names = [item["name"] for item in client.get(BASE, params={"limit": 100}).json()["data"]]
    assert sorted(names) == ["a/b/c", "sales/triage", "support/triage", "triage"]
    listed = client.get(BASE, params={"name": "support/triage"}).json()["data"]
    assert [item["versions"] for item in listed] == [[1, 2]]
    # In Promptyard: '/' is written '..', and the prompt sits in the matching folder.
    v1 = client.get(
        "/api/v1/prompts/support..triage", headers={"Authorization": f"Bearer {API_KEY}"}
    ).json()
    assert (v1["name"], v1["folder"]) == ("support..triage", "support")
    # A name that could not map back one-to-one is refused, not silently merged.
    for bad in ("support..triage", "a//b", "a./b", "has space", "/lead"):
        body = assert_langfuse_error(
            client.post(BASE, json={"name": bad, "prompt": "x"}), 400, "InvalidRequestError"
        )
        assert "name" in body["message"]


# -- errors --------------------------------------------------------------------------


def test_errors_are_in_langfuse_shape(
    client: TestClient, anon: TestClient, public_key: str
) -> None:
    create(client, name="known", prompt="x", labels=["production"])
    missing = assert_langfuse_error(client.get(f"{BASE}/nowhere"), 404, "LangfuseNotFoundError")
    assert missing["message"] == "Prompt not found: 'nowhere' with label 'production'"
    assert_langfuse_error(
        client.get(f"{BASE}/known", params={"label": "gone"}), 404, "LangfuseNotFoundError"
    )
    assert_langfuse_error(
        client.get(f"{BASE}/known", params={"version": 9}), 404, "LangfuseNotFoundError"
    )
    assert_langfuse_error(
        client.patch(f"{BASE}/known/versions/9", json={"newLabels": ["a"]}),
        404,
        "LangfuseNotFoundError",
    )
    assert_langfuse_error(
        client.patch(f"{BASE}/nowhere/versions/1", json={"newLabels": ["a"]}),
        404,
        "LangfuseNotFoundError",
    )
    latest = assert_langfuse_error(
        client.patch(f"{BASE}/known/versions/1", json={"newLabels": ["latest"]}),
        400,
        "InvalidRequestError",
    )
    assert "latest" in latest["message"]
    bad_label = client.patch(f"{BASE}/known/versions/1", json={"newLabels": ["Not OK"]})
    assert_langfuse_error(bad_label, 400, "InvalidRequestError")
    assert "label" in bad_label.json()["message"]
    for body in (
        {"name": "x"},
        {"name": "x", "type": "chat", "prompt": "not a list"},
        {"name": "x", "type": "chat", "prompt": [{"role": "user"}]},
        {"name": "x", "prompt": "x", "config": {"temperature": 9}},
        {"name": "x", "prompt": "x", "labels": ["-bad"]},
        {"name": "x", "prompt": "{% if %}"},
    ):
        refused = assert_langfuse_error(client.post(BASE, json=body), 400, "InvalidRequestError")
        assert refused["code"], refused
    changed = client.post(BASE, json={"name": "known", "type": "chat", "prompt": []})
    assert_langfuse_error(changed, 400, "InvalidRequestError")
    retyped = client.post(
        BASE, json={"name": "known", "type": "chat", "prompt": [{"role": "user", "content": "x"}]}
    )
    assert (
        "different prompt type"
        in assert_langfuse_error(retyped, 400, "InvalidRequestError")["message"]
    )
    not_json = client.post(BASE, content=b"{", headers={"Content-Type": "application/json"})
    assert_langfuse_error(not_json, 400, "InvalidRequestError")

    # Credentials: none, a wrong pair, a wrong secret, garbage; all 401 in Langfuse's shape.
    assert_langfuse_error(anon.get(f"{BASE}/known"), 401, "UnauthorizedError")
    for headers in (
        basic("pk-lf-nobody", SECRET),
        basic(public_key, "sk-wrong"),
        {"Authorization": "Basic !!!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ):
        assert_langfuse_error(anon.get(f"{BASE}/known", headers=headers), 401, "UnauthorizedError")
        posted = anon.post(BASE, json={"name": "y", "prompt": "x"}, headers=headers)
        assert_langfuse_error(posted, 401, "UnauthorizedError")
    # Other routes keep Promptyard's own error shape.
    assert anon.get("/api/v1/prompts").json()["error"]["code"] == "unauthenticated"


@pytest.fixture
def anon(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core, static_dir=None), raise_server_exceptions=False) as c:
        yield c


def test_bearer_keys_and_weaker_roles(core: Core, anon: TestClient) -> None:
    viewer = add_key(core, role="viewer", workspace_id=default_workspace_id(core), name="lf")
    headers = {"Authorization": f"Bearer {viewer}"}
    assert anon.get(BASE, headers=headers).status_code == 200
    denied = anon.post(BASE, json={"name": "y", "prompt": "x"}, headers=headers)
    body = assert_langfuse_error(denied, 403, "ForbiddenError")
    assert body["details"] == {"permission": "prompt:write", "role": "viewer"}
    admin = {"Authorization": f"Bearer {API_KEY}"}
    assert anon.post(BASE, json={"name": "y", "prompt": "x"}, headers=admin).status_code == 201
    assert anon.get(f"{BASE}/y", params={"label": "latest"}, headers=headers).status_code == 200


# -- ordinary prompts: audited, governed ----------------------------------------------


def test_writes_are_audited_and_versioned(client: TestClient, core: Core) -> None:
    create(client, name="audited", prompt="one", labels=["staging"])
    create(client, name="audited", prompt="two", tags=["t"])
    same = create(client, name="audited", prompt="two")
    assert same["version"] == 2  # same content: no new version, as everywhere in Promptyard
    client.patch(f"{BASE}/audited/versions/1", json={"newLabels": ["production"]})
    actions = audit_actions(core)
    assert actions.count("prompt.create") == 1
    assert actions.count("prompt.update") == 1
    assert actions.count("label.move") == 2
    v1 = TestClient(client.app, headers={"Authorization": f"Bearer {API_KEY}"})
    history = v1.get("/api/v1/prompts/audited/label-events").json()["items"]
    moved = {(event["label"], event["to_version"]) for event in history}
    assert {("staging", 1), ("production", 1), ("latest", 2)} <= moved
    assert all(event["actor"] == "key:langfuse-default" for event in history)


def test_a_protected_label_still_needs_its_review(client: TestClient, core: Core) -> None:
    create(client, name="guarded", prompt="one", labels=["production"])
    admin = {"Authorization": f"Bearer {API_KEY}"}
    policy = client.put(
        "/api/v1/projects/default/policy",
        json={"require_review": True, "protected_labels": ["production"]},
        headers=admin,
    )
    assert policy.status_code == 200, policy.text
    before = audit_actions(core)

    refused = client.post(BASE, json={"name": "guarded", "prompt": "two", "labels": ["production"]})
    body = assert_langfuse_error(refused, 409, "LangfuseConflictError")
    assert body["code"] == "review_required"
    assert client.get(f"{BASE}/guarded", params={"label": "latest"}).json()["version"] == 1

    create(client, name="guarded", prompt="two")  # no protected label: a plain new version
    patched = client.patch(f"{BASE}/guarded/versions/2", json={"newLabels": ["production"]})
    assert_langfuse_error(patched, 409, "LangfuseConflictError")
    mixed = client.patch(f"{BASE}/guarded/versions/2", json={"newLabels": ["qa", "production"]})
    assert_langfuse_error(mixed, 409, "LangfuseConflictError")
    assert client.get(f"{BASE}/guarded").json()["version"] == 1  # production did not move
    assert_langfuse_error(
        client.get(f"{BASE}/guarded", params={"label": "qa"}), 404, "LangfuseNotFoundError"
    )
    assert "label.move" not in audit_actions(core)[len(before) :]


def test_a_key_pair_serves_its_own_project_until_revoked(anon: TestClient) -> None:
    admin = {"Authorization": f"Bearer {API_KEY}"}
    assert anon.post(
        "/api/v1/projects", json={"slug": "side", "name": "S"}, headers=admin
    ).is_success
    made = anon.post(
        "/api/v1/keys",
        json={"name": "lf-side", "kind": "langfuse", "role": "editor", "project": "side"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    pair = basic(made.json()["public_key"], made.json()["key"])
    created = anon.post(BASE, json={"name": "only-side", "prompt": "x"}, headers=pair)
    assert created.status_code == 201, created.text
    assert created.json()["projectId"] == "side"
    in_side = anon.get("/api/v1/prompts/only-side", params={"project": "side"}, headers=admin)
    assert in_side.status_code == 200
    assert anon.get("/api/v1/prompts/only-side", headers=admin).status_code == 404
    elsewhere = anon.get(BASE, params={"project": "default"}, headers=pair)
    assert_langfuse_error(elsewhere, 404, "LangfuseNotFoundError")

    assert anon.delete(f"/api/v1/keys/{made.json()['id']}", headers=admin).status_code == 204
    revoked = anon.get(f"{BASE}/only-side", params={"label": "latest"}, headers=pair)
    assert_langfuse_error(revoked, 401, "UnauthorizedError")
