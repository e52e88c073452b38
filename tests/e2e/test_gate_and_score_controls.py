"""Two console controls over settings the API already took: the evaluation-run quality
gate of a project's review policy (gate_settings.evaluation_run) and `eval_score` alert
rules; each step checked against what the API then returns, against the real server."""

from __future__ import annotations

import pytest
from e2e_helpers import check_page, create_member, csrf_headers, signed_in_context
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SLUG = "gate-e2e"
PROJECT = {"project": SLUG}
POLICY_PAGE = f"/p/{SLUG}/settings/policies"
POLICY_API = f"/projects/{SLUG}/policy"
DATASET = "gate-qa"
REVIEWER = ("gale@example.com", "gale-pass-1234")
STORED = {
    "dataset": f"{DATASET}@1",
    "fail_under": ["exact_match=0.9", "contains=1"],
    "models": ["openai/gpt-4o-mini"],
}


@pytest.fixture(scope="module")
def gated(api):  # type: ignore[no-untyped-def]
    """Its own project with a prompt and a dataset, and a reviewer (no policy:manage)."""
    made = api.post("/projects", json={"slug": SLUG, "name": "Gate e2e"})
    assert made.status_code == 201, made.text
    prompt = api.post(
        "/prompts", params=PROJECT, json={"name": "gate-greet", "content": "Hello {{ who }}"}
    )
    assert prompt.status_code == 201, prompt.text
    cases = [{"id": "c1", "input": {"who": "Ada"}, "expected": "Hello Ada"}]
    dataset = api.post("/datasets", params=PROJECT, json={"name": DATASET, "cases": cases})
    assert dataset.status_code == 201, dataset.text
    create_member(api, *REVIEWER, "reviewer", "Gale")
    return api


def _settings(api) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = api.get(POLICY_API)
    assert response.status_code == 200, response.text
    return response.json()["gate_settings"]


def _set_gate(api, settings: dict | None) -> None:  # type: ignore[no-untyped-def, type-arg]
    body = {"gate_settings": {"evaluation_run": settings} if settings else {}}
    response = api.put(POLICY_API, json=body)
    assert response.status_code == 200, response.text


def _open_request(api):  # type: ignore[no-untyped-def]
    return api.post(
        "/change-requests",
        params=PROJECT,
        json={
            "prompt": "gate-greet",
            "version": 1,
            "label": "production",
            "sample_variables": {"who": "Ada"},
        },
    )


def test_set_keep_and_remove_the_evaluation_gate(page, gated):  # type: ignore[no-untyped-def]
    api = gated
    _set_gate(api, None)
    page.goto(POLICY_PAGE)
    expect(page.get_by_role("heading", name=f"Review policy of {SLUG}")).to_be_visible()
    require = page.get_by_label("Require a passing evaluation run", exact=True)
    expect(require).not_to_be_checked()
    expect(page.get_by_label("Dataset", exact=True)).to_have_count(0)

    # --- a malformed threshold: the page says what to write, and nothing is saved
    require.check()
    dataset = page.get_by_label("Dataset", exact=True)
    # by role: a wrapping <label>'s text includes a textarea's text, its accessible name not
    thresholds = page.get_by_role("textbox", name="Thresholds", exact=True)
    models = page.get_by_label("Models (optional)", exact=True)
    # the project's datasets are offered
    expect(page.locator(f"datalist#gate-datasets option[value='{DATASET}']")).to_have_count(1)
    expect(dataset).to_have_attribute("list", "gate-datasets")
    dataset.fill(f"{DATASET}@1")
    thresholds.fill("exact_match=0.9\ncontains>1")
    page.get_by_role("button", name="Save policy").click()
    problem = page.locator("#gate-problem")
    expect(problem).to_have_text(
        "“contains>1” is not a threshold: write evaluator=minimum, e.g. exact_match=0.9."
    )
    expect(problem).to_have_attribute("role", "alert")
    expect(thresholds).to_be_focused()
    expect(thresholds).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".notice.ok")).to_have_count(0)
    assert _settings(api) == {}

    # --- fixed: saved, kept across a reload, and what the API returns
    thresholds.fill("exact_match=0.9, contains = 1")
    models.fill("openai/gpt-4o-mini")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".notice.ok")).to_have_text(f"Policy of {SLUG} saved.")
    expect(problem).to_have_count(0)
    assert _settings(api) == {"evaluation_run": STORED}
    page.reload()
    expect(require).to_be_checked()
    expect(dataset).to_have_value(f"{DATASET}@1")
    expect(thresholds).to_have_value("exact_match=0.9\ncontains=1")
    expect(models).to_have_value("openai/gpt-4o-mini")
    check_page(page, "policy page with the evaluation-run gate")

    # the gate now runs: no run of version 1 on the dataset yet, so a request is refused
    refused = _open_request(api)
    assert refused.status_code == 422, refused.text
    gates = refused.json()["error"]["details"]["gates"]
    (gate,) = [g for g in gates if g["gate"] == "evaluation_run"]
    assert not gate["ok"]
    assert (
        f"no finished run of version 1 on openai/gpt-4o-mini on dataset {DATASET}@1"
        in (gate["message"])
    )

    # --- turned off: the settings are removed, not just hidden
    require.uncheck()
    expect(page.get_by_text("Saving turns this gate off and removes its settings.")).to_be_visible()
    expect(page.get_by_label("Dataset", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".notice.ok")).to_have_text(f"Policy of {SLUG} saved.")
    assert _settings(api) == {}
    page.reload()
    expect(require).not_to_be_checked()
    expect(page.get_by_label("Dataset", exact=True)).to_have_count(0)
    opened = _open_request(api)
    assert opened.status_code == 201, opened.text
    assert "evaluation_run" not in [g["gate"] for g in opened.json()["gate_results"]]
    closed = api.post(f"/change-requests/{opened.json()['id']}/close", json={})
    assert closed.status_code == 200, closed.text


def test_create_and_edit_an_eval_score_rule(page, gated):  # type: ignore[no-untyped-def]
    api = gated
    page.goto(f"/p/{SLUG}/alerts")
    page.get_by_role("button", name="Add rule").click()
    form = page.get_by_role("form", name="New alert rule")
    form.get_by_label("Name", exact=True).fill("e2e helpfulness")
    expect(form.get_by_label("Score name")).to_have_count(0)  # only for eval_score
    form.get_by_label("When").select_option("eval_score")
    threshold = form.get_by_label("Threshold (fall of the score's mean, on its own scale)")
    threshold.fill("0.1")
    form.get_by_role("button", name="Save rule").click()
    expect(form.get_by_role("alert")).to_have_text(
        "Name the score to watch: an online evaluator's name, or a score name recorded "
        "on generations."
    )
    assert not [r for r in api.get("/alert-rules").json()["items"] if r["kind"] == "eval_score"]
    form.get_by_label("Score name").fill("helpful")
    expect(form.get_by_label("Baseline", exact=True)).to_have_value("previous_window")
    form.get_by_role("button", name="Save rule").click()
    rules = page.get_by_role("list", name="Alert rules")
    item = rules.get_by_role("listitem").filter(has_text="e2e helpfulness")
    expect(item).to_contain_text("eval_score gte 0.1")
    expect(item).to_contain_text(f"score helpful · project {SLUG}")
    listed = api.get("/alert-rules").json()["items"]
    (saved,) = [r for r in listed if r["name"] == "e2e helpfulness"]
    assert (saved["kind"], saved["score"], saved["project"]) == ("eval_score", "helpful", SLUG)
    assert (saved["threshold"], saved["comparison"], saved["baseline"]) == (
        0.1,
        "gte",
        "previous_window",
    )

    # editing shows the score back and changes it, with a fixed baseline
    page.get_by_role("button", name="Edit rule e2e helpfulness").click()
    edit = page.get_by_role("form", name="Edit rule e2e helpfulness")
    expect(edit.get_by_label("Score name")).to_have_value("helpful")
    edit.get_by_label("Score name").fill("helpful_judge")
    edit.get_by_label("Baseline", exact=True).select_option("fixed")
    edit.get_by_label("Baseline mean of the score").fill("0.85")
    edit.get_by_role("button", name="Save rule").click()
    expect(item).to_contain_text("score helpful_judge")
    got = api.get(f"/alert-rules/{saved['id']}").json()
    assert got["score"] == "helpful_judge"
    assert (got["baseline"], got["baseline_value"]) == ("fixed", 0.85)
    assert api.delete(f"/alert-rules/{saved['id']}").status_code == 204


def test_a_reviewer_sees_the_gate_but_cannot_change_it(browser, base_url, gated):  # type: ignore[no-untyped-def]
    api = gated
    _set_gate(api, STORED)
    context = signed_in_context(browser, base_url, *REVIEWER)
    try:
        page = context.new_page()
        page.goto(POLICY_PAGE)
        expect(page.get_by_role("heading", name=f"Review policy of {SLUG}")).to_be_visible()
        expect(page.get_by_text("Only admins can change the policy.")).to_be_visible()
        require = page.get_by_label("Require a passing evaluation run", exact=True)
        expect(require).to_be_checked()
        expect(require).to_be_disabled()
        for role, label, value in [
            ("combobox", "Dataset", f"{DATASET}@1"),
            ("textbox", "Thresholds", "exact_match=0.9\ncontains=1"),
            ("textbox", "Models (optional)", "openai/gpt-4o-mini"),
        ]:
            field = page.get_by_role(role, name=label, exact=True)
            expect(field).to_have_value(value)
            expect(field).to_be_disabled()
        expect(page.get_by_role("button", name="Save policy")).to_have_count(0)
        # the server stays the authority
        forced = context.request.put(
            f"/api/v1{POLICY_API}", data={"gate_settings": {}}, headers=csrf_headers(context)
        )
        assert forced.status == 403, forced.text()
        assert _settings(api) == {"evaluation_run": STORED}
    finally:
        context.close()
        _set_gate(api, None)


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_new_controls_are_accessible_and_fit(page, mobile_page, gated, viewport):  # type: ignore[no-untyped-def]
    pg = mobile_page if viewport == "mobile" else page
    width = pg.viewport_size["width"]
    pg.goto(POLICY_PAGE)
    pg.get_by_label("Require a passing evaluation run", exact=True).check()
    pg.get_by_role("button", name="Save policy").click()  # empty: the page's message shows
    expect(pg.locator("#gate-problem")).to_contain_text("Name the dataset")
    expect(pg.get_by_label("Dataset", exact=True)).to_be_focused()
    check_page(pg, f"policy page with the gate's fields at {width} px")
    assert _settings(gated) == {}

    pg.goto(f"/p/{SLUG}/alerts")
    pg.get_by_role("button", name="Add rule").click()
    form = pg.get_by_role("form", name="New alert rule")
    form.get_by_label("When").select_option("eval_score")
    form.get_by_label("Baseline", exact=True).select_option("fixed")
    expect(form.get_by_label("Score name")).to_be_visible()
    expect(form.get_by_label("Baseline mean of the score")).to_be_visible()
    check_page(pg, f"new eval_score rule form at {width} px")
