"""The ``evaluation_run`` gate: a change request may publish a version only when a finished
evaluation run of that version on a dataset meets thresholds.

A project's policy configures it (``gate_settings.evaluation_run``): ``dataset`` (``qa``
or ``qa@3`` to pin a dataset version; else any version of it counts), ``fail_under``
(``["exact_match=0.9", ...]``, the CLI's ``--fail-under`` syntax) and optionally
``models`` (``<connection>/<model>`` each: the version must pass on every one). The
newest completed run of the requested version on that dataset (per model) decides; its
result names the run and the threshold missed, or says no run exists yet and how to start
one. The gate reads, never starts, a run: a change request waits for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, ValidationError
from sqlalchemy import select

from promptyard.domain.errors import ValidationFailed
from promptyard.domain.schemas import Input
from promptyard.domain.thresholds import Threshold, missed, read_threshold
from promptyard.plugins.api import ConfiguredGate, GateContext, GateResult
from promptyard.services.context import Core
from promptyard.services.evaluation.runs import split_dataset
from promptyard.services.evaluation.runs_schemas import DATASET_PATTERN, ModelRef
from promptyard.store.models import SqlEvaluationRun

GATE_NAME = "evaluation_run"
#: Completed runs of the prompt on the dataset looked at, newest first.
RUNS_LOOKED_AT = 200


class EvaluationGateSettings(Input):
    """``gate_settings.evaluation_run`` of a project's policy."""

    dataset: str = Field(pattern=DATASET_PATTERN, description="name, or name@version to pin")
    fail_under: list[Annotated[str, Field(min_length=3, max_length=200)]] = Field(
        min_length=1, max_length=20, description="EVALUATOR=MIN each, as the CLI's --fail-under"
    )
    models: list[ModelRef] | None = Field(
        default=None, max_length=8, description="the version must pass on each of these"
    )


def configure(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check the gate's settings (``ValueError`` naming what is wrong)."""
    try:
        parsed = EvaluationGateSettings.model_validate(dict(settings))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ValueError(f"{where}: {first['msg']}") from None
    for text in parsed.fail_under:
        try:
            read_threshold(text)
        except ValidationFailed as exc:
            raise ValueError(f"fail_under: {exc.message}") from None
    return parsed.model_dump(exclude_none=True)


def _how_to_start(ctx: GateContext, name: str, version: int | None, settings: Any) -> str:
    dataset = name if version is None else f"{name}@{version}"
    models = "".join(f" --model {m}" for m in settings.models or [])
    fails = "".join(f" --fail-under {t}" for t in settings.fail_under)
    return (
        f"start one with `promptyard eval run --prompt {ctx.prompt} --version "
        f"{ctx.version.number} --dataset {dataset}{models} --evaluator ...{fails}` "
        "(or POST /api/v1/evaluations), then approve or reopen the request"
    )


def check(core: Core, ctx: GateContext) -> GateResult:
    settings = EvaluationGateSettings.model_validate(dict(ctx.config))
    thresholds: list[Threshold] = [read_threshold(t) for t in settings.fail_under]
    name, pinned = split_dataset(settings.dataset, None)
    r = SqlEvaluationRun
    query = (
        select(r.id, r.dataset_version, r.variants, r.summary)
        .where(
            r.project_id == ctx.project_id,
            r.prompt_name == ctx.prompt,
            r.dataset_name == name,
            r.status == "completed",
        )
        .order_by(r.id.desc())
        .limit(RUNS_LOOKED_AT)
    )
    if pinned is not None:
        query = query.where(r.dataset_version == pinned)
    with core.store.read() as session:
        runs = list(session.execute(query).all())
    number = ctx.version.number
    models: list[str | None] = list(settings.models or []) or [None]
    problems: list[str] = []
    passed: list[str] = []
    for model in models:
        found = _newest(runs, number, model)
        on = f" on {model}" if model else ""
        if found is None:
            problems.append(
                f"no finished run of version {number}{on} on dataset {settings.dataset} yet"
            )
            continue
        run_id, dataset_version, summary = found
        failed = missed(summary, thresholds)
        where = f"run #{run_id} (dataset {name} v{dataset_version}{on})"
        if failed:
            problems.append(f"{where}: {'; '.join(failed)}")
        else:
            passed.append(where)
    if problems:
        message = "; ".join(problems)
        if any(p.startswith("no finished run") for p in problems):
            message += "; " + _how_to_start(ctx, name, pinned, settings)
        return GateResult(False, message)
    limits = ", ".join(str(t) for t in thresholds)
    return GateResult(True, f"{' and '.join(passed)} meet {limits}")


def _newest(
    runs: list[Any], number: int, model: str | None
) -> tuple[int, int, dict[str, Any]] | None:
    """The newest run with a variant of version ``number`` (on ``model``) and its summary."""
    for run_id, dataset_version, variants, summary in runs:
        by_index = {v["index"]: v for v in (summary or {}).get("variants", [])}
        for index, variant in enumerate(variants or []):
            if variant.get("resolved_version") != number:
                continue
            if model is not None and variant.get("model") != model:
                continue
            if index in by_index:
                return int(run_id), int(dataset_version), by_index[index]
    return None


def install(core: Core) -> None:
    """Add the gate to the Core (a plugin's gate of the same name wins)."""

    def gate(ctx: GateContext) -> GateResult:
        return check(core, ctx)

    core.gates.setdefault(GATE_NAME, ConfiguredGate(gate, configure))
