"""The prompt template engine: Jinja2 in a sandbox with hard limits.

Prompt text is a Jinja2 template rendered as plain text (no HTML autoescaping,
trailing newline kept, line endings normalized to ``\n`` as Jinja does).
Templates are written by users, so the engine treats
them as untrusted code: it renders them in Jinja's immutable sandbox and bounds
the time, memory and output every render can use. Any failure a template can
cause surfaces as a :class:`~promptyard.domain.errors.DomainError`, never as
another exception.

Composition
-----------
A template can pull in other prompts by reference::

    {% include "prompt:tone@production" %}        the version labelled "production"
    {% include "prompt:tone@v3" %}                version 3
    {% extends "prompt:base@v2" %}
    {% import "prompt:macros@stable" as m %}
    {% from "prompt:macros@v1" import greet %}

A reference is ``prompt:NAME@LABEL`` or ``prompt:NAME@vN`` (N >= 1). NAME
matches ``[A-Za-z0-9][A-Za-z0-9._-]{0,127}``, LABEL matches
``[a-z0-9][a-z0-9._-]{0,63}``; a label spelled like ``v7`` always means version
7. References must be pinned (a bare ``prompt:NAME`` is refused) and must be
string literals, so every reference is known before rendering: cycles and
nesting deeper than ``max_include_depth`` are refused up front.
``{% include "prompt:x@v1" ignore missing %}`` renders nothing when that prompt
version does not exist.

Variables
---------
:meth:`TemplateEngine.analyze` lists the variables a template reads. A variable
is optional when it is only used through ``|default(...)`` or is tested with
``is defined`` / ``is undefined`` anywhere; otherwise it is required, and
rendering without it fails with ``MissingVariables`` naming every missing one.
For composed prompts the variables of all referenced prompts are included;
names a referencing prompt binds itself (loop variables, ``set``) count as
optional there.

Limits (:class:`TemplateLimits`, per render unless stated)
---------------------------------------------------------
``max_source_chars`` (100,000)
    Length of one template's source.
``max_output_chars`` (200,000)
    Length of the rendered text; rendering stops as soon as it is exceeded.
``max_range`` (10,000)
    Largest ``range()``.
``max_loop_iterations`` (100,000)
    Iterations of all ``{% for %}`` loops together, nested loops included.
``max_sequence_size`` (100,000)
    Size of a string or list built by an operation that can make something
    larger than its inputs: ``*``, ``+``, ``%``, ``~``, list and dict literals,
    ``center``/``ljust``/``rjust``/``zfill``/``expandtabs``/``replace``/
    ``join``/``translate``/``format``, and the filters ``center``, ``indent``,
    ``wordwrap``, ``format``, ``join``, ``replace``, ``batch``, ``slice``,
    ``sum``. Results no larger than the distinct data they were built from are
    always allowed, so a large variable can still be passed through filters.
``max_power`` (10,000)
    Integers made by ``**`` and ``*`` may have at most this many digits, and an
    exponent above it is refused.
``max_include_depth`` (8)
    Length of a chain of prompt references.
``max_seconds`` (1.0)
    Wall-clock time of one render, checked cooperatively (at every loop
    iteration step, call, filter, operator and output piece).
``max_total_size`` (10,000,000)
    Sum of the sizes of all values built during one render (output pieces,
    filter and method results, concatenations, literals). This bounds memory
    when small pieces are multiplied by loops, ``map`` or macros. Every
    intermediate string counts, so building a long text with
    ``{% set ns.text = ns.text ~ piece %}`` in a loop reaches it quickly; capture
    with ``{% set text %}...{% endset %}`` or use ``|join`` instead.

Exceeding a limit raises ``TemplateLimitExceeded`` with
``details={"limit": name, "value": configured value}``; deep macro recursion
raises it with limit ``"recursion"``.

Sandbox
-------
Attributes starting with ``_``, mutation of lists and dicts, attributes of
classes and functions, and calls to classes other than ``dict``/``namespace``
raise ``TemplateSecurityViolation`` immediately. ``cycler``, ``joiner`` and
``lipsum`` are not available. Functions, classes and other objects without a
data representation cannot be turned into text.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import sys
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

from jinja2 import (
    BaseLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateRuntimeError,
    TemplateSyntaxError,
    UndefinedError,
    filters,
    meta,
    nodes,
    pass_environment,
    pass_eval_context,
)
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser
from jinja2.runtime import LoopContext, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import Namespace
from markupsafe import EscapeFormatter, Markup

from promptyard.domain.errors import (
    BadReference,
    DomainError,
    MissingVariables,
    NotFound,
    ReferenceCycle,
    TemplateLimitExceeded,
    TemplateRenderProblem,
    TemplateSecurityViolation,
    TemplateSyntaxProblem,
)

__all__ = [
    "PromptRef",
    "Resolver",
    "TemplateEngine",
    "TemplateInfo",
    "TemplateLimits",
    "VariableInfo",
    "parse_reference",
]

# --------------------------------------------------------------------------- references

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LABEL_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_VERSIONISH_RE = re.compile(r"v[0-9]+")
_VERSION_RE = re.compile(r"v([1-9][0-9]{0,9})")
_PREFIX = "prompt:"


@dataclass(frozen=True)
class PromptRef:
    """A pinned reference to one prompt version, by label or by number."""

    name: str
    label: str | None
    version: int | None

    def __post_init__(self) -> None:
        if (self.label is None) == (self.version is None):
            raise BadReference("a prompt reference needs exactly one of a label or a version")
        if not isinstance(self.name, str) or not _NAME_RE.fullmatch(self.name):
            raise BadReference(f"invalid prompt name {_short(self.name)}")
        if self.label is not None and (
            not isinstance(self.label, str)
            or not _LABEL_RE.fullmatch(self.label)
            or _VERSIONISH_RE.fullmatch(self.label)
        ):
            raise BadReference(f"invalid label {_short(self.label)}")
        if self.version is not None and (
            isinstance(self.version, bool)
            or not isinstance(self.version, int)
            or not 1 <= self.version < 10**10
        ):
            raise BadReference(f"invalid version {_short(self.version)}")

    def __str__(self) -> str:
        pin = self.label if self.label is not None else f"v{self.version}"
        return f"{_PREFIX}{self.name}@{pin}"


def parse_reference(text: str) -> PromptRef:
    """Parse ``prompt:NAME@LABEL`` or ``prompt:NAME@vN``; raise ``BadReference`` otherwise."""
    details = {"reference": text if isinstance(text, str) else repr(text)}
    if not isinstance(text, str) or not text.startswith(_PREFIX):
        raise BadReference(
            f"only prompt: references can be included, got {_short(text)}", details=details
        )
    name, sep, pin = text[len(_PREFIX) :].partition("@")
    if not _NAME_RE.fullmatch(name):
        raise BadReference(f"invalid prompt name in reference {_short(text)}", details=details)
    if not sep:
        raise BadReference(
            f"reference {_short(text)} is not pinned: add @label or @vN, "
            f"e.g. {text}@production or {text}@v1",
            details=details,
        )
    if _VERSIONISH_RE.fullmatch(pin):
        match = _VERSION_RE.fullmatch(pin)
        if match is None:
            raise BadReference(
                f"invalid version in reference {_short(text)}: versions are v1, v2, ...",
                details=details,
            )
        return PromptRef(name=name, label=None, version=int(match.group(1)))
    if not _LABEL_RE.fullmatch(pin):
        raise BadReference(
            f"invalid label in reference {_short(text)}: labels match [a-z0-9][a-z0-9._-]*",
            details=details,
        )
    return PromptRef(name=name, label=pin, version=None)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class VariableInfo:
    name: str
    required: bool


@dataclass(frozen=True)
class TemplateInfo:
    variables: tuple[VariableInfo, ...]
    references: tuple[PromptRef, ...]


@dataclass(frozen=True)
class TemplateLimits:
    """Bounds on one template and one render; see the module docstring."""

    max_source_chars: int = 100_000
    max_output_chars: int = 200_000
    max_range: int = 10_000
    max_loop_iterations: int = 100_000
    max_sequence_size: int = 100_000
    max_power: int = 10_000
    max_include_depth: int = 8
    max_seconds: float = 1.0
    max_total_size: int = 10_000_000


Resolver = Callable[[PromptRef], str]

# --------------------------------------------------------------------------- render state

_LIMIT_MESSAGES = {
    "max_source_chars": "the template is longer than {} characters",
    "max_output_chars": "the rendered text is longer than {} characters",
    "max_range": "range() is limited to {} items",
    "max_loop_iterations": "loops ran more than {} iterations in total",
    "max_sequence_size": "a string or list would grow beyond {} items",
    "max_power": "a number would have more than {} digits",
    "max_include_depth": "prompt references nest deeper than {} levels",
    "max_seconds": "rendering took longer than {} seconds",
    "max_total_size": "the template built more than {} characters of values in total",
}


def _limit_error(limits: TemplateLimits, name: str, extra: str = "") -> TemplateLimitExceeded:
    value = getattr(limits, name)
    message = _LIMIT_MESSAGES[name].format(value) + extra
    return TemplateLimitExceeded(message, details={"limit": name, "value": value})


class _NotRendering(RuntimeError):
    """Raised by guards outside a render, which stops Jinja folding them at compile time."""


class _RenderState:
    """Budgets of one render; lives in a ContextVar so concurrent renders are independent."""

    __slots__ = (
        "deadline",
        "iterations",
        "limits",
        "max_total",
        "names",
        "sources",
        "ticks",
        "total",
    )

    def __init__(self, limits: TemplateLimits, sources: Mapping[str, str]) -> None:
        self.limits = limits
        self.max_total = limits.max_total_size
        self.sources = sources
        self.names: dict[int, str] = {}
        self.deadline = time.monotonic() + limits.max_seconds
        self.iterations = 0
        self.total = 0
        self.ticks = 0

    def fail(self, name: str, extra: str = "") -> NoReturn:
        raise _limit_error(self.limits, name, extra)

    def tick(self) -> None:
        self.ticks += 1
        if not self.ticks & 15 and time.monotonic() > self.deadline:
            self.fail("max_seconds")

    def charge(self, size: int) -> None:
        """Count ``size`` towards max_total_size; also a tick (this is the hot path)."""
        self.total += size if size > 0 else 1
        if self.total > self.max_total:
            self.fail("max_total_size")
        self.ticks += 1
        if not self.ticks & 15 and time.monotonic() > self.deadline:
            self.fail("max_seconds")

    def iterate(self, count: int) -> None:
        self.iterations += count
        if self.iterations > self.limits.max_loop_iterations:
            self.fail("max_loop_iterations")
        if time.monotonic() > self.deadline:
            self.fail("max_seconds")

    def grow(self, size: int, built_from: int) -> None:
        """Refuse a result above max_sequence_size that is larger than what it came from."""
        if size > self.limits.max_sequence_size and size > built_from:
            self.fail("max_sequence_size")

    def digits(self, digits: float) -> None:
        if digits > self.limits.max_power:
            self.fail("max_power")


_STATE: ContextVar[_RenderState | None] = ContextVar("promptyard_render_state", default=None)


def _state() -> _RenderState:
    state = _STATE.get()
    if state is None:
        raise _NotRendering("template guards only run during a render")
    return state


# --------------------------------------------------------------------------- value inspection

_PLAIN = (str, int, float, bool, type(None))
_DICT_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_OPAQUE = (
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.ModuleType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    functools.partial,
)


def _children(obj: Any) -> list[Any] | None:
    """Objects a container refers to (existing objects only), or None for a leaf."""
    if isinstance(obj, (str, bytes)):
        return None
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, _DICT_VIEWS):
        mapping = getattr(obj, "mapping", {})
        return [*mapping.keys(), *mapping.values()]
    if isinstance(obj, Namespace):
        return [getattr(obj, "_Namespace__attrs", {})]
    return None


def _leaf_size(obj: Any) -> int:
    if isinstance(obj, (str, bytes)):
        return len(obj) or 1
    if isinstance(obj, int):
        return obj.bit_length() // 3 + 1
    return 1


def _weigh(state: _RenderState, *roots: Any) -> tuple[int, int]:
    """(size counting every reference, size counting each object once) of ``roots``.

    The first is what printing or comparing costs, the second what memory holds;
    a large gap means the value repeats references to make something huge.
    """
    memo: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[Any, list[Any] | None]] = [(root, None) for root in roots]
    steps = 0
    while stack:
        obj, kids = stack.pop()
        if kids is not None:
            memo[id(obj)] = 1 + sum(memo[id(kid)] for kid in kids)
            continue
        key = id(obj)
        if key in memo:
            continue
        steps += 1
        if not steps & 1023:
            state.tick()
        kids = _children(obj)
        if kids is None:
            memo[key] = size = _leaf_size(obj)
            distinct += size
            continue
        memo[key] = 1  # a value containing itself counts once
        distinct += 1
        stack.append((obj, kids))
        stack.extend((kid, None) for kid in kids)
    return sum(memo[id(root)] for root in roots), distinct


def _check_built(state: _RenderState, value: Any) -> None:
    tree, distinct = _weigh(state, value)
    state.grow(tree, distinct)


def _opaque(obj: Any) -> bool:
    cls = type(obj)
    return isinstance(obj, _OPAQUE) or (
        cls.__repr__ is object.__repr__ and cls.__str__ is object.__str__
    )


def _check_text(value: Any) -> None:
    """Refuse to turn functions, classes and other non-data objects into text."""
    if type(value) in _PLAIN:
        return
    seen: set[int] = set()
    stack = [value]
    while stack:
        obj = stack.pop()
        if type(obj) in _PLAIN or id(obj) in seen:
            continue
        seen.add(id(obj))
        kids = _children(obj)
        if kids is not None:
            stack.extend(kids)
        elif _opaque(obj):
            kind = "class" if isinstance(obj, type) else type(obj).__name__
            raise TemplateRenderProblem(f"cannot render a value of type {kind!r} as text")


def _text_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


# --------------------------------------------------------------------------- size estimates


def _read_number(
    text: str, j: int, positional: tuple[Any, ...], index: int, limit: int
) -> tuple[int, int, int]:
    """A printf width or precision at ``text[j]``: (value, next j, next positional index)."""
    if j < len(text) and text[j] == "*":
        value = positional[index] if index < len(positional) else 0
        return (abs(value) if isinstance(value, int) else 0), j + 1, index + 1
    start = j
    while j < len(text) and text[j].isdigit():
        j += 1
    digits = text[start:j]
    if len(digits) > 11:
        return limit + 1, j, index
    return (int(digits) if digits else 0), j, index


def _check_printf(state: _RenderState, fmt: str | bytes, args: Any) -> None:
    """Bound ``fmt % args`` before Python allocates it (widths, precisions, repeats)."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    positional = args if isinstance(args, tuple) else (args,)
    mapping = args if isinstance(args, Mapping) else None
    limit = state.limits.max_sequence_size
    estimate = built_from = len(text)
    seen: set[int] = set()
    index = 0
    at = text.find("%")
    while at != -1:
        j = at + 1
        key = None
        if j < len(text) and text[j] == "(":
            depth, k = 1, j + 1
            while k < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[k], 0)
                k += 1
            key, j = text[j + 1 : k - 1], k
        while j < len(text) and text[j] in "-+ #0":
            j += 1
        width, j, index = _read_number(text, j, positional, index, limit)
        precision = 0
        if j < len(text) and text[j] == ".":
            precision, j, index = _read_number(text, j + 1, positional, index, limit)
        if width > limit or precision > limit:
            state.fail("max_sequence_size")
        if j < len(text) and text[j] in "hlL":
            j += 1
        conversion = text[j : j + 1]
        if conversion == "%":
            estimate += 1 + width
        elif conversion:
            arg: Any = None
            if key is not None:
                arg = mapping.get(key) if mapping is not None else None
            elif index < len(positional):
                arg = positional[index]
                index += 1
            size = _conversion_size(conversion, arg)
            if id(arg) not in seen:
                seen.add(id(arg))
                built_from += size
            estimate += size + width + precision
        at = text.find("%", j + 1)
    state.grow(estimate, built_from)


def _conversion_size(conversion: str, arg: Any) -> int:
    if conversion in "sra":
        _check_text(arg)
        text = str(arg) if conversion == "s" else repr(arg) if conversion == "r" else ascii(arg)
        return len(text)
    if conversion == "c":
        return 1
    if isinstance(arg, int):
        return arg.bit_length() // 3 + 3
    return 330  # the longest float written out with %f


_SPEC_NUMBER_RE = re.compile(r"[0-9]+")


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` for templates: bounded widths, bounded repeats, no opaque objects."""

    _total = 0
    _built_from = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = 0
        values = [*args, *kwargs.values()]
        self._built_from = len(format_string) + sum(len(v) for v in values if isinstance(v, str))
        return super().vformat(format_string, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        _check_text(value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        state = _state()
        limit = state.limits.max_sequence_size
        for number in _SPEC_NUMBER_RE.findall(format_spec):
            if len(number) > 11 or int(number) > limit:
                state.fail("max_sequence_size")
        _check_text(value)
        text = super().format_field(value, format_spec)
        self._total += len(text)
        state.grow(self._total, self._built_from)
        return text


class _BoundedEscapeFormatter(_BoundedFormatter, EscapeFormatter):
    pass


def _check_str_method(
    state: _RenderState, owner: Any, name: str, args: tuple[Any, ...]
) -> tuple[Any, ...]:
    """Bound str/bytes methods that can build large results; may materialize ``args``."""
    size = len(owner)
    kind = type(owner) if type(owner) in (str, bytes) else str if isinstance(owner, str) else bytes
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        state.grow(args[0], size)
    elif name == "expandtabs":
        tab = args[0] if args and isinstance(args[0], int) else 8
        tabs = owner.count(kind("\t") if kind is str else b"\t")
        state.grow(size + tabs * max(tab, 0), size)
    elif name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, kind) and isinstance(new, kind):
            count = owner.count(old) if old else size + 1
            if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                count = min(count, args[2])
            state.grow(size + count * (len(new) - len(old)), size + len(new))
    elif name == "join" and args:
        items = args[0] if isinstance(args[0], (list, tuple)) else list(args[0])
        texts = [item for item in items if isinstance(item, (str, bytes))]
        distinct = {id(item): len(item) for item in texts}
        total = sum(map(len, texts)) + size * max(len(items) - 1, 0)
        state.grow(total, sum(distinct.values()) + size)
        return (items, *args[1:])
    elif name == "translate" and args and isinstance(owner, str):
        table = args[0]
        values = table.values() if isinstance(table, Mapping) else table
        if not isinstance(values, Iterable):
            raise TemplateRenderProblem("str.translate() needs a dict or list table")
        widest = max((len(v) for v in values if isinstance(v, str)), default=1)
        state.grow(size * max(widest, 1), size + widest)
    return args


# --------------------------------------------------------------------------- guards


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` output passes here: refuse opaque objects, charge the text."""
    state = _state()  # outside a render (constant folding) this refuses, so nothing is folded
    if type(value) is not str:
        _check_text(value)
        value = str(value)
    state.charge(len(value))
    return value


def _guard_loop(iterable: Any) -> Any:
    """Wraps every ``{% for %}`` iterable: counts iterations and checks the deadline."""
    state = _state()
    try:
        count = len(iterable)
    except TypeError:
        return _counted(iterable, state)
    state.iterate(count)
    return iterable if count <= 64 else _Sized(iterable, count, state)


def _counted(iterable: Iterable[Any], state: _RenderState) -> Iterator[Any]:
    pending = 0
    for item in iterable:
        pending += 1
        if pending == 64:
            state.iterate(pending)
            pending = 0
        yield item
    state.iterate(pending)


class _Sized:
    """A sized iterable whose iterations were counted up front; checks the deadline."""

    __slots__ = ("_count", "_iterable", "_state")

    def __init__(self, iterable: Any, count: int, state: _RenderState) -> None:
        self._iterable, self._count, self._state = iterable, count, state

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        state = self._state
        for index, item in enumerate(self._iterable):
            if not index & 63:
                state.iterate(0)
            yield item


@pass_eval_context
def _guard_concat(eval_ctx: nodes.EvalContext, *items: Any) -> str:
    """Replaces ``a ~ b``."""
    state = _state()
    for item in items:
        _check_text(item)
    distinct = {id(item): _text_len(item) for item in items}
    state.grow(sum(_text_len(item) for item in items), sum(distinct.values()))
    result = markup_join(items) if eval_ctx.autoescape else "".join(map(str, items))
    state.charge(len(result))
    return result


def _guard_literal(value: Any) -> Any:
    """Wraps list, tuple and dict literals that contain non-constant items."""
    state = _state()
    _check_built(state, value)
    state.charge(len(value))
    return value


def _guard_charge(size: int) -> str:
    """Charges the constant text of one output statement."""
    _state().charge(size)
    return ""


def _bounded_range(*args: Any) -> range:
    state = _state()
    state.tick()
    numbers = range(*args)
    try:
        too_big = len(numbers) > state.limits.max_range
    except OverflowError:
        too_big = True
    if too_big:
        state.fail("max_range")
    return numbers


def _account(state: _RenderState, result: Any) -> None:
    if isinstance(result, (str, bytes)):
        state.charge(len(result))
    elif isinstance(result, (list, tuple, dict, set, frozenset)):
        _check_built(state, result)
        state.charge(len(result))
    elif isinstance(result, Namespace):
        _check_built(state, result)
        state.charge(1)
    else:
        state.charge(1)


# --------------------------------------------------------------------------- filters

_TEXT_FILTERS = frozenset(
    {
        "capitalize", "center", "e", "escape", "forceescape", "format", "indent", "join",
        "lower", "pprint", "replace", "safe", "string", "striptags", "title", "trim",
        "truncate", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr",
    }
)  # fmt: skip


def _guarded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a filter: deadline, no opaque objects as text, result charged."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    text = name in _TEXT_FILTERS

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        state = _state()
        state.tick()
        if text and len(args) > skip:
            _check_text(args[skip])
        result = func(*args, **kwargs)
        if isinstance(result, (str, bytes, list, tuple, dict)):
            state.charge(len(result))
        else:
            state.charge(1)
        return result

    return guarded


def _width(value: Any) -> int:
    return len(value) if isinstance(value, str) else value if isinstance(value, int) else 0


def _f_center(value: Any, width: int = 80) -> str:
    _state().grow(_width(width), len(str(value)))
    return filters.do_center(value, width)


def _f_indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = str(s)
    lines = text.count("\n") + 1
    _state().grow(len(text) + lines * _width(width), len(text) + _width(width))
    return filters.do_indent(text, width, first, blank)


def _f_format(value: Any, *args: Any, **kwargs: Any) -> str:
    _check_printf(_state(), str(value), kwargs or args)
    return filters.do_format(value, *args, **kwargs)


@pass_eval_context
def _f_replace(
    eval_ctx: nodes.EvalContext, s: Any, old: Any, new: Any, count: int | None = None
) -> str:
    text, old_s, new_s = str(s), str(old), str(new)
    occurrences = text.count(old_s) if old_s else len(text) + 1
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    grown = len(text) + occurrences * (len(new_s) - len(old_s))
    _state().grow(grown, len(text) + len(new_s))
    return filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _f_join(eval_ctx: nodes.EvalContext, value: Any, d: Any = "", attribute: Any = None) -> str:
    state = _state()
    if attribute is not None:
        value = map(filters.make_attrgetter(eval_ctx.environment, attribute), value)
    items = list(value)
    _check_text(items)
    separator = len(str(d))
    lengths: dict[int, int] = {}
    total = 0
    for item in items:
        size = lengths[id(item)] = _text_len(item)
        total += size + separator
        state.grow(total, sum(lengths.values()) + separator)
    return filters.sync_do_join(eval_ctx, items, d)


@pass_environment
def _f_wordwrap(
    environment: Environment,
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    import textwrap

    state = _state()
    text = str(s)
    joiner = environment.newline_sequence if wrapstring is None else str(wrapstring)
    paragraphs: list[list[str]] = []
    total = 0
    for paragraph in text.splitlines():
        state.tick()
        lines = textwrap.wrap(
            paragraph,
            width=width,
            expand_tabs=False,
            replace_whitespace=False,
            break_long_words=break_long_words,
            break_on_hyphens=break_on_hyphens,
        )
        total += sum(map(len, lines)) + len(joiner) * max(len(lines), 1)
        state.grow(total, len(text) + len(joiner))
        paragraphs.append(lines)
    return joiner.join(joiner.join(lines) for lines in paragraphs)


def _f_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    if fill_with is not None and isinstance(linecount, int):
        state = _state()
        state.grow(linecount * _weigh(state, fill_with)[0], 0)
    return filters.do_batch(value, linecount, fill_with)


def _f_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    if isinstance(slices, int):
        state = _state()
        state.grow(slices * (1 if fill_with is None else _weigh(state, fill_with)[0]), 0)
    return filters.sync_do_slice(value, slices, fill_with)


@pass_environment
def _f_sum(environment: Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if attribute is not None:
        iterable = map(filters.make_attrgetter(environment, attribute), iterable)
    if not isinstance(start, (list, tuple)):
        return sum(iterable, start)
    # sum() copies the growing list for every item; build it once, bounded
    state = _state()
    result = list(start)
    for item in iterable:
        if not isinstance(item, type(start)):
            raise TypeError(f"can only concatenate {type(start).__name__} to sum(start=...)")
        result.extend(item)
        state.grow(len(result), 0)
    _check_built(state, result)
    return type(start)(result)


@pass_eval_context
def _f_tojson(eval_ctx: nodes.EvalContext, value: Any, indent: int | None = None) -> Markup:
    if _width(indent) > 16:
        raise TemplateRenderProblem("tojson indent is limited to 16")
    return filters.do_tojson(eval_ctx, value, indent)


_FILTER_OVERRIDES: dict[str, Callable[..., Any]] = {
    "center": _f_center,
    "indent": _f_indent,
    "format": _f_format,
    "replace": _f_replace,
    "join": _f_join,
    "wordwrap": _f_wordwrap,
    "batch": _f_batch,
    "slice": _f_slice,
    "sum": _f_sum,
    "tojson": _f_tojson,
}

_G_LOOP = "__py_guard_iter"
_G_CONCAT = "__py_guard_concat"
_G_LITERAL = "__py_guard_literal"
_G_CHARGE = "__py_guard_charge"

# --------------------------------------------------------------------------- AST hardening


def _is_constant(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Const):
        return True
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return all(_is_constant(item) for item in node.items)
    if isinstance(node, nodes.Dict):
        return all(_is_constant(p.key) and _is_constant(p.value) for p in node.items)
    return False


def _guard_node(
    env: Environment, node: nodes.Node, name: str, args: list[nodes.Expr] | None = None
) -> nodes.Filter:
    guard = nodes.Filter(node, name, args or [], [], None, None, lineno=node.lineno)
    guard.environment = env
    return guard


def _harden(node: nodes.Node, env: Environment) -> nodes.Node:
    """Route loops, concatenation, literals and template text through the guards."""
    for field, value in node.iter_fields():
        if isinstance(value, nodes.Node):
            setattr(node, field, _harden(value, env))
        elif isinstance(value, list):
            hardened: list[Any] = []
            for item in value:
                if isinstance(item, nodes.Node):
                    item = _harden(item, env)
                    if isinstance(item, nodes.Output):
                        size = sum(
                            len(child.data)
                            for child in item.nodes
                            if isinstance(child, nodes.TemplateData)
                        )
                        if size:
                            charge = _guard_node(
                                env, nodes.Const(size, lineno=item.lineno), _G_CHARGE
                            )
                            hardened.append(nodes.ExprStmt(charge, lineno=item.lineno))
                hardened.append(item)
            setattr(node, field, hardened)
    if isinstance(node, nodes.For):
        node.iter = _guard_node(env, node.iter, _G_LOOP)
    elif isinstance(node, nodes.Concat):
        return _guard_node(env, node.nodes[0], _G_CONCAT, node.nodes[1:])
    elif (
        isinstance(node, (nodes.List, nodes.Dict))
        or (isinstance(node, nodes.Tuple) and node.ctx == "load")
    ) and not _is_constant(node):
        return _guard_node(env, node, _G_LITERAL)
    return node


# --------------------------------------------------------------------------- environment


class _SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, loader: BaseLoader) -> None:
        super().__init__(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_finalize,
            cache_size=0,
            auto_reload=False,
        )
        for name in ("cycler", "joiner", "lipsum"):
            self.globals.pop(name, None)
        self.globals["range"] = _bounded_range
        self.filters = {
            name: _guarded_filter(name, _FILTER_OVERRIDES.get(name, func))
            for name, func in self.filters.items()
        }
        self.filters.update(
            {
                _G_LOOP: _guard_loop,
                _G_CONCAT: _guard_concat,
                _G_LITERAL: _guard_literal,
                _G_CHARGE: _guard_charge,
            }
        )

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _harden(tree, self)
        return tree

    def _filter_test_common(
        self,
        name: Any,
        value: Any,
        args: Any,
        kwargs: Any,
        context: Any,
        eval_ctx: Any,
        is_filter: bool,
    ) -> Any:
        # filters named at run time (map, select, ...) must not reach the internal guards
        if isinstance(name, str) and name.startswith("__"):
            kind = "filter" if is_filter else "test"
            raise TemplateRuntimeError(f"No {kind} named {name!r}.")
        return super()._filter_test_common(name, value, args, kwargs, context, eval_ctx, is_filter)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _OPAQUE):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, type) and obj not in (dict, Namespace):
            return False
        return super().is_safe_callable(obj)

    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or (
            value.__name__ not in ("format", "format_map")
        ):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        owner_type = type(owner)
        is_map = value.__name__ == "format_map"
        formatter: _BoundedFormatter
        if isinstance(owner, Markup):
            formatter = _BoundedEscapeFormatter(self, escape=owner.escape)
        else:
            formatter = _BoundedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            state = _state()
            state.tick()
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one positional argument")
                kwargs, args = args[0], ()
            result = owner_type(formatter.vformat(owner, args, kwargs))
            state.charge(len(result))
            return result

        return functools.update_wrapper(wrapper, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        state = _state()
        state.tick()
        if operator == "*":
            _check_multiply(state, left, right)
        elif operator == "**":
            _check_power(state, left, right)
        elif operator == "+":
            _check_add(state, left, right)
        elif isinstance(left, (str, bytes)):  # "%"
            _check_printf(state, left, right)
        result = self.binop_table[operator](left, right)
        if isinstance(result, (str, bytes, list, tuple)):
            state.charge(len(result))
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        state = _state()
        state.tick()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"calling a {type(__obj).__name__!r} object is not allowed")
        if isinstance(__obj, LoopContext):
            if args:
                args = (_guard_loop(args[0]), *args[1:])
        else:
            owner = getattr(__obj, "__self__", None)
            name = getattr(__obj, "__name__", "")
            if isinstance(owner, (str, bytes)):
                args = _check_str_method(state, owner, name, args)
            elif isinstance(owner, int) and name == "to_bytes":
                length = args[0] if args else kwargs.get("length", 1)
                state.grow(length if isinstance(length, int) else 0, 0)
        result = __context.call(__obj, *args, **kwargs)
        _account(state, result)
        return result


def _check_multiply(state: _RenderState, left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, (str, bytes, list, tuple)):
        left, right = right, left
    if isinstance(left, (str, bytes)) and isinstance(right, int) and right > 1:
        state.grow(len(left) * right, len(left))
    elif isinstance(left, (list, tuple)) and isinstance(right, int) and right > 1:
        tree, distinct = _weigh(state, left)
        state.grow(tree * right, distinct)
    elif isinstance(left, int) and isinstance(right, int):
        state.digits((left.bit_length() + right.bit_length()) * math.log10(2))


def _check_power(state: _RenderState, base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent > state.limits.max_power:
            state.fail("max_power")
        state.digits(exponent * math.log10(abs(base)))


def _check_add(state: _RenderState, left: Any, right: Any) -> None:
    if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
        state.grow(len(left) + len(right), len(left) + (0 if right is left else len(right)))
    elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        tree, distinct = _weigh(state, left, right)
        state.grow(tree, distinct)


class _PromptLoader(BaseLoader):
    """Serves the prompt versions collected for the current render (never the resolver)."""

    def __init__(self, compile_source: Callable[[str, str], Template]) -> None:
        self._compile = compile_source

    def load(self, environment: Environment, name: str, globals: Any = None) -> Template:
        state = _STATE.get()
        if not isinstance(name, str) or not name.startswith(_PREFIX):
            raise BadReference(f"only prompt: references can be included, got {_short(name)}")
        key = str(parse_reference(name))
        source = state.sources.get(key) if state is not None else None
        if source is None:
            raise TemplateNotFound(name)
        template = self._compile(source, key)
        if state is not None:
            state.names[id(template)] = key
        return template


# --------------------------------------------------------------------------- analysis

_RESERVED = frozenset({"loop", "self", "super", "caller", "varargs", "kwargs"})
_REFERENCE_NODES = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)
_GUARD_TESTS = frozenset({"defined", "undefined"})
_DEFAULT_FILTERS = frozenset({"default", "d"})


@dataclass(frozen=True)
class _Entry:
    """Cached analysis and compiled form of one source text."""

    info: TemplateInfo
    required: tuple[str, ...]
    bound: frozenset[str]
    optional_refs: frozenset[str]
    template: Template


def _scan_uses(tree: nodes.Template, names: frozenset[str]) -> tuple[set[str], set[str]]:
    """Names used unguarded, and names tested with ``is defined``/``is undefined``."""
    unguarded: set[str] = set()
    tested: set[str] = set()

    def names_in(targets: Iterable[nodes.Node]) -> set[str]:
        found: set[str] = set()
        for target in targets:
            if isinstance(target, nodes.Name):
                found.add(target.name)
            found.update(n.name for n in target.find_all(nodes.Name))
        return found

    def visit(node: nodes.Node, shadowed: frozenset[str]) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name in names and node.name not in shadowed:
                unguarded.add(node.name)
            return
        guarded = isinstance(node, nodes.Filter | nodes.Test) and isinstance(node.node, nodes.Name)
        if guarded and isinstance(node, nodes.Filter) and node.name in _DEFAULT_FILTERS:
            for child in (*node.args, *node.kwargs):
                visit(child, shadowed)
            return
        if guarded and isinstance(node, nodes.Test) and node.name in _GUARD_TESTS:
            tested.add(getattr(node.node, "name", ""))
            return
        inner = shadowed
        if isinstance(node, nodes.For):
            visit(node.iter, shadowed)
            inner = shadowed | names_in([node.target])
            for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
                visit(child, inner)
            return
        if isinstance(node, nodes.Macro):
            inner = shadowed | names_in(node.args) | {"varargs", "kwargs", "caller"}
            for child in node.defaults:
                visit(child, shadowed)
            for child in node.body:
                visit(child, inner)
            return
        if isinstance(node, nodes.CallBlock):
            visit(node.call, shadowed)
            inner = shadowed | names_in(node.args)
            for child in (*node.defaults, *node.body):
                visit(child, inner)
            return
        if isinstance(node, nodes.With):
            for child in node.values:
                visit(child, shadowed)
            inner = shadowed | names_in(node.targets)
            for child in node.body:
                visit(child, inner)
            return
        for child in node.iter_child_nodes():
            visit(child, inner)

    visit(tree, frozenset())
    return unguarded, tested


def _bound_names(tree: nodes.Template) -> frozenset[str]:
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    bound.update(m.name for m in tree.find_all(nodes.Macro))
    bound.update(i.target for i in tree.find_all(nodes.Import))
    for imp in tree.find_all(nodes.FromImport):
        bound.update(n if isinstance(n, str) else n[1] for n in imp.names)
    return frozenset(bound)


def _references(tree: nodes.Template, field: str) -> tuple[list[PromptRef], frozenset[str]]:
    """Constant references in order of appearance, and those only used with ignore missing."""
    found: list[tuple[int, PromptRef, bool]] = []
    for node in tree.find_all(_REFERENCE_NODES):
        if not isinstance(node, _REFERENCE_NODES):
            continue
        target = node.template
        if not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
            raise BadReference(
                f"line {node.lineno}: include/extends/import targets must be a single quoted "
                'reference such as "prompt:NAME@production"',
                details={"field": field, "line": node.lineno},
            )
        try:
            ref = parse_reference(target.value)
        except BadReference as exc:
            details = {**(exc.details or {}), "field": field, "line": node.lineno}
            raise BadReference(f"line {node.lineno}: {exc.message}", details=details) from None
        optional = isinstance(node, nodes.Include) and node.ignore_missing
        found.append((node.lineno, ref, optional))
    found.sort(key=lambda item: item[0])
    refs: dict[str, PromptRef] = {}
    required_keys: set[str] = set()
    for _, ref, optional in found:
        refs.setdefault(str(ref), ref)
        if not optional:
            required_keys.add(str(ref))
    return list(refs.values()), frozenset(refs) - required_keys


_OPENING_RE = re.compile(r"\{\{|\{%|\{#")
_CLOSING = {"{{": "}}", "{%": "%}", "{#": "#}"}
_QUOTED_RE = re.compile(r"'([^']*)'")
_OFFSET_RE = re.compile(r"\bat (\d+)$")


def _error_column(env: Environment, source: str, lines: list[str], line: int, message: str) -> int:
    """Best-effort 1-based column of the construct a syntax error is about."""
    offset = _OFFSET_RE.search(message)
    if offset:
        position = int(offset.group(1))
        start = sum(len(text) + 1 for text in lines[: line - 1])
        if start <= position <= start + len(lines[line - 1]):
            return position - start + 1
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    constructs: list[tuple[int, str, bool]] = []  # start, text, closed
    for match in _OPENING_RE.finditer(text):
        end = text.find(_CLOSING[match.group()], match.end())
        closed = end != -1
        constructs.append(
            (match.start(), text[match.start() : end + 2 if closed else None], closed)
        )
    for word in _QUOTED_RE.findall(message):
        if re.fullmatch(r"\w+", word):
            for start, body, _ in constructs:
                if re.search(rf"\b{re.escape(word)}\b", body):
                    return start + 1
    for start, body, closed in constructs:
        if closed and body.startswith("{{"):
            try:
                Parser(env, body).parse()
            except Exception:  # any failure (syntax, digit limits, nesting) marks the culprit
                return start + 1
    for start, _, closed in constructs:
        if not closed:
            return start + 1
    if "end of template" in message.lower():
        return len(text) + 1
    return constructs[0][0] + 1 if constructs else 1


def _syntax_problem(
    env: Environment, source: str, field: str, line: int | None, message: str
) -> TemplateSyntaxProblem:
    lines = re.split(r"\r\n|\r|\n", source)
    line = min(max(line or 1, 1), len(lines))
    column = _error_column(env, source, lines, line, message)
    return TemplateSyntaxProblem(
        f"line {line}, column {column}: {message}",
        details={"field": field, "line": line, "column": column, "message": message},
    )


# --------------------------------------------------------------------------- errors at render

_ADDRESS_RE = re.compile(r"\s+at 0x[0-9a-fA-F]+")


def _clean(message: str) -> str:
    message = _ADDRESS_RE.sub("", message)
    return message if len(message) <= 300 else message[:297] + "..."


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _locate(exc: BaseException, state: _RenderState) -> dict[str, Any]:
    """Line (and referenced prompt) of the innermost template frame of a traceback."""
    where: dict[str, Any] = {"line": None, "template": None}
    tb = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, Template):
            where = {
                "line": template.get_corresponding_lineno(tb.tb_lineno),
                "template": state.names.get(id(template)),
            }
        tb = tb.tb_next
    return where


def _render_problem(exc: Exception, state: _RenderState) -> DomainError:
    details = _locate(exc, state)
    place = f"line {details['line']}: " if details["line"] else ""
    if details["template"]:
        place = f"{details['template']}, {place}"
    if isinstance(exc, SecurityError):
        return TemplateSecurityViolation(f"{place}{_clean(str(exc))}", details=details)
    if isinstance(exc, UndefinedError):
        return TemplateRenderProblem(f"{place}{_clean(str(exc))}", details=details)
    if isinstance(exc, TemplateNotFound):
        return BadReference(f"{place}prompt reference {exc.name} could not be resolved")
    if isinstance(exc, TemplateError):
        return TemplateRenderProblem(f"{place}{_clean(str(exc))}", details=details)
    text = _clean(str(exc)) or "error"
    return TemplateRenderProblem(f"{place}{type(exc).__name__}: {text}", details=details)


# --------------------------------------------------------------------------- engine


class TemplateEngine:
    """Analyzes, composes and renders prompt templates. Safe to share between threads."""

    def __init__(self, limits: TemplateLimits | None = None, *, cache_size: int = 4096) -> None:
        self.limits = limits or TemplateLimits()
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._cache_size = max(cache_size, 0)
        self._lock = threading.Lock()
        self._env = _SandboxEnvironment(_PromptLoader(self._template_for))

    # ---- analysis

    def analyze(self, source: str, *, field: str = "content") -> TemplateInfo:
        """Variables and references of ``source``.

        The source is parsed and compiled (and cached), so anything that would
        stop it from rendering is reported now: ``TemplateSyntaxProblem`` with
        ``details={"field", "line", "column", "message"}``, ``BadReference`` for a
        malformed or non-literal reference, ``TemplateLimitExceeded`` when it is
        longer than ``max_source_chars``.
        """
        return self._entry(source, field).info

    def collect(self, source: str, resolver: Resolver | None) -> dict[str, str]:
        """Resolve every reference transitively: ``{"prompt:x@v1": source, ...}``.

        Each prompt is resolved once and analyzed. Raises ``ReferenceCycle``,
        ``TemplateLimitExceeded`` (``max_include_depth``), ``BadReference`` when
        there are references but no resolver; resolver errors propagate as is.
        """
        return self._collect(self._entry(source, "content"), resolver)

    def variables(self, source: str, resolver: Resolver | None = None) -> tuple[VariableInfo, ...]:
        """Variables of the template and of every prompt it references, sorted by name.

        A variable is required if it is required anywhere, except that names a
        referencing prompt binds itself (loop variables, ``set``, macro arguments)
        are optional in the prompts it references.
        """
        entry = self._entry(source, "content")
        return self._union(entry, self._collect(entry, resolver))

    # ---- rendering

    def render(
        self, source: str, variables: Mapping[str, Any], *, resolver: Resolver | None = None
    ) -> str:
        """Render in the sandbox; every failure is a ``DomainError`` (see the module doc)."""
        entry = self._entry(source, "content")
        if entry.info.references:
            sources = self._collect(entry, resolver)
            required = [v.name for v in self._union(entry, sources) if v.required]
        else:
            sources, required = {}, list(entry.required)
        missing = sorted(name for name in required if name not in variables)
        if missing:
            raise MissingVariables(
                f"missing required variables: {', '.join(missing)}", details={"missing": missing}
            )
        return self._run(entry.template, dict(variables), sources)

    def _run(
        self, template: Template, variables: dict[str, Any], sources: Mapping[str, str]
    ) -> str:
        state = _RenderState(self.limits, sources)
        cap = self.limits.max_output_chars
        token = _STATE.set(state)
        stream = None
        try:
            stream = template.root_render_func(template.new_context(variables))
            parts: list[str] = []
            size = 0
            append = parts.append
            for chunk in stream:
                size += len(chunk)
                if size > cap:
                    state.fail("max_output_chars")
                append(chunk)
                if not len(parts) & 63 and time.monotonic() > state.deadline:
                    state.fail("max_seconds")
            return "".join(parts)
        except (TemplateLimitExceeded, MissingVariables, BadReference, NotFound):
            raise
        except TemplateRenderProblem as exc:  # raised by a guard: add where it happened
            if exc.details is None:
                exc.details = _locate(exc, state)
                if exc.details["line"]:
                    exc.message = f"line {exc.details['line']}: {exc.message}"
                    exc.args = (exc.message,)
            raise
        except DomainError:
            raise
        except RecursionError:
            raise _limit_error_recursion() from None
        except MemoryError:
            raise TemplateLimitExceeded(
                "the template ran out of memory", details={"limit": "memory", "value": None}
            ) from None
        except Exception as exc:
            raise _render_problem(exc, state) from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):  # closing must not mask the real error
                    close()
            _STATE.reset(token)

    # ---- internals

    def _template_for(self, source: str, key: str) -> Template:
        return self._entry(source, key).template

    def _entry(self, source: str, field: str) -> _Entry:
        with self._lock:
            entry = self._cache.get(source) if isinstance(source, str) else None
            if entry is not None:
                self._cache.move_to_end(source)
                return entry
        entry = self._build(source, field)
        if self._cache_size:
            with self._lock:
                self._cache[source] = entry
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return entry

    def _build(self, source: str, field: str) -> _Entry:
        if not isinstance(source, str):
            raise TemplateSyntaxProblem(
                "template source must be text",
                details={"field": field, "line": 1, "column": 1, "message": "not text"},
            )
        if len(source) > self.limits.max_source_chars:
            raise _limit_error(self.limits, "max_source_chars")
        env = self._env
        try:
            tree = Parser(env, source).parse()
            for node in tree.find_all((nodes.Filter, nodes.Test)):
                if node.name.startswith("__"):
                    kind = "filter" if isinstance(node, nodes.Filter) else "test"
                    raise TemplateSyntaxError(f"No {kind} named {node.name!r}.", node.lineno)
            names = frozenset(meta.find_undeclared_variables(tree) - _RESERVED - set(env.globals))
            refs, optional_refs = _references(tree, field)
            unguarded, tested = _scan_uses(tree, names)
            bound = _bound_names(tree)
            _harden(tree, env)
            code = env.compile(tree)
            template = env.template_class.from_code(env, code, env.make_globals(None), None)
        except TemplateSyntaxError as exc:
            message = exc.message or "syntax error"
            raise _syntax_problem(env, source, field, exc.lineno, message) from None
        except RecursionError:
            raise _syntax_problem(env, source, field, 1, "the template nests too deeply") from None
        except SyntaxError as exc:  # Python's own limits on the compiled code
            problem = f"the template nests too deeply ({exc.msg})"
            raise _syntax_problem(env, source, field, 1, problem) from None
        except DomainError:
            raise
        except Exception as exc:  # e.g. integer literals beyond Python's digit limit
            message = _clean(str(exc))
            if "integer string conversion" in message:
                message = "a number in the template has too many digits"
            raise _syntax_problem(env, source, field, 1, message) from None
        required = tuple(sorted(n for n in names if n in unguarded and n not in tested))
        variables = tuple(VariableInfo(n, n in required) for n in sorted(names))
        info = TemplateInfo(variables=variables, references=tuple(refs))
        return _Entry(info, required, bound, optional_refs, template)

    def _collect(self, root: _Entry, resolver: Resolver | None) -> dict[str, str]:
        sources: dict[str, str] = {}
        if not root.info.references:
            return sources
        if resolver is None:
            raise BadReference(
                "the template references other prompts but no resolver was given",
                details={"references": [str(r) for r in root.info.references]},
            )
        limit = self.limits.max_include_depth
        heights: dict[str, int] = {}
        path: list[str] = []

        def visit(ref: PromptRef, optional: bool) -> int:
            key = str(ref)
            if key in path:
                cycle = [*path[path.index(key) :], key]
                raise ReferenceCycle(
                    f"prompt references form a cycle: {' -> '.join(cycle)}",
                    details={"cycle": cycle},
                )
            depth = len(path) + 1
            if key in heights:
                if depth + heights[key] > limit:
                    raise _limit_error(self.limits, "max_include_depth", f" (via {key})")
                return heights[key]
            if depth > limit:
                chain = " -> ".join([*path, key])
                raise _limit_error(self.limits, "max_include_depth", f": {chain}")
            if key not in sources:
                try:
                    text = resolver(ref)
                except NotFound:
                    if optional:
                        heights[key] = 0
                        return 0
                    raise
                if not isinstance(text, str):
                    raise TypeError(f"resolver returned {type(text).__name__} for {key}")
                sources[key] = text
            entry = self._entry(sources[key], key)
            path.append(key)
            height = 0
            for child in entry.info.references:
                height = max(height, 1 + visit(child, str(child) in entry.optional_refs))
            path.pop()
            heights[key] = height
            return height

        for ref in root.info.references:
            visit(ref, str(ref) in root.optional_refs)
        return sources

    def _union(self, root: _Entry, sources: Mapping[str, str]) -> tuple[VariableInfo, ...]:
        entries = [self._entry(text, key) for key, text in sources.items()]
        provided = root.bound.union(*(e.bound for e in entries))
        required: dict[str, bool] = {v.name: v.required for v in root.info.variables}
        for entry in entries:
            for var in entry.info.variables:
                needed = var.required and var.name not in provided
                required[var.name] = required.get(var.name, False) or needed
        return tuple(VariableInfo(name, required[name]) for name in sorted(required))


def _limit_error_recursion() -> TemplateLimitExceeded:
    return TemplateLimitExceeded(
        "the template recursed too deeply (macros calling themselves?)",
        details={"limit": "recursion", "value": sys.getrecursionlimit()},
    )
