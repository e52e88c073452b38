"""The sandboxed Jinja environment: guards installed, attributes, calls and operators checked."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from jinja2 import BaseLoader, StrictUndefined, TemplateRuntimeError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, missing
from markupsafe import Markup

from promptyard.domain.templating.filters import _FILTER_OVERRIDES, _guarded_filter
from promptyard.domain.templating.guards import (
    _G_CHARGE,
    _G_CONCAT,
    _G_LITERAL,
    _G_LOOP,
    _account,
    _bounded_range,
    _finalize,
    _guard_charge,
    _guard_concat,
    _guard_literal,
    _guard_loop,
    _harden,
)
from promptyard.domain.templating.limits import _state
from promptyard.domain.templating.messages import describe, show
from promptyard.domain.templating.values import (
    _OPAQUE,
    _BoundedEscapeFormatter,
    _BoundedFormatter,
    _check_add,
    _check_multiply,
    _check_power,
    _check_printf,
    _check_str_method,
)

# --------------------------------------------------------------------------- environment


class _TemplateUndefined(StrictUndefined):
    """StrictUndefined whose messages name values as the template does ("a list")."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name, obj = self._undefined_name, self._undefined_obj
        if obj is missing:
            return f"{name!r} is undefined"
        if name is not None and type(name) not in (str, int, float, bool):
            return f"{describe(obj)} cannot be indexed with {describe(name)}"
        if isinstance(obj, Mapping):
            return f"the dict has no key {show(name)}"
        if isinstance(name, str):
            return f"{describe(obj)} has no attribute {show(name)}"
        return f"{describe(obj)} has no item {show(name)}"


class _SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, loader: BaseLoader) -> None:
        super().__init__(
            loader=loader,
            undefined=_TemplateUndefined,
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
        raise SecurityError(f"access to attribute {show(attribute)} of {describe(obj)} is unsafe")

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
            raise SecurityError(f"calling {describe(__obj)} is not allowed")
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
