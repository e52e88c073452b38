"""Runtime guards called by compiled templates, and the AST pass that inserts them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import nodes, pass_eval_context
from jinja2.environment import Environment
from jinja2.runtime import markup_join
from jinja2.utils import Namespace

from promptyard.domain.errors import TemplateRenderProblem
from promptyard.domain.templating.limits import _RenderState, _state
from promptyard.domain.templating.values import _check_built, _check_text, _text_len

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


def _bounded_range(*args: Any, **kwargs: Any) -> range:
    state = _state()
    state.tick()
    if kwargs:
        raise TemplateRenderProblem("range() takes no keyword arguments")
    if not 1 <= len(args) <= 3:
        raise TemplateRenderProblem("range() takes 1 to 3 arguments: stop, or start, stop, step")
    if not all(isinstance(arg, int) for arg in args):
        raise TemplateRenderProblem("range() needs integer arguments")
    if len(args) == 3 and args[2] == 0:
        raise TemplateRenderProblem("range() step must not be zero")
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
