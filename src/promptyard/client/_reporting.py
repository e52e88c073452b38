"""Reporting generations and feedback: the background sender (docs/sdk-reporting.md).

The host's thread only builds a dict and appends it to a bounded queue; one daemon thread
per client sends the queue in batches to ``POST /api/v1/generations/batch`` (feedback to
``POST /api/v1/analytics/feedback``), retrying with backoff on 429 (honouring
``Retry-After``), 5xx and network errors and on nothing else. A full queue drops the new
event with a warning and counts it; the queue is flushed at exit (bounded wait).

The wire shape is a plain copy of the server's ``GenerationIn``/``FeedbackInput``
(``services/telemetry/schemas.py``): the SDK imports nothing of the server side.
"""

from __future__ import annotations

import atexit
import collections
import email.utils
import functools
import json
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

import httpx

from promptyard.client._fetch import request_headers
from promptyard.client._spans import export_body, otlp_span

logger = logging.getLogger("promptyard.client.reporting")

__all__ = [
    "FeedbackRecord",
    "GenerationRecord",
    "Reporter",
    "ReportingSettings",
]

GenerationStatus = Literal["ok", "error", "cancelled"]
FeedbackKind = Literal["thumbs", "score", "nps", "comment"]
#: The server takes at most this many generations per batch request.
MAX_BATCH = 1000
#: Seconds between two warnings about dropped events.
DROP_WARN_EVERY = 30.0
#: The server's limit on an error message; longer ones are cut here.
MAX_ERROR = 4000


class GenerationRecord(TypedDict, total=False):
    """One generation as sent to ``POST /api/v1/generations/batch`` (``GenerationIn``)."""

    id: str
    external_id: str
    trace_id: str
    parent_span_id: str
    prompt_name: str
    prompt_version: int
    prompt_label: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    input_cost: float
    output_cost: float
    currency: str
    latency_ms: float
    ttft_ms: float
    start_time: str
    status: GenerationStatus
    error: str
    user_id: str
    session_id: str
    feature: str
    agent: str
    environment: str
    tags: list[str]
    metadata: dict[str, Any]
    input: str | list[dict[str, Any]]
    output: str


class FeedbackRecord(TypedDict, total=False):
    """Feedback as sent to ``POST /api/v1/analytics/feedback`` (``FeedbackInput``)."""

    generation_id: str
    trace_id: str
    session_id: str
    kind: FeedbackKind
    value: float
    scale: Literal["0-1", "1-5"]
    comment: str
    user_id: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class ReportingSettings:
    """How a client's background sender behaves (all optional).

    - ``max_queue``: events waiting to be sent; beyond it new events are dropped (counted,
      with a warning).
    - ``batch_size``: a batch is sent as soon as this many events wait (at most 1,000).
    - ``flush_interval``: seconds after which waiting events are sent anyway.
    - ``max_retries``: attempts after the first for a batch answered 429/5xx or lost to a
      network error; then the batch is dropped (counted as failed, logged).
    - ``backoff`` / ``max_backoff``: first and largest retry delay in seconds (doubled
      each attempt, with jitter); a ``Retry-After`` header wins, capped at
      ``max_retry_after``.
    - ``timeout``: seconds per request.
    - ``max_request_bytes``: the largest request body sent (the server refuses larger
      ones with 413: then a batch is halved and sent again); a generation larger alone
      has its ``input``/``output`` text cut, flagged ``metadata.sdk_text_cut``.
    - ``shutdown_timeout``: the longest wait at exit (and in ``close``/``shutdown``) for
      the queue to drain.
    - ``enabled``: ``False`` drops every event silently (tests, local runs).
    """

    max_queue: int = 10_000
    batch_size: int = 200
    flush_interval: float = 1.0
    max_retries: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    timeout: float = 10.0
    shutdown_timeout: float = 5.0
    max_request_bytes: int = 4_000_000
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        if self.flush_interval <= 0:
            raise ValueError("flush_interval must be positive")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.max_request_bytes < 10_000:
            raise ValueError("max_request_bytes must be at least 10,000")


class Retry(Exception):
    """A send worth retrying, after ``delay`` seconds when the server said so."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


_bits = random.getrandbits
#: The version (4) and variant (RFC 4122) bits of a UUID4, and the bits they replace.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC << 60))
_UUID4_SET = (0x4000 << 64) | (0x8 << 60)


class TooLarge(Exception):
    """The server refused a request body as too large (413)."""


#: Bytes of ``{"generations":[`` and ``]}`` around the items of a request.
_ENVELOPE = 32
#: Text fields cut when one generation alone is larger than a request may be.
_TEXT_FIELDS = ("input", "output", "error")


def shrunk(item: dict[str, Any], limit: int) -> dict[str, Any]:
    """``item`` with its text fields cut to fit ``limit`` bytes together (chat input as
    its JSON text), flagged in ``metadata.sdk_text_cut``."""
    item = dict(item)
    budget = max(1_000, limit // (4 * 4))  # characters of up to 4 bytes, 3 fields + rest
    for key in _TEXT_FIELDS:
        value = item.get(key)
        if isinstance(value, list):
            value = json.dumps(value, default=str, ensure_ascii=False)
        if isinstance(value, str) and len(value) > budget:
            item[key] = value[:budget]
    item["metadata"] = {**(item.get("metadata") or {}), "sdk_text_cut": True}
    return item


def new_id() -> str:
    """A fresh generation (or trace) id: a UUID4 string, from ``random`` rather than
    ``os.urandom`` (a system call; this runs in the host's thread). Ids must be unique,
    not secret; ``random`` is reseeded in forked children."""
    h = f"{(_bits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks for: a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


# ---- the sender ------------------------------------------------------------------------

_Event = tuple[Literal["generation", "feedback", "span"], dict[str, Any]]
Wait = Callable[[float], None]


class Reporter:
    """A bounded queue and the daemon thread that sends it (one per client).

    :meth:`add` is the only call on the host's path: it never blocks, never raises for
    the server's sake, and costs a few hundred nanoseconds. ``wait`` (seconds -> None)
    replaces the pauses between retries, for tests; by default the sender waits on its
    stop event, so :meth:`shutdown` cuts a pause short.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        project: str,
        settings: ReportingSettings | None = None,
        *,
        http_client: httpx.Client | None = None,
        wait: Wait | None = None,
    ) -> None:
        self.base_url = base_url
        self.project = project
        self.settings = settings or ReportingSettings()
        self._headers = request_headers(api_key, {"Content-Type": "application/json"})
        self._owns_http = http_client is None
        self._http = http_client
        self._wait_hook = wait
        self._queue: collections.deque[_Event] = collections.deque()
        self._max_queue = self.settings.max_queue
        self._batch_size = self.settings.batch_size
        self._enabled = self.settings.enabled
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._warned_at: float | None = None
        self._stats_lock = threading.Lock()
        #: Counters: ``queued`` (accepted), ``dropped`` (queue full or closed), ``sent``
        #: (accepted by the server: created or duplicate), ``rejected`` (refused per item
        #: or with a 4xx), ``failed`` (given up after retries), ``retries``, ``requests``.
        self.stats = dict.fromkeys(
            ("queued", "dropped", "sent", "duplicates", "rejected", "failed", "retries"), 0
        )
        self.stats["requests"] = 0

    # ---- host side

    def add(self, kind: Literal["generation", "feedback", "span"], item: dict[str, Any]) -> bool:
        """Queue one event; ``False`` when it was dropped (queue full, or shut down)."""
        if not self._enabled:
            return False
        queue = self._queue
        if len(queue) >= self._max_queue or self._closed:
            self._drop()
            return False
        queue.append((kind, item))
        self.stats["queued"] += 1
        if self._thread is None:
            self._start()
        if len(queue) >= self._batch_size:
            self._wake.set()
        return True

    def _drop(self) -> None:
        # One warning at the first drop, then at most one every DROP_WARN_EVERY seconds
        # with the count so far: a host logging at full speed must not flood its logs.
        with self._stats_lock:
            self.stats["dropped"] += 1
            dropped = self.stats["dropped"]
            now, last = time.monotonic(), self._warned_at
            first = last is None
            warn = last is None or now - last >= DROP_WARN_EVERY
            if warn:
                self._warned_at = now
        if not warn:
            return
        if first:
            reason = "is shut down" if self._closed else f"queue is full ({self._max_queue})"
            logger.warning(
                "promptyard reporting %s: dropping events (see reporter.stats['dropped'])",
                reason,
            )
        else:
            logger.warning("promptyard reporting: %d events dropped so far", dropped)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None or self._closed:
                return
            thread = threading.Thread(target=self._run, name="promptyard-reporter", daemon=True)
            self._thread = thread
            thread.start()
            _at_exit(self)

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; wait until it is sent (or given up) or ``timeout``
        seconds passed. ``True`` when the queue was drained in time."""
        if self._thread is None:
            return not self._queue
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            self._wake.set()
            while self._queue or self._busy:
                if not self._thread.is_alive():
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(0.05 if left is None else min(left, 0.05))
                self._wake.set()
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush (waiting at most ``timeout``, default ``shutdown_timeout`` seconds), then
        stop the sender; later events are dropped. ``True`` when nothing was left."""
        if timeout is None:
            timeout = self.settings.shutdown_timeout
        drained = self.flush(timeout)
        self._closed = True
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        left = len(self._queue)
        if left:
            logger.warning("promptyard reporting: %d events not sent at shutdown", left)
        if self._owns_http and self._http is not None and (thread is None or not thread.is_alive()):
            self._http.close()
        return drained and not left

    def _reset_after_fork(self) -> None:
        self._queue.clear()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._start_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._busy = False
        self._thread = None
        if self._owns_http:
            self._http = None

    # ---- sender thread

    def _run(self) -> None:
        try:
            if self._http is None:
                self._http = httpx.Client(timeout=self.settings.timeout)
            while not self._stop.is_set():
                self._wake.wait(self.settings.flush_interval)
                self._wake.clear()
                self._drain()
        except BaseException:  # pragma: no cover - a bug here must not stay silent
            logger.exception("promptyard reporting: the sender stopped")
        finally:
            with self._idle:
                self._busy = False
                self._idle.notify_all()

    def _drain(self) -> None:
        """Send batches until the queue is empty (or the sender is stopped)."""
        while True:
            with self._idle:
                batch = self._take()
                self._busy = bool(batch)
                if not batch:
                    self._idle.notify_all()
                    return
            try:
                self._send_all(batch)
            except Exception:  # pragma: no cover - never let a bug kill the sender
                logger.exception("promptyard reporting: could not send %d events", len(batch))
            if self._stop.is_set() and self._closed:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()
                return

    def _take(self) -> list[_Event]:
        queue = self._queue
        batch: list[_Event] = []
        while queue and len(batch) < self._batch_size:
            batch.append(queue.popleft())
        return batch

    def _send_all(self, batch: list[_Event]) -> None:
        # Spans (observe scopes that are not LLM calls) go as OTLP/JSON to /v1/traces.
        spans = [body for kind, item in batch if kind == "span" for body in self._encode_span(item)]
        for chunk in self._chunks(spans):
            self._send_spans(chunk)
        # Generations first, then feedback in order: feedback needs its generation stored.
        encoded = [
            body for kind, item in batch if kind == "generation" for body in self._encode(item)
        ]
        for chunk in self._chunks(encoded):
            self._send_generations(chunk)
        for kind, item in batch:
            if kind == "feedback":
                for body in self._encode(item):
                    self._with_retries(1, functools.partial(self._post_feedback, body))

    def _chunks(self, encoded: list[bytes]) -> Iterator[list[bytes]]:
        """Requests of at most ``max_request_bytes`` (the server caps request bodies)."""
        limit = self.settings.max_request_bytes - _ENVELOPE
        chunk: list[bytes] = []
        size = 0
        for body in encoded:
            if chunk and size + len(body) + 1 > limit:
                yield chunk
                chunk, size = [], 0
            chunk.append(body)
            size += len(body) + 1
        if chunk:
            yield chunk

    def _send_generations(self, chunk: list[bytes]) -> None:
        content = b'{"generations":[' + b",".join(chunk) + b"]}"
        try:
            self._with_retries(len(chunk), lambda: self._post_generations(content, len(chunk)))
        except TooLarge as exc:
            if len(chunk) > 1:  # a server with a smaller cap than ours: halve and go on
                half = len(chunk) // 2
                self._send_generations(chunk[:half])
                self._send_generations(chunk[half:])
                return
            with self._stats_lock:
                self.stats["rejected"] += 1
            logger.warning("promptyard reporting: a generation is too large (%s); dropped", exc)

    def _encode_span(self, item: dict[str, Any]) -> list[bytes]:
        try:
            body = dumps(otlp_span(item))
        except (TypeError, ValueError, RecursionError) as exc:
            with self._stats_lock:
                self.stats["rejected"] += 1
            logger.warning("promptyard reporting: a span is not JSON (%s); dropped", exc)
            return []
        return [body]

    def _send_spans(self, chunk: list[bytes]) -> None:
        content = export_body(chunk)
        self._with_retries(len(chunk), lambda: self._post_spans(content, len(chunk)))

    def _post_spans(self, content: bytes, count: int) -> None:
        response = self._post("/v1/traces", content, root=True)
        if response.status_code >= 400:
            with self._stats_lock:
                self.stats["rejected"] += count
            logger.warning(
                "promptyard reporting: the server refused %d spans (%d): %s; dropped",
                count,
                response.status_code,
                _excerpt(response),
            )
            return
        rejected = 0
        try:
            partial = response.json().get("partialSuccess") or {}
            rejected = int(partial.get("rejectedSpans") or 0)
        except (ValueError, AttributeError, TypeError):
            partial = {}
        with self._stats_lock:
            self.stats["sent"] += count - rejected
            self.stats["rejected"] += rejected
        if rejected:
            logger.warning(
                "promptyard reporting: %d spans rejected: %s", rejected, partial.get("errorMessage")
            )

    def _encode(self, item: dict[str, Any]) -> list[bytes]:
        """The JSON of one event (a list of one), or none when it cannot be encoded (a
        cycle, a value with no JSON form): dropped alone, never its whole batch. Text too
        long for one request is cut (the server cuts long text anyway)."""
        limit = self.settings.max_request_bytes - _ENVELOPE
        try:
            body = dumps(wire_generation(item))
            if len(body) > limit:
                body = dumps(wire_generation(shrunk(item, limit)))
        except (TypeError, ValueError, RecursionError) as exc:
            reason = f"is not JSON ({exc})"
        else:
            if len(body) <= limit:
                return [body]
            reason = f"takes {len(body)} bytes even with its text cut"
        with self._stats_lock:
            self.stats["rejected"] += 1
        logger.warning("promptyard reporting: an event %s; dropped", reason)
        return []

    def _with_retries(self, count: int, send: Callable[[], None]) -> None:
        settings = self.settings
        attempt = 0
        while True:
            try:
                send()
                return
            except Retry as retry:
                if attempt >= settings.max_retries or (self._stop.is_set() and self._closed):
                    with self._stats_lock:
                        self.stats["failed"] += count
                    logger.warning(
                        "promptyard reporting: dropping %d events after %d attempts: %s",
                        count,
                        attempt + 1,
                        retry.reason,
                    )
                    return
                if retry.delay is not None:
                    delay = min(retry.delay, settings.max_retry_after)
                else:
                    step = min(settings.max_backoff, settings.backoff * 2**attempt)
                    delay = step / 2 + random.random() * step / 2
                attempt += 1
                with self._stats_lock:
                    self.stats["retries"] += 1
                logger.info(
                    "promptyard reporting: %s; retry %d in %.2f s", retry.reason, attempt, delay
                )
                self._pause(delay)

    def _pause(self, seconds: float) -> None:
        if self._wait_hook is not None:
            self._wait_hook(seconds)
        else:
            self._stop.wait(seconds)

    def _post(self, path: str, content: bytes, *, root: bool = False) -> httpx.Response:
        """POST to ``/api/v1<path>`` (``root``: to ``<path>``, e.g. OTLP's /v1/traces)."""
        assert self._http is not None
        with self._stats_lock:
            self.stats["requests"] += 1
        try:
            response = self._http.post(
                f"{self.base_url}{path}" if root else f"{self.base_url}/api/v1{path}",
                params={"project": self.project},
                content=content,
                headers=self._headers,
                timeout=self.settings.timeout,
            )
        except httpx.TransportError as exc:
            raise Retry(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            delay = retry_after(response.headers.get("retry-after"), time.time())
            raise Retry(f"the server answered {status}", delay)
        return response

    def _post_generations(self, content: bytes, count: int) -> None:
        response = self._post("/generations/batch", content)
        if response.status_code == 413:
            raise TooLarge(f"{len(content)} bytes: {_excerpt(response)}")
        if response.status_code >= 400:
            with self._stats_lock:
                self.stats["rejected"] += count
            logger.warning(
                "promptyard reporting: the server refused a batch of %d generations "
                "(%d): %s; dropped",
                count,
                response.status_code,
                _excerpt(response),
            )
            return
        try:
            result = response.json()
            items = list(result.get("items") or [])
        except (ValueError, AttributeError):
            logger.warning(
                "promptyard reporting: the batch answer is not JSON: %s", _excerpt(response)
            )
            items = []
            result = {}
        created = int(result.get("created", 0) or 0)
        duplicates = int(result.get("duplicates", 0) or 0)
        rejected = [item for item in items if item.get("status") == "rejected"]
        with self._stats_lock:
            self.stats["sent"] += created + duplicates
            self.stats["duplicates"] += duplicates
            self.stats["rejected"] += len(rejected)
        for item in rejected:
            logger.warning(
                "promptyard reporting: generation %s rejected: %s",
                item.get("id") or f"#{item.get('index')}",
                item.get("error"),
            )

    def _post_feedback(self, content: bytes) -> None:
        response = self._post("/analytics/feedback", content)
        if response.status_code >= 400:
            with self._stats_lock:
                self.stats["rejected"] += 1
            logger.warning(
                "promptyard reporting: feedback refused (%d): %s; dropped",
                response.status_code,
                _excerpt(response),
            )
            return
        with self._stats_lock:
            self.stats["sent"] += 1


def wire_generation(item: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of one generation (done in the sender thread, off the host's path).
    A ``start_time`` in epoch seconds goes as it is: the server reads numbers as UTC."""
    start = item.get("start_time")
    if isinstance(start, datetime):
        item = dict(item)
        item["start_time"] = start.isoformat()
    return item


def _dumps_stdlib(item: dict[str, Any]) -> bytes:
    return json.dumps(item, default=str, allow_nan=False, ensure_ascii=False).encode()


try:  # orjson (installed with the server) encodes ~3x faster: less of the GIL taken
    import orjson

    _ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

    def dumps(item: dict[str, Any]) -> bytes:
        """One event as JSON bytes (NaN and infinities become ``null``)."""
        try:
            return orjson.dumps(item, default=str, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError as exc:
            if "Recursion" in str(exc) or "circular" in str(exc).lower():
                raise ValueError(str(exc)) from None
            return _dumps_stdlib(item)  # e.g. an int beyond 64 bits

except ImportError:  # pragma: no cover - the SDK alone

    def dumps(item: dict[str, Any]) -> bytes:
        """One event as JSON bytes."""
        return _dumps_stdlib(item)


def _excerpt(response: httpx.Response) -> str:
    text = response.text
    return text if len(text) <= 500 else text[:500] + "..."


# ---- flush at exit ---------------------------------------------------------------------

_live: weakref.WeakSet[Reporter] = weakref.WeakSet()
_exit_lock = threading.Lock()
_exit_registered = False


def _at_exit(reporter: Reporter) -> None:
    global _exit_registered
    with _exit_lock:
        _live.add(reporter)
        if not _exit_registered:
            atexit.register(_flush_all_at_exit)
            _exit_registered = True


def _after_fork_in_child() -> None:
    """A forked child (gunicorn, multiprocessing) has no sender thread: start afresh,
    leaving the parent's queued events to the parent."""
    for reporter in list(_live):
        reporter._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _flush_all_at_exit() -> None:
    for reporter in list(_live):
        if not reporter._closed:
            try:
                reporter.shutdown()
            except Exception:  # pragma: no cover
                logger.exception("promptyard reporting: flush at exit failed")


# ---- the records -------------------------------------------------------------------------


def clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` without the unset (``None``) ones."""
    return {key: value for key, value in fields.items() if value is not None}


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MAX_ERROR]
