"""Templates through the API: variables, validation, rendering, composition, sandbox, limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from promptyard.services.context import Core
from tests.api._helpers import (
    API,
    PROMPTS,
    create,
    error,
    ok,
    patch,
    set_label,
    snapshot,
)

RENDER = f"{API}/templates/render"
VALIDATE = f"{API}/templates/validate"


def _render(client: TestClient, name: str, **body: Any) -> Any:
    return client.post(f"{PROMPTS}/{name}/render", json=body)


def _variables(body: dict[str, Any]) -> dict[str, bool]:
    return {v["name"]: v["required"] for v in body["version"]["variables"]}


def test_variables_required_and_optional(app_client: TestClient) -> None:
    body = create(
        app_client,
        "vars",
        "{{ greeting }} {{ name | default('friend') }}{% if title is defined %}, {{ title }}"
        "{% endif %}{% for item in items %}{{ item }}{{ sep }}{% endfor %}",
    )
    assert _variables(body) == {
        "greeting": True,
        "name": False,
        "title": False,
        "items": True,
        "sep": True,
    }
    check = ok(
        app_client.post(VALIDATE, json={"type": "text", "content": body["version"]["content"]})
    )
    assert check["valid"] is True and check["errors"] == []
    assert {v["name"]: v["required"] for v in check["variables"]} == _variables(body)

    rendered = ok(
        _render(app_client, "vars", variables={"greeting": "Hi", "items": [1, 2], "sep": ";"})
    )
    assert rendered == {"type": "text", "rendered": "Hi friend1;2;", "version": 1}
    rendered = ok(
        _render(
            app_client,
            "vars",
            variables={"greeting": "Hi", "name": "Ann", "title": "Dr", "items": [], "sep": ""},
        )
    )
    assert rendered["rendered"] == "Hi Ann, Dr"


def test_render_selection_and_missing_variables(app_client: TestClient) -> None:
    create(app_client, "need", "{{ a }} {{ b }} {{ c | default('x') }} {{ d }}")
    err = error(_render(app_client, "need", variables={"b": 1}), 422, "missing_variables")
    assert err["details"] == {"missing": ["a", "d"]}
    err = error(_render(app_client, "need"), 422, "missing_variables")
    assert err["details"] == {"missing": ["a", "b", "d"]}
    err = error(
        app_client.post(RENDER, json={"content": "{{ x }}{{ y }}", "variables": {}}),
        422,
        "missing_variables",
    )
    assert err["details"]["missing"] == ["x", "y"]

    # Render a chosen version or label.
    create(app_client, "pick", "one {{ x }}")
    ok(patch(app_client, "pick", content="two {{ x }}"))
    ok(set_label(app_client, "pick", "production", 1))
    assert ok(_render(app_client, "pick", variables={"x": 1}))["rendered"] == "two 1"
    assert ok(_render(app_client, "pick", variables={"x": 1}, version=1)) == {
        "type": "text",
        "rendered": "one 1",
        "version": 1,
    }
    assert ok(_render(app_client, "pick", variables={"x": 1}, label="production"))["version"] == 1
    error(_render(app_client, "pick", variables={}, version=3), 404, "not_found")
    error(_render(app_client, "pick", variables={}, label="nope"), 404, "not_found")
    error(_render(app_client, "ghost", variables={}), 404, "not_found")


SYNTAX_ERRORS = [
    ("{% if %}yes{% endif %}", 1, 1),
    ("Hello\n  {{ name }\nBye", 2, 3),
    ("one\ntwo\nthree {{ a + }} four", 3, 7),
    ("ok {{ fine }}\n\nand {% for x in %}{% endfor %}", 3, 5),
]


def test_syntax_error_on_save_has_line_and_column(app_client: TestClient, core: Core) -> None:
    create(app_client, "fine", "ok")
    state = snapshot(core)
    for content, line, column in SYNTAX_ERRORS:
        err = error(
            app_client.post(PROMPTS, json={"name": "broken", "content": content}),
            422,
            "template_syntax_error",
        )
        assert err["details"]["field"] == "content"
        assert (err["details"]["line"], err["details"]["column"]) == (line, column), content
        assert err["details"]["message"]

        err = error(patch(app_client, "fine", content=content), 422, "template_syntax_error")
        assert (err["details"]["line"], err["details"]["column"]) == (line, column), content

        check = ok(app_client.post(VALIDATE, json={"type": "text", "content": content}))
        assert check["valid"] is False
        assert [(e["line"], e["column"]) for e in check["errors"]] == [(line, column)]
    assert snapshot(core) == state


def test_chat_syntax_errors_name_the_message(app_client: TestClient) -> None:
    chat = [
        {"role": "system", "content": "fine {{ a }}"},
        {"role": "user", "content": "line\nbad {{ b }"},
    ]
    err = error(
        app_client.post(PROMPTS, json={"name": "c", "type": "chat", "content": chat}),
        422,
        "template_syntax_error",
    )
    assert err["details"]["field"] == "content[1].content"
    assert (err["details"]["line"], err["details"]["column"]) == (2, 5)
    chat.append({"role": "assistant", "content": "{% endif %}"})
    check = ok(app_client.post(VALIDATE, json={"type": "chat", "content": chat}))
    assert check["valid"] is False
    assert [e["field"] for e in check["errors"]] == ["content[1].content", "content[2].content"]


def test_chat_rendering_with_placeholder(app_client: TestClient) -> None:
    create(app_client, "tone", "Be kind.")
    create(
        app_client,
        "support",
        [
            {
                "role": "system",
                "content": 'You help {{ company }} customers. {% include "prompt:tone@v1" %}',
            },
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{ question }}", "name": "customer"},
        ],
    )
    history = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello, how can I help?"},
    ]
    body = ok(
        _render(
            app_client,
            "support",
            variables={"company": "ACME", "question": "Where is my order?", "history": history},
        )
    )
    assert body["type"] == "chat"
    assert body["rendered"] == [
        {"role": "system", "content": "You help ACME customers. Be kind."},
        *history,
        {"role": "user", "content": "Where is my order?", "name": "customer"},
    ]
    err = error(
        _render(app_client, "support", variables={"company": "ACME"}), 422, "missing_variables"
    )
    assert err["details"]["missing"] == ["history", "question"]
    bad = _render(
        app_client,
        "support",
        variables={"company": "A", "question": "q", "history": "not a list"},
    )
    error(bad, 422, "render_error")
    unsaved = ok(
        app_client.post(
            RENDER,
            json={
                "type": "chat",
                "content": [{"role": "user", "content": "{{ 1 + n }}"}],
                "variables": {"n": 2},
            },
        )
    )
    assert unsaved == {"type": "chat", "rendered": [{"role": "user", "content": "3"}]}


def test_include_by_label_and_version_follows_label_moves(app_client: TestClient) -> None:
    create(app_client, "tone", "Be polite.")
    ok(patch(app_client, "tone", content="Be terse, {{ name }}."))
    ok(set_label(app_client, "tone", "production", 1))
    body = create(
        app_client,
        "reply",
        '{% include "prompt:tone@production" %} Hi {{ name }}. {% include "prompt:tone@v2" %}',
    )
    assert body["version"]["references"] == ["prompt:tone@production", "prompt:tone@v2"]
    assert _variables(body) == {"name": True}

    first = ok(_render(app_client, "reply", variables={"name": "Bo"}))
    assert first["rendered"] == "Be polite. Hi Bo. Be terse, Bo."
    ok(set_label(app_client, "tone", "production", 2))
    second = ok(_render(app_client, "reply", variables={"name": "Bo"}))
    assert second["rendered"] == "Be terse, Bo. Hi Bo. Be terse, Bo."
    # Unsaved content resolves references the same way.
    unsaved = ok(
        app_client.post(
            RENDER, json={"content": '[{% include "prompt:tone@v1" %}]', "variables": {}}
        )
    )
    assert unsaved["rendered"] == "[Be polite.]"

    # Once the included prompt is gone, rendering is a bad reference, not a crash.
    ok(app_client.delete(f"{PROMPTS}/tone"), 204)
    error(_render(app_client, "reply", variables={"name": "Bo"}), 422, "bad_reference")


def test_extends_pinned_by_label_and_by_version(app_client: TestClient) -> None:
    create(app_client, "layout", "Head\n{% block body %}default{% endblock %}\nFoot")
    ok(patch(app_client, "layout", content="HEAD\n{% block body %}default{% endblock %}\nFOOT"))
    ok(set_label(app_client, "layout", "stable", 1))
    create(
        app_client,
        "page-v",
        '{% extends "prompt:layout@v2" %}{% block body %}Body {{ who }}{% endblock %}',
    )
    create(
        app_client,
        "page-l",
        '{% extends "prompt:layout@stable" %}{% block body %}Body {{ who }}{% endblock %}',
    )
    assert ok(_render(app_client, "page-v", variables={"who": "W"}))["rendered"] == (
        "HEAD\nBody W\nFOOT"
    )
    assert ok(_render(app_client, "page-l", variables={"who": "W"}))["rendered"] == (
        "Head\nBody W\nFoot"
    )
    ok(set_label(app_client, "layout", "stable", 2))
    assert ok(_render(app_client, "page-l", variables={"who": "W"}))["rendered"] == (
        "HEAD\nBody W\nFOOT"
    )

    # Macros come in through import and from-import, pinned the same way.
    create(app_client, "macros", "{% macro greet(n) %}Hi {{ n }}!{% endmacro %}")
    create(app_client, "use-import", '{% import "prompt:macros@v1" as m %}{{ m.greet(who) }}')
    create(app_client, "use-from", '{% from "prompt:macros@latest" import greet %}{{ greet(1) }}')
    assert ok(_render(app_client, "use-import", variables={"who": "Al"}))["rendered"] == "Hi Al!"
    assert ok(_render(app_client, "use-from"))["rendered"] == "Hi 1!"


BAD_REFERENCES = [
    "prompt:tone",
    "prompt:missing@production",
    "prompt:tone@staging",
    "prompt:tone@v9",
    "tone",
]


def test_bad_references_are_refused_on_save(app_client: TestClient, core: Core) -> None:
    create(app_client, "tone", "Be polite.")
    state = snapshot(core)
    for reference in BAD_REFERENCES:
        _refused_everywhere(app_client, reference)
    assert snapshot(core) == state


def _refused_everywhere(app_client: TestClient, reference: str) -> None:
    for body in (
        {"name": "uses", "content": f'{{% include "{reference}" %}}'},
        {"name": "uses", "content": f'{{% extends "{reference}" %}}'},
        {
            "name": "uses",
            "type": "chat",
            "content": [{"role": "system", "content": f'{{% include "{reference}" %}}'}],
        },
    ):
        err = error(app_client.post(PROMPTS, json=body), 422, "bad_reference")
        assert reference in err["message"] or reference in str(err["details"])
    err = error(patch(app_client, "tone", content=f'{{% include "{reference}" %}}'), 422)
    assert err["code"] in {"bad_reference", "reference_cycle"}
    error(
        app_client.post(RENDER, json={"content": f'{{% include "{reference}" %}}'}),
        422,
        "bad_reference",
    )


def test_validate_reports_bad_references_as_data(app_client: TestClient) -> None:
    """docs/api.md: /templates/validate always answers 200, problems come back as data."""
    create(app_client, "tone", "Be polite.")
    statuses = {}
    for reference in BAD_REFERENCES:
        response = app_client.post(VALIDATE, json={"content": f'{{% include "{reference}" %}}'})
        statuses[reference] = response.status_code
        if response.status_code == 200:
            check = response.json()
            assert check["valid"] is False, reference
            assert len(check["errors"]) == 1, reference
            assert reference in check["errors"][0]["message"], reference
    assert statuses == dict.fromkeys(BAD_REFERENCES, 200)


def test_cycles_are_refused_on_save(app_client: TestClient, core: Core) -> None:
    error(
        app_client.post(
            PROMPTS, json={"name": "me", "content": '{% include "prompt:me@latest" %}'}
        ),
        422,
        "reference_cycle",
    )
    create(app_client, "b", "B")
    create(app_client, "a", 'A {% include "prompt:b@latest" %}')
    create(app_client, "c", 'C {% include "prompt:a@latest" %}')
    state = snapshot(core)
    err = error(
        patch(app_client, "b", content='B {% include "prompt:c@latest" %}'),
        422,
        "reference_cycle",
    )
    cycle = err["details"]["cycle"]
    assert cycle[0] == cycle[-1]
    assert {"prompt:a@latest", "prompt:b@latest", "prompt:c@latest"} <= set(cycle)
    assert snapshot(core) == state
    assert ok(_render(app_client, "c"))["rendered"] == "C A B"


def test_cycles_are_refused_on_label_move(app_client: TestClient, core: Core) -> None:
    create(app_client, "b", "plain B")
    ok(set_label(app_client, "b", "stable", 1))
    create(app_client, "a", 'A {% include "prompt:b@stable" %}')
    # b v2 includes a: no cycle yet, because a includes b@stable, which is still v1.
    ok(patch(app_client, "b", content='B {% include "prompt:a@latest" %}'))
    state = snapshot(core)
    err = error(set_label(app_client, "b", "stable", 2), 422, "reference_cycle")
    assert err["details"]["cycle"][0] == err["details"]["cycle"][-1]
    assert snapshot(core) == state
    assert ok(_render(app_client, "a"))["rendered"] == "A plain B"


def test_cycles_are_refused_on_bulk_label_move(app_client: TestClient, core: Core) -> None:
    create(app_client, "b", "plain B")
    ok(set_label(app_client, "b", "stable", 1))
    create(app_client, "a", 'A {% include "prompt:b@stable" %}')
    ok(patch(app_client, "b", content='B {% include "prompt:a@latest" %}'))
    state = snapshot(core)
    response = app_client.post(
        f"{PROMPTS}/bulk", json={"action": "label", "names": ["b"], "label": "stable"}
    )
    error(response, 422, "reference_cycle")
    assert snapshot(core) == state
    assert ok(_render(app_client, "a"))["rendered"] == "A plain B"


SSTI = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ x.__class__ }}",
    "{% set y = x.append(1) %}{{ x }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ request.application.__globals__ }}",
]


@pytest.mark.parametrize("use_saved", [False, True])
def test_ssti_payloads_are_refused(app_client: TestClient, use_saved: bool) -> None:
    for index, payload in enumerate(SSTI):
        variables = {"x": [1, 2]}
        if use_saved:
            name = f"ssti-{index}"
            saved = app_client.post(PROMPTS, json={"name": name, "content": payload})
            if saved.status_code != 201:
                error(saved, 422)  # refusing at save time is fine too
                continue
            response = _render(app_client, name, variables=variables)
        else:
            response = app_client.post(RENDER, json={"content": payload, "variables": variables})
        assert 400 <= response.status_code < 500, (payload, response.status_code, response.text)
        err = error(response, response.status_code)
        text = response.text
        for leak in ("<class", "subprocess", "uid=", "__builtins__", "Popen", "function"):
            assert leak not in text, (payload, text)
        assert err["code"] != "internal_error"
    # Variables named like Jinja globals cannot be used to reach internals either.
    response = app_client.post(
        RENDER,
        json={"content": "{{ cycler.__init__.__globals__ }}", "variables": {"cycler": "c"}},
    )
    error(response, 422, "template_security_violation")


DOS = [
    ("{{ 'x' * 10**7 }}", None),
    ("{{ 'x' * 10000000 }}", "max_sequence_size"),
    ("{% for i in range(10**9) %}{{ i }}{% endfor %}", "max_range"),
    ("{{ range(10**9) | list | length }}", "max_range"),
    ("{% for i in range(10000) %}{% for j in range(10000) %}.{% endfor %}{% endfor %}", None),
    ("{{ 7 ** 1000000 }}", "max_power"),
]


def test_dos_payloads_hit_limits_quickly(app_client: TestClient) -> None:
    for index, (content, limit) in enumerate(DOS):
        started = time.monotonic()
        err = error(
            app_client.post(RENDER, json={"content": content, "variables": {}}),
            422,
            "template_limit_exceeded",
        )
        assert time.monotonic() - started < 5, content
        if limit is not None:
            assert err["details"]["limit"] == limit, content
        create(app_client, f"dos-{index}", content)
        started = time.monotonic()
        error(_render(app_client, f"dos-{index}"), 422, "template_limit_exceeded")
        assert time.monotonic() - started < 5, content


def test_validate_endpoint_reports_references_and_problems(app_client: TestClient) -> None:
    create(app_client, "tone", "Polite")
    good = ok(
        app_client.post(VALIDATE, json={"content": '{% include "prompt:tone@latest" %} {{ who }}'})
    )
    assert good == {
        "valid": True,
        "variables": [{"name": "who", "required": True}],
        "references": ["prompt:tone@latest"],
        "errors": [],
    }
    wrong_type = ok(app_client.post(VALIDATE, json={"type": "chat", "content": "text"}))
    assert wrong_type["valid"] is False and wrong_type["errors"]
    error(app_client.post(VALIDATE, json={"content": "x", "extra": 1}), 422, "validation_error")
    error(app_client.post(VALIDATE, json={"type": "nope", "content": "x"}), 422)
