"""``AsyncClient``: prompt delivery for asyncio code, on ``httpx.AsyncClient``.

The same cache, fetch steps, change handling and errors as the sync client; reads,
refreshes and the change stream are coroutines and tasks, and files of ``cache_dir`` are
read and written in a worker thread, so nothing blocks the event loop. The management API
(create, label, review, ...) is on the sync :class:`~promptyard.client.Client`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal, cast, overload
from urllib.parse import quote

import httpx

from promptyard.client._cache import Entry, Key, PromptCache, make_key
from promptyard.client._client import scan_request
from promptyard.client._delivery import (
    Fallback,
    PrefetchSpec,
    checked,
    fallback_entry,
    log_disconnect,
    note_deprecation,
    refresh_failed,
)
from promptyard.client._errors import PromptyardConnectionError, PromptyardError
from promptyard.client._experiments import EXPERIMENTS_TTL, assignment_in, with_experiment
from promptyard.client._fetch import (
    DEFAULT_LABEL,
    FetchPlan,
    Get,
    Reply,
    api_key_from,
    fetch_plan,
    parse_spec,
    reply_from,
    request_for,
    request_headers,
    selector,
    server_url,
)
from promptyard.client._observe import ReportingMixin
from promptyard.client._prompt import AnyPrompt, ChatPrompt, TextPrompt
from promptyard.client._reporting import ReportingSettings
from promptyard.client._types import Content, Prompt, PromptType
from promptyard.client._watch import CHANGES_PATH, SSEParser, apply_event, backoff, ready_id
from promptyard.domain import DEFAULT_SLUG
from promptyard.domain.templating import TemplateEngine, TemplateLimits

logger = logging.getLogger("promptyard.client")


class AsyncClient(ReportingMixin):
    """Prompt delivery for asyncio: ``await client.get_prompt(...)``.

    Options as :class:`~promptyard.client.Client`; ``http_client`` is an
    ``httpx.AsyncClient`` (left open on :meth:`aclose` when passed in). Use it within one
    event loop; ``async with`` or :meth:`aclose` stops its background tasks.

    Reporting (``log_generation``, ``observe``, ``feedback``) is the sync client's: the
    calls never wait on the network, and the events go through the same background
    sender thread; ``await flush()`` / ``await shutdown()`` wait for it off the loop.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        project: str = DEFAULT_SLUG,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        cache_dir: str | os.PathLike[str] | None = None,
        watch: bool = False,
        clock: Callable[[], float] = time.monotonic,
        template_limits: TemplateLimits | None = None,
        watch_read_timeout: float = 60.0,
        reporting: ReportingSettings | bool = True,
    ) -> None:
        self.base_url = server_url(base_url)
        self.api_key = api_key_from(api_key)
        self.project = project
        self.timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
        self._engine = TemplateEngine(template_limits)
        self._cache = PromptCache(self._engine, clock=clock, cache_dir=cache_dir)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._watch = watch
        self._watch_task: asyncio.Task[None] | None = None
        self._watch_read_timeout = watch_read_timeout
        self._watch_last_id: str | None = None
        self.watching = False
        self._experiments: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._init_reporting(reporting)

    # ---- plumbing

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return request_headers(self.api_key, extra)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _ensure_watch(self) -> None:
        if self._watch and self._watch_task is None and not self._closed:
            self._watch_task = asyncio.get_running_loop().create_task(self._watch_loop())

    async def flush(self, timeout: float | None = None) -> bool:
        """As :meth:`Client.flush <promptyard.client.Client.flush>`, waiting in a thread."""
        reporter = self._reporter
        if reporter is None:
            return True
        return await asyncio.to_thread(reporter.flush, timeout)

    async def shutdown(self, timeout: float | None = None) -> bool:
        """As :meth:`Client.shutdown <promptyard.client.Client.shutdown>`, in a thread."""
        return await asyncio.to_thread(self._shutdown_reporting, timeout)

    async def aclose(self) -> None:
        """Flush reported events (bounded wait) and stop the sender; cancel the watch and
        the refreshes in flight; close the HTTP connections, unless the HTTP client was
        passed in."""
        if self._reporter is not None:
            await asyncio.to_thread(self._shutdown_reporting)
        self._closed = True
        tasks = [*self._tasks, *([self._watch_task] if self._watch_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        self._ensure_watch()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r}, project={self.project!r})"

    # ---- the public surface

    @overload
    async def get_prompt(
        self,
        name: str,
        *,
        label: str | None = None,
        version: int | None = None,
        type: Literal["text"],
        cache_ttl: float = 60,
        fallback: Fallback | None = None,
        unit_id: str | None = None,
    ) -> TextPrompt: ...

    @overload
    async def get_prompt(
        self,
        name: str,
        *,
        label: str | None = None,
        version: int | None = None,
        type: Literal["chat"],
        cache_ttl: float = 60,
        fallback: Fallback | None = None,
        unit_id: str | None = None,
    ) -> ChatPrompt: ...

    @overload
    async def get_prompt(
        self,
        name: str,
        *,
        label: str | None = None,
        version: int | None = None,
        type: None = None,
        cache_ttl: float = 60,
        fallback: Fallback | None = None,
        unit_id: str | None = None,
    ) -> TextPrompt | ChatPrompt: ...

    async def get_prompt(
        self,
        name: str,
        *,
        label: str | None = None,
        version: int | None = None,
        type: Literal["text", "chat"] | None = None,
        cache_ttl: float = 60,
        fallback: Fallback | None = None,
        unit_id: str | None = None,
    ) -> TextPrompt | ChatPrompt:
        """As :meth:`Client.get_prompt <promptyard.client.Client.get_prompt>`, also
        ``unit_id``: the unit's variant of an online experiment on the label."""
        if unit_id is not None and version is None:
            running = await self._active_experiments(name)
            assigned = assignment_in(running, unit_id, label or DEFAULT_LABEL)
            if assigned is not None:
                served = await self.get_prompt(
                    name, label=assigned[0], type=type, cache_ttl=cache_ttl, fallback=fallback
                )
                return with_experiment(served, assigned[1], assigned[2])
        if version is None:
            key: Key = (self.project, name, "label:" + (label or DEFAULT_LABEL))
        elif label is None:
            key = make_key(self.project, name, None, version)
        else:
            raise ValueError("pass a label or a version, not both")
        self._ensure_watch()
        cache = self._cache
        entry = cache.entries.get(key)
        if entry is not None and cache_ttl > 0:
            if entry.due(cache.clock(), cache_ttl):
                self._refresh_later(key)
            return cast(AnyPrompt, checked(entry.prompt, type))
        selector(label, version)
        return cast(AnyPrompt, checked(await self._fetch_now(key, entry, fallback), type))

    async def prefetch(self, prompts: Iterable[PrefetchSpec]) -> list[TextPrompt | ChatPrompt]:
        """As :meth:`Client.prefetch <promptyard.client.Client.prefetch>`, concurrently."""
        specs = [parse_spec(spec) for spec in prompts]
        results = await asyncio.gather(
            *(self.get_prompt(n, label=lbl, version=v) for n, lbl, v in specs),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return cast(list[AnyPrompt], results)

    async def get_prompt_details(
        self, name: str, *, version: int | None = None, label: str | None = None
    ) -> Prompt:
        """The server's full record of a prompt (never cached)."""
        reply = await self._read(Get(name, label, version))
        if reply.error is not None:
            raise reply.error
        return cast(Prompt, reply.body)

    async def wait_for_idle(self, timeout: float | None = None) -> bool:
        """Wait for the background refreshes in flight."""
        tasks = [t for t in self._tasks if not t.done()]
        if not tasks:
            return True
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    # ---- fetching

    async def _fetch_now(
        self, key: Key, entry: Entry | None, fallback: Fallback | None
    ) -> AnyPrompt:
        cache = self._cache
        old = entry or await asyncio.to_thread(cache.load, key)
        try:
            return (await self._fetch(key, old)).prompt
        except PromptyardError as exc:
            if not exc.transient:
                raise
            cache.warn_unavailable(f"reading prompt {key[1]!r}", exc)
            if old is not None and not old.prompt.is_fallback:
                cache.failed(key, old)
                return old.prompt
            if fallback is None:
                raise
            made = fallback_entry(cache, key[1], fallback)
            cache.put(key, made, persist=False)
            return made.prompt

    async def _fetch(self, key: Key, old: Entry | None) -> Entry:
        if old is not None and old.prompt.is_fallback:
            old = None
        plan = fetch_plan(self._engine, request_for(key), old, self._cache.clock())
        entry = await self._drive(plan)
        changed = old is None or entry.etag != old.etag or entry.includes != old.includes
        note_deprecation(key, entry, old)
        if changed and self._cache.disk is not None:
            await asyncio.to_thread(self._cache.put, key, entry)
        else:
            self._cache.put(key, entry, persist=False)
        self._cache.recovered()
        return entry

    async def _drive(self, plan: FetchPlan) -> Entry:
        try:
            request = next(plan)
            while True:
                request = plan.send(await self._read(request))
        except StopIteration as done:
            return cast(Entry, done.value)

    async def _read(self, request: Get) -> Reply:
        url = f"{self.base_url}/api/v1/prompts/{quote(request.name, safe='')}"
        try:
            response = await self._http.get(
                url,
                params=tuple(request.params(self.project)),
                headers=self._headers(request.headers()),
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            raise PromptyardConnectionError(
                self.base_url, f"no answer within {self.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            reason = str(exc) or exc.__class__.__name__
            if "refused" in reason.lower():
                reason = "connection refused"
            raise PromptyardConnectionError(self.base_url, reason) from None
        return reply_from(response)

    # ---- quality and security

    async def scan(
        self,
        content: Content | None = None,
        *,
        prompt: str | None = None,
        version: int | None = None,
        label: str | None = None,
        type: PromptType | None = None,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """As :meth:`Client.scan <promptyard.client.Client.scan>`."""
        method, path, params, body = scan_request(
            content=content,
            prompt=prompt,
            version=version,
            label=label,
            type=type,
            config=config,
            name=name,
            limit=limit,
        )
        try:
            response = await self._http.request(
                method,
                f"{self.base_url}/api/v1{path}",
                params=(*params, ("project", self.project)),
                json=body,
                headers=self._headers(),
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            raise PromptyardConnectionError(
                self.base_url, f"no answer within {self.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise PromptyardConnectionError(
                self.base_url, str(exc) or exc.__class__.__name__
            ) from None
        if response.status_code >= 400:
            raise PromptyardError.from_response(response)
        return cast(dict[str, Any], response.json())

    # ---- online experiments (the sync client's assignment, read without blocking)

    async def _active_experiments(self, name: str) -> list[dict[str, Any]]:
        """A prompt's running experiments, kept ``EXPERIMENTS_TTL`` seconds; when they
        cannot be read the last list (or none: the control is served) is used."""
        now = time.monotonic()
        hit = self._experiments.get(name)
        if hit is not None and now - hit[0] < EXPERIMENTS_TTL:
            return hit[1]
        path = f"/experiments/active?prompt={quote(name, safe='')}&project={quote(self.project)}"
        try:
            found = await self._get_json(path)
            items = list(found.get("items", [])) if isinstance(found, dict) else []
        except PromptyardError as exc:
            logger.warning(
                "promptyard: could not read experiments of %r (%s); serving control", name, exc
            )
            items = hit[1] if hit is not None else []
        self._experiments[name] = (now, items)
        return items

    # ---- provider connections (read-only here; manage them with the sync Client)

    async def _get_json(self, path: str) -> Any:
        try:
            response = await self._http.get(
                f"{self.base_url}/api/v1{path}", headers=self._headers(), timeout=self.timeout
            )
        except httpx.TimeoutException:
            raise PromptyardConnectionError(
                self.base_url, f"no answer within {self.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise PromptyardConnectionError(
                self.base_url, str(exc) or exc.__class__.__name__
            ) from None
        if response.status_code >= 400:
            raise PromptyardError.from_response(response)
        return response.json()

    async def list_providers(self) -> dict[str, Any]:
        """As :meth:`Client.list_providers <promptyard.client.Client.list_providers>`."""
        return cast(dict[str, Any], await self._get_json("/providers"))

    async def get_provider(self, name: str) -> dict[str, Any]:
        """As :meth:`Client.get_provider <promptyard.client.Client.get_provider>`."""
        return cast(dict[str, Any], await self._get_json(f"/providers/{quote(name, safe='')}"))

    async def list_provider_models(self, name: str) -> dict[str, Any]:
        """As :meth:`Client.list_provider_models
        <promptyard.client.Client.list_provider_models>`."""
        path = f"/providers/{quote(name, safe='')}/models"
        return cast(dict[str, Any], await self._get_json(path))

    # ---- background refreshes

    def _refresh_later(self, key: Key, *, again: bool = False) -> None:
        if self._closed or not self._cache.begin_refresh(key, again=again):
            return
        self._spawn(self._refresh(key))

    async def _refresh(self, key: Key) -> None:
        cache = self._cache
        try:
            while True:
                old = cache.entries.get(key)
                if old is None or self._closed:
                    break
                try:
                    await self._fetch(key, old)
                except PromptyardError as exc:
                    refresh_failed(cache, key, old, exc)
                except Exception:
                    logger.exception("promptyard: refreshing %s failed", key)
                    cache.failed(key, old)
                if not cache.end_refresh(key):
                    return
        except asyncio.CancelledError:
            cache.abandon_refresh(key)
            raise
        cache.abandon_refresh(key)

    # ---- watch

    async def _watch_loop(self) -> None:
        attempt = 0
        timeout = httpx.Timeout(self.timeout, read=self._watch_read_timeout)
        async with httpx.AsyncClient(timeout=timeout) as http:
            while not self._closed:
                try:
                    await self._watch_once(http)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log_disconnect(0 if self.watching else attempt, exc)
                finally:
                    if self.watching:
                        attempt = 0
                    self.watching = False
                attempt += 1
                await asyncio.sleep(backoff(attempt))

    async def _watch_once(self, http: httpx.AsyncClient) -> None:
        """One connection; the last event id seen outlives it (``Last-Event-ID``)."""
        headers = self._headers({"Accept": "text/event-stream"})
        if self._watch_last_id is not None:
            headers["Last-Event-ID"] = self._watch_last_id
        url = f"{self.base_url}{CHANGES_PATH}"
        params = {"project": self.project}
        async with http.stream("GET", url, params=params, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                raise PromptyardError.from_response(response)
            parser = SSEParser()
            async for line in response.aiter_lines():
                event = parser.feed(line.rstrip("\r"))
                if event is None:
                    continue
                if event.event == "ready":
                    if self._watch_last_id is None:  # the first connection starts at the head
                        self._watch_last_id = ready_id(event)
                        for key in self._cache.mark_stale(lambda key, entry: not entry.pinned):
                            self._refresh_later(key, again=True)  # read before it connected
                    self.watching = True
                for key in apply_event(self._cache, self.project, event):
                    self._refresh_later(key, again=True)
                if parser.last_id is not None:
                    self._watch_last_id = parser.last_id
