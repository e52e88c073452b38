"""Issue 14, the template editor: `%}` steps over the auto-closed tag end, a visible focus
ring, the last good variables and a stale preview on a syntax error, no silent loss of
unsaved edits when moving to another tab or page, the template readable while the
editor's code loads."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import check_axe, create_prompt, editor_text, set_editor
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEMPLATE = "Prompt template"


def test_typing_a_tag_steps_over_the_auto_closed_percent_brace(page):  # type: ignore[no-untyped-def]
    page.goto("/p/default/new")
    box = page.get_by_role("textbox", name=TEMPLATE, exact=True)
    box.click()
    typed = "{% if urgent %}Flag it.{% endif %} and {{ name }}"
    page.keyboard.type(typed)  # key by key, as a person types: auto-close is active
    assert editor_text(page, TEMPLATE) == typed


def test_the_focused_template_editor_shows_an_unclipped_outline(page):  # type: ignore[no-untyped-def]
    page.goto("/p/default/new")
    page.get_by_role("textbox", name=TEMPLATE, exact=True).focus()
    visible = page.get_by_role("textbox", name=TEMPLATE, exact=True).evaluate(
        """el => {
            // Some element around the editor draws an outline of at least 2px, and no
            // ancestor clips it (overflow other than visible with the ring outside it).
            const editor = el.closest('.code-editor');
            for (let e = el; e && e !== editor.parentElement; e = e.parentElement) {
              const s = getComputedStyle(e);
              const width = parseFloat(s.outlineWidth);
              if (s.outlineStyle === 'none' || width < 2) continue;
              const grow = width + Math.max(parseFloat(s.outlineOffset), 0);
              const r = e.getBoundingClientRect();
              let clipped = false;
              for (let a = e.parentElement; a; a = a.parentElement) {
                const as = getComputedStyle(a);
                if (as.overflow === 'visible') continue;
                const ar = a.getBoundingClientRect();
                if (r.left - grow < ar.left || r.top - grow < ar.top ||
                    r.right + grow > ar.right || r.bottom + grow > ar.bottom) clipped = true;
              }
              if (!clipped) return true;
            }
            return false;
        }"""
    )
    assert visible, "the focused template editor has no visible (unclipped) focus outline"


def test_a_syntax_error_keeps_the_last_good_variables_and_marks_the_preview_stale(page):  # type: ignore[no-untyped-def]
    page.goto("/p/default/new")
    set_editor(page, TEMPLATE, "Hello {{ name }}, about {{ topic }}")
    page.get_by_role("textbox", name="name", exact=True).fill("Ann")
    page.get_by_role("textbox", name="topic", exact=True).fill("tides")
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Hello Ann, about tides")
    variables = page.get_by_role("list", name="Detected variables").get_by_role("listitem")
    expect(variables).to_have_count(2)

    set_editor(page, TEMPLATE, "Hello {{ name }}, about {{ topic }} {% if %}")
    expect(page.get_by_role("list", name="Template errors")).to_be_visible()
    page.wait_for_timeout(800)  # past the debounce and the server's answer
    expect(variables).to_have_count(2)
    expect(variables.nth(0)).to_contain_text("name")
    expect(variables.nth(1)).to_contain_text("topic")
    expect(page.get_by_role("textbox", name="name", exact=True)).to_have_value("Ann")
    expect(preview).to_contain_text("Out of date")
    expect(preview).to_have_attribute("data-stale", "true")
    check_axe(page, "the editor with a syntax error")

    # parsing again: the preview is current and the marker goes away
    set_editor(page, TEMPLATE, "Bye {{ name }}")
    expect(preview).to_contain_text("Bye Ann")
    expect(preview).not_to_contain_text("Out of date")
    expect(variables).to_have_count(1)


def test_leaving_an_edited_prompt_for_another_tab_asks_first(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "unsaved-demo", "First {{ x }}")
    page.goto("/p/default/prompts/unsaved-demo")
    expect(page.get_by_text("editing from version 1")).to_be_visible()
    set_editor(page, TEMPLATE, "My unsaved edit {{ x }}")
    expect(page.get_by_text("unsaved changes")).to_be_visible()

    tabs = page.get_by_role("navigation", name="Prompt")
    tabs.get_by_role("link", name="History").click()
    dialog = page.get_by_role("alertdialog", name="Leave without saving?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Stay and keep editing").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/prompts/unsaved-demo$"))
    assert editor_text(page, TEMPLATE) == "My unsaved edit {{ x }}"

    # the library link asks too; leaving discards the edit
    page.get_by_role("link", name="default", exact=True).first.click()
    dialog = page.get_by_role("alertdialog", name="Leave without saving?")
    expect(dialog).to_be_visible()
    check_axe(page, "the leave-without-saving dialog")
    dialog.get_by_role("button", name="Leave and discard my changes").click()
    expect(page).to_have_url(re.compile(r"/p/default$"))
    assert api.get("/prompts/unsaved-demo").json()["latest_version"] == 1

    # after saving, moving on does not ask
    page.goto("/p/default/prompts/unsaved-demo")
    set_editor(page, TEMPLATE, "Saved edit {{ x }}")
    page.keyboard.press("ControlOrMeta+s")
    expect(page.get_by_role("status").filter(has_text="Saved as version 2.")).to_be_visible()
    tabs.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(r"/prompts/unsaved-demo/history$"))


def test_the_template_is_readable_while_the_editors_code_loads(page, api):  # type: ignore[no-untyped-def]
    """A cold load shows the template as text as soon as the prompt's data is there; the
    editor replaces it once its code has arrived (held back here until the text is seen)."""
    create_prompt(api, "cold-read", "Hello {{ name }}, line one.\nLine two.")
    chunk = re.compile(r"/assets/EditorPage-[^/]*\.js$")
    held = []

    def hold(route):  # type: ignore[no-untyped-def]
        held.append(route)

    page.route(chunk, hold)
    page.goto("/p/default/prompts/cold-read", wait_until="domcontentloaded")
    preview = page.get_by_role("region", name="Template of cold-read")
    expect(preview).to_contain_text("Hello {{ name }}, line one.\nLine two.")
    expect(preview).to_have_attribute("aria-busy", "true")
    expect(preview.get_by_role("status")).to_have_text("Loading the editor…")
    assert held, "the editor's chunk was not requested"
    check_axe(page, "the template preview")
    for route in held:
        route.continue_()
    page.unroute(chunk)
    expect(page.locator(".cm-content")).to_contain_text("Hello {{ name }}, line one.")
    expect(preview).to_have_count(0)
