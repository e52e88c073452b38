"""The MCP server through the ``mcp`` package's own client, over stdio (``promptyard mcp``
against a live server) and streamable HTTP (``/mcp`` of a live server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from promptyard.client import Client
from promptyard.services.context import Core
from tests._server import LiveServer
from tests.delivery._mcp import SESSIONS, Keys, seed, text_of

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TRANSPORTS = pytest.mark.parametrize("transport", sorted(SESSIONS))


@pytest.fixture
def keys(core: Core, live_server: LiveServer) -> Iterator[Keys]:
    yield seed(core, live_server)


def _run(fn: Any, *args: Any) -> Any:
    return anyio.run(fn, *args)


@TRANSPORTS
def test_prompts_with_their_arguments_render_text_and_chat(
    transport: str, live_server: LiveServer, keys: Keys
) -> None:
    async def scenario() -> None:
        async with SESSIONS[transport](live_server, keys.viewer) as session:
            listed = {p.name: p for p in (await session.list_prompts()).prompts}
            assert sorted(listed) == ["greeting", "support"]
            greeting = {a.name: a.required for a in listed["greeting"].arguments or []}
            # production (v1) is the default: name required, punct has a default
            assert greeting == {"name": True, "punct": False, "label": False, "version": False}
            assert listed["greeting"].description == "Greets someone"
            support = {a.name: a.required for a in listed["support"].arguments or []}
            assert support["product"] is True and support["question"] is True

            text = await session.get_prompt("greeting", {"name": "Ada"})
            assert [m.role for m in text.messages] == ["user"]
            assert text_of(text.messages[0]) == "Hello Ada!"

            chat = await session.get_prompt("support", {"product": "Yard", "question": "Why?"})
            assert [(m.role, text_of(m)) for m in chat.messages] == [
                ("user", "You support Yard."),
                ("user", "Why?"),
            ]

    _run(scenario)


@TRANSPORTS
def test_label_and_version_are_selectable(
    transport: str, live_server: LiveServer, keys: Keys
) -> None:
    async def scenario() -> None:
        async with SESSIONS[transport](live_server, keys.admin) as session:
            args = {"name": "Ada", "place": "the yard"}
            by_at_label = await session.get_prompt("greeting@staging", args)
            assert text_of(by_at_label.messages[0]) == "Hi Ada, welcome to the yard"
            by_at_version = await session.get_prompt("greeting@1", {"name": "Ada"})
            assert text_of(by_at_version.messages[0]) == "Hello Ada!"
            by_label = await session.get_prompt("greeting", {**args, "label": "staging"})
            assert text_of(by_label.messages[0]) == "Hi Ada, welcome to the yard"
            by_version = await session.get_prompt("greeting", {**args, "version": "2"})
            assert "version 2" in (by_version.description or "")
            assert text_of(by_version.messages[0]) == "Hi Ada, welcome to the yard"

    _run(scenario)


@TRANSPORTS
def test_bad_requests_are_mcp_errors(transport: str, live_server: LiveServer, keys: Keys) -> None:
    async def scenario() -> None:
        async with SESSIONS[transport](live_server, keys.viewer) as session:
            with pytest.raises(MCPError) as missing:
                await session.get_prompt("greeting", {"label": "staging", "name": "Ada"})
            assert missing.value.code == types.INVALID_PARAMS
            assert "missing required arguments: place" in missing.value.message
            for name in ("nope", "greeting@no-such-label", "greeting@99"):
                with pytest.raises(MCPError) as unknown:
                    await session.get_prompt(name, {"name": "Ada"})
                assert unknown.value.code == types.INVALID_PARAMS, name
            # the session still works after the errors
            assert len((await session.list_prompts()).prompts) == 2

    _run(scenario)


@TRANSPORTS
def test_tools_search_and_versions(transport: str, live_server: LiveServer, keys: Keys) -> None:
    async def scenario() -> None:
        async with SESSIONS[transport](live_server, keys.viewer) as session:
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert tools == {"search_prompts", "get_prompt_versions"}
            found = await session.call_tool("search_prompts", {"tags": ["support"]})
            assert not found.is_error
            assert [p["name"] for p in found.structured_content["prompts"]] == ["support"]
            by_text = await session.call_tool("search_prompts", {"query": "greets"})
            assert [p["name"] for p in by_text.structured_content["prompts"]] == ["greeting"]
            versions = await session.call_tool("get_prompt_versions", {"name": "greeting"})
            items = versions.structured_content["versions"]
            assert [(v["version"], v["labels"]) for v in items] == [
                (2, ["latest", "staging"]),
                (1, ["production"]),
            ]
            assert json.loads(versions.content[0].text)["name"] == "greeting"  # type: ignore[union-attr]
            unknown = await session.call_tool("get_prompt_versions", {"name": "nope"})
            assert unknown.is_error

    _run(scenario)


@TRANSPORTS
def test_list_changed_after_a_prompt_is_created(
    transport: str, live_server: LiveServer, keys: Keys
) -> None:
    async def scenario() -> None:
        changed = anyio.Event()

        async def handler(message: Any) -> None:
            if isinstance(message, types.PromptListChangedNotification):
                changed.set()

        async with SESSIONS[transport](live_server, keys.viewer, handler=handler) as session:
            await session.list_prompts()
            await anyio.sleep(0.5)  # the HTTP client opens its notification stream

            def create() -> None:
                with Client(live_server.url, keys.admin) as client:
                    client.create_prompt("fresh", content="New {{ thing }}")

            await anyio.to_thread.run_sync(create)
            with anyio.fail_after(10):
                await changed.wait()
            names = [p.name for p in (await session.list_prompts()).prompts]
            assert "fresh" in names

    _run(scenario)


@TRANSPORTS
def test_project_scope_and_workspaces(transport: str, live_server: LiveServer, keys: Keys) -> None:
    async def scenario() -> None:
        open_session = SESSIONS[transport]
        # a key scoped to beta sees beta's prompts (its project by default) and nothing else
        async with open_session(live_server, keys.beta_only) as session:
            names = [p.name for p in (await session.list_prompts()).prompts]
            assert names == ["beta-secret"]
            with pytest.raises(MCPError):
                await session.get_prompt("greeting", {"name": "x"})
        # another workspace's admin sees none of this workspace's prompts
        async with open_session(live_server, keys.foreign, project="other") as session:
            assert (await session.list_prompts()).prompts == []
            with pytest.raises(MCPError):
                await session.get_prompt("greeting", {"name": "x"})
            found = await session.call_tool("search_prompts", {"query": "greets"})
            assert found.structured_content["prompts"] == []

    _run(scenario)


def test_http_without_a_valid_key_is_401_and_foreign_projects_404(
    live_server: LiveServer, keys: Keys
) -> None:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    url = f"{live_server.url}/mcp"
    for method in ("GET", "POST", "DELETE"):
        response = httpx.request(method, url, json=init, headers=headers)
        assert response.status_code == 401, (method, response.text)
        assert response.json()["error"]["code"] == "unauthenticated"
    wrong = httpx.post(url, json=init, headers={**headers, "Authorization": "Bearer py_nope"})
    assert wrong.status_code == 401
    scoped = {**headers, "Authorization": f"Bearer {keys.beta_only}"}
    assert (
        httpx.post(url, params={"project": "default"}, json=init, headers=scoped).status_code == 404
    )
    foreign = {**headers, "Authorization": f"Bearer {keys.foreign}"}
    assert (
        httpx.post(url, params={"project": "beta"}, json=init, headers=foreign).status_code == 404
    )
    ok = httpx.post(url, json=init, headers={**headers, "Authorization": f"Bearer {keys.viewer}"})
    assert ok.status_code == 200, ok.text
    session_id = ok.headers["mcp-session-id"]
    # the session belongs to the key that opened it: another key gets "no such session"
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    stolen = {**headers, "Authorization": f"Bearer {keys.admin}", "Mcp-Session-Id": session_id}
    stolen["Mcp-Protocol-Version"] = "2025-11-25"
    assert httpx.post(url, json=ping, headers=stolen).status_code == 404
    own = {**stolen, "Authorization": f"Bearer {keys.viewer}"}
    assert httpx.post(url, json=ping, headers=own).status_code == 200


def test_http_bodies_are_capped_like_renders(
    core: Core, live_server: LiveServer, keys: Keys
) -> None:
    cap = core.settings.max_render_request_bytes
    big = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "a" * (cap + 10)}}
    response = httpx.post(
        f"{live_server.url}/mcp",
        json=big,
        headers={
            "Accept": "application/json, text/event-stream",
            "Authorization": f"Bearer {keys.viewer}",
        },
    )
    assert response.status_code == 413
    assert response.json()["error"]["details"]["setting"] == "PROMPTYARD_MAX_RENDER_REQUEST_BYTES"


def test_stdio_with_a_project_the_key_cannot_see_is_an_mcp_error(
    live_server: LiveServer, keys: Keys
) -> None:
    async def scenario() -> None:
        async with SESSIONS["stdio"](live_server, keys.beta_only, project="default") as session:
            with pytest.raises(MCPError) as error:
                await session.list_prompts()
            assert "not found" in error.value.message

    _run(scenario)
