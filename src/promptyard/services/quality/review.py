"""LLM review: a model of one of the workspace's provider connections proposes a better
version of a prompt, with the reasons, as a new version to accept or reject.

The call goes through the runtime like any execution (connection, concurrency limit,
retries, timeouts) and is recorded as a generation of its own (``feature``
``quality-review``, tag ``review``), priced like any other. Before the call, the cost is
estimated the way executions are priced: the input's tokens (counted as the connection's
provider counts them) and the answer's bound (the ``max_tokens`` sent) times the model's
price (the workspace's overrides first, then the bundled table); ``dry_run`` stops there.

Nothing is saved here: accepting the proposal is an ordinary update of the prompt
(``PATCH /prompts/{name}`` with ``base_version``), so it passes every guard a save does.
A version holding a secret is never sent to a model.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from promptyard.domain.diff import diff_contents
from promptyard.domain.errors import Conflict, ProviderFailed
from promptyard.domain.schemas import content_length, parse_content
from promptyard.services.context import Core
from promptyard.services.prompts.lookup import load_prompt, resolve_selector
from promptyard.services.quality import engine, findings
from promptyard.services.quality.review_schemas import ReviewInput, ReviewPublic
from promptyard.services.runtime import execution
from promptyard.services.runtime.schemas import ExecuteInput
from promptyard.services.telemetry import generations, pricing, tokens

FEATURE = "quality-review"
#: The answer's bound: twice the prompt's tokens plus room for the reasons, within these.
MIN_OUTPUT_TOKENS = 1024
MAX_OUTPUT_TOKENS = 8192
#: Findings listed to the reviewer at most.
MAX_LISTED_FINDINGS = 40

BRIEF = """You are an expert prompt engineer reviewing a prompt template kept in a prompt \
registry. Improve it following published prompt-engineering guidance (OpenAI's and \
Anthropic's prompt guides): state the task and role first, say what the output must look \
like, put variables inside clear delimiters, give an example when the output is \
structured, bound the answer's length, remove contradictions. Address the findings of \
the automatic linter listed below where they apply. Keep the prompt's intent, language \
and every template variable and Jinja tag it uses ({{ name }}, {% if %}, {% include %}). \
Never add secrets or personal data.

Answer with one JSON object only, no prose around it:
{"summary": "<one sentence: what you changed>", \
"suggestions": [{"title": "<short>", "rationale": "<why, citing the guidance>"}], \
"content": <the improved template: a string for a text prompt; for a chat prompt a list \
of {"role": "system"|"user"|"assistant", "content": "<text>"} messages>}"""


def _reviewer_messages(
    type_: str, content: Any, found: list[dict[str, Any]], instructions: str
) -> list[dict[str, str]]:
    system = BRIEF
    if instructions.strip():
        system += f"\n\nThe prompt's owner asks you to focus on:\n{instructions.strip()}"
    listed = "\n".join(
        f"- [{f['severity']}] {f['rule']} (line {f['line']}): {f['title']}. {f['suggestion']}"
        for f in found[:MAX_LISTED_FINDINGS]
    )
    template = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    user = (
        f"PROMPT TYPE: {type_}\n\nTEMPLATE:\n<<<\n{template}\n>>>\n\n"
        f"LINTER FINDINGS:\n{listed or '- none'}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _execute_body(model: str, messages: list[dict[str, str]], max_tokens: int) -> ExecuteInput:
    # The text goes in as variables, so nothing in the prompt is read as template syntax.
    return ExecuteInput(
        model=model,
        type="chat",
        content=[
            {"role": m["role"], "content": "{{ m" + str(i) + " }}"} for i, m in enumerate(messages)
        ],
        variables={f"m{i}": m["content"] for i, m in enumerate(messages)},
        config={"max_tokens": max_tokens, "temperature": 0.2},
        feature=FEATURE,
        tags=["review"],
    )


def _input_tokens(kind: str, model: str, messages: list[dict[str, Any]]) -> int:
    """Tokens as the connection's provider will count them: the fake provider's own
    count (a quarter of the characters, rounded up), else ``telemetry.tokens``."""
    if kind == execution.FAKE:
        return math.ceil(sum(len(str(m.get("content") or "")) for m in messages) / 4)
    return tokens.count_input(model, messages)


def _estimate(
    core: Core, workspace_id: int, kind: str, model: str, input_tokens: int, output_tokens: int
) -> dict[str, Any]:
    rates = generations.rates_for(core, workspace_id, kind, model)
    cost = None if rates is None else pricing.cost_of(rates, input_tokens, output_tokens, None)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "output_basis": "max_tokens",
        "cost": None if cost is None else round(cost.input + cost.output, 6),
        "currency": None if cost is None else cost.currency,
        "price_source": None if cost is None else cost.source,
        "price_known": rates is not None,
    }


_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def _answer(text: str, type_: str, max_chars: int) -> dict[str, Any]:
    """The proposal in the model's answer (code fences and prose around it allowed);
    a malformed answer is the provider's failure (502), with what was wrong."""
    found = _OBJECT.search(text)
    try:
        value = json.loads(found.group(0)) if found else None
    except ValueError as exc:
        raise ProviderFailed(f"the reviewer's answer is not valid JSON: {exc}") from None
    if not isinstance(value, dict) or "content" not in value:
        raise ProviderFailed(
            "the reviewer's answer holds no JSON object with 'content' (the proposed "
            "template); try a more capable model"
        )
    try:
        content = parse_content(type_, value["content"])
    except ValueError as exc:
        raise ProviderFailed(
            f"the reviewer's proposed {type_} prompt is not valid: {exc}"
        ) from None
    if content_length(content) > max_chars:
        raise ProviderFailed("the reviewer's proposal is longer than a prompt may be")
    suggestions = []
    for item in value.get("suggestions") or []:
        if isinstance(item, dict) and item.get("title"):
            suggestions.append(
                {
                    "title": str(item["title"])[:300],
                    "rationale": str(item.get("rationale") or "")[:2000],
                }
            )
    summary = value.get("summary")
    return {
        "content": content,
        "summary": None if summary is None else str(summary)[:2000],
        "suggestions": suggestions[:30],
    }


def _load(core: Core, project_id: int, name: str, data: ReviewInput) -> dict[str, Any]:
    with core.store.read() as session:
        prompt = load_prompt(session, project_id, name)
        selected = resolve_selector(session, prompt, version=data.version, label=data.label)
        return {
            "number": selected.number,
            "latest": prompt.latest_version,
            "type": selected.type,
            "content": selected.content,
            "config": dict(selected.config or {}),
        }


@dataclass
class Plan:
    """A review checked, rendered and estimated: what :func:`ask` sends."""

    answer: dict[str, Any]
    prepared: execution.Prepared
    version: dict[str, Any]


def plan(core: Core, *, workspace_id: int, project_id: int, name: str, data: ReviewInput) -> Plan:
    """Check the version (no secret in it), build the reviewer's request on the
    connection and estimate its cost. Database work: call it from a worker thread."""
    version = _load(core, project_id, name, data)
    result = findings.version_findings(
        core, project_id=project_id, name=name, version=version["number"]
    )
    secrets = [f for f in result["findings"] if f["rule"] == "secret"]
    if secrets:
        where = ", ".join(f"line {f['line']}" for f in secrets[:5])
        raise Conflict(
            f"version {version['number']} of {name!r} holds a secret ({where}); remove it "
            "before sending the prompt to a model",
            code="secret_in_prompt",
        )
    messages = _reviewer_messages(
        version["type"], version["content"], result["findings"], data.instructions
    )
    model_ref = f"{data.connection}/{data.model}"
    prompt_tokens = tokens.count_input(data.model, version["content"])
    max_tokens = min(MAX_OUTPUT_TOKENS, max(MIN_OUTPUT_TOKENS, 2 * prompt_tokens + 512))
    body = _execute_body(model_ref, messages, max_tokens)
    (prepared,) = execution.prepare(
        core, workspace_id=workspace_id, project_id=project_id, body=body
    )
    kind = prepared.connection.kind
    estimate = _estimate(
        core,
        workspace_id,
        kind,
        data.model,
        _input_tokens(kind, data.model, prepared.request.messages),
        max_tokens,
    )
    answer: dict[str, Any] = {
        "prompt": name,
        "version": version["number"],
        "latest_version": version["latest"],
        "model": model_ref,
        "dry_run": data.dry_run,
        "estimate": estimate,
        "score": result["score"],
    }
    return Plan(answer=answer, prepared=prepared, version=version)


def estimate_only(plan: Plan) -> ReviewPublic:
    return ReviewPublic.model_validate(plan.answer)


async def ask(core: Core, *, project_id: int, plan: Plan) -> ReviewPublic:
    """Call the reviewer (recorded as a generation) and answer its proposal, scored and
    compared with the reviewed version."""
    version, name = plan.version, plan.answer["prompt"]
    outcome = await execution.run(core, project_id, plan.prepared)
    execution.raise_for(outcome)
    output = outcome.result.output if outcome.result is not None else ""
    proposal = _answer(output, version["type"], core.settings.max_content_chars)
    scored = engine.evaluate(
        core.quality_rules,
        name=name,
        type_=version["type"],
        content=proposal["content"],
        config=version["config"],
        variables=(),
    )
    usage = outcome.result.usage if outcome.result is not None else None
    diff = diff_contents(
        version["type"],
        version["content"],
        version["config"],
        version["type"],
        proposal["content"],
        version["config"],
        from_name=f"{name}@v{version['number']}",
        to_name=f"{name}@proposed",
    )
    answer = dict(plan.answer)
    answer.update(
        generation_id=outcome.generation_id,
        summary=proposal["summary"],
        suggestions=proposal["suggestions"],
        proposed={
            "type": version["type"],
            "content": proposal["content"],
            "score": scored["score"],
        },
        diff={"from": version["number"], "to": version["latest"] + 1, **diff},
        usage=None
        if usage is None
        else {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
        cost=outcome.cost,
    )
    return ReviewPublic.model_validate(answer)
