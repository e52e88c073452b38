"""Running a prompt against a model provider.

This release ships the built-in ``fake`` provider, which echoes the rendered prompt; real
providers (OpenAI-compatible, Anthropic) plug into :data:`PROVIDERS` in the runtime
release.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import parse_content
from promptyard.domain.templates import Deadline
from promptyard.services.context import Core
from promptyard.services.prompts.lookup import load_prompt, make_resolver, resolve_selector
from promptyard.services.prompts.rendering import Rendered, render_content


@dataclass(frozen=True)
class Completion:
    output: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


class Provider(Protocol):
    name: str

    def models(self) -> list[dict[str, str]]: ...

    def complete(self, model: str, rendered: Rendered, config: dict[str, Any]) -> Completion: ...


def _as_text(rendered: Rendered) -> str:
    if isinstance(rendered, str):
        return rendered
    return "\n".join(f"{m['role']}: {m['content']}" for m in rendered)


class FakeProvider:
    """Deterministic provider for tests and demos: answers with the prompt it got."""

    name = "fake"

    def models(self) -> list[dict[str, str]]:
        return [
            {"id": "fake/echo", "provider": "fake", "name": "Echo (fake provider)"},
            {"id": "fake/upper", "provider": "fake", "name": "Upper-case echo (fake provider)"},
        ]

    def complete(self, model: str, rendered: Rendered, config: dict[str, Any]) -> Completion:
        text = _as_text(rendered)
        output = text.upper() if model == "upper" else text
        limit = config.get("max_tokens")
        words = output.split()
        if isinstance(limit, int) and len(words) > limit:
            output = " ".join(words[:limit])
        return Completion(
            output=output,
            input_tokens=len(text.split()),
            output_tokens=len(output.split()),
            cost_usd=0.0,
        )


def providers() -> dict[str, Provider]:
    return {"fake": FakeProvider()}


def list_models() -> list[dict[str, str]]:
    return [model for provider in providers().values() for model in provider.models()]


def execute(
    core: Core,
    *,
    project_id: int,
    model: str,
    variables: dict[str, Any],
    prompt: str | None = None,
    version: int | None = None,
    label: str | None = None,
    type_: str | None = None,
    content: Any = None,
    config: dict[str, Any] | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    provider_name, _, model_name = model.partition("/")
    registry = providers()
    if provider_name not in registry or not model_name:
        known = ", ".join(m["id"] for m in list_models())
        raise ValidationFailed(f"unknown model {model!r}; available: {known}")
    with core.store.read() as session:
        resolver = make_resolver(session, project_id)
        if content is not None:
            try:
                parsed = parse_content(type_ or "text", content)
            except ValueError as exc:
                raise ValidationFailed(str(exc)) from None
            run_type, run_config = type_ or "text", dict(config or {})
        elif prompt is not None:
            row = load_prompt(session, project_id, prompt)
            selected = resolve_selector(session, row, version=version, label=label)
            parsed, run_type = selected.content, selected.type
            run_config = {**selected.config, **(config or {})}
        else:
            raise ValidationFailed("give either 'prompt' (a stored prompt) or 'content'")
        rendered = render_content(core, run_type, parsed, variables, resolver, deadline)
    started = time.perf_counter()
    completion = registry[provider_name].complete(model_name, rendered, run_config)
    latency_ms = (time.perf_counter() - started) * 1000
    return {
        "output": completion.output,
        "model": model,
        "provider": provider_name,
        "usage": {
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "total_tokens": completion.input_tokens + completion.output_tokens,
        },
        "cost_usd": completion.cost_usd,
        "latency_ms": round(latency_ms, 3),
        "rendered": rendered,
    }
