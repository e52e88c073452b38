"""Errors, configuration from the environment, and ownership of the HTTP client."""

from __future__ import annotations

import httpx
import pytest

from promptyard import Client as LazyClient
from promptyard import PromptyardError as LazyError
from promptyard.client import Client, PromptyardConnectionError, PromptyardError
from tests._server import LiveServer, free_port


def test_package_reexports() -> None:
    assert LazyClient is Client
    assert LazyError is PromptyardError


def test_not_found(client: Client) -> None:
    with pytest.raises(PromptyardError) as info:
        client.get_prompt_details("no-such-prompt")
    error = info.value
    assert (error.status, error.code) == (404, "not_found")
    assert "no-such-prompt" in error.message
    assert str(error) == error.message


def test_validation_error(client: Client) -> None:
    with pytest.raises(PromptyardError) as info:
        client.create_prompt("bad/name", content="x")
    assert info.value.status == 422
    assert info.value.code == "validation_error"
    assert isinstance(info.value.details, list)


def test_wrong_key(server: LiveServer) -> None:
    with Client(server.url, "py_wrong") as sdk, pytest.raises(PromptyardError) as info:
        sdk.list_prompts()
    assert (info.value.status, info.value.code) == (401, "unauthenticated")


def test_unknown_project(server: LiveServer) -> None:
    sdk = Client(server.url, server.api_key, project="nowhere")
    with sdk, pytest.raises(PromptyardError) as info:
        sdk.list_prompts()
    assert info.value.status == 404


def test_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "k") as sdk, pytest.raises(PromptyardConnectionError) as info:
        sdk.list_projects()
    error = info.value
    assert isinstance(error, PromptyardError)
    assert error.status is None and error.code == "unreachable"
    assert f"unreachable at {url}" in error.message


def test_env_defaults(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTYARD_URL", server.url + "/")
    monkeypatch.setenv("PROMPTYARD_API_KEY", server.api_key)
    with Client() as sdk:
        assert sdk.base_url == server.url
        assert sdk.me()["actor"]["name"] == "key:bootstrap-admin"


def test_passed_http_client_stays_open(server: LiveServer) -> None:
    with httpx.Client() as http:
        sdk = Client(server.url, server.api_key, http_client=http)
        sdk.list_projects()
        sdk.close()
        assert not http.is_closed
        assert Client(server.url, server.api_key, http_client=http).list_projects()["items"]


def test_own_http_client_closed(server: LiveServer) -> None:
    sdk = Client(server.url, server.api_key)
    with sdk:
        sdk.list_projects()
    with pytest.raises(RuntimeError):
        sdk.list_projects()


def test_error_body_that_is_not_the_error_shape() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with pytest.raises(PromptyardError) as info:
        Client("http://proxy", "k", http_client=http).list_projects()
    assert (info.value.status, info.value.code) == (502, "server_error")
    assert "502" in info.value.message


def test_request_shape() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "total": 0, "limit": 5, "offset": 0})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    sdk = Client("http://h:1/api/v1/", "secret", project="team", http_client=http)
    sdk.list_prompts(tag=["a", "b"], metadata={"owner": "cx"}, limit=5, q=None)
    request = seen[0]
    assert request.url.path == "/api/v1/prompts"
    assert request.url.params.get_list("tag") == ["a", "b"]
    assert request.url.params["meta.owner"] == "cx"
    assert request.url.params["project"] == "team"
    assert "q" not in request.url.params
    assert request.headers["authorization"] == "Bearer secret"
