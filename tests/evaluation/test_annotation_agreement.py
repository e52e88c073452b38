"""Agreement statistics checked against Krippendorff's own worked example and against
scikit-learn and the ``krippendorff`` package on random data; and the agreement report
of a queue where an LLM judge and two people scored the same generations."""

from __future__ import annotations

import random

import numpy as np
import pytest
from fastapi.testclient import TestClient

from promptyard.domain.statistics import agreement as stat
from promptyard.services.context import Core
from promptyard.services.evaluation import scores
from tests._factories import project_id
from tests.api._helpers import API, ok
from tests.evaluation.test_annotation import RUBRIC, Q, _client, _generations, _keys

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: four
# observers, twelve units, missing values; published alphas 0.743 / 0.815 / 0.849.
_N = None
_OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _N, _N, _N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _N, 3],
    [_N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _N],
]
_UNITS = [list(unit) for unit in zip(*_OBSERVERS, strict=True)]


@pytest.mark.parametrize(
    ("metric", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_alpha_matches_krippendorffs_worked_example(metric: stat.Metric, published: float) -> None:
    value = stat.krippendorff_alpha(_UNITS, metric=metric)
    assert value is not None and round(value, 3) == published


def test_alpha_and_kappa_match_reference_implementations() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(7)
    for _ in range(25):
        n = rng.randint(5, 40)
        truth = [rng.randint(1, 5) for _ in range(n)]
        a = [min(5, max(1, t + rng.choice([-1, 0, 0, 1]))) for t in truth]
        b = [min(5, max(1, t + rng.choice([-2, -1, 0, 0, 1]))) for t in truth]
        for weights in ("linear", "quadratic"):
            ours = stat.weighted_kappa(a, b, scale_min=1, scale_max=5, weights=weights)
            theirs = metrics.cohen_kappa_score(a, b, weights=weights, labels=[1, 2, 3, 4, 5])
            assert ours == pytest.approx(theirs, abs=1e-12)
        raters = [a, b, [rng.choice([t, None]) for t in truth]]
        data = np.array([[np.nan if v is None else v for v in r] for r in raters], dtype=float)
        units = [list(u) for u in zip(*raters, strict=True)]
        for metric in ("nominal", "ordinal", "interval"):
            theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=metric)
            assert stat.krippendorff_alpha(units, metric=metric) == pytest.approx(theirs)


def test_edge_cases_and_words() -> None:
    assert stat.weighted_kappa([], [], scale_min=1, scale_max=5) is None
    assert stat.weighted_kappa([3, 3], [3, 3], scale_min=1, scale_max=5) is None
    assert stat.weighted_kappa([1, 5, 3], [1, 5, 3], scale_min=1, scale_max=5) == 1.0
    assert stat.spearman([1, 2], [1, 2]) is None
    assert stat.spearman([1, 2, 3], [1, 1, 1]) is None
    assert stat.spearman([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert stat.krippendorff_alpha([[1], [2, None]]) is None
    assert stat.mean_absolute_difference([1, 2], [2, 4]) == 1.5
    assert stat.interpret_kappa(0.7) == "substantial"
    assert stat.interpret_kappa(-0.1).startswith("poor")
    assert stat.interpret_alpha(0.85) == "reliable"
    assert stat.interpret_alpha(0.7).startswith("tentative")
    assert stat.interpret_alpha(0.3) == "unreliable"


def _judge(core: Core, generation: str, correctness: float, tone: float, scale: list[int]) -> None:
    """A judge score as an evaluation run stores an llm_judge's."""
    criteria = {"correctness": {"score": correctness}, "tone": {"score": tone}}
    scores.record_scores(
        core,
        [
            {
                "generation_id": generation,
                "name": "judge",
                "kind": "llm_judge",
                "value": 0.5,
                "source": "evaluation",
                "details": {"criteria": criteria, "scale": scale},
            }
        ],
        project_id=project_id(core),
    )


def test_queue_agreement_report(core: Core) -> None:
    keys = _keys(core)
    judge = [(5, 4), (4, 4), (2, 3), (1, 2), (3, 3), (5, 5)]
    people = {
        "ann1": [(5, 4), (4, 3), (2, 3), (1, 1), (3, 4), (4, 5)],
        "ann2": [(4, 4), (4, 4), (1, 2), (2, 2), (3, 3), (5, 5)],
    }
    with _client(core) as admin:
        ids = _generations(admin, 6)
        qid = ok(
            admin.post(Q, json={"name": "ag", "rubric": RUBRIC, "annotators_required": 2}), 201
        )["id"]
        ok(admin.post(f"{Q}/{qid}/items", json={"generation_ids": ids}), 201)
        empty = ok(admin.get(f"{Q}/{qid}/agreement"))
        assert empty["judge"] is None and empty["criteria"][0]["n"] == 0
        assert empty["criteria"][0]["weighted_kappa"] is None
        for i, (c, t) in enumerate(judge):
            # the judge used a 0..10 scale for half of them: mapped onto 1..5
            if i % 2:
                _judge(core, ids[i], (c - 1) * 2.5, (t - 1) * 2.5, [0, 10])
            else:
                _judge(core, ids[i], c, t, [1, 5])
        for who, given in people.items():
            with _client(core, keys[who]) as person:
                for _ in ids:
                    work = ok(person.post(f"{Q}/{qid}/next"))["work"]
                    index = ids.index(work["item"]["generation_id"])
                    c, t = given[index]
                    body = {"scores": {"correctness": c, "tone": t}}
                    ok(person.post(f"{Q}/{qid}/items/{work['item']['id']}/scores", json=body), 201)
        report = ok(admin.get(f"{Q}/{qid}/agreement"))
        other = ok(admin.get(f"{Q}/{qid}/agreement", params={"judge": "nobody"}))
    assert report["judge"] == "judge" and report["scale"] == [1, 5]
    assert other["criteria"][0]["n"] == 0
    by = {c["criterion"]: c for c in report["criteria"]}
    correctness = by["correctness"]
    j = [c for c, _ in judge]
    h1 = [c for c, _ in people["ann1"]]
    h2 = [c for c, _ in people["ann2"]]
    means = [(x + y) / 2 for x, y in zip(h1, h2, strict=True)]
    assert correctness["n"] == 6
    assert correctness["mean_absolute_difference"] == pytest.approx(
        stat.mean_absolute_difference(j, means)
    )
    assert correctness["spearman"] == pytest.approx(stat.spearman(j, means))
    assert correctness["weighted_kappa"] == pytest.approx(
        stat.weighted_kappa(j, means, scale_min=1, scale_max=5)
    )
    units = [[a, b, c] for a, b, c in zip(j, h1, h2, strict=True)]
    assert correctness["alpha_with_judge"] == pytest.approx(stat.krippendorff_alpha(units))
    assert correctness["human_n"] == 6
    human = stat.krippendorff_alpha([[a, b] for a, b in zip(h1, h2, strict=True)])
    assert correctness["human_alpha"] == pytest.approx(human)
    assert correctness["human_alpha_interpretation"] == stat.interpret_alpha(human)
    assert correctness["kappa_interpretation"] in {
        "slight",
        "fair",
        "moderate",
        "substantial",
        "almost perfect",
    }
    assert by["tone"]["n"] == 6


def test_agreement_scale_mapping_is_exact(app_client: TestClient) -> None:
    # the mapping of another scale is linear: 0..10 -> 1..5
    from promptyard.services.evaluation.annotation_agreement import _on_scale
    from promptyard.services.evaluation.evaluators_judge import Rubric

    rubric = Rubric()
    assert _on_scale(10, [0, 10], rubric) == 5
    assert _on_scale(5, [0, 10], rubric) == 3
    assert _on_scale(4, [1, 5], rubric) == 4
    assert ok(app_client.get(f"{API}/annotation-queues"))["items"] == []
