"""Evaluators: score one output, by a rule, against the expected output, or by a model.

An evaluator is named by a spec, ``{"kind", "name", "config"}``: ``kind`` picks the
evaluator (the built-in ones of ``evaluators_builtin`` and ``evaluators_judge``, or one a
plugin registers with ``register_evaluators``), ``name`` is what its scores are stored
under, ``config`` is checked against the kind's pydantic ``config_model``.

- :func:`validate_spec` refuses an unknown kind or a bad config (``ValidationFailed``).
- :func:`evaluate` runs one spec on one output and returns a :class:`Score`. It is safe
  to call from worker threads (the evaluators keep no state; a judge's model call runs
  on its own event loop in the calling thread). An evaluator that fails (a provider
  error, a judge answer that is not JSON) gives a score with ``value`` and ``passed``
  ``None`` and the reason in ``reason``/``details["error"]``; a bad spec raises.
- :func:`catalogue` lists every kind with its config's JSON schema.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from promptyard.domain.errors import DomainError, ValidationFailed
from promptyard.domain.schemas import first_error
from promptyard.plugins.api import EvaluationInput, Evaluator, EvaluatorResult, ModelAnswer
from promptyard.services.context import Core
from promptyard.services.evaluation import evaluators_builtin, evaluators_judge
from promptyard.services.evaluation.datasets import Case

#: An evaluated output at most this many characters (longer ones are cut before scoring,
#: and the score says so in ``details["truncated"]``).
MAX_OUTPUT_CHARS = 200_000


@dataclass(frozen=True)
class EvaluatorSpec:
    """Which evaluator (``kind``), the name its scores get, and its config."""

    kind: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    """One evaluator's verdict on one output.

    ``value`` is a number (most evaluators: 0..1, higher is better), ``passed`` a verdict
    (``None`` where the evaluator gives none), ``cost`` what a judge's model call cost
    (``None`` for rule-based evaluators), ``source`` ``"evaluator"`` or ``"judge"``.
    """

    name: str
    value: float | None
    passed: bool | None
    reason: str | None = None
    cost: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    source: str = "evaluator"
    kind: str = ""


def registry(core: Core) -> dict[str, Evaluator]:
    """Every evaluator kind: the built-in ones, then the plugins' (which win a tie)."""
    found: dict[str, Evaluator] = {}
    for evaluator in (*evaluators_builtin.BUILTIN, *evaluators_judge.BUILTIN):
        found[evaluator.kind] = evaluator
    found.update(getattr(core, "evaluators", None) or {})
    return found


def _evaluator(core: Core | None, kind: str) -> Evaluator:
    kinds = (
        registry(core)
        if core is not None
        else {e.kind: e for e in (*evaluators_builtin.BUILTIN, *evaluators_judge.BUILTIN)}
    )
    found = kinds.get(kind)
    if found is None:
        raise ValidationFailed(
            f"unknown evaluator kind {kind!r}; GET /api/v1/evaluators lists them "
            f"({', '.join(sorted(kinds))})",
            code="unknown_evaluator",
        )
    return found


def _config(evaluator: Evaluator, spec: EvaluatorSpec) -> Any:
    model = evaluator.config_model
    if model is None:
        if spec.config:
            raise ValidationFailed(f"evaluator {spec.name!r} ({spec.kind}) takes no config")
        return None
    try:
        return model.model_validate(spec.config or {})
    except ValidationError as exc:
        raise ValidationFailed(
            f"evaluator {spec.name!r} ({spec.kind}): config.{first_error(exc)}",
            code="invalid_evaluator_config",
        ) from None


def validate_spec(spec: EvaluatorSpec, core: Core | None = None) -> None:
    """Raise ``ValidationFailed`` unless ``spec`` names a known kind with a valid config.

    Without ``core`` only the built-in kinds are known."""
    if not spec.name or len(spec.name) > 200:
        raise ValidationFailed("evaluator name: 1 to 200 characters")
    evaluator = _evaluator(core, spec.kind)
    _config(evaluator, spec)


def _model_caller(core: Core, project_id: int | None) -> Any:
    if project_id is None:
        return None

    def call_model(
        model: str, messages: list[dict[str, Any]], params: dict[str, Any] | None = None
    ) -> ModelAnswer:
        return evaluators_judge.call_model(core, project_id, model, messages, params)

    return call_model


def evaluate(
    core: Core,
    spec: EvaluatorSpec,
    *,
    case: Case | None,
    output: str,
    generation: dict[str, Any] | None = None,
    project_id: int | None = None,
    output_b: str | None = None,
    seed: int | None = None,
) -> Score:
    """Score ``output`` (of ``case``, made by ``generation``: ``input_tokens``,
    ``output_tokens``, ``cost``, ``latency_ms``) with ``spec``.

    ``project_id`` lets judge evaluators call the project's models (their calls become
    generations of that project); ``output_b`` is the second output of ``pairwise``.
    Raises ``ValidationFailed`` for a bad spec or a missing input the evaluator requires.
    """
    evaluator = _evaluator(core, spec.kind)
    config = _config(evaluator, spec)
    why_not = evaluator.unavailable()
    if why_not:
        return Score(
            name=spec.name,
            value=None,
            passed=None,
            reason=f"unavailable: {why_not}",
            details={"unavailable": why_not},
            source=evaluator.source,
            kind=spec.kind,
        )
    truncated = len(output) > MAX_OUTPUT_CHARS
    data = EvaluationInput(
        output=output[:MAX_OUTPUT_CHARS],
        expected=case.expected if case is not None else None,
        input=dict(case.input) if case is not None else {},
        metadata=dict(case.metadata) if case is not None else {},
        generation=generation,
        output_b=None if output_b is None else output_b[:MAX_OUTPUT_CHARS],
        call_model=_model_caller(core, project_id),
        seed=seed,
    )
    _check_requires(evaluator, spec, data)
    started = time.perf_counter()
    try:
        result = evaluator.evaluate(config, data)
    except DomainError as exc:
        result = _failed(exc.message)
    except Exception as exc:  # a plugin's bug must not stop a run
        result = _failed(f"{type(exc).__name__}: {exc}")
    details = dict(result.details)
    details.setdefault("elapsed_ms", round((time.perf_counter() - started) * 1000, 3))
    if truncated:
        details["truncated"] = MAX_OUTPUT_CHARS
    value = result.value
    if value is not None and value != value:  # NaN is no score
        value = None
    return Score(
        name=spec.name,
        value=None if value is None else float(value),
        passed=result.passed,
        reason=result.reason,
        cost=result.cost,
        details=details,
        source=evaluator.source,
        kind=spec.kind,
    )


def _failed(message: str) -> EvaluatorResult:
    return EvaluatorResult(
        value=None, passed=None, reason=f"error: {message}", details={"error": message}
    )


def _check_requires(evaluator: Evaluator, spec: EvaluatorSpec, data: EvaluationInput) -> None:
    for need in evaluator.requires:
        if need == "expected" and data.expected is None:
            raise ValidationFailed(
                f"evaluator {spec.name!r} ({spec.kind}) compares with the expected output; "
                "the case has none",
                code="expected_missing",
            )
        if need == "output_b" and data.output_b is None:
            raise ValidationFailed(
                f"evaluator {spec.name!r} ({spec.kind}) compares two outputs; give output_b",
                code="output_b_missing",
            )
        if need == "model" and data.call_model is None:
            raise ValidationFailed(
                f"evaluator {spec.name!r} ({spec.kind}) calls a model: it needs a project",
            )


def catalogue(core: Core) -> list[dict[str, Any]]:
    """Every evaluator kind: ``kind``, ``label``, ``description``, ``requires``,
    ``source``, ``available`` (and why not), ``builtin`` and ``config_schema``."""
    builtin = {e.kind for e in (*evaluators_builtin.BUILTIN, *evaluators_judge.BUILTIN)}
    plugins = getattr(core, "evaluators", None) or {}
    out = []
    for kind, evaluator in sorted(registry(core).items()):
        model = evaluator.config_model
        schema = (
            model.model_json_schema()
            if isinstance(model, type) and issubclass(model, BaseModel)
            else {"type": "object", "properties": {}, "additionalProperties": False}
        )
        why_not = evaluator.unavailable()
        out.append(
            {
                "kind": kind,
                "label": evaluator.label or kind,
                "description": evaluator.description,
                "requires": list(evaluator.requires),
                "source": evaluator.source,
                "available": why_not is None,
                "unavailable_reason": why_not,
                "builtin": kind in builtin and kind not in plugins,
                "config_schema": schema,
            }
        )
    return out
