"""Evaluators that ask a model: ``llm_judge`` (a rubric) and ``pairwise`` (which of two).

The judge's call goes through the runtime like any execution (the project's provider
connection, its concurrency limit, retries, timeouts) and is recorded as a generation of
its own (``feature`` ``evaluation-judge``, tag ``judge``), priced like any other: its
cost is the score's ``cost`` and its id ``details["judge_generation_id"]``.

:func:`call_model` is synchronous: it runs the call on an event loop of its own in the
calling thread, so it is safe from worker threads (it refuses to run on a thread whose
event loop is running: call it from a worker thread there).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Coroutine
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.plugins.api import EvaluationInput, Evaluator, EvaluatorResult, ModelAnswer
from promptyard.services.context import Core
from promptyard.services.runtime import execution
from promptyard.services.runtime.schemas import ExecuteInput, ModelRef
from promptyard.store.models import SqlProject

T = TypeVar("T")
#: Messages one judge call may carry, and their total characters.
MAX_JUDGE_MESSAGES = 16
MAX_JUDGE_CHARS = 400_000
DEFAULT_CRITERION = (
    "The output answers the input correctly, completely and helpfully "
    "(and agrees with the reference answer when one is given)."
)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError(
        "a judge evaluator runs a model call of its own: call evaluate() from a worker "
        "thread, not from a running event loop"
    )


def _workspace(core: Core, project_id: int) -> int:
    with core.store.read() as session:
        found = session.scalar(select(SqlProject.workspace_id).where(SqlProject.id == project_id))
    if found is None:
        raise NotFound(f"project {project_id} not found")
    return int(found)


def call_model(
    core: Core,
    project_id: int,
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any] | None = None,
) -> ModelAnswer:
    """Call ``model`` (``<connection>/<model>``) with ``messages`` (``{"role",
    "content"}``, content as plain text: it is not treated as a template) and record the
    call as a generation of ``project_id``. Raises ``ProviderFailed`` / ``ValidationFailed``
    as execute does."""
    if not messages or len(messages) > MAX_JUDGE_MESSAGES:
        raise ValidationFailed(f"a judge call has 1 to {MAX_JUDGE_MESSAGES} messages")
    if sum(len(str(m.get("content", ""))) for m in messages) > MAX_JUDGE_CHARS:
        raise ValidationFailed(f"a judge call's messages hold at most {MAX_JUDGE_CHARS} characters")
    # The text goes in as variables, so nothing in an output is read as template syntax.
    content = [
        {"role": str(m.get("role", "user")), "content": "{{ m" + str(i) + " }}"}
        for i, m in enumerate(messages)
    ]
    variables = {f"m{i}": str(m.get("content", "")) for i, m in enumerate(messages)}
    body = ExecuteInput(
        model=model,
        type="chat",
        content=content,
        variables=variables,
        config=dict(params or {}),
        feature="evaluation-judge",
        tags=["judge"],
    )
    prepared = execution.prepare(
        core, workspace_id=_workspace(core, project_id), project_id=project_id, body=body
    )
    outcome = _run(execution.run(core, project_id, prepared[0]))
    execution.raise_for(outcome)
    result = outcome.result
    usage = result.usage if result is not None else None
    return ModelAnswer(
        output=result.output if result is not None else "",
        cost=None if outcome.cost is None else float(outcome.cost["total"]),
        generation_id=outcome.generation_id,
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
    )


_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def _json_answer(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer (code fences and prose around it allowed)."""
    found = _OBJECT.search(text)
    if found is None:
        raise ValueError("the judge's answer holds no JSON object")
    try:
        value = json.loads(found.group(0))
    except ValueError as exc:
        raise ValueError(f"the judge's answer is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError("the judge's answer is not a JSON object")
    return value


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_ .-]+$")]
    description: str = Field(min_length=1, max_length=2000)
    weight: float = Field(default=1.0, gt=0, le=100)


class Rubric(BaseModel):
    """A rubric: criteria scored on one scale. The LLM judge scores by it
    (:class:`JudgeConfig`) and so do people in annotation queues
    (services/evaluation/annotation.py), so their scores can be compared."""

    model_config = ConfigDict(extra="forbid")

    criteria: list[Criterion] = Field(
        default_factory=lambda: [Criterion(name="quality", description=DEFAULT_CRITERION)],
        min_length=1,
        max_length=20,
        description="the rubric (default: one 'quality' criterion)",
    )
    scale_min: int = Field(default=1, ge=0, le=100)
    scale_max: int = Field(default=5, ge=1, le=100)
    pass_threshold: float = Field(
        default=0.6, ge=0, le=1, description="pass when the normalised weighted mean reaches it"
    )
    instructions: str = Field(default="", max_length=4000, description="more context for the judge")

    @model_validator(mode="after")
    def _checks(self) -> Rubric:
        if self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names):
            raise ValueError("criteria: each name once")
        return self

    def normalised(self, score: float) -> float:
        """A score on the scale mapped to 0..1."""
        return (score - self.scale_min) / (self.scale_max - self.scale_min)

    def weighted(self, scores: dict[str, float]) -> float:
        """The weighted mean of the criteria's normalised scores (every criterion scored)."""
        total = sum(c.weight * self.normalised(scores[c.name]) for c in self.criteria)
        return total / sum(c.weight for c in self.criteria)


class JudgeConfig(Rubric):
    model: ModelRef = Field(description="<connection>/<model> of the judge")
    include_input: bool = True
    include_expected: bool = True
    temperature: float = Field(default=0.0, ge=0, le=2)


def _judge_messages(config: JudgeConfig, data: EvaluationInput) -> list[dict[str, Any]]:
    criteria = "\n".join(f"- {c.name}: {c.description}" for c in config.criteria)
    shape = ", ".join(
        f'"{c.name}": {{"score": <number>, "reasoning": "<why>"}}' for c in config.criteria
    )
    system = (
        "You are a strict, fair evaluator. Score the OUTPUT on each criterion below, from "
        f"{config.scale_min} (worst) to {config.scale_max} (best). Reason briefly about each "
        "criterion before you give its score. Answer with one JSON object only, exactly: "
        f'{{"criteria": {{{shape}}}, "reasoning": "<overall>"}}\n\nCriteria:\n{criteria}'
    )
    if config.instructions:
        system += f"\n\nMore context:\n{config.instructions}"
    parts = []
    if config.include_input and data.input:
        parts.append("INPUT VARIABLES:\n" + json.dumps(data.input, ensure_ascii=False, indent=1))
    if config.include_expected and data.expected is not None:
        parts.append(f"REFERENCE ANSWER:\n{data.expected}")
    parts.append(f"OUTPUT:\n{data.output}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def _criterion_score(raw: Any, name: str, config: JudgeConfig) -> tuple[float, str]:
    entry = raw.get(name) if isinstance(raw, dict) else None
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        entry = {"score": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("score"), int | float):
        raise ValueError(f"the judge gave no score for criterion {name!r}")
    score = float(entry["score"])
    if not config.scale_min <= score <= config.scale_max:
        raise ValueError(
            f"criterion {name!r}: score {score:g} is outside {config.scale_min}..{config.scale_max}"
        )
    return score, str(entry.get("reasoning") or "")


class LlmJudge(Evaluator):
    kind = "llm_judge"
    label = "LLM judge (rubric)"
    description = (
        "A model scores the output on every criterion of a rubric in one call, on a "
        "scale (default 1-5), reasoning first. value: the weighted mean, normalised to "
        "0..1; passed: value >= pass_threshold; details: each criterion's score and "
        "reasoning; cost: the judge call's own cost (recorded as a generation)."
    )
    config_model = JudgeConfig
    requires = ("model",)
    source = "judge"

    def evaluate(self, config: JudgeConfig, data: EvaluationInput) -> EvaluatorResult:
        assert data.call_model is not None
        answer = data.call_model(
            config.model, _judge_messages(config, data), {"temperature": config.temperature}
        )
        base = {
            "judge_model": config.model,
            "judge_generation_id": answer.generation_id,
            "judge_output": answer.output[:20_000],
        }
        try:
            parsed = _json_answer(answer.output)
            raw = parsed.get("criteria", parsed)
            criteria: dict[str, Any] = {}
            total = weights = 0.0
            for c in config.criteria:
                score, reasoning = _criterion_score(raw, c.name, config)
                normalised = config.normalised(score)
                criteria[c.name] = {
                    "score": score,
                    "normalised": normalised,
                    "reasoning": reasoning,
                }
                total += c.weight * normalised
                weights += c.weight
        except ValueError as exc:
            return EvaluatorResult(
                reason=f"error: {exc}", cost=answer.cost, details={**base, "error": str(exc)}
            )
        value = total / weights
        reasoning = str(parsed.get("reasoning") or "")
        return EvaluatorResult(
            value=value,
            passed=value >= config.pass_threshold,
            reason=reasoning or f"weighted score {value:.3f}",
            cost=answer.cost,
            details={
                **base,
                "criteria": criteria,
                "reasoning": reasoning,
                "scale": [config.scale_min, config.scale_max],
            },
        )


class PairwiseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: ModelRef = Field(description="<connection>/<model> of the judge")
    criteria: str = Field(
        default="Which answer is more correct, helpful and clear?", min_length=1, max_length=4000
    )
    allow_tie: bool = True
    include_input: bool = True
    temperature: float = Field(default=0.0, ge=0, le=2)


class Pairwise(Evaluator):
    kind = "pairwise"
    label = "Pairwise preference"
    description = (
        "A model says which of two outputs (the output and output_b) is better. The order "
        "they are shown in is random and recorded (details.order: 'ab' or 'ba'), so a "
        "judge's bias for the first answer does not favour either. value: 1 when the "
        "output wins, 0 when output_b wins, 0.5 for a tie."
    )
    config_model = PairwiseConfig
    requires = ("model", "output_b")
    source = "judge"

    def evaluate(self, config: PairwiseConfig, data: EvaluationInput) -> EvaluatorResult:
        assert data.call_model is not None and data.output_b is not None
        rng = random.Random(data.seed) if data.seed is not None else random.SystemRandom()
        order: Literal["ab", "ba"] = "ab" if rng.random() < 0.5 else "ba"
        first, second = (
            (data.output, data.output_b) if order == "ab" else (data.output_b, data.output)
        )
        tie = ' or "tie"' if config.allow_tie else ""
        system = (
            "You compare two answers to the same request. "
            f"{config.criteria} Reason briefly, then answer with one JSON object only: "
            f'{{"reasoning": "<why>", "winner": "1" or "2"{tie}}}'
        )
        parts = []
        if config.include_input and data.input:
            parts.append(
                "INPUT VARIABLES:\n" + json.dumps(data.input, ensure_ascii=False, indent=1)
            )
        parts += [f"ANSWER 1:\n{first}", f"ANSWER 2:\n{second}"]
        answer = data.call_model(
            config.model,
            [
                {"role": "system", "content": system},
                {"role": "user", "content": "\n\n".join(parts)},
            ],
            {"temperature": config.temperature},
        )
        base = {
            "order": order,
            "judge_model": config.model,
            "judge_generation_id": answer.generation_id,
            "judge_output": answer.output[:20_000],
        }
        try:
            parsed = _json_answer(answer.output)
        except ValueError as exc:
            return EvaluatorResult(
                reason=f"error: {exc}", cost=answer.cost, details={**base, "error": str(exc)}
            )
        said = str(parsed.get("winner", "")).strip().lower()
        if said not in {"1", "2"} | ({"tie"} if config.allow_tie else set()):
            message = (
                f"the judge's winner {said!r} is not 1, 2{' or tie' if config.allow_tie else ''}"
            )
            return EvaluatorResult(
                reason=f"error: {message}", cost=answer.cost, details={**base, "error": message}
            )
        if said == "tie":
            winner, value = "tie", 0.5
        else:
            a_first = order == "ab"
            winner = "a" if (said == "1") == a_first else "b"
            value = 1.0 if winner == "a" else 0.0
        reasoning = str(parsed.get("reasoning") or "")
        return EvaluatorResult(
            value=value,
            passed=None if winner == "tie" else winner == "a",
            reason=reasoning or f"winner: {winner}",
            cost=answer.cost,
            details={**base, "winner": winner, "reasoning": reasoning},
        )


BUILTIN: tuple[Evaluator, ...] = (LlmJudge(), Pairwise())
