"""The evaluation pages: launch a run with its cost estimate, follow its progress to the
end, read the results with the variants' outputs and their diff, compare two runs."""

from __future__ import annotations

import time

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(api):  # type: ignore[no-untyped-def]
    """Prompt e2e-eval (v1 echoes the text, v2 shouts it) and dataset e2e-words."""
    created = api.post("/prompts", json={"name": "e2e-eval", "content": "{{ text }}"})
    assert created.status_code == 201
    assert api.patch("/prompts/e2e-eval", json={"content": "{{ text | upper }}"}).status_code == 200
    cases = [
        {"id": f"w{i}", "input": {"text": f"word {i}"}, "expected": f"word {i}"} for i in range(3)
    ]
    created = api.post("/datasets", json={"name": "e2e-words", "cases": cases})
    assert created.status_code == 201, created.text
    return api


def _wait(api, run_id: int) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while api.get(f"/evaluations/{run_id}").json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_launch_follow_and_read_a_run(page, seeded):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    page.get_by_role("link", name="Evaluations").click()
    expect(page.get_by_role("heading", name="Evaluations", level=1)).to_be_visible()
    form = page.get_by_role("form", name="Start an evaluation run")
    form.get_by_label("Prompt").select_option("e2e-eval")
    form.get_by_label("Versions").fill("1, 2")
    form.get_by_label("Dataset (name or name@version)").fill("e2e-words")
    form.get_by_label("Models").select_option("fake/echo")
    form.get_by_role("button", name="Estimate cost").click()
    estimate = page.get_by_test_id("estimate")
    expect(estimate).to_contain_text("6 calls (3 cases")
    expect(estimate).to_contain_text("estimated cost $0.00")
    check_page(page, "evaluation launcher")
    form.get_by_role("button", name="Start run").click()

    expect(page.get_by_role("heading", name="Evaluation #")).to_be_visible()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=20_000)
    summary = page.get_by_role("table", name="Results by variant")
    expect(summary.get_by_role("row", name="v1 · fake/echo")).to_contain_text("100.0 %")
    expect(summary.get_by_role("row", name="v2 · fake/echo")).to_contain_text("0.0 %")
    page.get_by_role("button", name="w0").click()
    expect(page.get_by_test_id("diff")).to_be_visible()
    expect(page.get_by_label("Version 2").first.locator("ins")).to_contain_text("WORD")
    check_page(page, "evaluation run", "evaluation-run")


def test_compare_two_runs(page, seeded):  # type: ignore[no-untyped-def]
    body = {
        "prompt": "e2e-eval",
        "models": ["fake/echo"],
        "dataset": "e2e-words",
        "evaluators": [{"kind": "exact_match"}],
    }
    good = seeded.post("/evaluations", json={**body, "versions": [1]}).json()
    bad = seeded.post("/evaluations", json={**body, "versions": [2]}).json()
    _wait(seeded, good["id"])
    _wait(seeded, bad["id"])
    page.goto(f"/p/default/evaluations/{bad['id']}")
    expect(page.get_by_test_id("run-status")).to_have_text("completed")
    page.get_by_label("Baseline run").select_option(str(good["id"]))
    table = page.get_by_role("table", name="Regressions and improvements")
    row = table.get_by_role("row", name="exact_match")
    expect(row).to_contain_text("100.0 %")
    expect(row.locator("td").nth(2)).to_have_text("3")
    expect(page.get_by_role("table", name="Trend across versions")).to_be_visible()
