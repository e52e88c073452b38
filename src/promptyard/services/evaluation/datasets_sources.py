"""Cases from stored generations: production traffic, or the calls users disliked.

A generation becomes a case whose ``input`` is the variables the app reported
(``metadata.variables``, when it sent them), else ``{"input": <the prompt text, or the
last user message>}``; ``metadata`` records where it came from (generation id, prompt,
version, model, and the feedback that picked it). Its output becomes the expected output
only when asked (``output_as_expected``): a disliked output is rarely the reference.
"""

from __future__ import annotations

import json
from typing import Any

from promptyard.domain.actor import RequestContext
from promptyard.domain.errors import NotFound, ValidationFailed
from promptyard.services.context import Core
from promptyard.services.evaluation import datasets
from promptyard.services.evaluation.datasets_schemas import (
    MAX_EXPECTED_CHARS,
    CaseIn,
    DatasetImportPublic,
    FromGenerations,
)
from promptyard.services.telemetry.events import FeedbackQuery, GenerationQuery, event_store
from promptyard.store.models import SqlFeedback, SqlGeneration

#: Feedback rows read at most when looking for negative ones.
_FEEDBACK_SCAN = 5000
_SCALE_MIDDLES = {"0-1": 0.5, "1-5": 3.0, "1-10": 5.5, "0-10": 5.0, "0-100": 50.0}


def is_negative(row: SqlFeedback) -> bool:
    """Thumbs down, an NPS of 6 or less, or a score below the middle of its scale."""
    if row.value is None:
        return False
    if row.kind == "thumbs":
        return row.value == 0
    if row.kind == "nps":
        return row.value <= 6
    if row.kind == "score":
        return row.value < _SCALE_MIDDLES.get(row.scale or "0-1", 0.5)
    return False


def _last_user_text(text: str) -> str:
    try:
        messages = json.loads(text)
    except ValueError:
        return text
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
    return text


def _case(row: SqlGeneration, output_as_expected: bool, feedback: list[dict[str, Any]]) -> CaseIn:
    meta = row.meta or {}
    variables = meta.get("variables")
    if isinstance(variables, dict) and variables:
        inputs = dict(variables)
    elif row.input_text is not None:
        text = _last_user_text(row.input_text) if row.input_is_chat else row.input_text
        inputs = {"input": text}
    else:
        inputs = {}
    expected = row.output_text if output_as_expected else None
    return CaseIn(
        input=inputs,
        expected=None if expected is None else expected[:MAX_EXPECTED_CHARS],
        metadata={
            "source": "generation",
            "generation_id": row.id,
            "prompt": row.prompt_name,
            "prompt_version": row.prompt_version,
            "model": row.model,
            **({"feedback": feedback} if feedback else {}),
        },
    )


def _negative_ids(core: Core, project_id: int, limit: int) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    rows = event_store(core).feedback(FeedbackQuery(project_id=project_id, limit=_FEEDBACK_SCAN))
    for row in rows:
        if row.generation_id and is_negative(row):
            entry = {"kind": row.kind, "value": row.value, "comment": row.comment}
            found.setdefault(row.generation_id, []).append(entry)
    return dict(list(found.items())[: limit * 4])


def select_generations(
    core: Core, project_id: int, body: FromGenerations
) -> list[tuple[SqlGeneration, list[dict[str, Any]]]]:
    """The generations ``body`` picks, each with its negative feedback (if that picked it)."""
    events = event_store(core)
    if body.generation_ids:
        picked: list[tuple[SqlGeneration, list[dict[str, Any]]]] = []
        for gid in dict.fromkeys(body.generation_ids):
            row = events.generation(project_id, gid)
            if row is None:
                raise NotFound(f"no generation {gid!r} in this project")
            picked.append((row, []))
        return picked
    negative = _negative_ids(core, project_id, body.limit) if body.negative_feedback else None
    out: list[tuple[SqlGeneration, list[dict[str, Any]]]] = []
    if negative is not None:
        for gid, feedback in negative.items():
            row = events.generation(project_id, gid)
            if row is None or (body.prompt and row.prompt_name != body.prompt):
                continue
            if body.since and row.start_time < body.since:
                continue
            out.append((row, feedback))
            if len(out) >= body.limit:
                break
        return out
    rows = events.generations(
        GenerationQuery(
            project_id=project_id, prompt=body.prompt, since=body.since, limit=body.limit
        )
    )
    return [(row, []) for row in rows]


def add_from_generations(
    core: Core, ctx: RequestContext, project_id: int, name: str, body: FromGenerations
) -> DatasetImportPublic:
    """Add the generations ``body`` picks to dataset ``name`` (made when it does not
    exist) as one new version; a generation already in the dataset is skipped."""
    if not body.generation_ids and not body.negative_feedback and not body.prompt:
        raise ValidationFailed(
            "pick generations: give generation_ids, negative_feedback: true, or a prompt"
        )
    picked = select_generations(core, project_id, body)
    known: set[str] = set()
    if datasets.exists(core, project_id, name):
        current = datasets.get_dataset_version(core, project_id, name)
        known = {str(c.metadata.get("generation_id")) for c in current.cases}
    fresh = [(row, fb) for row, fb in picked if row.id not in known]
    if not fresh:
        raise ValidationFailed(
            "no generation to add: none matched, or all are already in the dataset",
            code="nothing_to_add",
        )
    cases = [_case(row, body.output_as_expected, fb) for row, fb in fresh]
    sources: list[str | None] = [row.id for row, _ in fresh]
    note = body.message or f"added {len(cases)} from generations"
    if datasets.exists(core, project_id, name):
        found = datasets.add_cases(core, ctx, project_id, name, cases, note, sources=sources)
    else:
        found = datasets.create_dataset(
            core, ctx, project_id, name, cases, message=note, sources=sources
        )
    return DatasetImportPublic(
        dataset=name,
        version=found.version,
        added=len(cases),
        replaced=0,
        case_count=len(found.cases),
    )
