"""A :class:`promptyard.mcp.PromptSource` over the services, as one actor in one project."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from promptyard.domain.actor import Actor
from promptyard.domain.errors import DomainError
from promptyard.domain.schemas import ListQuery, PromptPublic
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
from promptyard.server.render_pool import RenderPool
from promptyard.services.context import Core
from promptyard.services.prompts import registry, rendering, search, versions

T = TypeVar("T")
PAGE = 200


def _source_error(exc: DomainError) -> SourceError:
    return SourceError(exc.code, exc.message, exc.details)


class ServiceSource:
    """The prompts of ``project_id`` as ``actor`` may read them (checked by the mount)."""

    def __init__(self, core: Core, actor: Actor, project_id: int, pool: RenderPool) -> None:
        self.core = core
        self.actor = actor
        self.project_id = project_id
        self.pool = pool

    @property
    def watch_key(self) -> tuple[str, int]:
        return ("project", self.project_id)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except DomainError as exc:
            raise _source_error(exc) from None

    def _all(self, query: ListQuery) -> list[PromptPublic]:
        items: list[PromptPublic] = []
        while True:
            page = search.list_prompts(
                self.core,
                project_id=self.project_id,
                query=query.model_copy(update={"offset": len(items)}),
            )
            items.extend(page.items)
            if len(page.items) < query.limit or len(items) >= page.total:
                return items

    def _entry(self, name: str, selector: Selector, labels: dict[str, int] | None) -> PromptEntry:
        if selector.is_default:
            if labels is None:
                labels = registry.get_prompt(
                    self.core, project_id=self.project_id, name=name
                ).labels
            selector = default_selector(labels)
        prompt = registry.get_prompt(
            self.core,
            project_id=self.project_id,
            name=name,
            version=selector.version,
            label=selector.label,
        )
        assert prompt.version is not None
        data = prompt.model_dump(mode="json")
        return entry_from_json(data, data["version"])

    async def list_prompts(self) -> list[PromptEntry]:
        def build() -> list[PromptEntry]:
            prompts = self._all(ListQuery(sort="name", limit=PAGE))
            return [self._entry(p.name, Selector(), p.labels) for p in prompts]

        return await self._call(build)

    async def describe(self, name: str, selector: Selector) -> PromptEntry:
        return await self._call(self._entry, name, selector, None)

    async def render(self, name: str, selector: Selector, variables: dict[str, Any]) -> Rendered:
        if selector.is_default:
            prompt = await self._call(
                registry.get_prompt, self.core, project_id=self.project_id, name=name
            )
            selector = default_selector(prompt.labels)
        try:
            answer = await self.pool.run(
                None,
                rendering.render_prompt,
                self.core,
                project_id=self.project_id,
                name=name,
                variables=variables,
                version=selector.version,
                label=selector.label,
            )
        except DomainError as exc:
            raise _source_error(exc) from None
        return Rendered(type=answer["type"], version=answer["version"], content=answer["rendered"])

    async def search(self, query: str | None, tags: Sequence[str]) -> list[dict[str, Any]]:
        try:
            wanted = ListQuery(q=query or None, tags=list(tags), limit=PAGE)
        except ValueError as exc:
            raise SourceError("validation_error", str(exc)) from None
        page = await self._call(
            search.list_prompts, self.core, project_id=self.project_id, query=wanted
        )
        return [summary_json(item.model_dump(mode="json")) for item in page.items]

    async def versions(self, name: str) -> list[dict[str, Any]]:
        page = await self._call(
            versions.list_versions, self.core, project_id=self.project_id, name=name
        )
        return [version_json(item.model_dump(mode="json")) for item in page.items]

    async def fingerprint(self) -> str:
        prompts = await self._call(self._all, ListQuery(sort="name", limit=PAGE))
        state = [(p.name, p.latest_version, p.labels, p.updated_at.isoformat()) for p in prompts]
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()
