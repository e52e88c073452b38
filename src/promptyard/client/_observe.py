"""``log_generation``, ``feedback`` and ``observe``: the reporting surface of both clients.

``observe`` opens a :class:`Span` (a step being timed) in a contextvar: a prompt
compiled inside it (``TextPrompt``/``ChatPrompt.compile``) links its name and version, and
generations logged inside it (by ``log_generation`` or a provider wrapper) get its trace
id, its id as their ``parent_span_id``, its prompt and its user/session/feature/agent/
environment unless they set their own. When it closes, a scope is sent as an
OpenTelemetry span of its trace (``_spans.py``: ``promptyard.prompt.name`` and
``.version`` name its prompt), or as a generation when it set a model or token counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import Token
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, ParamSpec, TypeVar, cast, overload

from promptyard.client._context import current_span
from promptyard.client._reporting import (
    FeedbackKind,
    GenerationStatus,
    Reporter,
    ReportingSettings,
    clean,
    error_text,
    new_id,
)
from promptyard.client._spans import is_span, new_span_id, new_trace_id

__all__ = ["Observation", "ReportingMixin", "Span", "current_observation"]

P = ParamSpec("P")
R = TypeVar("R")

#: Fields a nested generation takes from the observation it runs in, unless it has its own.
INHERITED = ("user_id", "session_id", "feature", "agent", "environment")
_FEEDBACK_KINDS = ("thumbs", "score", "nps", "comment")


class Span:
    """One ``observe`` scope: a generation being timed. ``id`` is the generation's id
    (use it for :meth:`~ReportingMixin.feedback`); :meth:`update` sets any field of the
    generation record (model, tokens, output, metadata, ...) before it is sent."""

    __slots__ = (
        "_captured",
        "_children",
        "_explicit_prompt",
        "_owner",
        "_perf",
        "_token",
        "fields",
        "id",
        "name",
        "parent_span_id",
        "start_time",
        "trace_id",
    )

    fields: dict[str, Any]

    def __init__(self, name: str | None, fields: dict[str, Any], parent: Span | None) -> None:
        # OpenTelemetry's ids (16 and 32 hex digits): a scope that is not an LLM call goes
        # to the server as a span of its trace.
        self.id: str = fields.pop("id", None) or new_span_id()
        self.name = name
        self.parent_span_id: str | None = parent.id if parent is not None else None
        self.trace_id: str = (
            parent.trace_id
            if parent is not None
            else fields.pop("trace_id", None) or new_trace_id()
        )
        self._explicit_prompt = "prompt_name" in fields
        #: Generations recorded inside this scope, and the text fields taken on its own
        #: (the compiled prompt, the function's result) rather than set by the caller.
        self._children = 0
        self._captured: set[str] = set()
        if parent is not None:
            parent._children += 1
            fields.pop("trace_id", None)
            for key in INHERITED:
                if key not in fields and key in parent.fields:
                    fields[key] = parent.fields[key]
            if "prompt_name" not in fields and "prompt_name" in parent.fields:
                fields["prompt_name"] = parent.fields["prompt_name"]
                if "prompt_version" in parent.fields:
                    fields["prompt_version"] = parent.fields["prompt_version"]
        self.fields = fields
        self.start_time = time.time()
        self._perf = time.perf_counter()
        self._owner: object = None
        self._token: Token[Any] | None = None

    def update(self, **fields: Any) -> None:
        """Set fields of this generation (``None`` values are ignored)."""
        for key, value in fields.items():
            if value is None:
                continue
            if key == "metadata":
                self.fields["metadata"] = {**self.fields.get("metadata", {}), **value}
            else:
                self.fields[key] = value
            if key == "prompt_name":
                self._explicit_prompt = True

    def use_prompt(self, name: str, version: int | None, rendered: Any) -> None:
        """Called by ``compile`` of a prompt object inside this scope."""
        if not self._explicit_prompt:
            self.fields["prompt_name"] = name
            if version is not None:
                self.fields["prompt_version"] = version
            else:
                self.fields.pop("prompt_version", None)
            self._explicit_prompt = True
        if "input" not in self.fields and isinstance(rendered, (str, list)):
            self.fields["input"] = rendered
            self._captured.add("input")

    def capture_output(self, result: str) -> None:
        """Called with a decorated function's ``str`` result."""
        if "output" not in self.fields:
            self.fields["output"] = result
            self._captured.add("output")

    def link(self, record: dict[str, Any]) -> None:
        """Make ``record`` (a generation logged inside this scope) a child of it."""
        self._children += 1
        record.setdefault("trace_id", self.trace_id)
        record.setdefault("parent_span_id", self.id)
        fields = self.fields
        if "prompt_name" not in record and "prompt_name" in fields:
            record["prompt_name"] = fields["prompt_name"]
            if "prompt_version" in fields:
                record["prompt_version"] = fields["prompt_version"]
        for key in INHERITED:
            if key not in record and key in fields:
                record[key] = fields[key]

    def record(self, status: GenerationStatus, error: str | None) -> dict[str, Any]:
        record = dict(self.fields)
        if self._children:
            # The calls inside were recorded on their own: this scope's row keeps its
            # timing and links but not their text, which the server would count as
            # tokens a second time.
            for key in self._captured:
                record.pop(key, None)
        record["id"] = self.id
        record["trace_id"] = self.trace_id
        if self.parent_span_id is not None:
            record["parent_span_id"] = self.parent_span_id
        record.setdefault("start_time", self.start_time)
        record.setdefault("latency_ms", (time.perf_counter() - self._perf) * 1000.0)
        if record.get("status") in (None, "ok") or status != "ok":
            record["status"] = status
        if error is not None:
            record.setdefault("error", error)
        if self.name or self._children:
            extra: dict[str, Any] = {"observation": self.name} if self.name else {}
            if self._children:
                extra["children"] = self._children
            record["metadata"] = {**extra, **record.get("metadata", {})}
        return record

    def __repr__(self) -> str:
        return f"Span(id={self.id!r}, name={self.name!r}, trace_id={self.trace_id!r})"


def current_observation() -> Span | None:
    """The innermost ``observe`` scope of this thread or task, if any."""
    return cast("Span | None", current_span.get())


def _outcome(exc: BaseException | None) -> tuple[GenerationStatus, str | None]:
    if exc is None:
        return "ok", None
    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit)):
        return "cancelled", error_text(exc)
    return "error", error_text(exc)


class Observation:
    """What ``client.observe(...)`` returns: a decorator (sync or async functions) and a
    context manager (``with`` or ``async with``, giving the :class:`Span`)."""

    def __init__(
        self,
        sink: Callable[[dict[str, Any]], object],
        name: str | None,
        fields: dict[str, Any],
        capture_output: bool,
    ) -> None:
        self._sink = sink
        self._name = name
        self._fields = fields
        self._capture_output = capture_output

    # ---- one scope

    def _open(self, name: str | None) -> tuple[Span, Token[Any]]:
        span = Span(name, dict(self._fields), current_span.get())
        return span, current_span.set(span)

    def _close(
        self, span: Span, token: Token[Any], exc: BaseException | None, result: Any = None
    ) -> None:
        # ValueError: closed in another context (a generator's finaliser)
        with contextlib.suppress(ValueError):
            current_span.reset(token)
        try:
            if self._capture_output and exc is None and isinstance(result, str):
                span.capture_output(result)
            status, error = _outcome(exc)
            self._sink(span.record(status, error))
        except Exception:  # reporting never breaks the host
            from promptyard.client._reporting import logger

            logger.exception("promptyard reporting: could not record an observation")

    # ---- context manager
    #
    # The scope to close is the current one of this thread or task (``with`` blocks nest),
    # so one ``Observation`` may be entered by several threads or tasks at once.

    def __enter__(self) -> Span:
        span, token = self._open(self._name)
        span._owner = self
        span._token = token
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        span = current_span.get()
        if not isinstance(span, Span) or span._owner is not self or span._token is None:
            return  # exited out of order, or in another context: nothing to close here
        token, span._token = span._token, None
        self._close(span, token, exc)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    # ---- decorator

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        name = self._name or getattr(fn, "__qualname__", None) or repr(fn)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                span, token = self._open(name)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    self._close(span, token, exc)
                    raise
                self._close(span, token, None, result)
                return result

            return cast(Callable[P, R], run_async)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            span, token = self._open(name)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                self._close(span, token, exc)
                raise
            self._close(span, token, None, result)
            return result

        return cast(Callable[P, R], run)


class ReportingMixin:
    """Reporting for :class:`~promptyard.client.Client` and
    :class:`~promptyard.client.AsyncClient`: nothing here blocks on the network."""

    base_url: str
    api_key: str | None
    project: str
    _reporting_settings: ReportingSettings
    _reporter: Reporter | None
    _reporter_lock: threading.Lock

    def _init_reporting(self, reporting: ReportingSettings | bool) -> None:
        if reporting is True:
            reporting = ReportingSettings()
        elif reporting is False:
            reporting = ReportingSettings(enabled=False)
        self._reporting_settings = reporting
        self._reporter = None
        self._reporter_lock = threading.Lock()

    @property
    def reporter(self) -> Reporter:
        """The background sender (started with the first event); ``reporter.stats``
        counts what was queued, sent, dropped, rejected and retried."""
        reporter = self._reporter
        if reporter is None:
            with self._reporter_lock:
                reporter = self._reporter
                if reporter is None:
                    reporter = self._reporter = Reporter(
                        self.base_url, self.api_key, self.project, self._reporting_settings
                    )
        return reporter

    def _report_generation(self, record: dict[str, Any]) -> bool:
        reporter = self._reporter
        if reporter is None:
            reporter = self.reporter
        return reporter.add("generation", record)

    def _report_observation(self, record: dict[str, Any]) -> bool:
        """An ``observe`` scope: a span of its trace, or a generation when it timed an LLM
        call (it has a model or token counts)."""
        reporter = self._reporter
        if reporter is None:
            reporter = self.reporter
        return reporter.add("span" if is_span(record) else "generation", record)

    def _shutdown_reporting(self, timeout: float | None = None) -> bool:
        reporter = self._reporter
        return True if reporter is None else reporter.shutdown(timeout)

    def log_generation(
        self,
        *,
        id: str | None = None,
        external_id: str | None = None,
        trace_id: str | None = None,
        parent_span_id: str | None = None,
        prompt: Any = None,
        prompt_name: str | None = None,
        prompt_version: int | None = None,
        prompt_label: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cached_tokens: int | None = None,
        reasoning_tokens: int | None = None,
        input_cost: float | None = None,
        output_cost: float | None = None,
        currency: str | None = None,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        start_time: datetime | float | None = None,
        status: GenerationStatus = "ok",
        error: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        feature: str | None = None,
        agent: str | None = None,
        environment: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        input: str | list[dict[str, Any]] | None = None,
        output: str | None = None,
    ) -> str:
        """Queue one generation for the server and return its id (a new UUID4 unless
        ``id`` is given). Never blocks and never raises for the server's sake.

        ``prompt``: the object ``get_prompt`` returned (sets ``prompt_name`` and
        ``prompt_version``). ``start_time`` defaults to now (a ``datetime``, or epoch
        seconds). Inside ``observe``, the generation joins its trace.
        """
        if prompt is not None and prompt_name is None:
            prompt_name = prompt.name
            prompt_version = prompt.version
        # Plain statements, not a loop over pairs: this runs in the host's thread.
        record: dict[str, Any] = {"id": id or new_id()}
        if getattr(prompt, "experiment_id", None) is not None:  # served by an experiment
            record["experiment_id"] = prompt.experiment_id
            record["variant"] = prompt.variant
        if external_id is not None:
            record["external_id"] = external_id
        if trace_id is not None:
            record["trace_id"] = trace_id
        if parent_span_id is not None:
            record["parent_span_id"] = parent_span_id
        if prompt_name is not None:
            record["prompt_name"] = prompt_name
        if prompt_version is not None:
            record["prompt_version"] = prompt_version
        if prompt_label is not None:
            record["prompt_label"] = prompt_label
        if provider is not None:
            record["provider"] = provider
        if model is not None:
            record["model"] = model
        if input_tokens is not None:
            record["input_tokens"] = input_tokens
        if output_tokens is not None:
            record["output_tokens"] = output_tokens
        if cached_tokens is not None:
            record["cached_tokens"] = cached_tokens
        if reasoning_tokens is not None:
            record["reasoning_tokens"] = reasoning_tokens
        if input_cost is not None:
            record["input_cost"] = input_cost
        if output_cost is not None:
            record["output_cost"] = output_cost
        if currency is not None:
            record["currency"] = currency
        if latency_ms is not None:
            record["latency_ms"] = latency_ms
        if ttft_ms is not None:
            record["ttft_ms"] = ttft_ms
        if error is not None:
            record["error"] = error
        if user_id is not None:
            record["user_id"] = user_id
        if session_id is not None:
            record["session_id"] = session_id
        if feature is not None:
            record["feature"] = feature
        if agent is not None:
            record["agent"] = agent
        if environment is not None:
            record["environment"] = environment
        if input is not None:
            record["input"] = input
        if output is not None:
            record["output"] = output
        if tags:
            record["tags"] = list(tags)
        if metadata:
            record["metadata"] = dict(metadata)
        record["status"] = status
        record["start_time"] = start_time if start_time is not None else time.time()
        span = current_span.get()
        if span is not None:
            span.link(record)
        self._report_generation(record)
        return cast(str, record["id"])

    def feedback(
        self,
        kind: FeedbackKind,
        value: float | bool | None = None,
        *,
        generation_id: str | None = None,
        trace_id: str | None = None,
        session_id: str | None = None,
        scale: Literal["0-1", "1-5"] | None = None,
        comment: str | None = None,
        user_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue end-user feedback on a generation, a trace or a session.

        ``kind``: ``thumbs`` (``value`` True/1 up, False/0 down), ``score`` (``value`` on
        ``scale`` ``0-1`` or ``1-5``), ``nps`` (0..10) or ``comment`` (``comment`` alone).
        Raises ``ValueError`` at once for a call the server would refuse outright.
        """
        if kind not in _FEEDBACK_KINDS:
            raise ValueError(f"kind must be one of {', '.join(_FEEDBACK_KINDS)}, not {kind!r}")
        if generation_id is None and trace_id is None and session_id is None:
            raise ValueError("feedback needs a generation_id, a trace_id or a session_id")
        if kind == "comment" and not comment:
            raise ValueError("a comment feedback needs comment=")
        if kind != "comment" and value is None:
            raise ValueError(f"a {kind} feedback needs value=")
        item = clean(
            {
                "generation_id": generation_id,
                "trace_id": trace_id,
                "session_id": session_id,
                "kind": kind,
                "value": float(value) if value is not None else None,
                "scale": scale,
                "comment": comment,
                "user_id": user_id,
                "metadata": dict(metadata) if metadata else None,
            }
        )
        self.reporter.add("feedback", item)

    @overload
    def observe(self, fn: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def observe(
        self,
        name: str | None = None,
        /,
        *,
        prompt: Any = None,
        capture_output: bool = True,
        **fields: Any,
    ) -> Observation: ...

    def observe(
        self,
        name: Any = None,
        /,
        *,
        prompt: Any = None,
        capture_output: bool = True,
        **fields: Any,
    ) -> Any:
        """Time a block or every call of a function and record it as a span of its trace
        (a generation when it sets a model or token counts).

        As a decorator (``@client.observe`` or ``@client.observe("name", feature=...)``)
        on sync or async functions, or a context manager (``with client.observe("step")
        as span:``, also ``async with``). ``fields`` are generation fields (``model``,
        ``user_id``, ``feature``, ``tags``, ``metadata``, ...); ``prompt`` links a prompt
        object (else the first prompt compiled inside does). A function's ``str`` result
        becomes the output unless ``capture_output=False``. An exception is recorded
        (status ``error``, or ``cancelled``) and re-raised.
        """
        if callable(name):
            return Observation(self._report_observation, None, {}, True)(name)
        bad = set(fields) - _SPAN_FIELDS
        if bad:
            raise TypeError(f"observe() got unknown generation fields: {', '.join(sorted(bad))}")
        if prompt is not None:
            fields.setdefault("prompt_name", prompt.name)
            if prompt.version is not None:
                fields.setdefault("prompt_version", prompt.version)
            if getattr(prompt, "experiment_id", None) is not None:
                fields.setdefault("experiment_id", prompt.experiment_id)
                fields.setdefault("variant", prompt.variant)
        return Observation(self._report_observation, name, clean(fields), capture_output)


#: Generation fields ``observe`` accepts (and ``Span.update`` sets).
_SPAN_FIELDS = frozenset(
    {
        "id",
        "external_id",
        "trace_id",
        "prompt_name",
        "prompt_version",
        "prompt_label",
        "experiment_id",
        "variant",
        "provider",
        "model",
        "input_tokens",
        "output_tokens",
        "cached_tokens",
        "reasoning_tokens",
        "input_cost",
        "output_cost",
        "currency",
        "user_id",
        "session_id",
        "feature",
        "agent",
        "environment",
        "tags",
        "metadata",
        "input",
        "output",
    }
)
