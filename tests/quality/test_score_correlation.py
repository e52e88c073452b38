"""Quality score against evaluation outcomes: real runs on the fake provider, Spearman's
rho checked against scipy, and an honest statement when the evidence is weak."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from scipy import stats

from promptyard.services.context import Core
from tests.evaluation._runs_helpers import finish, make_dataset

API = "/api/v1"
P = {"project": "default"}
#: Version 1 echoes the text (passes exact_match on fake/echo); version 2 wraps it in
#: instructions (fails), and scores differently on the rules.
VERSIONS = {
    "plain": ("{{ text }}", "Repeat this: {{ text }}"),
    "shout": ("{{ text }}", "{{ text | upper }}"),
    "framed": (
        "{{ text }}",
        "You are a copy editor. Return the text between the tags unchanged, with no "
        "commentary.\n<text>{{ text }}</text>",
    ),
}


def _run(client: TestClient, core: Core, name: str) -> None:
    created = client.post(
        f"{API}/evaluations",
        params=P,
        json={
            "prompt": name,
            "versions": [1, 2],
            "models": ["fake/echo"],
            "dataset": "words",
            "evaluators": [{"kind": "exact_match"}],
        },
    )
    assert created.status_code == 201, created.text
    assert finish(core, created.json()["id"])["status"] == "completed"


def test_correlation_over_evaluated_versions(app_client: TestClient, core: Core) -> None:
    empty = app_client.get(f"{API}/quality/score-correlation", params=P)
    assert empty.status_code == 200, empty.text
    assert empty.json()["n"] == 0 and empty.json()["strength"] == "insufficient"
    assert "Not enough evidence" in empty.json()["statement"]

    make_dataset(core, count=3)
    for name, (first, second) in VERSIONS.items():
        assert (
            app_client.post(f"{API}/prompts", json={"name": name, "content": first}).status_code
            == 201
        )
        assert (
            app_client.patch(f"{API}/prompts/{name}", json={"content": second}).status_code == 200
        )
    _run(app_client, core, "plain")
    few = app_client.get(f"{API}/quality/score-correlation", params=P).json()
    assert few["n"] == 2 and few["strength"] == "insufficient" and few["rho"] is None
    for name in ("shout", "framed"):
        _run(app_client, core, name)

    body = app_client.get(f"{API}/quality/score-correlation", params=P).json()
    assert body["n"] == 6 and not body["truncated"]
    points = {(p["prompt"], p["version"]): p for p in body["points"]}
    for (name, version), point in points.items():
        expected = 1.0 if version == 1 else 0.0
        assert (point["outcome"], point["measure"], point["scores"]) == (expected, "pass rate", 3)
        findings = app_client.get(
            f"{API}/prompts/{name}/findings", params={**P, "version": version}
        ).json()
        assert point["quality_score"] == findings["score"]
    x = [p["quality_score"] for p in body["points"]]
    y = [p["outcome"] for p in body["points"]]
    if len(set(x)) == 1:
        assert body["rho"] is None and "does not vary" in body["statement"]
        return
    rho, p_value = stats.spearmanr(x, y)
    assert body["rho"] == round(float(rho), 4) and body["p_value"] == round(float(p_value), 6)
    half = 1.959964 * math.sqrt(1.06 / 3)
    assert body["ci_low"] == round(math.tanh(math.atanh(rho) - half), 4)
    assert body["ci_high"] == round(math.tanh(math.atanh(rho) + half), 4)
    # six versions never exclude 0 unless the relation is perfect: said plainly
    if body["ci_low"] <= 0 <= body["ci_high"]:
        assert body["strength"] == "none" and "does not predict" in body["statement"]
    assert "over 6 versions" in body["statement"]
