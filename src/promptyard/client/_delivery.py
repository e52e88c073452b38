"""Prompt delivery for :class:`~promptyard.client.Client`: cached ``get_prompt``,
``prefetch``, background refreshes on a small thread pool, and the ``watch`` thread."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import quote

import httpx

from promptyard.client._cache import RETRY_AFTER_FAILURE, Entry, Key, PromptCache, make_key
from promptyard.client._errors import PromptTypeError, PromptyardConnectionError, PromptyardError
from promptyard.client._experiments import with_experiment
from promptyard.client._fetch import (
    DEFAULT_LABEL,
    FetchPlan,
    Get,
    Reply,
    fetch_plan,
    parse_spec,
    reply_from,
    request_for,
    selector,
)
from promptyard.client._prompt import AnyPrompt, ChatPrompt, TextPrompt, fallback_prompt
from promptyard.client._watch import CHANGES_PATH, SSEParser, apply_event, backoff, ready_id
from promptyard.domain.templating import TemplateEngine

logger = logging.getLogger("promptyard.client")

Fallback = str | list[dict[str, Any]]
PrefetchSpec = str | tuple[str, str | int]


def checked(prompt: AnyPrompt, type: str | None) -> Any:
    if type is not None and prompt.type != type:
        raise PromptTypeError(prompt.name, expected=type, actual=prompt.type)
    return prompt


def fallback_entry(cache: PromptCache, name: str, fallback: Fallback) -> Entry:
    """An entry for ``fallback=`` content: served flagged, refreshed in a while."""
    entry = Entry(prompt=fallback_prompt(name, fallback, cache.engine), fetched_at=0.0, etag=None)
    entry.stale = True
    entry.retry_at = cache.clock() + RETRY_AFTER_FAILURE
    return entry


class DeliveryMixin:
    """The prompt-delivery half of the sync client (see ``Client.__init__`` for options)."""

    # Set by Client.__init__.
    base_url: str
    project: str
    timeout: float
    _http: httpx.Client
    _cache: PromptCache
    _engine: TemplateEngine
    _refresh_workers: int
    _pool: ThreadPoolExecutor | None
    _pool_lock: threading.Lock
    _closing: threading.Event
    _watch_thread: threading.Thread | None
    _watch_response: httpx.Response | None
    _watch_connected: threading.Event
    _watch_read_timeout: float
    _watch_last_id: str | None

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        raise NotImplementedError

    if TYPE_CHECKING:  # client/_experiments.py (ExperimentsMixin)

        def experiment_assignment(
            self, name: str, unit_id: str, *, label: str = "production"
        ) -> tuple[str, int, str] | None: ...

    # ---- the public surface

    @overload
    def get_prompt(
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
    def get_prompt(
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
    def get_prompt(
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

    def get_prompt(
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
        """A prompt ready to :meth:`~TextPrompt.compile`, from the cache when it can.

        ``unit_id`` (a user or session id): when an online experiment runs on this label,
        the unit's variant is served (assigned locally, sticky) and the prompt's
        ``experiment_id``/``variant`` say so; generations logged with it record them
        (docs/experiments.md).

        ``label`` (default ``production``) or ``version``. A version is cached for good;
        a label's copy older than ``cache_ttl`` seconds is returned at once while one
        background refresh per key fetches a new one (``cache_ttl=0``: every call reads
        the server). When the server is unreachable, slow or failing, the last good copy
        is served (from memory, else ``cache_dir``) with one logged warning; if there is
        none, ``fallback`` content is served flagged ``is_fallback``, else the
        :class:`PromptyardConnectionError` (or :class:`ServerError`) is raised.
        ``401``/``403``/``404`` raise :class:`UnauthenticatedError`,
        :class:`ForbiddenError`, :class:`NotFoundError` and are never retried;
        ``type="text"|"chat"`` raises :class:`PromptTypeError` on a mismatch.
        """
        if unit_id is not None and version is None:
            assigned = self.experiment_assignment(name, unit_id, label=label or DEFAULT_LABEL)
            if assigned is not None:
                served = self.get_prompt(
                    name, label=assigned[0], type=type, cache_ttl=cache_ttl, fallback=fallback
                )
                return with_experiment(served, assigned[1], assigned[2])
        if version is None:
            key: Key = (self.project, name, "label:" + (label or DEFAULT_LABEL))
        elif label is None:
            key = make_key(self.project, name, None, version)
        else:
            raise ValueError("pass a label or a version, not both")
        cache = self._cache
        entry = cache.entries.get(key)
        if entry is not None and cache_ttl > 0:
            if entry.due(cache.clock(), cache_ttl):
                self._refresh_later(key)
            return checked(entry.prompt, type)
        selector(label, version)  # checks the version's type
        return checked(self._fetch_now(key, entry, fallback), type)

    def prefetch(self, prompts: Iterable[PrefetchSpec]) -> list[TextPrompt | ChatPrompt]:
        """Warm the cache at start-up: ``"name"`` (label ``production``), ``"name@label"``,
        ``"name@v3"`` or ``(name, label_or_version)``. Fetches in parallel; raises the
        first error (after trying them all)."""
        specs = [parse_spec(spec) for spec in prompts]

        def one(spec: tuple[str, str | None, int | None]) -> Any:
            name, label, version = spec
            try:
                return self.get_prompt(name, label=label, version=version)
            except PromptyardError as exc:
                return exc

        results = list(self._executor().map(one, specs))
        for result in results:
            if isinstance(result, PromptyardError):
                raise result
        return results

    def wait_for_idle(self, timeout: float | None = None) -> bool:
        """Wait for the background refreshes in flight (tests, shutdown)."""
        return self._cache.wait_for_idle(timeout)

    @property
    def watching(self) -> bool:
        """Connected to the change stream right now (``watch=True``)."""
        return self._watch_connected.is_set()

    # ---- fetching

    def _fetch_now(self, key: Key, entry: Entry | None, fallback: Fallback | None) -> AnyPrompt:
        cache = self._cache
        old = entry or cache.load(key)
        try:
            return self._fetch(key, old).prompt
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

    def _fetch(self, key: Key, old: Entry | None) -> Entry:
        if old is not None and old.prompt.is_fallback:
            old = None
        plan = fetch_plan(self._engine, request_for(key), old, self._cache.clock())
        entry = self._drive(plan)
        self._cache.put(
            key,
            entry,
            persist=old is None or entry.etag != old.etag or entry.includes != old.includes,
        )
        self._cache.recovered()
        return entry

    def _drive(self, plan: FetchPlan) -> Entry:
        try:
            request = next(plan)
            while True:
                request = plan.send(self._read(request))
        except StopIteration as done:
            return done.value

    def _read(self, request: Get) -> Reply:
        url = f"{self.base_url}/api/v1/prompts/{_quote(request.name)}"
        try:
            response = self._http.get(
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
            raise PromptyardConnectionError(self.base_url, _reason(exc)) from None
        return reply_from(response)

    # ---- background refreshes

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._refresh_workers, thread_name_prefix="promptyard-refresh"
                )
            return self._pool

    def _refresh_later(self, key: Key, *, again: bool = False) -> None:
        if self._closing.is_set() or not self._cache.begin_refresh(key, again=again):
            return
        try:
            self._executor().submit(self._refresh, key)
        except RuntimeError:  # shut down meanwhile
            self._cache.abandon_refresh(key)

    def _refresh(self, key: Key) -> None:
        cache = self._cache
        while True:
            old = cache.entries.get(key)
            if old is None or self._closing.is_set():
                cache.abandon_refresh(key)
                return
            try:
                self._fetch(key, old)
            except PromptyardError as exc:
                refresh_failed(cache, key, old, exc)
            except Exception:
                logger.exception("promptyard: refreshing %s failed", key)
                cache.failed(key, old)
            if not cache.end_refresh(key):
                return

    # ---- watch

    def _start_watch(self) -> None:
        self._watch_thread = threading.Thread(
            target=self._watch_loop, name="promptyard-watch", daemon=True
        )
        self._watch_thread.start()

    def _watch_loop(self) -> None:
        attempt = 0
        with httpx.Client(
            timeout=httpx.Timeout(self.timeout, read=self._watch_read_timeout)
        ) as http:
            while not self._closing.is_set():
                try:
                    self._watch_once(http)
                except Exception as exc:
                    if not self._closing.is_set():
                        log_disconnect(0 if self._watch_connected.is_set() else attempt, exc)
                finally:
                    if self._watch_connected.is_set():
                        attempt = 0  # it was up: the next reconnect starts quickly
                    self._watch_connected.clear()
                    self._watch_response = None
                attempt += 1
                self._closing.wait(backoff(attempt))

    def _watch_once(self, http: httpx.Client) -> None:
        """One connection; the last event id seen outlives it (``Last-Event-ID``)."""
        headers = self._headers({"Accept": "text/event-stream"})
        if self._watch_last_id is not None:
            headers["Last-Event-ID"] = self._watch_last_id
        url = f"{self.base_url}{CHANGES_PATH}"
        params = {"project": self.project}
        with http.stream("GET", url, params=params, headers=headers) as response:
            self._watch_response = response
            if self._closing.is_set():
                return
            if response.status_code != 200:
                response.read()
                raise PromptyardError.from_response(response)
            parser = SSEParser()
            for event in parser.events(response.iter_lines()):
                if event.event == "ready":
                    if self._watch_last_id is None:  # the first connection starts at the head
                        self._watch_last_id = ready_id(event)
                        for key in self._cache.mark_stale(lambda key, entry: not entry.pinned):
                            self._refresh_later(key, again=True)  # read before it connected
                    self._watch_connected.set()
                for key in apply_event(self._cache, self.project, event):
                    self._refresh_later(key, again=True)
                if parser.last_id is not None:
                    self._watch_last_id = parser.last_id

    def _close_delivery(self) -> None:
        self._closing.set()
        response = self._watch_response
        if response is not None:
            _interrupt(response)
        if self._watch_thread is not None:
            self._watch_thread.join(timeout=5)
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def note_deprecation(key: Key, entry: Entry, old: Entry | None) -> None:
    """Log once when a prompt read becomes deprecated (it is still served)."""
    deprecated = entry.prompt.raw.get("lifecycle") == "deprecated"
    if deprecated and (old is None or old.prompt.raw.get("lifecycle") != "deprecated"):
        logger.warning("promptyard: prompt %r is deprecated; move to its replacement", key[1])


def refresh_failed(cache: PromptCache, key: Key, old: Entry, exc: PromptyardError) -> None:
    """Keep serving ``old``, except for a prompt (or label) that is gone."""
    if exc.status == 404:
        logger.warning("promptyard: %s is gone from the server (%s); dropped", key, exc)
        cache.drop([key])
        return
    if exc.transient:
        cache.warn_unavailable(f"refreshing prompt {key[1]!r}", exc)
    else:
        logger.error("promptyard: refreshing %s was refused: %s", key, exc)
    cache.failed(key, old)


def log_disconnect(attempt: int, exc: BaseException) -> None:
    if attempt == 0:
        logger.warning(
            "promptyard: the change stream failed (%s); reconnecting, with the TTL meanwhile",
            exc,
        )
    else:
        logger.debug("promptyard: change stream reconnect %d failed: %s", attempt, exc)


def _interrupt(response: httpx.Response) -> None:
    """Wake a thread blocked reading ``response`` (closing a socket does not)."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _quote(name: str) -> str:
    return quote(name, safe="")


def _reason(exc: Exception) -> str:
    reason = str(exc) or exc.__class__.__name__
    return "connection refused" if "refused" in reason.lower() else reason
