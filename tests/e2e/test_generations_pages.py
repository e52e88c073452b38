"""The generations explorer, a generation's page and the feedback list (issue 9),
against the real API: rows seeded through POST /api/v1/generations/batch."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PROJECT = "gen-e2e"
COUNT = 60
UNPRICED = "gen-e2e-unpriced"
CHAT = "gen-e2e-chat"


def _generation(n: int, now: datetime) -> dict:  # type: ignore[type-arg]
    return {
        "id": f"gen-e2e-{n:03d}",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "input_tokens": 100 + n,
        "output_tokens": 20 + n,
        "latency_ms": 300 + n,
        "start_time": (now - timedelta(minutes=COUNT - n + 10)).isoformat(),
        "status": "error" if n % 10 == 3 else "ok",
        "error": "upstream timed out" if n % 10 == 3 else None,
        "user_id": "user-7" if n % 7 == 0 else "user-1",
        "feature": "search" if n % 2 else "chat",
        "input": f"question number {n}",
        "output": f"answer number {n}",
        **({"prompt_name": "greeting", "prompt_version": 1} if n % 4 == 0 else {}),
    }


@pytest.fixture(scope="module")
def seeded(api):  # type: ignore[no-untyped-def]
    """60 plain generations, a chat one with feedback and one whose price is unknown."""
    assert (
        api.post("/projects", json={"slug": PROJECT, "name": "Generations e2e"}).status_code == 201
    )
    scoped = {"params": {"project": PROJECT}}
    r = api.post(
        "/prompts",
        **scoped,
        json={"name": "greeting", "type": "text", "content": "Hello {{ name }}"},
    )
    assert r.status_code == 201, r.text
    now = datetime.now(UTC)
    rows = [_generation(n, now) for n in range(COUNT)]
    rows.append(
        {
            "id": CHAT,
            "prompt_name": "greeting",
            "prompt_version": 1,
            "provider": "openai",
            "model": "gpt-4o-mini",
            "input_tokens": 1200,
            "output_tokens": 85,
            "cached_tokens": 200,
            "latency_ms": 812.5,
            "ttft_ms": 120.0,
            "start_time": (now - timedelta(minutes=5)).isoformat(),
            "user_id": "user-42",
            "session_id": "sess-9",
            "feature": "onboarding",
            "agent": "helper",
            "tags": ["beta"],
            "metadata": {"ticket": "T-17"},
            "input": [
                {"role": "system", "content": "You are kind."},
                {"role": "user", "content": "Hi Ada!"},
            ],
            "output": "Hello! How can I help?",
        }
    )
    rows.append(
        {
            "id": UNPRICED,
            "provider": "acme",
            "model": "mystery-model-x",
            "input_tokens": 50,
            "output_tokens": 10,
            "latency_ms": 90,
            "start_time": (now - timedelta(minutes=2)).isoformat(),
            "input": "what is this?",
            "output": "nobody knows",
        }
    )
    r = api.post("/generations/batch", **scoped, json={"generations": rows})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == COUNT + 2
    for body in (
        {
            "generation_id": CHAT,
            "kind": "thumbs",
            "value": 1,
            "comment": "spot on",
            "user_id": "user-42",
        },
        {"generation_id": CHAT, "kind": "score", "value": 4, "scale": "1-5"},
        {"generation_id": "gen-e2e-010", "kind": "thumbs", "value": 0, "comment": "wrong answer"},
    ):
        r = api.post("/analytics/feedback", **scoped, json=body)
        assert r.status_code == 201, r.text
    return scoped


def _rows(page):  # type: ignore[no-untyped-def]
    return page.locator(".gen-table tbody tr")


def test_list_newest_first_with_load_more(page, api, seeded):  # type: ignore[no-untyped-def]
    page.goto(f"/p/{PROJECT}/generations")
    expect(page.get_by_role("heading", name="Generations", exact=True)).to_be_visible()
    first_page = api.get("/generations", params={**seeded["params"], "limit": 50}).json()
    rows = _rows(page)
    expect(rows).to_have_count(50)
    assert [r.get_attribute("data-testid") for r in rows.all()] == [
        f"generation-{g['id']}" for g in first_page["items"]
    ]
    expect(rows.first).to_have_attribute("data-testid", f"generation-{UNPRICED}")
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(COUNT + 2)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    # the keyboard focus goes to the first row that came in, not lost with the button
    expect(rows.nth(50).get_by_role("link").first).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="shown")).to_have_text(
        f"{COUNT + 2} generations shown, no more"
    )

    # one row: time (linked to the generation), prompt@version, model, tokens, cost,
    # latency, status
    row = page.get_by_test_id(f"generation-{CHAT}")
    cells = row.locator("td")
    expect(cells.nth(0).get_by_role("link")).to_have_attribute(
        "href", f"/p/{PROJECT}/generations/{CHAT}"
    )
    expect(cells.nth(1).get_by_role("link", name="greeting@1")).to_have_attribute(
        "href", f"/p/{PROJECT}/prompts/greeting/history?to=1"
    )
    expect(cells.nth(2)).to_contain_text("gpt-4o-mini")
    expect(cells.nth(3)).to_have_text("1,200 in / 85 out")
    chat = api.get(f"/generations/{CHAT}", **seeded).json()
    assert chat["cost"] is not None and chat["cost"]["total"] > 0
    expect(cells.nth(4)).to_have_text(re.compile(r"^\$0\.\d+$"))
    expect(cells.nth(5)).to_have_text("813 ms")
    expect(cells.nth(6)).to_have_text("ok")

    # an unknown price reads "unknown" with the reason, never $0
    unpriced = page.get_by_test_id(f"generation-{UNPRICED}").locator("td").nth(4)
    expect(unpriced).to_have_text("unknownno price known for this model")
    assert api.get(f"/generations/{UNPRICED}", **seeded).json()["cost"] is None


def test_filters_follow_the_api_and_live_in_the_url(page, api, seeded):  # type: ignore[no-untyped-def]
    page.goto(f"/p/{PROJECT}/generations")
    rows = _rows(page)
    expect(rows).to_have_count(50)
    form = page.get_by_role("search", name="Filter generations")

    form.get_by_label("Status").select_option("error")
    form.get_by_label("User", exact=True).fill("user-1")
    form.get_by_role("button", name="Apply filters").click()
    expected = api.get(
        "/generations", params={**seeded["params"], "status": "error", "user": "user-1"}
    ).json()["items"]
    assert 0 < len(expected) < 10
    expect(rows).to_have_count(len(expected))
    for status in rows.locator("td:nth-child(7)").all_inner_texts():
        assert status == "error"
    assert "status=error" in page.url and "user=user-1" in page.url

    # the address keeps the filters: a reload shows the same list and form
    page.reload()
    expect(rows).to_have_count(len(expected))
    expect(form.get_by_label("Status")).to_have_value("error")

    form.get_by_role("button", name="Clear").click()
    expect(rows).to_have_count(50)
    assert "status=" not in page.url

    form.get_by_label("Prompt", exact=True).fill("greeting")
    form.get_by_label("Version", exact=True).fill("1")
    form.get_by_role("button", name="Apply filters").click()
    expected = api.get(
        "/generations", params={**seeded["params"], "prompt": "greeting", "version": 1}
    ).json()["items"]
    expect(rows).to_have_count(len(expected))
    assert len(expected) == COUNT // 4 + 1

    form.get_by_role("button", name="Clear").click()
    form.get_by_label("Search text").fill("answer number 42")
    form.get_by_label("Model", exact=True).fill("gpt-4o-mini")
    form.get_by_label("Provider", exact=True).fill("openai")
    form.get_by_label("Feature", exact=True).fill("chat")
    form.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-testid", "generation-gen-e2e-042")

    form.get_by_role("button", name="Clear").click()
    form.get_by_label("Session", exact=True).fill("sess-9")
    form.get_by_label("Agent", exact=True).fill("helper")
    form.get_by_label("Time range").select_option("1h")
    form.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-testid", f"generation-{CHAT}")

    # a time range in the future matches nothing
    form.get_by_role("button", name="Clear").click()
    form.get_by_label("From", exact=True).fill("2099-01-01T00:00")
    form.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No generations match these filters.")).to_be_visible()


def test_generation_detail(page, api, seeded):  # type: ignore[no-untyped-def]
    page.goto(f"/p/{PROJECT}/generations?user=user-42")
    page.get_by_test_id(f"generation-{CHAT}").get_by_role("link").first.click()
    heading = page.get_by_role("heading", name=f"Generation {CHAT}")
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()
    g = api.get(f"/generations/{CHAT}", **seeded).json()

    messages = page.get_by_role("list", name="Input messages").get_by_role("listitem")
    expect(messages).to_have_count(2)
    expect(messages.nth(0)).to_contain_text("system")
    expect(messages.nth(0)).to_contain_text("You are kind.")
    expect(messages.nth(1)).to_contain_text("user")
    expect(messages.nth(1)).to_contain_text("Hi Ada!")
    output = page.get_by_role("region", name="Output")
    expect(output).to_contain_text("Hello! How can I help?")

    usage = page.get_by_role("region", name="Usage and cost")
    for term, value in [
        ("Input tokens", "1,200"),
        ("Output tokens", "85"),
        ("Cached tokens", "200"),
        ("Latency", "813 ms"),
        ("Time to first token", "120 ms"),
        ("Priced by", g["cost"]["source"]),
    ]:
        expect(usage.locator("dt", has_text=term).locator("+ dd")).to_have_text(value)
    cost = g["cost"]
    expect(usage.locator("dt", has_text="Input cost").locator("+ dd")).to_have_text(
        f"${cost['input']:.6f}" if cost["input"] < 0.01 else f"${cost['input']:.4f}"
    )
    expect(usage.locator("dt", has_text="Output cost").locator("+ dd")).to_have_text(
        re.compile(r"^\$0\.\d+$")
    )

    context = page.get_by_role("region", name="Context")
    expect(context).to_contain_text("user-42")
    expect(context).to_contain_text("sess-9")
    expect(context).to_contain_text("onboarding")
    expect(page.get_by_role("region", name="Metadata")).to_contain_text('"ticket": "T-17"')
    expect(page.get_by_role("region", name="Flags")).to_contain_text("No flags")

    feedback = page.get_by_role("region", name="Feedback")
    expect(feedback.get_by_role("listitem")).to_have_count(2)
    expect(feedback).to_contain_text("thumbs up")
    expect(feedback).to_contain_text("spot on")
    expect(feedback).to_contain_text("score 4 on 1\u20135")  # an en dash

    # the prompt version is linked
    context.get_by_role("link", name="greeting@1").click()
    expect(page).to_have_url(re.compile(rf"/p/{PROJECT}/prompts/greeting/history\?to=1$"))


def test_unknown_price_and_missing_generation(page, seeded):  # type: ignore[no-untyped-def]
    page.goto(f"/p/{PROJECT}/generations/{UNPRICED}")
    usage = page.get_by_role("region", name="Usage and cost")
    expect(usage.locator("dt", has_text="Total cost").locator("+ dd")).to_have_text(
        "unknown (no price known for this model)"
    )
    expect(usage).not_to_contain_text("$")
    flags = page.get_by_role("region", name="Flags")
    expect(flags).to_contain_text("unknown_model_price")
    expect(flags).to_contain_text("cost is unknown (not zero)")

    page.goto(f"/p/{PROJECT}/generations/no-such-generation")
    expect(
        page.get_by_text(f"No generation no-such-generation in project {PROJECT}.")
    ).to_be_visible()


def test_feedback_list(page, api, seeded):  # type: ignore[no-untyped-def]
    page.goto(f"/p/{PROJECT}")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    expect(page.get_by_role("heading", name="Feedback", exact=True)).to_be_visible()
    expected = api.get("/analytics/feedback", **seeded).json()["items"]
    rows = page.locator(".gen-table tbody tr")
    expect(rows).to_have_count(3)
    assert [r.get_attribute("data-testid") for r in rows.all()] == [
        f"feedback-{f['id']}" for f in expected
    ]
    assert [f["generation_id"] for f in expected] == ["gen-e2e-010", CHAT, CHAT]  # newest first

    form = page.get_by_role("search", name="Filter feedback")
    form.get_by_label("Kind").select_option("thumbs")
    form.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(2)
    assert "kind=thumbs" in page.url
    form.get_by_label("Generation id").fill(CHAT)
    form.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("thumbs up")
    expect(rows.first).to_contain_text("spot on")
    rows.first.get_by_role("link", name=CHAT).click()
    expect(page.get_by_role("heading", name=f"Generation {CHAT}")).to_be_visible()


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_pages_are_accessible_and_fit(page, mobile_page, seeded, viewport):  # type: ignore[no-untyped-def]
    pg = mobile_page if viewport == "mobile" else page
    width = pg.viewport_size["width"]
    pg.goto(f"/p/{PROJECT}/generations")
    expect(_rows(pg)).to_have_count(50)
    check_page(pg, f"the generations explorer at {width} px", "generations")
    pg.goto(f"/p/{PROJECT}/generations/{CHAT}")
    expect(pg.get_by_role("region", name="Feedback").get_by_role("listitem")).to_have_count(2)
    check_page(pg, f"a generation at {width} px", "generation")
    pg.goto(f"/p/{PROJECT}/generations/{UNPRICED}")
    expect(pg.get_by_role("region", name="Flags")).to_contain_text("unknown_model_price")
    check_page(pg, f"an unpriced generation at {width} px")
    pg.goto(f"/p/{PROJECT}/feedback")
    expect(pg.locator(".gen-table tbody tr")).to_have_count(3)
    check_page(pg, f"the feedback list at {width} px", "feedback")
