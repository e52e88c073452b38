"""Prompt intelligence in the console (issue 12): findings scored and marked in the
editor as you type, the project's quality report with near-duplicates, the library's
search-by-meaning switch (off here, with its reason), a prompt's quality tab with similar
prompts and the LLM review accepted as a new version; axe at 390 and 1440 px."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import check_page, create_prompt, set_editor
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WEAK = "e2e-q-weak"
GOOD = "e2e-q-good"
DUP_A, DUP_B = "e2e-q-dup-a", "e2e-q-dup-b"
SHARED = (
    "You are a careful support assistant for the Acme billing team. Read the customer's "
    "message below and answer politely, in plain words, citing the relevant invoice number "
    "and the date it was issued, and never promise a refund that policy does not allow."
)
PROPOSAL = (
    "You are a support lead. Summarise the ticket below for an engineer in at most 3 "
    "bullet points.\n<ticket>\n{{ ticket }}\n</ticket>"
)
ANSWER = json.dumps(
    {
        "summary": "States the role, delimits the ticket and bounds the answer.",
        "suggestions": [
            {"title": "State a role", "rationale": "Prompt guides: give the model a role."},
            {"title": "Delimit the ticket", "rationale": "Delimiters stop injection."},
        ],
        "content": PROPOSAL,
    }
)


@pytest.fixture(scope="module")
def prompts(api):  # type: ignore[no-untyped-def]
    create_prompt(api, WEAK, "Summarise {{ ticket }}.")
    create_prompt(api, GOOD, PROPOSAL)
    create_prompt(api, DUP_A, f"{SHARED}\n<message>{{{{ message }}}}</message>")
    create_prompt(api, DUP_B, f"{SHARED}\nAlso greet {{{{ name }}}} by name.")
    connection = {
        "name": "e2e-reviewer",
        "kind": "fake",
        "models": ["json"],
        "options": {"output": ANSWER},
    }
    made = api.post("/providers", json=connection)
    assert made.status_code == 201, made.text
    price = {"model": "json", "input_per_mtok": 3.0, "output_per_mtok": 15.0}
    assert api.post("/providers/prices", json=price).status_code == 201
    return True


def test_findings_are_scored_and_marked_as_you_type(page, prompts):  # type: ignore[no-untyped-def]
    page.goto(f"/p/default/prompts/{WEAK}")
    panel = page.get_by_role("region", name="Quality and security")
    # The server's first scan loads the tokenizer: allow for a loaded machine.
    expect(panel.locator(".score-badge")).to_be_visible(timeout=30_000)
    text = "Summarise {{ ticket }}.\nWrite to jane.doe@acmecorp.io if unsure."
    set_editor(page, "Prompt template", text)
    finding = panel.get_by_role("listitem").filter(has_text="pii-email")
    expect(finding).to_be_visible(timeout=15_000)
    expect(finding).to_contain_text("Fix:")
    expect(finding).to_contain_text("Why:")
    # Marked in the text: a lint range over the address.
    mark = page.locator(".cm-content[aria-label='Prompt template'] .cm-lintRange")
    expect(mark.filter(has_text="jane.doe@acmecorp.io")).to_have_count(1)
    # Keyboard: the finding's button selects it in the editor.
    button = finding.get_by_role("button", name="Show")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".cm-content[aria-label='Prompt template']")).to_be_focused()
    assert page.evaluate("() => window.getSelection().toString()") == "jane.doe@acmecorp.io"
    check_page(page, "the editor with findings at 1440 px", shot="quality-editor")


def test_the_findings_panel_collapses_at_390(mobile_page, prompts):  # type: ignore[no-untyped-def]
    page = mobile_page
    page.goto(f"/p/default/prompts/{WEAK}")
    panel = page.get_by_role("region", name="Quality and security")
    # The server's first scan loads the tokenizer: allow for a loaded machine.
    expect(panel.locator(".score-badge")).to_be_visible(timeout=30_000)
    details = panel.locator("details")
    assert details.get_attribute("open") is None
    panel.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    check_page(page, "the editor with findings at 390 px")


def test_the_project_report_and_near_duplicates(page, mobile_page, prompts, api):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    page.get_by_role("link", name="Quality", exact=True).click()
    expect(page.get_by_role("heading", name="Quality and security", level=1)).to_be_visible()
    distribution = page.get_by_role("list", name="Prompts per score band")
    expect(distribution.get_by_role("listitem")).to_have_count(10)
    worst = page.get_by_role("region", name="Worst prompts", exact=True)
    # other tests' prompts share the project: the page shows the server's ranking
    report = api.post("/scan", json={}).json()
    scores = [item["score"] for item in report["worst"]]
    assert scores == sorted(scores)
    lowest = report["worst"][0]
    expect(worst.get_by_role("link", name=lowest["name"], exact=True).first).to_be_visible()
    common = page.get_by_role("region", name="Most common findings", exact=True)
    expect(common.get_by_role("table")).to_be_visible()
    trend = page.get_by_role("region", name="Score across versions", exact=True)
    trend.get_by_label("Prompt").select_option(WEAK)
    expect(trend.get_by_role("img", name=f"Quality score of {WEAK} by version")).to_be_visible()
    duplicates = page.get_by_role("list", name="Near-duplicate pairs")
    pair = duplicates.get_by_role("listitem").filter(has_text=DUP_A).filter(has_text=DUP_B)
    expect(pair).to_have_count(1)
    pair.get_by_text("Reuse:").click()
    expect(pair.get_by_label("The shared part")).to_contain_text("careful support assistant")
    check_page(page, "the quality report at 1440 px", shot="quality-report")

    mobile_page.goto("/p/default/quality")
    expect(mobile_page.get_by_role("region", name="Worst prompts", exact=True)).to_be_visible()
    expect(mobile_page.get_by_role("list", name="Near-duplicate pairs")).to_be_visible()
    check_page(mobile_page, "the quality report at 390 px")


def test_search_by_meaning_says_why_it_is_off(page, mobile_page, prompts):  # type: ignore[no-untyped-def]
    for pg, width in ((page, 1440), (mobile_page, 390)):
        pg.goto("/p/default?q=support")
        switch = pg.get_by_role("checkbox", name="Search by meaning")
        expect(switch).to_be_disabled()
        expect(pg.get_by_text("Unavailable:")).to_be_visible()
        expect(switch).to_have_attribute("aria-describedby", "semantic-off")
        check_page(pg, f"the library with the semantic switch at {width} px")


def test_similar_prompts_and_the_llm_review(page, mobile_page, api, prompts):  # type: ignore[no-untyped-def]
    page.goto(f"/p/default/prompts/{DUP_A}")
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="Quality").click()
    similar = page.get_by_role("list", name="Similar prompts")
    expect(similar.get_by_role("link", name=DUP_B)).to_be_visible()

    page.goto(f"/p/default/prompts/{WEAK}/quality")
    review = page.get_by_role("region", name="LLM review")
    review.get_by_label("Model").select_option("e2e-reviewer/json")
    review.get_by_role("button", name="Estimate the cost").click()
    estimate = review.get_by_role("group", name="Cost estimate")
    expect(estimate).to_contain_text("Estimated cost: $", timeout=30_000)
    expect(estimate).to_contain_text("up to 1024 output tokens")
    estimate.get_by_role("button", name="Ask e2e-reviewer/json for a review").click()
    proposal = review.get_by_role("region", name="Proposed version")
    expect(proposal).to_contain_text("States the role, delimits the ticket")
    expect(proposal.get_by_role("list", name="Suggestions")).to_contain_text("Delimit the ticket")
    expect(proposal.locator("ins").first).to_be_visible()
    expect(proposal).to_contain_text("Real cost: $")
    check_page(page, "a prompt's quality tab with a proposal at 1440 px", shot="quality-review")
    proposal.get_by_role("button", name="Accept as a new version").click()
    expect(review.get_by_role("status")).to_contain_text("Accepted: saved as version")
    saved = api.get(f"/prompts/{WEAK}").json()
    assert saved["version"]["content"] == PROPOSAL
    assert saved["version"]["message"].startswith("LLM review (e2e-reviewer/json)")

    mobile_page.goto(f"/p/default/prompts/{WEAK}/quality")
    expect(mobile_page.get_by_role("region", name="LLM review")).to_be_visible()
    check_page(mobile_page, "a prompt's quality tab at 390 px")
