"""Behaviour of the prompt template engine (analysis, composition, rendering)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptyard.domain.errors import (
    BadReference,
    DomainError,
    MissingVariables,
    NotFound,
    ReferenceCycle,
    TemplateLimitExceeded,
    TemplateRenderProblem,
    TemplateSyntaxProblem,
)
from promptyard.domain.templates import (
    PromptRef,
    TemplateEngine,
    TemplateInfo,
    TemplateLimits,
    VariableInfo,
    parse_reference,
)


@pytest.fixture
def engine() -> TemplateEngine:
    return TemplateEngine()


def resolver_for(prompts: dict[str, str]) -> Callable[[PromptRef], str]:
    """A resolver backed by a dict keyed by canonical reference."""

    def resolve(ref: PromptRef) -> str:
        try:
            return prompts[str(ref)]
        except KeyError:
            raise NotFound(f"{ref} does not exist") from None

    return resolve


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prompt:tone@production", PromptRef("tone", "production", None)),
        ("prompt:tone@v3", PromptRef("tone", None, 3)),
        ("prompt:My.Prompt_1-x@v12", PromptRef("My.Prompt_1-x", None, 12)),
        ("prompt:t@v2-beta", PromptRef("t", "v2-beta", None)),
        ("prompt:t@staging.eu_1", PromptRef("t", "staging.eu_1", None)),
    ],
)
def test_parse_reference_accepts_pinned_references(text: str, expected: PromptRef) -> None:
    ref = parse_reference(text)
    assert ref == expected
    assert str(ref) == text


def test_reference_must_be_pinned() -> None:
    with pytest.raises(BadReference) as info:
        parse_reference("prompt:tone")
    assert "@label" in info.value.message
    assert "@vN" in info.value.message


@pytest.mark.parametrize("text", ["tone@v1", "file:///etc/passwd", "../x", "prompts:tone@v1", ""])
def test_only_prompt_references_can_be_included(text: str) -> None:
    with pytest.raises(BadReference, match="only prompt: references can be included"):
        parse_reference(text)


@pytest.mark.parametrize(
    "text",
    [
        "prompt:@v1",
        "prompt:-x@v1",
        "prompt:a b@v1",
        "prompt:" + "x" * 129 + "@v1",
        "prompt:x@v0",
        "prompt:x@v01",
        "prompt:x@",
        "prompt:x@Production",
        "prompt:x@prod@v1",
        "prompt:x@v1\n",
        "prompt:x@" + "l" * 65,
    ],
)
def test_malformed_references_are_refused(text: str) -> None:
    with pytest.raises(BadReference):
        parse_reference(text)


def test_prompt_ref_validates_its_fields() -> None:
    with pytest.raises(BadReference):
        PromptRef("tone", "production", 3)
    with pytest.raises(BadReference):
        PromptRef("tone", None, None)
    with pytest.raises(BadReference):
        PromptRef("tone", "v3", None)  # would print as a version reference
    with pytest.raises(BadReference):
        PromptRef("tone", None, 0)


# ---------------------------------------------------------------- analysis


def test_variables_required_and_optional(engine: TemplateEngine) -> None:
    info = engine.analyze(
        "Hi {{ name }}! {{ greeting|default('Hello') }}"
        "{% if title is defined %}{{ title }}{% endif %}"
        "{% if nick is not defined %}anon{% else %}{{ nick }}{% endif %}"
        "{{ user.email }}{{ tone|d('neutral') }}"
    )
    assert info.variables == (
        VariableInfo("greeting", False),
        VariableInfo("name", True),
        VariableInfo("nick", False),
        VariableInfo("title", False),
        VariableInfo("tone", False),
        VariableInfo("user", True),
    )


def test_a_default_does_not_help_when_another_use_is_unguarded(engine: TemplateEngine) -> None:
    info = engine.analyze("{{ x|default('a') }} {{ x }}")
    assert info.variables == (VariableInfo("x", True),)


def test_loop_set_macro_and_globals_are_not_variables(engine: TemplateEngine) -> None:
    info = engine.analyze(
        "{% for item in items %}{{ item }}{{ loop.index }}{% endfor %}"
        "{% set total = 3 %}{{ total }}"
        "{% macro shout(text) %}{{ text|upper }}{{ suffix }}{% endmacro %}{{ shout('x') }}"
        "{{ range(3)|list }}{{ dict(a=1) }}{% set ns = namespace(n=0) %}{{ ns.n }}{{ self }}"
        "{% with w = 1 %}{{ w }}{% endwith %}"
    )
    assert [v.name for v in info.variables] == ["items", "suffix"]


def test_references_in_order_and_deduplicated(engine: TemplateEngine) -> None:
    info = engine.analyze(
        '{% extends "prompt:base@v1" %}'
        '{% block body %}{% include "prompt:tone@production" %}'
        '{% import "prompt:macros@v2" as m %}{% from "prompt:util@stable" import f %}'
        '{% include "prompt:tone@production" %}{% endblock %}'
    )
    assert [str(r) for r in info.references] == [
        "prompt:base@v1",
        "prompt:tone@production",
        "prompt:macros@v2",
        "prompt:util@stable",
    ]
    assert isinstance(info, TemplateInfo)


@pytest.mark.parametrize(
    "source",
    [
        "{% include name %}",
        "{% include 'prompt:a@' ~ label %}",
        "{% include ['prompt:a@v1', 'prompt:b@v1'] %}",
        "{% include 'prompt:tone' %}",
        "{% include 'tone.txt' %}",
        "{% extends 'base.html' %}",
        "{% import 'prompt:m' as m %}",
    ],
)
def test_references_must_be_literal_and_pinned(engine: TemplateEngine, source: str) -> None:
    with pytest.raises(BadReference) as info:
        engine.analyze(source)
    assert info.value.details["line"] == 1


def test_unpinned_reference_message_tells_how_to_pin(engine: TemplateEngine) -> None:
    with pytest.raises(BadReference, match="@label or @vN"):
        engine.analyze("a\n{% include 'prompt:tone' %}")


@pytest.mark.parametrize(
    ("source", "line", "column", "fragment"),
    [
        ("Hello {{ name", 1, 7, "end of template"),
        ("Hi\n  there {{ name  \n", 2, 9, "end of template"),
        ("a\n{% frobnicate %}", 2, 1, "unknown tag 'frobnicate'"),
        ("{% for x in xs %}\n{{ x }}\n  {% endif %}\n{% endfor %}", 3, 3, "endif"),
        ("line one\nline two\n   {% endfor %}", 3, 4, "endfor"),
        ("{{ a }} and {{ b + }}", 1, 13, "unexpected"),
        ("{{ x|nosuchfilter }}", 1, 1, "nosuchfilter"),
        ("ok\n  {{ 'unterminated }}", 2, 6, "unexpected char"),
    ],
)
def test_syntax_errors_report_line_and_column(
    engine: TemplateEngine, source: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(TemplateSyntaxProblem) as info:
        engine.analyze(source, field="messages[0].content")
    details = info.value.details
    assert details["field"] == "messages[0].content"
    assert (details["line"], details["column"]) == (line, column)
    assert fragment in details["message"]
    assert info.value.message.startswith(f"line {line}, column {column}: ")


def test_deep_nesting_is_a_syntax_problem(engine: TemplateEngine) -> None:
    for source in (
        "{% for a in b %}" * 30 + "{% endfor %}" * 30,
        "{{ " + "(" * 1000 + "1" + ")" * 1000 + " }}",
        "{{ " + "9" * 5000 + " }}",
    ):
        with pytest.raises(TemplateSyntaxProblem):
            engine.analyze(source)


def test_internal_guard_filters_are_not_reachable(engine: TemplateEngine) -> None:
    with pytest.raises(TemplateSyntaxProblem, match="No filter named"):
        engine.analyze("{{ x|__py_guard_iter }}")
    with pytest.raises(TemplateRenderProblem, match="No filter named"):
        engine.render("{{ [1]|map('__py_guard_charge')|list }}", {})


def test_oversize_source_is_refused() -> None:
    engine = TemplateEngine(TemplateLimits(max_source_chars=100))
    with pytest.raises(TemplateLimitExceeded) as info:
        engine.analyze("x" * 101)
    assert info.value.details == {"limit": "max_source_chars", "value": 100}
    assert engine.render("x" * 100, {}) == "x" * 100


# ---------------------------------------------------------------- rendering


def test_renders_plain_text_prompts(engine: TemplateEngine) -> None:
    source = "You are {{ role }}.\n<b>{{ html }}</b> & {{ n * 2 }}\n"
    out = engine.render(source, {"role": "a pirate", "html": "<i>&</i>", "n": 21})
    assert out == "You are a pirate.\n<b><i>&</i></b> & 42\n"


def test_everyday_template_features_work(engine: TemplateEngine) -> None:
    source = (
        "{% for ex in examples %}{{ loop.index }}. {{ ex.q|trim }} -> {{ ex.a|upper }}\n"
        "{% endfor %}{{ tags|join(', ') }}|{{ '%s=%d'|format('n', 3) }}|{{ '{}-{}'.format(1, 2) }}"
        "|{{ name ~ '!' }}|{{ (items|length) }}|{{ text|wordwrap(5) }}|{{ 'ab'|center(6) }}|"
        "{% set ns = namespace(total=0) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}"
        "{% endfor %}{{ ns.total }}|{{ data|tojson }}|{{ [1, x] + [2] }}"
    )
    variables = {
        "examples": [{"q": " hi ", "a": "yo"}, {"q": "2+2", "a": "4"}],
        "tags": ["a", "b"],
        "name": "Bo",
        "items": [1, 2, 3],
        "text": "aaa bbb ccc",
        "data": {"k": [1, 2]},
        "x": 9,
    }
    assert engine.render(source, variables) == (
        "1. hi -> YO\n2. 2+2 -> 4\n"
        'a, b|n=3|1-2|Bo!|3|aaa\nbbb\nccc|  ab  |6|{"k": [1, 2]}|[1, 9, 2]'
    )


def test_trailing_newline_is_kept(engine: TemplateEngine) -> None:
    assert engine.render("a\n", {}) == "a\n"


def test_missing_variables_are_listed_all_at_once(engine: TemplateEngine) -> None:
    with pytest.raises(MissingVariables) as info:
        engine.render("{{ b }} {{ a }} {{ c|default(1) }} {{ d }}", {"d": 1})
    assert info.value.details == {"missing": ["a", "b"]}
    assert info.value.message == "missing required variables: a, b"


def test_optional_variables_may_be_left_out(engine: TemplateEngine) -> None:
    source = "{{ greeting|default('Hello') }}{% if name is defined %}, {{ name }}{% endif %}"
    assert engine.render(source, {}) == "Hello"
    assert engine.render(source, {"name": "Ann", "greeting": "Hi"}) == "Hi, Ann"


def test_undefined_attribute_is_a_render_problem_with_its_line(engine: TemplateEngine) -> None:
    with pytest.raises(TemplateRenderProblem) as info:
        engine.render("first\n{{ user.email }}", {"user": {"name": "x"}})
    assert info.value.details["line"] == 2
    assert "email" in info.value.message


@pytest.mark.parametrize(
    "source",
    ["{{ 1 / 0 }}", "{{ 'a' + 1 }}", "{{ x() }}", "{{ [1][5] }}", "{{ [1] < 'a' }}"],
)
def test_errors_raised_by_template_code_become_render_problems(
    engine: TemplateEngine, source: str
) -> None:
    with pytest.raises(TemplateRenderProblem):
        engine.render(source, {"x": "not callable"})


def test_opaque_values_cannot_be_rendered(engine: TemplateEngine) -> None:
    for source in ("{{ x|map('upper') }}", "{{ range }}", "{{ ''.upper }}", "{{ [dict] }}"):
        with pytest.raises(TemplateRenderProblem, match="cannot render"):
            engine.render(source, {"x": ["a"]})


# ---------------------------------------------------------------- composition

PROMPTS = {
    "prompt:tone@production": "Be {{ mood }}.",
    "prompt:base@v1": "[{% block body %}base{% endblock %}]{{ footer|default('') }}",
    "prompt:macros@v2": "{% macro greet(who) %}Hello {{ who }}{% endmacro %}",
    "prompt:row@v1": "<{{ item }}>",
    "prompt:outer@v1": "outer({% include 'prompt:tone@production' %})",
}


def test_include(engine: TemplateEngine) -> None:
    out = engine.render(
        "{% include 'prompt:tone@production' %}",
        {"mood": "kind"},
        resolver=resolver_for(PROMPTS),
    )
    assert out == "Be kind."


def test_extends_with_super(engine: TemplateEngine) -> None:
    source = "{% extends 'prompt:base@v1' %}{% block body %}child+{{ super() }}{% endblock %}"
    assert engine.render(source, {}, resolver=resolver_for(PROMPTS)) == "[child+base]"


def test_import_and_from_import(engine: TemplateEngine) -> None:
    resolver = resolver_for(PROMPTS)
    source = "{% import 'prompt:macros@v2' as m %}{{ m.greet('A') }}"
    assert engine.render(source, {}, resolver=resolver) == "Hello A"
    source = "{% from 'prompt:macros@v2' import greet %}{{ greet('B') }}"
    assert engine.render(source, {}, resolver=resolver) == "Hello B"


def test_variables_are_the_union_over_references(engine: TemplateEngine) -> None:
    source = (
        "{{ intro }}{% include 'prompt:outer@v1' %}"
        "{% for item in items %}{% include 'prompt:row@v1' %}{% endfor %}"
    )
    resolver = resolver_for(PROMPTS)
    assert engine.variables(source, resolver) == (
        VariableInfo("intro", True),
        VariableInfo("item", False),  # bound by the loop around the include
        VariableInfo("items", True),
        VariableInfo("mood", True),
    )
    with pytest.raises(MissingVariables) as info:
        engine.render(source, {"intro": "i"}, resolver=resolver)
    assert info.value.details == {"missing": ["items", "mood"]}
    out = engine.render(source, {"intro": "i", "items": [1, 2], "mood": "m"}, resolver=resolver)
    assert out == "iouter(Be m.)<1><2>"


def test_collect_resolves_transitively(engine: TemplateEngine) -> None:
    collected = engine.collect("{% include 'prompt:outer@v1' %}", resolver_for(PROMPTS))
    assert collected == {
        "prompt:outer@v1": PROMPTS["prompt:outer@v1"],
        "prompt:tone@production": PROMPTS["prompt:tone@production"],
    }


def test_references_need_a_resolver(engine: TemplateEngine) -> None:
    with pytest.raises(BadReference, match="no resolver"):
        engine.render("{% include 'prompt:tone@production' %}", {"mood": "x"})
    assert engine.collect("no references", None) == {}


def test_resolver_errors_propagate_unchanged(engine: TemplateEngine) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        engine.render("{% include 'prompt:ghost@v1' %}", {}, resolver=resolver_for(PROMPTS))

    def refuse(ref: PromptRef) -> str:
        raise BadReference("label archived")

    with pytest.raises(BadReference, match="label archived"):
        engine.collect("{% include 'prompt:x@old' %}", refuse)


def test_ignore_missing_include(engine: TemplateEngine) -> None:
    source = "a{% include 'prompt:ghost@v1' ignore missing %}b"
    assert engine.render(source, {}, resolver=resolver_for(PROMPTS)) == "ab"


def test_syntax_error_in_referenced_prompt_names_it(engine: TemplateEngine) -> None:
    resolver = resolver_for({"prompt:bad@v1": "ok\n{% endfor %}"})
    with pytest.raises(TemplateSyntaxProblem) as info:
        engine.render("{% include 'prompt:bad@v1' %}", {}, resolver=resolver)
    assert info.value.details["field"] == "prompt:bad@v1"
    assert info.value.details["line"] == 2


def test_self_reference_is_a_cycle(engine: TemplateEngine) -> None:
    resolver = resolver_for({"prompt:a@v1": "{% include 'prompt:a@v1' %}"})
    with pytest.raises(ReferenceCycle) as info:
        engine.render("{% include 'prompt:a@v1' %}", {}, resolver=resolver)
    assert info.value.details == {"cycle": ["prompt:a@v1", "prompt:a@v1"]}


def test_indirect_cycle_is_detected_before_rendering(engine: TemplateEngine) -> None:
    resolved: list[str] = []
    prompts = {
        "prompt:a@v1": "A{% include 'prompt:b@production' %}",
        "prompt:b@production": "B{% extends 'prompt:a@v1' %}",
    }

    def resolver(ref: PromptRef) -> str:
        resolved.append(str(ref))
        return prompts[str(ref)]

    with pytest.raises(ReferenceCycle) as info:
        engine.collect("{% include 'prompt:a@v1' %}", resolver)
    assert info.value.details == {"cycle": ["prompt:a@v1", "prompt:b@production", "prompt:a@v1"]}
    assert resolved == ["prompt:a@v1", "prompt:b@production"]  # each resolved once


def test_include_depth_limit() -> None:
    engine = TemplateEngine(TemplateLimits(max_include_depth=3))
    chain = {f"prompt:p{i}@v1": f"{i}{{% include 'prompt:p{i + 1}@v1' %}}" for i in range(5)}
    chain["prompt:p5@v1"] = "end"
    resolver = resolver_for(chain)
    assert engine.render("{% include 'prompt:p3@v1' %}", {}, resolver=resolver) == "34end"
    with pytest.raises(TemplateLimitExceeded) as info:
        engine.render("{% include 'prompt:p0@v1' %}", {}, resolver=resolver)
    assert info.value.details == {"limit": "max_include_depth", "value": 3}


def test_depth_limit_applies_to_shared_references() -> None:
    engine = TemplateEngine(TemplateLimits(max_include_depth=2))
    prompts = {
        "prompt:short@v1": "{% include 'prompt:leaf@v1' %}",
        "prompt:leaf@v1": "{% include 'prompt:tail@v1' %}",
        "prompt:tail@v1": "t",
    }
    source = "{% include 'prompt:leaf@v1' %}{% include 'prompt:short@v1' %}"
    with pytest.raises(TemplateLimitExceeded):
        engine.collect(source, resolver_for(prompts))


def test_diamond_references_resolve_each_prompt_once(engine: TemplateEngine) -> None:
    calls: list[str] = []
    layers = {
        f"prompt:l{i}@v1": "".join(f"{{% include 'prompt:l{i + 1}@v1' %}}" * 3) for i in range(8)
    }
    layers["prompt:l8@v1"] = "x"

    def resolver(ref: PromptRef) -> str:
        calls.append(str(ref))
        return layers[str(ref)]

    assert len(engine.collect("{% include 'prompt:l1@v1' %}", resolver)) == 8
    assert len(calls) == 8


def test_moving_a_label_changes_what_renders(engine: TemplateEngine) -> None:
    prompts = {"prompt:tone@production": "old {{ x }}"}
    source = "[{% include 'prompt:tone@production' %}]"
    assert engine.render(source, {"x": 1}, resolver=resolver_for(prompts)) == "[old 1]"
    prompts["prompt:tone@production"] = "new {{ x }}"
    assert engine.render(source, {"x": 1}, resolver=resolver_for(prompts)) == "[new 1]"


# ---------------------------------------------------------------- cache, speed, threads


def test_a_template_is_compiled_once_then_served_from_the_cache() -> None:
    # What keeps repeated renders cheap; their speed is measured by bench/render.py.
    engine = TemplateEngine()
    source = "Hello {{ name }}, you are {{ age }} years old."
    with mock.patch.object(engine, "_build", wraps=engine._build) as build:
        for age in range(2000):
            rendered = engine.render(source, {"name": "Ann", "age": age})
            assert rendered == f"Hello Ann, you are {age} years old."
        engine.analyze(source)
    assert build.call_count == 1


def test_cache_is_bounded() -> None:
    engine = TemplateEngine(cache_size=2)
    for i in range(5):
        assert engine.render(f"{i}{{{{ x }}}}", {"x": "!"}) == f"{i}!"
    assert engine.analyze("{{ a }}").variables == (VariableInfo("a", True),)


def test_concurrent_renders_do_not_interfere() -> None:
    engine = TemplateEngine(TemplateLimits(max_loop_iterations=5_000))
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        label = {"prompt:part@live": f"part{n}-{{{{ v }}}}"}
        try:
            for i in range(200):
                if n % 4 == 0:  # some threads keep hitting a limit
                    with pytest.raises(TemplateLimitExceeded):
                        engine.render("{% for i in range(n) %}{% endfor %}", {"n": 6000})
                source = "{% for i in range(k) %}.{% endfor %}{% include 'prompt:part@live' %}"
                out = engine.render(source, {"k": 1000, "v": i}, resolver=resolver_for(label))
                assert out == "." * 1000 + f"part{n}-{i}"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# ---------------------------------------------------------------- properties

PLAIN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
    max_size=300,
).filter(lambda s: "{{" not in s and "{%" not in s and "{#" not in s)


@settings(max_examples=300, deadline=None)
@given(PLAIN_TEXT)
def test_text_without_jinja_syntax_renders_unchanged(text: str) -> None:
    assert ENGINE.render(text, {}) == text


FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", " ", "\n", "x", "y", "items", "1", "0",
    "9", "10", "-1", "'a'", '"b"', "(", ")", "[", "]", ",", ".", "|", "~", "+", "-", "*", "**",
    "/", "//", "%", "==", "<", "and", "or", "not", "in", "is", "defined", "if", "else", "elif",
    "endif", "for", "endfor", "recursive", "loop", "set", "endset", "=", "macro", "endmacro",
    "call", "endcall", "caller", "block", "endblock", "super", "self", "filter", "endfilter",
    "raw", "endraw", "include", "import", "extends", "from", "as", "with", "endwith",
    "'prompt:p@v1'", "range", "dict", "namespace", "upper", "center", "join", "format",
    "replace", "indent", "wordwrap", "list", "map", "default", "length", "batch", "slice",
    "sum", "tojson", "attr", "__class__", "_x", "mro", "items()", "keys", "ljust", "zfill",
    ":", "{", "}", "true", "none", "1e308", "9999999999", "\\x5f", "'%s'", "'{}'",
]  # fmt: skip
ENGINE = TemplateEngine(TemplateLimits(max_seconds=0.5))
FUZZ_PROMPTS = {"prompt:p@v1": "{{ x }}{% block b %}{% endblock %}{% macro m() %}m{% endmacro %}"}


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_arbitrary_templates_only_raise_domain_errors(source: str) -> None:
    variables = {"x": "s", "y": [1, 2], "items": {"a": 1}}
    try:
        ENGINE.analyze(source)
        ENGINE.render(source, variables, resolver=resolver_for(FUZZ_PROMPTS))
    except DomainError as exc:
        assert "object at 0x" not in exc.message
