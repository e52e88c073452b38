"""Rendering, template checks and execution through the SDK."""

from __future__ import annotations

import pytest

from promptyard.client import Client, PromptyardError


def test_render_text_version_and_label(client: Client, name: str) -> None:
    client.create_prompt(name, content="Hi {{ who }}")
    client.update_prompt(name, content="Bye {{ who }}")
    client.set_label(name, "production", 1)
    assert client.render(name, {"who": "Ann"}) == {
        "type": "text",
        "rendered": "Bye Ann",
        "version": 2,
    }
    assert client.render(name, {"who": "Ann"}, version=1)["rendered"] == "Hi Ann"
    assert client.render(name, {"who": "Ann"}, label="production")["rendered"] == "Hi Ann"


def test_render_missing_variable(client: Client, name: str) -> None:
    client.create_prompt(name, content="Hi {{ who }}")
    with pytest.raises(PromptyardError) as info:
        client.render(name, {})
    assert info.value.status == 422
    assert info.value.code == "missing_variables"
    assert info.value.details == {"missing": ["who"]}


def test_render_chat_with_placeholder(client: Client, name: str) -> None:
    client.create_prompt(
        name,
        type="chat",
        content=[
            {"role": "system", "content": "About {{ topic }}"},
            {"type": "placeholder", "name": "history"},
        ],
    )
    result = client.render(
        name, {"topic": "tea", "history": [{"role": "user", "content": "hello"}]}
    )
    assert result["type"] == "chat"
    assert result["rendered"] == [
        {"role": "system", "content": "About tea"},
        {"role": "user", "content": "hello"},
    ]


def test_include_another_prompt(client: Client, name: str) -> None:
    base = f"{name}-base"
    client.create_prompt(base, content="Be kind.")
    client.set_label(base, "production", 1)
    client.create_prompt(name, content=f'{{% include "prompt:{base}@production" %}} {{{{ x }}}}')
    assert client.render(name, {"x": "Go."})["rendered"] == "Be kind. Go."


def test_validate_template(client: Client) -> None:
    ok = client.validate_template("text", "Hello {{ name }}")
    assert ok["valid"] is True
    assert ok["variables"] == [{"name": "name", "required": True}]
    assert ok["errors"] == []
    bad = client.validate_template("text", "Hello {{ name ")
    assert bad["valid"] is False
    assert bad["errors"][0]["line"] == 1


def test_render_template(client: Client) -> None:
    assert client.render_template("text", "{{ a }}+{{ b }}", {"a": 1, "b": 2}) == {
        "type": "text",
        "rendered": "1+2",
    }
    chat = client.render_template("chat", [{"role": "user", "content": "{{ q }}"}], {"q": "?"})
    assert chat["rendered"] == [{"role": "user", "content": "?"}]


def test_execute(client: Client, name: str) -> None:
    models = client.list_models()["items"]
    assert any(model["id"] == "fake/echo" for model in models)
    client.create_prompt(name, content="say {{ word }}")
    result = client.execute("fake/echo", {"word": "cheese"}, prompt=name)
    assert result["model"] == "fake/echo"
    assert result["provider"] == "fake"
    assert result["rendered"] == "say cheese"
    assert "cheese" in result["output"]
    assert result["usage"]["total_tokens"] == (
        result["usage"]["input_tokens"] + result["usage"]["output_tokens"]
    )
    unsaved = client.execute("fake/echo", {"x": "y"}, type="text", content="echo {{ x }}")
    assert unsaved["rendered"] == "echo y"
    with pytest.raises(PromptyardError) as info:
        client.execute("nope/model", {}, prompt=name)
    assert info.value.status == 422
