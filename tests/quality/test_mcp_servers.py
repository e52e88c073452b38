"""Declared MCP servers: tools discovered from a real MCP server (the ``mcp`` package's
server over streamable HTTP on 127.0.0.1), the URL policy, stdio kept behind the instance
setting and an instance administrator, and prompts' tool references checked against them."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from mcp.server.mcpserver import MCPServer

from promptyard.server.app import create_app
from promptyard.services.context import Core
from tests._server import free_port
from tests.security._setup import add_key, default_workspace_id, other_workspace

API = "/api/v1/mcp-servers"
P = {"project": "default"}


def _tools_server() -> MCPServer:
    server = MCPServer("orders")

    @server.tool(description="Look up an order by its id and return its status.")
    def lookup_order(order_id: str) -> str:
        return f"order {order_id}: shipped"

    @server.tool(description="Refund a customer payment for an order.")
    def refund_payment(order_id: str, amount: float) -> str:
        return f"refunded {amount} on {order_id}"

    return server


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    """A real MCP server (streamable HTTP) in a thread of this process."""
    port = free_port()
    app = _tools_server().streamable_http_app()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "MCP server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def private_ok(core: Core) -> Core:
    """``PROMPTYARD_MCP_ALLOW_PRIVATE=true``: the test's MCP server is on loopback."""
    core.settings = core.settings.model_copy(update={"mcp_allow_private": True})
    return core


def test_discovers_tools_and_checks_prompt_references(
    private_ok: Core, app_client: TestClient, mcp_url: str
) -> None:
    created = app_client.post(API, json={"name": "orders", "url": mcp_url})
    assert created.status_code == 201, created.text
    assert created.json()["tools"] == [] and created.json()["refreshed_at"] is None
    refreshed = app_client.post(f"{API}/orders/refresh")
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["refresh_error"] is None and body["refreshed_at"] is not None
    assert {t["name"]: t["description"] for t in body["tools"]} == {
        "lookup_order": "Look up an order by its id and return its status.",
        "refund_payment": "Refund a customer payment for an order.",
    }
    assert [s["name"] for s in app_client.get(API).json()["items"]] == ["orders"]

    prompts = {
        "support": "Call mcp__orders__lookup_order with the order id, then answer.",
        "typo": "Use mcp__orders__lookup_ordr to find the order.",
        "stranger": "Call mcp__billing__charge_card to take the payment.",
        "refunds": "When the customer asks for money back, use the issue_refund tool "
        "to refund the payment of the order.",
    }
    for name, content in prompts.items():
        made = app_client.post("/api/v1/prompts", json={"name": name, "content": content})
        assert made.status_code == 201, made.text
    report = app_client.get(f"{API}/references", params=P)
    assert report.status_code == 200, report.text
    found = report.json()
    assert found["servers"] == ["orders"] and found["tools"] == 2 and found["prompts"] == 4
    by_prompt = {item["prompt"]: item for item in found["items"]}
    assert by_prompt["support"]["status"] == "offered"
    assert by_prompt["support"]["suggestion"] is None
    typo = by_prompt["typo"]
    assert (typo["status"], typo["server"], typo["tool"]) == (
        "not_offered",
        "orders",
        "lookup_ordr",
    )
    assert typo["suggestion"]["reference"] == "mcp__orders__lookup_order"
    assert by_prompt["stranger"]["status"] == "unknown_server"
    refunds = by_prompt["refunds"]
    assert (refunds["status"], refunds["tool"]) == ("not_offered", "issue_refund")
    # no name is close: the description's words (refund, payment, order) decide
    assert refunds["suggestion"]["tool"] == "refund_payment"
    assert found["counts"] == {"offered": 1, "not_offered": 2, "unknown_server": 1}


def test_unreachable_server_keeps_its_tools_and_says_why(
    private_ok: Core, app_client: TestClient
) -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"  # nothing listens there
    tools = [{"name": "search_docs", "description": "Search the manual."}]
    created = app_client.post(API, json={"name": "docs", "url": url, "tools": tools})
    assert created.status_code == 201, created.text
    started = time.monotonic()
    refreshed = app_client.post(f"{API}/docs/refresh").json()
    assert time.monotonic() - started < 15  # bounded by the refresh timeout
    assert refreshed["refresh_error"] and refreshed["tools"] == tools
    patched = app_client.patch(f"{API}/docs", json={"description": "the manual"})
    assert patched.status_code == 200 and patched.json()["description"] == "the manual"
    assert app_client.delete(f"{API}/docs").status_code == 204
    assert app_client.get(f"{API}/docs").status_code == 404


def test_private_urls_are_refused_unless_the_setting_allows(
    core: Core, app_client: TestClient
) -> None:
    for url in (
        "http://127.0.0.1:9/mcp",
        "http://localhost/mcp",
        "http://10.0.0.5/mcp",
        "http://169.254.169.254/latest",
    ):
        refused = app_client.post(API, json={"name": "inside", "url": url})
        assert refused.status_code == 422, refused.text
        assert "PROMPTYARD_MCP_ALLOW_PRIVATE" in refused.json()["error"]["message"]
    for bad in (
        {"name": "x", "url": "file:///etc/passwd"},
        {"name": "x", "url": "https://user:pw@mcp.example.com/mcp"},
        {"name": "x"},
        {"name": "x", "url": "https://mcp.example.com", "command": ["ls"]},
        {"name": "bad name", "url": "https://mcp.example.com/mcp"},
    ):
        assert app_client.post(API, json=bad).status_code == 422, bad
    ok = app_client.post(API, json={"name": "public", "url": "https://mcp.example.com/mcp"})
    assert ok.status_code == 201, ok.text
    again = app_client.post(API, json={"name": "public", "url": "https://mcp.example.com/mcp"})
    assert again.status_code == 409


STDIO_SERVER = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("local")


@server.tool(description="Count the words of a text.")
def count_words(text: str) -> int:
    return len(text.split())


server.run(transport="stdio")
"""


def test_stdio_needs_the_setting_and_an_instance_admin(
    core: Core, app_client: TestClient, tmp_path: Path
) -> None:
    script = tmp_path / "server.py"
    script.write_text(STDIO_SERVER)
    stdio = {"name": "local", "transport": "stdio", "command": [sys.executable, str(script)]}
    off = app_client.post(API, json=stdio)
    assert off.status_code == 422 and "PROMPTYARD_MCP_ALLOW_STDIO" in off.text
    core.settings = core.settings.model_copy(update={"mcp_allow_stdio": True})
    workspace_admin = add_key(
        core, role="admin", workspace_id=default_workspace_id(core), name="wsadmin"
    )
    refused = app_client.post(
        API, json=stdio, headers={"Authorization": f"Bearer {workspace_admin}"}
    )
    assert refused.status_code == 403, refused.text
    allowed = app_client.post(API, json=stdio)  # the operator's key: an instance admin
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["command"] == stdio["command"] and allowed.json()["url"] is None
    refreshed = app_client.post(f"{API}/local/refresh").json()
    assert refreshed["refresh_error"] is None, refreshed
    assert refreshed["tools"] == [
        {"name": "count_words", "description": "Count the words of a text."}
    ]
    # a workspace admin who is not an instance admin may not run it either
    again = app_client.post(
        f"{API}/local/refresh", headers={"Authorization": f"Bearer {workspace_admin}"}
    )
    assert again.status_code == 403


def test_servers_belong_to_their_workspace(
    private_ok: Core, app_client: TestClient, mcp_url: str
) -> None:
    assert app_client.post(API, json={"name": "orders", "url": mcp_url}).status_code == 201
    foreign = other_workspace(private_ok)
    with TestClient(
        create_app(private_ok, static_dir=None),
        headers={"Authorization": f"Bearer {foreign}"},
        raise_server_exceptions=False,
    ) as client:
        assert client.get(API).json()["items"] == []
        assert client.get(f"{API}/orders").status_code == 404
        assert client.post(f"{API}/orders/refresh").status_code == 404
        assert client.delete(f"{API}/orders").status_code == 404
    viewer = add_key(
        private_ok, role="viewer", workspace_id=default_workspace_id(private_ok), name="v"
    )
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    assert app_client.get(API, headers=as_viewer).status_code == 200
    assert app_client.post(f"{API}/orders/refresh", headers=as_viewer).status_code == 403
