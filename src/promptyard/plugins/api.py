"""What plugins see: plain objects, never ORM rows, sessions or the Core.

A plugin imports from here (and :mod:`promptyard.plugins.hookspecs` for ``hookimpl``);
everything else in Promptyard may change between releases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VersionView:
    """One immutable version of a prompt, as a gate sees it."""

    number: int
    type: str
    content: str | list[dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    #: Declared variables: ``{"name", "required", ...}`` each.
    variables: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class GateContext:
    """What a quality gate checks: the version a change request wants to publish.

    ``render(variables)`` renders that version (includes resolved as of now) with the
    server's sandbox and limits, and raises :class:`promptyard.domain.errors.DomainError`
    when it cannot.
    """

    prompt: str
    version: VersionView
    sample_variables: dict[str, Any]
    render: Callable[[dict[str, Any]], object]
    #: The project the change request belongs to.
    project_id: int | None = None
    #: This gate's settings from the project's policy (``gate_settings: {name: {...}}``),
    #: as its :class:`ConfiguredGate` ``configure`` returned them; empty for other gates.
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateResult:
    ok: bool
    message: str = ""


GateFn = Callable[[GateContext], GateResult]


@dataclass(frozen=True)
class ConfiguredGate:
    """A gate that needs settings: register it like any gate (``register(name,
    ConfiguredGate(check, configure))``). It runs only in projects whose policy gives its
    settings (``gate_settings: {name: {...}}``); ``configure(settings)`` checks them when
    the policy is set (raise ``ValueError`` saying what is wrong) and returns them
    normalised; ``check`` reads them in ``ctx.config``."""

    check: GateFn
    configure: Callable[[Mapping[str, Any]], dict[str, Any]]

    def __call__(self, ctx: GateContext) -> GateResult:
        return self.check(ctx)


# --- model providers --------------------------------------------------------------------
#
# A provider kind (``openai``, ``anthropic``, ``fake``, or one a plugin adds) turns a chat
# request into a model call. Promptyard owns everything around the call: the connection's
# encrypted key, the concurrency limit, timeouts, retries with backoff (a provider raises
# :class:`ProviderError` and never retries itself), cancellation, pricing and the
# generation record.


@dataclass(frozen=True)
class ProviderConnection:
    """A configured connection, as a provider sees it: the key is already decrypted."""

    name: str
    kind: str
    base_url: str | None = None
    api_key: str | None = None
    #: Kind-specific settings (Azure's ``api_version``, extra ``headers``, the fake
    #: provider's ``latency_ms`` / ``output`` / ``error_rate`` ...).
    options: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: float = 60.0
    #: At most this many calls in flight on this connection at once (``None``: no limit).
    max_concurrency: int | None = None
    #: The stored connection's id: with ``kind`` and ``base_url`` it keys the concurrency
    #: limiter and the provider's SDK client cache (``name`` is used when it is ``None``).
    id: str | None = None


@dataclass(frozen=True)
class ChatRequest:
    """One call. ``messages`` are ``{"role", "content"}`` (roles system, user,
    assistant, tool); ``tools`` and ``response_format`` use OpenAI's shapes and each
    provider translates them (or raises a caller :class:`ProviderError` when it cannot)."""

    model: str
    messages: list[dict[str, Any]]
    #: temperature, max_tokens, top_p, stop, seed, ... (unknown keys are passed on).
    params: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    response_format: dict[str, Any] | None = None


@dataclass(frozen=True)
class Usage:
    """Token counts as the provider reported them; ``None`` where it reported nothing.
    ``cached_tokens`` are part of ``input_tokens``, ``reasoning_tokens`` part of
    ``output_tokens``."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    #: The arguments as the model wrote them (a JSON text, not parsed).
    arguments: str


@dataclass(frozen=True)
class ChatResult:
    output: str
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    tool_calls: list[ToolCall] = field(default_factory=list)
    #: The model name the provider says answered (may differ from the one asked for).
    model: str | None = None


@dataclass(frozen=True)
class TextDelta:
    """A piece of output text, in order."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The last event of a stream: the whole result, usage included."""

    result: ChatResult


StreamEvent = TextDelta | Finished


class ProviderError(Exception):
    """A provider call failed. ``retryable`` (429, 5xx, connection errors, timeouts) lets
    the runtime retry with backoff, waiting at least ``retry_after`` seconds when the
    provider said so. ``caller_error`` marks the caller's own mistake (an unknown model,
    a bad parameter, a tool shape the provider refuses): it reaches the API caller as a
    4xx, everything else as ``502 provider_error`` carrying ``message``."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        caller_error: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.caller_error = caller_error


class Provider:
    """Base class of a provider kind. Subclasses set ``kind`` and ``label`` and implement
    :meth:`complete` and :meth:`stream`; :meth:`list_models` is optional."""

    kind: str = ""
    label: str = ""
    #: Whether a connection of this kind must carry an API key.
    needs_api_key: bool = True
    default_base_url: str | None = None

    async def list_models(self, connection: ProviderConnection) -> list[str] | None:
        """The models the provider offers, or ``None`` when it has no list to give."""
        return None

    async def complete(self, connection: ProviderConnection, request: ChatRequest) -> ChatResult:
        raise NotImplementedError

    def stream(
        self, connection: ProviderConnection, request: ChatRequest
    ) -> AsyncIterator[StreamEvent]:
        """Yield :class:`TextDelta` events, then exactly one :class:`Finished`."""
        raise NotImplementedError


# --- quality rules ----------------------------------------------------------------------
#
# A quality rule (``register_quality_rules``) reads a prompt's template source and reports
# hits; Promptyard locates each hit (message, line, column), scores the version and runs
# the rules on every scan. Rules are pure and fast: no I/O, no model calls. See
# docs/quality.md.

#: Severities from the least to the most serious.
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high")


@dataclass(frozen=True)
class PromptMessage:
    """One template source: a chat message (``role`` system, user, ...) or the whole text
    of a text prompt (``role`` ``"text"``, ``index`` 0)."""

    index: int
    role: str
    text: str


@dataclass(frozen=True)
class RuleContext:
    """What a rule reads: a version's template sources, model config and variables."""

    name: str
    type: str
    messages: tuple[PromptMessage, ...]
    config: dict[str, Any] = field(default_factory=dict)
    #: Names of the variables the templates read.
    variables: tuple[str, ...] = ()
    #: Token count of a text (exact where an offline tokenizer is installed, else an
    #: estimate of 4 characters a token; ``tokens_exact`` says which).
    count_tokens: Callable[[str], int] = lambda text: (len(text) + 3) // 4
    tokens_exact: bool = False


@dataclass(frozen=True)
class RuleHit:
    """One thing a rule found, at ``start``..``end`` (character offsets) of the message
    ``message`` (its index in :attr:`RuleContext.messages`).

    ``detail`` says what was found; it must never repeat a secret in full. ``severity``
    and ``suggestion``, when given, override the rule's own for this hit."""

    message: int = 0
    start: int = 0
    end: int = 0
    detail: str = ""
    severity: str | None = None
    suggestion: str | None = None


@dataclass(frozen=True)
class QualityRule:
    """A documented rule: ``id`` (kebab-case, unique), ``category`` (``quality`` or
    ``security``), default ``severity`` (one of :data:`SEVERITIES`), a one-line ``title``,
    the ``rationale``, a concrete ``suggestion``, the ``source`` it draws on, and
    ``check(ctx) -> Iterable[RuleHit]``."""

    id: str
    category: str
    severity: str
    title: str
    rationale: str
    suggestion: str
    source: str
    check: Callable[[RuleContext], Iterable[RuleHit]]


#: A generation-text redactor (``register_generation_redactors``): ``(field, text) -> text``
#: where ``field`` is ``"input"`` or ``"output"``.
Redactor = Callable[[str, str], str]


# --- evaluators -------------------------------------------------------------------------
#
# An evaluator (``register_evaluators``) scores one output: against the case's expected
# output, by a rule, or by asking a model (``EvaluationInput.call_model``). Promptyard
# validates its config (``config_model``, a pydantic model whose JSON schema the API
# lists), runs it in evaluation runs, online evaluation and ``POST /evaluators/test``,
# and stores what it returns as a score. See docs/evaluators.md.


@dataclass(frozen=True)
class ModelAnswer:
    """A model's answer to ``EvaluationInput.call_model``: the call is recorded as a
    generation of its own (``generation_id``) and its ``cost`` is what it was priced at."""

    output: str
    cost: float | None = None
    generation_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class EvaluationInput:
    """What an evaluator sees.

    ``generation`` holds ``input_tokens``, ``output_tokens``, ``cost`` and ``latency_ms``
    of the call that produced ``output`` (any may be missing). ``output_b`` is the other
    output of a pairwise comparison. ``call_model(model, messages, params=None)`` calls a
    model (``<connection>/<model>``) of the project and returns a :class:`ModelAnswer`;
    it is ``None`` where no project is known.
    """

    output: str
    expected: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    generation: dict[str, Any] | None = None
    output_b: str | None = None
    call_model: Callable[..., ModelAnswer] | None = None
    #: Where randomness comes from (pairwise order): seeded in tests.
    seed: int | None = None


@dataclass(frozen=True)
class EvaluatorResult:
    """A score: ``value`` (a number, most in 0..1), ``passed`` (a verdict), a ``reason``
    a person can read, the ``cost`` of any model call made, and ``details``."""

    value: float | None = None
    passed: bool | None = None
    reason: str | None = None
    cost: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Evaluator:
    """Base class of an evaluator kind. Subclasses set ``kind`` (snake_case, unique),
    ``label``, ``description`` and ``config_model`` (a pydantic model; ``None``: no
    config), and implement :meth:`evaluate`. ``requires`` names what a call must supply
    (``"expected"``, ``"output_b"``, ``"model"``); ``source`` is ``"evaluator"`` or
    ``"judge"`` (a model decides)."""

    kind: str = ""
    label: str = ""
    description: str = ""
    config_model: Any = None
    requires: tuple[str, ...] = ()
    source: str = "evaluator"

    def unavailable(self) -> str | None:
        """Why the evaluator cannot run here (a missing package or model), or ``None``."""
        return None

    def evaluate(self, config: Any, data: EvaluationInput) -> EvaluatorResult:
        raise NotImplementedError
