"""Error text in the template's words.

Template authors see Jinja, not Python: an error must say "a list has no item 5" or
"range() needs integer arguments", never ``<function _bounded_range>``,
``<class 'dict'>`` or ``jinja2.runtime.Macro object``. :func:`describe` names a value
the way the template language does; :func:`python_message` rewrites the text of a
Python exception raised by template code; :func:`scrub` is the last pass every
message goes through and removes whatever still names the implementation.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterator
from typing import Any

from jinja2.runtime import BlockReference, Context, LoopContext, Macro, TemplateReference, Undefined
from jinja2.utils import Namespace

_FUNCTION = "a callable"  # functions, methods and classes alike (dict, namespace)

#: Python type names (as they appear in Python's messages) in the template's words.
_TYPE_WORDS = {
    "str": "a string",
    "Markup": "a string",
    "bytes": "bytes",
    "bytearray": "bytes",
    "int": "an integer",
    "bool": "a boolean",
    "float": "a number",
    "complex": "a number",
    "NoneType": "none",
    "None": "none",
    "list": "a list",
    "tuple": "a tuple",
    "dict": "a dict",
    "set": "a set",
    "frozenset": "a set",
    "dict_keys": "a dict view",
    "dict_values": "a dict view",
    "dict_items": "a dict view",
    "range": "a range",
    "Macro": "a macro",
    "Namespace": "a namespace",
    "LoopContext": "the loop variable",
    "TemplateReference": "'self'",
    "BlockReference": "a block",
    "Context": "the template context",
    "Undefined": "an undefined value",
    "StrictUndefined": "an undefined value",
    "generator": "an iterator",
    "map": "an iterator",
    "filter": "an iterator",
    "zip": "an iterator",
    "enumerate": "an iterator",
    "reversed": "an iterator",
    "list_reverseiterator": "an iterator",
    "list_iterator": "an iterator",
    "tuple_iterator": "an iterator",
    "str_iterator": "an iterator",
    "range_iterator": "an iterator",
    "dict_keyiterator": "an iterator",
    "dict_valueiterator": "an iterator",
    "dict_itemiterator": "an iterator",
    "function": _FUNCTION,
    "builtin_function_or_method": _FUNCTION,
    "method": _FUNCTION,
    "method-wrapper": _FUNCTION,
    "method_descriptor": _FUNCTION,
    "wrapper_descriptor": _FUNCTION,
    "classmethod_descriptor": _FUNCTION,
    "functools.partial": _FUNCTION,
    "partial": _FUNCTION,
    "type": _FUNCTION,  # dict, namespace: callables, as far as a template is concerned
    "GenericAlias": "a type",
    "types.GenericAlias": "a type",
}

_JINJA_KINDS: tuple[tuple[type, str], ...] = (
    (Undefined, "an undefined value"),
    (Macro, "a macro"),
    (Namespace, "a namespace"),
    (LoopContext, "the loop variable"),
    (TemplateReference, "'self'"),
    (BlockReference, "a block"),
    (Context, "the template context"),
)


def type_word(name: str) -> str:
    """A Python type name (``'str'``, ``'jinja2.runtime.Macro'``) in the template's words."""
    name = name.strip("'\"")
    word = _TYPE_WORDS.get(name) or _TYPE_WORDS.get(name.rpartition(".")[2])
    return word or "a value"


def describe(value: Any) -> str:
    """What ``value`` is, as a template author would say it: "a list", "a macro"."""
    for cls, word in _JINJA_KINDS:
        if isinstance(value, cls):
            return word
    if isinstance(value, type):
        return _FUNCTION
    if isinstance(value, types.GenericAlias):
        return "a type"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, (list, tuple, dict, set, frozenset, bytes, range)) or value is None:
        return type_word(type(value).__name__)
    if callable(value):
        return _FUNCTION
    if isinstance(value, Iterator):
        return "an iterator"
    return type_word(type(value).__name__)


def show(value: Any) -> str:
    """A key or index as the template wrote it, or what it is when it has no literal form."""
    if value is None or type(value) in (str, int, float, bool):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return describe(value)


# --------------------------------------------------------------------------- Python's messages

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _w(match: re.Match[str], group: int) -> str:
    return type_word(match.group(group))


_RULES: list[_Rule] = [
    (
        re.compile(r"'?([\w.]+)'? object cannot be interpreted as an integer"),
        lambda m: f"expected an integer, got {_w(m, 1)}",
    ),
    (
        re.compile(r"unsupported operand type\(s\) for ([^:]+): '([\w.]+)' and '([\w.]+)'"),
        lambda m: f"cannot use {m.group(1)} with {_w(m, 2)} and {_w(m, 3)}",
    ),
    (
        re.compile(r"bad operand type for unary ([^:]+): '([\w.]+)'"),
        lambda m: f"cannot use {m.group(1)} with {_w(m, 2)}",
    ),
    (
        re.compile(r'can only concatenate ([\w.]+) \(not "([\w.]+)"\) to [\w.]+'),
        lambda m: f"cannot add {_w(m, 2)} to {_w(m, 1)}",
    ),
    (
        re.compile(r"can't multiply sequence by non-int of type '([\w.]+)'"),
        lambda m: f"a string or list can only be multiplied by an integer, not {_w(m, 1)}",
    ),
    (
        re.compile(r"'([^']+)' not supported between instances of '([\w.]+)' and '([\w.]+)'"),
        lambda m: f"cannot compare {_w(m, 2)} and {_w(m, 3)} with {m.group(1)}",
    ),
    (
        re.compile(r"'([\w.]+)' object is not callable"),
        lambda m: f"{_w(m, 1)} cannot be called",
    ),
    (
        re.compile(r"'([\w.]+)' object is not iterable"),
        lambda m: f"{_w(m, 1)} cannot be looped over",
    ),
    (
        re.compile(r"'([\w.]+)' object is not subscriptable"),
        lambda m: f"{_w(m, 1)} has no items",
    ),
    (
        re.compile(r"'([\w.]+)' object has no attribute '(\w+)'"),
        lambda m: f"{_w(m, 1)} has no attribute {m.group(2)!r}",
    ),
    (
        re.compile(r"object of type '([\w.]+)' has no len\(\)"),
        lambda m: f"{_w(m, 1)} has no length",
    ),
    (
        re.compile(r"unhashable type: '([\w.]+)'"),
        lambda m: f"{_w(m, 1)} cannot be a dict key or set item",
    ),
    (
        re.compile(r"Object of type ([\w.]+) is not JSON serializable"),
        lambda m: f"{_w(m, 1)} cannot be converted to JSON",
    ),
    (
        re.compile(r"type ([\w.]+) doesn't define __round__ method"),
        lambda m: f"round needs a number, got {_w(m, 1)}",
    ),
    (
        re.compile(r"sum\(\) can't sum (strings|bytes)[^\]]*\]"),
        lambda m: f"sum cannot add {m.group(1)}: use |join",
    ),
    (
        re.compile(r"\bmust be ([\w.]+(?: or [\w.]+)*), not ([\w.]+)"),
        lambda m: (
            "must be "
            + " or ".join(type_word(name) for name in m.group(1).split(" or "))
            + f", not {_w(m, 2)}"
        ),
    ),
    (
        re.compile(r"cannot unpack non-iterable ([\w.]+) object"),
        lambda m: f"cannot unpack {_w(m, 1)}: it is not a list or tuple",
    ),
    (
        re.compile(r"\b(?:str|bytes|list|dict|tuple|int|float)\.(\w+\(\))"),
        lambda m: m.group(1),
    ),
]

_INDEX_ERRORS = {
    "list index out of range": "a list index is out of range",
    "tuple index out of range": "a tuple index is out of range",
    "string index out of range": "a string index is out of range",
}


def python_message(exc: BaseException) -> str:
    """The text of an exception raised while template code ran, in the template's words."""
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "a number is too large"
    if isinstance(exc, RecursionError):
        return "the template recursed too deeply"
    text = str(exc)
    text = _INDEX_ERRORS.get(text, text)
    if isinstance(exc, KeyError) and exc.args:
        text = f"no key {show(exc.args[0])}"
    else:
        for pattern, replace in _RULES:
            text = pattern.sub(replace, text)
    return scrub(text) or "the template could not be rendered"


# --------------------------------------------------------------------------- last pass

_ADDRESS_RE = re.compile(r"\s+at 0x[0-9a-fA-F]+")
_REPRS: list[_Rule] = [
    (re.compile(r"<class '([\w.]+)'>"), lambda m: type_word(m.group(1))),
    (re.compile(r"<(?:built-in |bound )?(?:function|method) [^>]*>"), lambda m: _FUNCTION),
    (re.compile(r"<Macro [^>]*>"), lambda m: "a macro"),
    (re.compile(r"<Namespace [^>]*>"), lambda m: "a namespace"),
    (re.compile(r"<LoopContext [^>]*>"), lambda m: "the loop variable"),
    (re.compile(r"<TemplateReference [^>]*>"), lambda m: "'self'"),
    (re.compile(r"<generator object [^>]*>"), lambda m: "an iterator"),
    (re.compile(r"'?(?:jinja2|markupsafe)\.([\w.]+) object'?"), lambda m: type_word(m.group(1))),
    (
        re.compile(r"'?\b([a-z_]+) object'?"),
        lambda m: _TYPE_WORDS.get(m.group(1), m.group(0)),
    ),
    (re.compile(r"\b(?:sync_)?do_(\w+)\(\)"), lambda m: f"the filter '{m.group(1)}'"),
    (re.compile(r"\b_f_(\w+)\(\)"), lambda m: f"the filter '{m.group(1)}'"),
    (re.compile(r"\b_bounded_range\b"), lambda m: "range"),
]
#: What must never reach a template author, whatever produced the message.
_INTERNALS_RE = re.compile(
    r"<(?:class|function|built-in|bound method|method|module|generator|Macro|Namespace|"
    r"LoopContext|TemplateReference|BlockReference|Context|[\w.]+ object)\b"
    r"|\bjinja2\.|\bmarkupsafe\.|\bpromptyard\.|\b_bounded_range\b"
    r"|\bTraceback\b|\bFile \""
)
_GENERIC = "the template used a value in a way that is not supported"


def scrub(message: str) -> str:
    """Remove memory addresses and Python reprs; refuse to pass on what remains internal."""
    message = _ADDRESS_RE.sub("", message)
    for pattern, replace in _REPRS:
        message = pattern.sub(replace, message)
    if _INTERNALS_RE.search(message):
        return _GENERIC
    return message if len(message) <= 300 else message[:297] + "..."
