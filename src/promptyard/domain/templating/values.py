"""Inspecting and sizing values a template builds, before or after Python builds them."""

from __future__ import annotations

import functools
import math
import re
import types
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jinja2.runtime import BlockReference, Context, LoopContext, Macro, TemplateReference, Undefined
from jinja2.sandbox import SandboxedFormatter
from jinja2.utils import Namespace
from markupsafe import EscapeFormatter

from promptyard.domain.errors import TemplateRenderProblem
from promptyard.domain.templating.limits import _RenderState, _state
from promptyard.domain.templating.messages import describe

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


#: Values that print as a Python repr (``<Macro 'm'>``, ``range(0, 3)``): refused as text,
#: with a hint saying what to print instead.
_NO_TEXT: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (Macro, "; call it, e.g. m()"),
    (Namespace, "; print one of its attributes, e.g. ns.name"),
    (LoopContext, "; print one of its attributes, e.g. loop.index"),
    (TemplateReference, ""),
    (BlockReference, "; call it, e.g. self.name()"),
    (Context, ""),
    (range, "; use |list or |join"),
    (_DICT_VIEWS, "; use |list or |join"),
    (types.GenericAlias, ""),
)


def _check_text(value: Any) -> None:
    """Refuse to turn functions, classes, macros and other non-data objects into text."""
    if type(value) in _PLAIN:
        return
    seen: set[int] = set()
    stack = [value]
    while stack:
        obj = stack.pop()
        if type(obj) in _PLAIN or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()  # says what was missing, e.g. "a list has no item 5"
        for kind, hint in _NO_TEXT:
            if isinstance(obj, kind):
                raise TemplateRenderProblem(f"cannot render {describe(obj)} as text{hint}")
        kids = _children(obj)
        if kids is not None:
            stack.extend(kids)
        elif _opaque(obj):
            hint = "; use |list or |join" if isinstance(obj, Iterator) else ""
            raise TemplateRenderProblem(f"cannot render {describe(obj)} as text{hint}")


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


# --------------------------------------------------------------------------- operators


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
