"""The playground: runs side by side streamed through one multi-run request (each column
growing as its deltas arrive), cancelling, an edited variant saved as a version (with the
editor's conflict dialog), what a viewer sees, and axe at phone and desktop widths."""

from __future__ import annotations

import re
import time

import pytest
from e2e_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MOBILE,
    check_page,
    create_member,
    create_prompt,
    signed_in_context,
    update_prompt,
)
from playwright.sync_api import expect
from test_demo_audit import demo_url  # noqa: F401 (the demo server fixture)

pytestmark = pytest.mark.e2e

TEXT = "Explain {{ topic }} to a curious child, in a few short and friendly sentences."


def slow_connection(api, name: str, **options) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "/providers", json={"name": name, "kind": "fake", "models": ["echo"], "options": options}
    )
    assert response.status_code in (201, 409), response.text


def playground(page, prompt: str):  # type: ignore[no-untyped-def]
    page.goto(f"/p/default/prompts/{prompt}/playground")
    return page.get_by_test_id("run-column")


def test_columns_stream_live_side_by_side(page, api):  # type: ignore[no-untyped-def]
    slow_connection(api, "slow", latency_ms=2400, chunks=8)
    create_prompt(api, "pg-stream", TEXT, config={"model": "slow/echo"})
    update_prompt(api, "pg-stream", content="Tell me about {{ topic }}.", base_version=1)
    columns = playground(page, "pg-stream")
    page.get_by_role("textbox", name="topic", exact=True).fill("ocean tides")
    columns.nth(0).get_by_label("Version").select_option("1")
    page.get_by_role("button", name="Add comparison").click()
    columns.nth(1).get_by_label("Model").select_option("fake/upper")
    columns.nth(1).get_by_label("Version").select_option("2")
    page.get_by_role("button", name=re.compile("^Run")).click()

    first = columns.nth(0).get_by_test_id("run-output")
    full = "Explain ocean tides to a curious child, in a few short and friendly sentences."
    # live: part of the slow column's answer is on screen while it is still streaming
    expect(first).to_have_attribute("data-state", "running")
    expect(first).not_to_have_text("")
    assert first.get_attribute("data-state") == "running"
    partial = first.text_content() or ""
    assert partial and full.startswith(partial) and partial != full
    # the fast column finished meanwhile, on its own
    expect(columns.nth(1).get_by_test_id("run-output")).to_have_text("TELL ME ABOUT OCEAN TIDES.")
    expect(first).to_have_attribute("data-state", "done", timeout=15_000)
    expect(first).to_have_text(full)
    metrics = columns.nth(0).locator(".metrics")
    for word in ("Tokens in / out", "Cost", "Latency", "First token"):
        expect(metrics).to_contain_text(word)
    expect(metrics).not_to_contain_text("First token\u2013")

    # each run is a stored generation of its version, made from the playground
    found = api.get("/generations", params={"prompt": "pg-stream", "feature": "playground"}).json()
    assert sorted(g["prompt"]["version"] for g in found["items"]) == [1, 2]


def test_cancel_stops_the_stream_and_the_server_cancels_the_run(page, api):  # type: ignore[no-untyped-def]
    slow_connection(api, "glacial", latency_ms=30_000, ttft_ms=300, chunks=30)
    create_prompt(api, "pg-cancel", TEXT, config={"model": "glacial/echo"})
    columns = playground(page, "pg-cancel")
    page.get_by_role("textbox", name="topic", exact=True).fill("volcanoes")
    page.get_by_role("button", name=re.compile("^Run")).click()
    output = columns.nth(0).get_by_test_id("run-output")
    expect(output).not_to_have_text("")
    page.get_by_role("button", name="Cancel").click()
    expect(output).to_have_attribute("data-state", "cancelled")
    expect(page.get_by_role("button", name=re.compile("^Run"))).to_be_enabled()
    # the server noticed the closed connection and recorded the run as cancelled
    deadline = time.monotonic() + 10
    statuses: list[str] = []
    while time.monotonic() < deadline:
        items = api.get("/generations", params={"prompt": "pg-cancel"}).json()["items"]
        statuses = [g["status"] for g in items]
        if statuses:
            break
        time.sleep(0.2)
    assert statuses == ["cancelled"]


def test_an_edited_variant_is_saved_as_a_version_through_a_conflict(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "pg-save", "Summarise {{ topic }}.", config={"model": "fake/echo"})
    columns = playground(page, "pg-save")
    page.get_by_role("textbox", name="topic", exact=True).fill("tides")
    columns.nth(0).get_by_role("button", name="Edit a variant of v1").click()
    column = columns.nth(0)
    column.get_by_label("Template").fill("Summarise {{ topic }} for {{ reader }}.")
    column.get_by_label("Temperature").fill("0.2")
    # a variable the variant added gets its input
    page.get_by_role("textbox", name="reader", exact=True).fill("sailors")
    page.keyboard.press("ControlOrMeta+Enter")
    expect(column.get_by_test_id("run-output")).to_have_text("Summarise tides for sailors.")

    update_prompt(api, "pg-save", content="Someone else's {{ topic }}.", base_version=1)
    column.get_by_label("Commit message").fill("Tried in the playground")
    column.get_by_role("button", name="Save as version").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("version 2")
    dialog.get_by_role("button", name="Save mine on top of version 2").click()
    expect(column.get_by_test_id("run-notice")).to_have_text("Saved as version 3.")
    expect(column.get_by_label("Version")).to_have_value("3")

    saved = api.get("/prompts/pg-save").json()["version"]
    assert saved["number"] == 3
    assert saved["content"] == "Summarise {{ topic }} for {{ reader }}."
    assert saved["config"]["model"] == "fake/echo" and saved["config"]["temperature"] == 0.2
    assert saved["message"] == "Tried in the playground"


def test_a_viewer_sees_why_it_cannot_run_or_save(browser, base_url, api):  # type: ignore[no-untyped-def]
    create_member(api, "pg-viewer@example.com", ADMIN_PASSWORD, "viewer")
    create_prompt(api, "pg-viewer", "Hello {{ name }}", config={"model": "fake/echo"})
    context = signed_in_context(browser, base_url, "pg-viewer@example.com", ADMIN_PASSWORD)
    try:
        page = context.new_page()
        columns = playground(page, "pg-viewer")
        run = page.get_by_role("button", name=re.compile("^Run"))
        expect(run).to_be_disabled()
        expect(page.get_by_text("Your role (viewer) cannot run prompts.")).to_be_visible()
        columns.nth(0).get_by_role("button", name="Edit a variant of v1").click()
        expect(columns.nth(0).get_by_role("button", name="Save as version")).to_be_disabled()
        expect(page.get_by_text("Your role (viewer) cannot save versions.")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1440])
def test_the_playground_is_accessible(browser, base_url, api, width):  # type: ignore[no-untyped-def]
    create_prompt(api, f"pg-axe-{width}", "Summarise {{ topic }}.", config={"model": "fake/echo"})
    viewport = MOBILE if width == 390 else {"width": 1440, "height": 900}
    context = signed_in_context(browser, base_url, "admin@example.com", ADMIN_PASSWORD, viewport)
    try:
        page = context.new_page()
        columns = playground(page, f"pg-axe-{width}")
        page.get_by_role("textbox", name="topic", exact=True).fill("tides")
        page.get_by_role("button", name="Add comparison").click()
        columns.nth(1).get_by_role("button", name="Edit a variant of v1").click()
        page.get_by_role("button", name=re.compile("^Run")).click()
        expect(columns.nth(0).get_by_test_id("run-output")).to_have_attribute("data-state", "done")
        expect(columns.nth(1).get_by_test_id("run-output")).to_have_attribute("data-state", "done")
        check_page(page, f"playground at {width} px")
    finally:
        context.close()


def test_the_demo_playground_runs_on_the_fake_provider(browser, demo_url):  # type: ignore[no-untyped-def]  # noqa: F811
    context = signed_in_context(browser, demo_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    try:
        page = context.new_page()
        columns = playground(page, "support-reply")
        page.get_by_role("textbox", name="customer_name", exact=True).fill("Ada")
        page.get_by_role("textbox", name="question", exact=True).fill("a late parcel")
        page.get_by_role("button", name="Add comparison").click()
        columns.nth(1).get_by_label("Model").select_option("fake/upper")
        page.get_by_role("button", name=re.compile("^Run")).click()
        for column in (0, 1):
            output = columns.nth(column).get_by_test_id("run-output")
            expect(output).to_have_attribute("data-state", "done")
            expect(output).to_contain_text(re.compile("ada", re.IGNORECASE))
        expect(columns.nth(1).get_by_test_id("run-output")).to_contain_text("A LATE PARCEL")
    finally:
        context.close()
