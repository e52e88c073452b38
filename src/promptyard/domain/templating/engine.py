"""TemplateEngine: compiles and caches templates, collects references, runs renders."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    BaseLoader,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
)
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser

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
from promptyard.domain.templating.analysis import (
    _RESERVED,
    TemplateInfo,
    VariableInfo,
    _bound_names,
    _compile,
    _references,
    _scan_uses,
    _syntax_problem,
)
from promptyard.domain.templating.guards import _harden
from promptyard.domain.templating.limits import (
    _STATE,
    Deadline,
    TemplateLimits,
    _limit_error,
    _limit_error_recursion,
    _RenderState,
)
from promptyard.domain.templating.messages import python_message, scrub
from promptyard.domain.templating.references import (
    _PREFIX,
    PromptRef,
    Resolver,
    _short,
    parse_reference,
)
from promptyard.domain.templating.sandbox import _SandboxEnvironment

# --------------------------------------------------------------------------- cache and loader


@dataclass(frozen=True)
class _Entry:
    """Cached analysis and compiled form of one source text."""

    info: TemplateInfo
    required: tuple[str, ...]
    bound: frozenset[str]
    optional_refs: frozenset[str]
    template: Template


class _PromptLoader(BaseLoader):
    """Serves the prompt versions collected for the current render (never the resolver)."""

    def __init__(self, compile_source: Callable[[str, str], Template]) -> None:
        self._compile = compile_source

    def load(self, environment: Environment, name: str, globals: Any = None) -> Template:
        state = _STATE.get()
        if not isinstance(name, str) or not name.startswith(_PREFIX):
            raise BadReference(f"only prompt: references can be included, got {_short(name)}")
        key = str(parse_reference(name))
        if state is not None:
            state.include()  # counts the expansion and checks the request's deadline
        source = state.sources.get(key) if state is not None else None
        if source is None:
            raise TemplateNotFound(name)
        template = self._compile(source, key)
        if state is not None:
            state.names[id(template)] = key
        return template


# --------------------------------------------------------------------------- errors at render


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
        return TemplateSecurityViolation(f"{place}{scrub(str(exc))}", details=details)
    if isinstance(exc, UndefinedError):
        return TemplateRenderProblem(f"{place}{scrub(str(exc))}", details=details)
    if isinstance(exc, TemplateNotFound):
        return BadReference(f"{place}prompt reference {exc.name} could not be resolved")
    if isinstance(exc, TemplateError):
        return TemplateRenderProblem(f"{place}{scrub(str(exc))}", details=details)
    return TemplateRenderProblem(f"{place}{python_message(exc)}", details=details)


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

    def variables(
        self,
        source: str,
        resolver: Resolver | None = None,
        *,
        deadline: Deadline | None = None,
    ) -> tuple[VariableInfo, ...]:
        """Variables of the template and of every prompt it references, sorted by name.

        A variable is required if it is required anywhere, except that names a
        referencing prompt binds itself (loop variables, ``set``, macro arguments)
        are optional in the prompts it references.
        """
        entry = self._entry(source, "content")
        return self._union(entry, self._collect(entry, resolver, deadline))

    # ---- rendering

    def render(
        self,
        source: str,
        variables: Mapping[str, Any],
        *,
        resolver: Resolver | None = None,
        deadline: Deadline | None = None,
    ) -> str:
        """Render in the sandbox; every failure is a ``DomainError`` (see ``domain.templates``).

        ``deadline`` is the time budget of the whole request: pass the same one to every
        render a request makes (each message of a chat prompt). Without one, this render
        gets ``max_seconds`` of its own.
        """
        if deadline is None:
            deadline = Deadline(self.limits.max_seconds)
        deadline.check()
        entry = self._entry(source, "content")
        if entry.info.references:
            sources = self._collect(entry, resolver, deadline)
            required = [v.name for v in self._union(entry, sources) if v.required]
        else:
            sources, required = {}, list(entry.required)
        missing = sorted(name for name in required if name not in variables)
        if missing:
            raise MissingVariables(
                f"missing required variables: {', '.join(missing)}", details={"missing": missing}
            )
        return self._run(entry.template, dict(variables), sources, deadline)

    def _run(
        self,
        template: Template,
        variables: dict[str, Any],
        sources: Mapping[str, str],
        deadline: Deadline,
    ) -> str:
        state = _RenderState(self.limits, sources, deadline)
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
                if not len(parts) & 63:
                    deadline.check()
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
            refs, optional_refs = _references(tree, field)
            unguarded, tested = _scan_uses(tree)
            bound = _bound_names(tree)
            # The guards add filters and constants, never a read of the context: the
            # hardened tree reads the names the template does.
            _harden(tree, env)
            code, reads = _compile(env, tree)
            names = frozenset(reads - _RESERVED - set(env.globals))
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
            message = scrub(str(exc))
            if "integer string conversion" in message:
                message = "a number in the template has too many digits"
            raise _syntax_problem(env, source, field, 1, message) from None
        required = tuple(sorted(n for n in names if n in unguarded and n not in tested))
        variables = tuple(VariableInfo(n, n in required) for n in sorted(names))
        info = TemplateInfo(variables=variables, references=tuple(refs))
        return _Entry(info, required, bound, optional_refs, template)

    def _collect(
        self, root: _Entry, resolver: Resolver | None, deadline: Deadline | None = None
    ) -> dict[str, str]:
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
            if deadline is not None:
                deadline.check()
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
