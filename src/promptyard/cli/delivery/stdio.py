"""The MCP server over stdio, reading prompts through the SDK (``promptyard mcp``).

The MCP server itself is :mod:`promptyard.mcp` (the same definition ``/mcp`` serves);
this module gives it a :class:`ClientSource` over :class:`promptyard.Client`. Imported
only when the command runs: the ``mcp`` SDK takes a while to import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
from mcp.server.stdio import stdio_server

from promptyard.client import Client, PromptyardError
from promptyard.mcp import ChangeHub, build_server, initialization_options
from promptyard.mcp.source import (
    PromptEntry,
    Rendered,
    Selector,
    SourceError,
    default_selector,
    entry_from_json,
    summary_json,
    version_json,
)

T = TypeVar("T")
PAGE = 200


class ClientSource:
    """A :class:`promptyard.mcp.PromptSource` over the Python SDK (one project)."""

    watch_key = "stdio"

    def __init__(self, client: Client) -> None:
        self.client = client
        self._versions: dict[tuple[str, int], dict[str, Any]] = {}  # versions never change

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def call() -> T:
            try:
                return fn(*args, **kwargs)
            except PromptyardError as exc:
                raise SourceError(exc.code, exc.message, exc.details) from None

        return await anyio.to_thread.run_sync(call)

    def _all_prompts(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self.client.list_prompts(sort="name", limit=PAGE, offset=len(items))
            items.extend(dict(item) for item in page["items"])
            if len(page["items"]) < PAGE or len(items) >= page["total"]:
                return items

    def _version(self, name: str, number: int) -> dict[str, Any]:
        key = (name, number)
        if key not in self._versions:
            self._versions[key] = dict(self.client.get_version(name, number))
        return self._versions[key]

    def _entry(self, prompt: dict[str, Any], selector: Selector) -> PromptEntry:
        if selector.is_default:
            selector = default_selector(prompt.get("labels") or {})
        if selector.version is not None:
            number = selector.version
        elif selector.label is not None:
            labels = prompt.get("labels") or {}
            if selector.label not in labels:
                raise PromptyardError(
                    f"prompt {prompt['name']!r} has no label {selector.label!r}",
                    status=404,
                    code="not_found",
                )
            number = int(labels[selector.label])
        else:
            number = int(prompt["latest_version"])
        return entry_from_json(prompt, self._version(str(prompt["name"]), number))

    async def list_prompts(self) -> list[PromptEntry]:
        def build() -> list[PromptEntry]:
            return [self._entry(prompt, Selector()) for prompt in self._all_prompts()]

        return await self._call(build)

    async def describe(self, name: str, selector: Selector) -> PromptEntry:
        def build() -> PromptEntry:
            return self._entry(dict(self.client.get_prompt_details(name)), selector)

        return await self._call(build)

    async def render(self, name: str, selector: Selector, variables: dict[str, Any]) -> Rendered:
        if selector.is_default:
            prompt = await self._call(self.client.get_prompt_details, name)
            selector = default_selector(prompt.get("labels") or {})
        answer = await self._call(
            self.client.render, name, variables, version=selector.version, label=selector.label
        )
        return Rendered(type=answer["type"], version=answer["version"], content=answer["rendered"])

    async def search(self, query: str | None, tags: Sequence[str]) -> list[dict[str, Any]]:
        page = await self._call(
            self.client.list_prompts, q=query, tag=list(tags) or None, limit=PAGE
        )
        return [summary_json(item) for item in page["items"]]

    async def versions(self, name: str) -> list[dict[str, Any]]:
        page = await self._call(self.client.list_versions, name, limit=100)
        return [version_json(item) for item in page["items"]]

    async def fingerprint(self) -> str:
        prompts = await self._call(self._all_prompts)
        state = [
            (p["name"], p.get("latest_version"), p.get("labels"), str(p.get("updated_at")))
            for p in prompts
        ]
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


async def serve_stdio(client: Client, poll_seconds: float) -> None:
    source = ClientSource(client)
    hub = ChangeHub(interval=poll_seconds)
    server = build_server(lambda _ctx: source, hub)
    async with stdio_server() as (read, write), anyio.create_task_group() as tasks:
        tasks.start_soon(hub.run)
        await server.run(read, write, initialization_options(server))
        tasks.cancel_scope.cancel()
