"""Which variant a read of a prompt serves: the hook on the prompt read path.

:func:`install` puts :func:`assigner` on ``Core.prompt_assigners``; the prompt read route
calls it when a read names a unit (``?unit=<user or session id>``), so the prompts
capability never imports experiments. The running experiments of every project are held
in one in-process index, refreshed at most every :data:`REFRESH_SECONDS` (and at once in
the process that starts or stops one): a read of a prompt with no running experiment
costs a dictionary lookup, never a query.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from promptyard.domain.experiments import assign
from promptyard.services.context import Core
from promptyard.services.experiments.schemas import (
    ActiveExperiment,
    ActiveExperiments,
    ActiveVariant,
    AssignmentPublic,
)
from promptyard.store.models import SqlExperiment

#: How stale another process's start or stop may be seen here.
REFRESH_SECONDS = 5.0
_KEY = ("experiments", "running")


@dataclass(frozen=True)
class Running:
    id: int
    name: str
    prompt: str
    unit: str
    control_label: str
    names: tuple[str, ...]
    labels: tuple[str, ...]
    weights: tuple[float, ...]
    #: Variants a guardrail stopped: their units get the control, outside the experiment.
    stopped: frozenset[str] = frozenset()


Index = dict[tuple[int, str], list[Running]]


def install(core: Core) -> None:
    """Serve experiments' variants on prompt reads that name a unit."""
    core.prompt_assigners.append(lambda *args: assigner(core, *args))


def invalidate(core: Core) -> None:
    core.cache.invalidate(_KEY)


def running_index(core: Core) -> Index:
    cached = core.cache.get(_KEY, "index")
    now = time.monotonic()
    if cached is not None and now - cached[0] < REFRESH_SECONDS:
        index: Index = cached[1]
        return index
    generation = core.cache.generation(_KEY)
    index = {}
    with core.store.read() as session:
        rows = session.execute(
            select(SqlExperiment).where(SqlExperiment.status == "running")
        ).scalars()
        for row in rows:
            variants = row.variants
            index.setdefault((row.project_id, row.prompt_name), []).append(
                Running(
                    id=row.id,
                    name=row.name,
                    prompt=row.prompt_name,
                    unit=row.unit,
                    control_label=variants[0]["label"],
                    names=tuple(v["name"] for v in variants),
                    labels=tuple(v["label"] for v in variants),
                    weights=tuple(float(v["weight"]) for v in variants),
                    stopped=frozenset(v["name"] for v in variants if v.get("stopped")),
                )
            )
    core.cache.put(_KEY, "index", (now, index), generation)
    return index


def find(core: Core, project_id: int, name: str, label: str | None) -> Running | None:
    """The running experiment on ``name`` whose control is ``label`` (None: ``latest``)."""
    for experiment in running_index(core).get((project_id, name), ()):
        if experiment.control_label == (label or "latest"):
            return experiment
    return None


def assigner(
    core: Core, project_id: int, name: str, label: str | None, unit: str
) -> tuple[str, int, str] | None:
    """``(label to serve, experiment id, variant)`` for a read of ``name@label`` by
    ``unit``, or None when no experiment runs there."""
    experiment = find(core, project_id, name, label)
    if experiment is None:
        return None
    index = assign(experiment.id, unit, experiment.weights)
    if experiment.names[index] in experiment.stopped:
        return None
    return experiment.labels[index], experiment.id, experiment.names[index]


def assignment_for(
    core: Core, *, project_id: int, prompt: str, label: str | None, unit: str
) -> AssignmentPublic | None:
    experiment = find(core, project_id, prompt, label)
    if experiment is None:
        return None
    index = assign(experiment.id, unit, experiment.weights)
    if experiment.names[index] in experiment.stopped:
        return None
    return AssignmentPublic(
        experiment_id=experiment.id,
        experiment=experiment.name,
        variant=experiment.names[index],
        label=experiment.labels[index],
        unit=experiment.unit,  # type: ignore[arg-type]
    )


def active(core: Core, *, project_id: int, prompt: str | None = None) -> ActiveExperiments:
    """The running experiments (of one prompt), for an SDK to assign locally."""
    items = []
    for (project, name), experiments in running_index(core).items():
        if project != project_id or (prompt is not None and name != prompt):
            continue
        for e in experiments:
            items.append(
                ActiveExperiment(
                    id=e.id,
                    name=e.name,
                    prompt=e.prompt,
                    unit=e.unit,  # type: ignore[arg-type]
                    control_label=e.control_label,
                    variants=[
                        ActiveVariant(name=n, label=lbl, weight=w, stopped=n in e.stopped)
                        for n, lbl, w in zip(e.names, e.labels, e.weights, strict=True)
                    ],
                )
            )
    return ActiveExperiments(items=sorted(items, key=lambda e: e.id))
