"""Jinja filters wrapped with the render budget, and bounded replacements for some."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from jinja2 import filters, nodes, pass_environment, pass_eval_context
from jinja2.environment import Environment
from markupsafe import Markup

from promptyard.domain.errors import TemplateRenderProblem
from promptyard.domain.templating.limits import _state
from promptyard.domain.templating.messages import describe
from promptyard.domain.templating.values import (
    _check_built,
    _check_printf,
    _check_text,
    _text_len,
    _weigh,
)

# Filters that turn their value into text (``join`` is not one: it iterates its value,
# which may be a range or dict view, and checks the items it prints itself).
_TEXT_FILTERS = frozenset(
    {
        "capitalize", "center", "e", "escape", "forceescape", "format", "indent",
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
        try:
            result = func(*args, **kwargs)
        except TypeError:
            _check_arguments(name, func, args, kwargs)
            raise
        if isinstance(result, (str, bytes, list, tuple, dict)):
            state.charge(len(result))
        else:
            state.charge(1)
        return result

    return guarded


def _check_arguments(
    name: str, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """After a TypeError: if the filter was called with the wrong arguments, say so by name.

    (Python's own message names the function implementing the filter, e.g. ``do_int()``.)
    """
    try:
        inspect.signature(func).bind(*args, **kwargs)
    except TypeError as exc:
        raise TemplateRenderProblem(f"wrong arguments for the filter {name!r}: {exc}") from None
    except ValueError:  # no signature to check against
        return


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
            raise TemplateRenderProblem(
                f"sum() with a start of {describe(start)} can only add items of that kind"
            )
        result.extend(item)
        state.grow(len(result), 0)
    _check_built(state, result)
    return type(start)(result)


@pass_eval_context
def _f_tojson(eval_ctx: nodes.EvalContext, value: Any, indent: int | None = None) -> Markup:
    if _width(indent) > 16:
        raise TemplateRenderProblem("tojson indent is limited to 16")
    try:
        return filters.do_tojson(eval_ctx, value, indent)
    except TypeError:  # Python's message names the type ("Object of type Macro ...")
        raise TemplateRenderProblem(
            "tojson can only convert strings, numbers, booleans, none, lists and dicts"
        ) from None


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
