"""How well the LLM judge agrees with people, and people with each other, per rubric
criterion of an annotation queue.

The judge's scores are the ``llm_judge`` scores (from evaluation runs, online
evaluation or a test call) stored for the queue's generations: their
``details.criteria`` hold each criterion's score, mapped onto the queue's scale when the
judge used another one. The people's are the ``human`` scores the queue stored. The
statistics are in :mod:`promptyard.domain.statistics.agreement`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from promptyard.domain.statistics import agreement as stat
from promptyard.services.context import Core
from promptyard.services.evaluation.annotation import load_queue
from promptyard.services.evaluation.annotation_schemas import AgreementPublic, CriterionAgreement
from promptyard.services.evaluation.evaluators_judge import Rubric
from promptyard.store.models import SqlAnnotationItem, SqlScore

_CHUNK = 500
#: Score rows read at most for one report.
MAX_SCORE_ROWS = 200_000


def _scores(core: Core, project_id: int, generation_ids: list[str]) -> list[SqlScore]:
    out: list[SqlScore] = []
    with core.store.read() as session:
        for start in range(0, len(generation_ids), _CHUNK):
            chunk = generation_ids[start : start + _CHUNK]
            out.extend(
                session.scalars(
                    select(SqlScore)
                    .where(SqlScore.project_id == project_id, SqlScore.generation_id.in_(chunk))
                    .order_by(SqlScore.id)
                    .limit(MAX_SCORE_ROWS - len(out))
                ).all()
            )
            if len(out) >= MAX_SCORE_ROWS:
                break
    return out


def _on_scale(score: float, scale: Any, rubric: Rubric) -> float:
    if (
        isinstance(scale, list)
        and len(scale) == 2
        and list(scale)
        != [
            rubric.scale_min,
            rubric.scale_max,
        ]
    ):
        low, high = float(scale[0]), float(scale[1])
        if high > low:
            fraction = (score - low) / (high - low)
            return rubric.scale_min + fraction * (rubric.scale_max - rubric.scale_min)
    return score


def _split(
    rows: list[SqlScore], queue_id: int, queue_name: str, rubric: Rubric, judge: str | None
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, dict[str, float]]], str | None]:
    """Judge scores: generation -> criterion -> [scores]; human scores: generation ->
    annotator -> criterion -> score; and the judge's score name."""
    judged: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    humans: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    names = {c.name for c in rubric.criteria}
    for row in rows:
        details = row.details or {}
        criteria = details.get("criteria")
        if not isinstance(criteria, dict) or row.generation_id is None:
            continue
        if row.source == "human":
            if details.get("queue_id") == queue_id and row.name == queue_name:
                who = f"{details.get('actor_type')}:{details.get('user_id')}"
                humans[row.generation_id][who] = {
                    c: float(v["score"]) for c, v in criteria.items() if c in names
                }
            continue
        if judge is not None and row.name != judge:
            continue
        for criterion, entry in criteria.items():
            if criterion in names and isinstance(entry, dict) and "score" in entry:
                value = _on_scale(float(entry["score"]), details.get("scale"), rubric)
                judged[row.name][row.generation_id][criterion].append(value)
    if not judged:
        return {}, humans, judge
    # the judge whose scores cover the most of the queue's generations
    chosen = judge or Counter({n: len(g) for n, g in judged.items()}).most_common(1)[0][0]
    picked = {gid: dict(per) for gid, per in judged.get(chosen, {}).items()}
    return picked, humans, chosen


def _criterion(
    name: str,
    rubric: Rubric,
    judged: dict[str, dict[str, list[float]]],
    humans: dict[str, dict[str, dict[str, float]]],
) -> CriterionAgreement:
    judge_values: list[float] = []
    human_means: list[float] = []
    with_judge: list[list[float | None]] = []
    among: list[list[float | None]] = []
    for gid, per in humans.items():
        people: list[float | None] = [s[name] for s in per.values() if name in s]
        if len(people) >= 2:
            among.append(people)
        said = judged.get(gid, {}).get(name)
        if said and people:
            judge_score = sum(said) / len(said)
            judge_values.append(judge_score)
            human_means.append(sum(p for p in people if p is not None) / len(people))
            with_judge.append([judge_score, *people])
    kappa = stat.weighted_kappa(
        judge_values, human_means, scale_min=rubric.scale_min, scale_max=rubric.scale_max
    )
    alpha_judge = stat.krippendorff_alpha(with_judge, metric="interval")
    alpha_humans = stat.krippendorff_alpha(among, metric="interval")
    return CriterionAgreement(
        criterion=name,
        n=len(judge_values),
        mean_absolute_difference=stat.mean_absolute_difference(judge_values, human_means),
        spearman=stat.spearman(judge_values, human_means),
        weighted_kappa=kappa,
        kappa_interpretation=stat.interpret_kappa(kappa),
        alpha_with_judge=alpha_judge,
        alpha_with_judge_interpretation=stat.interpret_alpha(alpha_judge),
        human_n=len(among),
        human_alpha=alpha_humans,
        human_alpha_interpretation=stat.interpret_alpha(alpha_humans),
    )


def agreement(
    core: Core, project_id: int, queue_id: int, *, judge: str | None = None
) -> AgreementPublic:
    """Per criterion of the queue's rubric: judge vs people (n, mean absolute
    difference, Spearman, quadratic-weighted kappa, Krippendorff's alpha with the judge
    as one more rater) and people among themselves (Krippendorff's alpha). ``judge``
    names the judge evaluator's scores to use (default: the one covering most items)."""
    with core.store.read() as session:
        queue = load_queue(session, project_id, queue_id)
        rubric = Rubric.model_validate(queue.rubric)
        name = queue.name
        generation_ids = list(
            session.scalars(
                select(SqlAnnotationItem.generation_id).where(
                    SqlAnnotationItem.queue_id == queue_id
                )
            ).all()
        )
    rows = _scores(core, project_id, generation_ids)
    judged, humans, chosen = _split(rows, queue_id, name, rubric, judge)
    return AgreementPublic(
        queue_id=queue_id,
        judge=chosen,
        scale=[rubric.scale_min, rubric.scale_max],
        criteria=[_criterion(c.name, rubric, judged, humans) for c in rubric.criteria],
    )
