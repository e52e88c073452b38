"""The experiments pages (issue 11): design an experiment with its sample size in the
browser, start it, see the dashboard's verdict and intervals over time once traffic
is reported, promote the winner, and the pages at 390 px."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PROMPT = "e2e-exp-greeting"


@pytest.fixture(scope="module")
def prompt(api):  # type: ignore[no-untyped-def]
    assert (
        api.post("/prompts", json={"name": PROMPT, "content": "Hello {{ who }}"}).status_code == 201
    )
    assert api.patch(f"/prompts/{PROMPT}", json={"content": "Hi {{ who }}!"}).status_code == 200
    for label, version in (("production", 1), ("staging", 2)):
        moved = api.put(f"/prompts/{PROMPT}/labels/{label}", json={"version": version})
        assert moved.status_code == 200, moved.text
    return PROMPT


def _report(api, experiment_id: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    now = datetime.now(UTC)
    generations = []
    for i in range(600):
        unit = f"e2e-user-{i}"
        served = api.get("/experiments/assignment", params={"prompt": PROMPT, "unit": unit}).json()
        generations.append(
            {"id": f"e2e-exp-{i}", "prompt_name": PROMPT, "user_id": unit,
             "experiment_id": experiment_id, "variant": served["variant"],
             "latency_ms": 400 + rng.random() * 50,
             "start_time": (now - timedelta(days=6 - i // 100, minutes=1)).isoformat()}
        )  # fmt: skip
    assert api.post("/generations/batch", json={"generations": generations}).status_code == 200
    for g in generations:
        good = rng.random() < (0.75 if g["variant"] == "friendly" else 0.45)
        sent = api.post(
            "/analytics/feedback",
            json={"generation_id": g["id"], "kind": "score", "value": 1.0 if good else 0.0},
        )
        assert sent.status_code in (200, 201), sent.text


def test_design_start_watch_and_promote(page, api, prompt):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    page.get_by_role("link", name="Experiments").click()
    expect(page.get_by_role("heading", name="Experiments", exact=True)).to_be_visible()
    form = page.get_by_role("form", name="New experiment")
    form.get_by_label("Name", exact=True).fill("e2e-tone")
    form.get_by_label("Prompt").fill(prompt)
    form.get_by_label("Variant 2 name").fill("friendly")
    form.get_by_label("Baseline (a rate 0 to 1, or the mean)").fill("0.5")
    form.get_by_label("Minimum detectable effect").fill("0.1")
    expect(form.get_by_text("Sample size: 388 units per variant")).to_be_visible()
    form.get_by_role("button", name="Create the experiment").click()
    expect(page.get_by_role("heading", name="Experiment e2e-tone")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("running", exact=True)).to_be_visible()
    (experiment,) = [e for e in api.get("/experiments").json()["items"] if e["name"] == "e2e-tone"]
    assert experiment["status"] == "running" and experiment["sample_size"] == 388

    _report(api, experiment["id"])
    page.reload()
    verdict = page.get_by_role("region", name="Verdict")
    expect(verdict).to_contain_text("Better")
    expect(verdict).to_contain_text("friendly is better than control on feedback")
    chart = page.get_by_role(
        "img", name="feedback: friendly vs control, always-valid interval by day"
    )
    expect(chart).to_be_visible()
    expect(page.get_by_role("region", name="Metric latency")).to_be_visible()
    check_page(page, "experiment dashboard")

    page.get_by_role("button", name="Promote the winner").click()
    expect(page.get_by_role("status")).to_contain_text("Label production now points at version 2")
    labels = {x["name"]: x["version"] for x in api.get(f"/prompts/{prompt}/labels").json()["items"]}
    assert labels["production"] == 2
    expect(page.get_by_text("stopped", exact=True)).to_be_visible()


def test_usable_at_390_px(mobile_page, api, prompt):  # type: ignore[no-untyped-def]
    mobile_page.goto("/p/default/experiments")
    expect(mobile_page.get_by_role("form", name="New experiment")).to_be_visible()
    check_page(mobile_page, "experiments page at 390 px")
