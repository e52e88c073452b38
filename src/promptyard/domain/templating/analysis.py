"""What a template reads and references, and where its syntax errors are."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import CodeType

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Environment
from jinja2.parser import Parser

from promptyard.domain.errors import BadReference, TemplateSyntaxProblem
from promptyard.domain.templating.references import PromptRef, parse_reference


@dataclass(frozen=True)
class VariableInfo:
    name: str
    required: bool


@dataclass(frozen=True)
class TemplateInfo:
    variables: tuple[VariableInfo, ...]
    references: tuple[PromptRef, ...]


_RESERVED = frozenset({"loop", "self", "super", "caller", "varargs", "kwargs"})
_REFERENCE_NODES = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)
_GUARD_TESTS = frozenset({"defined", "undefined"})
_DEFAULT_FILTERS = frozenset({"default", "d"})


def _scan_uses(tree: nodes.Template) -> tuple[set[str], set[str]]:
    """Names read unguarded (and not bound by an enclosing loop, macro, call block or
    ``with``), and names tested with ``is defined``/``is undefined``."""
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
            if node.ctx == "load" and node.name not in shadowed:
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


class _ContextReads(CodeGenerator):
    """Jinja's code generator that also notes the names the template reads from its
    context: what ``jinja2.meta.find_undeclared_variables`` finds with a generator pass
    of its own, noted during the one that makes the code."""

    def __init__(self, environment: Environment, stream: io.StringIO) -> None:
        super().__init__(environment, None, None, stream, False, environment.optimized)
        self.undeclared: set[str] = set()

    def enter_frame(self, frame: Frame) -> None:
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == "resolve" and param not in self.environment.globals:
                self.undeclared.add(param)


def _compile(env: Environment, tree: nodes.Template) -> tuple[CodeType, set[str]]:
    """The template's code (as ``env.compile(tree)`` makes it) and the names it reads from
    its context (as ``jinja2.meta.find_undeclared_variables(tree)`` finds them)."""
    source = io.StringIO()
    generator = _ContextReads(env, source)
    generator.visit(tree)
    return compile(source.getvalue(), "<template>", "exec"), generator.undeclared


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
