"""Chat prompts, the conflict dialog, validation errors at their line, the playground."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import create_prompt, editor_text, set_editor, update_prompt
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_chat_prompt_messages_can_be_added_removed_and_reordered(page, api):  # type: ignore[no-untyped-def]
    page.goto("/p/default/new")
    page.get_by_label("Name").fill("support-chat")
    page.get_by_text("Chat", exact=True).click()
    set_editor(page, "Message 1 content (system)", "You answer for {{ company }}.")
    set_editor(page, "Message 2 content (user)", "{{ question }}")
    page.get_by_role("button", name="Add message").click()
    set_editor(page, "Message 3 content (assistant)", "Happy to help!")
    page.get_by_role("button", name="Add message").click()
    set_editor(page, "Message 4 content (user)", "Thanks")
    page.get_by_role("button", name="Remove message 4").click()
    page.get_by_role("button", name="Move message 3 up").click()
    expect(page.get_by_role("button", name="Move message 2 up")).to_be_focused()
    expect(
        page.get_by_role("list", name="Detected variables").get_by_role("listitem")
    ).to_have_text(["company", "question"])
    page.get_by_role("button", name=re.compile("^Create prompt")).click()
    expect(page).to_have_url(re.compile(r"/prompts/support-chat$"))

    version = api.get("/prompts/support-chat").json()["version"]
    assert version["type"] == "chat"
    assert version["content"] == [
        {"role": "system", "content": "You answer for {{ company }}."},
        {"role": "assistant", "content": "Happy to help!"},
        {"role": "user", "content": "{{ question }}"},
    ]

    # edit a chat prompt: the diff then shows it message by message
    page.get_by_label("Message 2 role").select_option("system")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_role("status").filter(has_text="Saved as version 2.")).to_be_visible()
    assert api.get("/prompts/support-chat").json()["version"]["content"][1]["role"] == "system"
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="History").click()
    messages = api.get("/prompts/support-chat/diff", params={"from": 1, "to": 2}).json()["messages"]
    expect(page.locator(".diff-message")).to_have_count(len(messages))
    changed = [m for m in messages if m["op"] == "changed"]
    assert [(m["role_old"], m["role_new"]) for m in changed] == [("assistant", "system")]
    expect(page.locator(".diff-message h3").nth(changed[0]["new_index"])).to_have_text(
        "Message 2 (assistant → system) changed"
    )


def test_conflict_dialog_when_someone_saved_meanwhile(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "conflict-demo", "Version one {{ x }}")
    page.goto("/p/default/prompts/conflict-demo")
    expect(page.get_by_text("editing from version 1")).to_be_visible()
    set_editor(page, "Prompt template", "My edit {{ x }}")

    update_prompt(api, "conflict-demo", content="Their edit {{ x }}", base_version=1)  # meanwhile

    page.keyboard.press("ControlOrMeta+s")
    dialog = page.get_by_role(
        "alertdialog", name="Someone saved this prompt while you were editing"
    )
    expect(dialog).to_contain_text("You started from version 1, but the prompt is now at version 2")
    assert api.get("/prompts/conflict-demo").json()["latest_version"] == 2  # nothing saved
    dialog.get_by_role("button", name="Save mine on top of version 2").click()
    expect(page.get_by_role("status").filter(has_text="Saved as version 3.")).to_be_visible()
    prompt = api.get("/prompts/conflict-demo").json()
    assert prompt["latest_version"] == 3
    assert prompt["version"]["content"] == "My edit {{ x }}"
    assert api.get("/prompts/conflict-demo/versions/2").json()["content"] == "Their edit {{ x }}"

    # and the other way out: discard mine, load theirs
    set_editor(page, "Prompt template", "Another edit of mine")
    update_prompt(api, "conflict-demo", content="Their second edit", base_version=3)
    page.get_by_role("button", name=re.compile("^Save")).click()
    page.get_by_role("button", name="Discard mine, load version 4").click()
    expect(page.get_by_role("status").filter(has_text="Loaded version 4.")).to_be_visible()
    assert editor_text(page, "Prompt template") == "Their second edit"
    assert api.get("/prompts/conflict-demo").json()["latest_version"] == 4


def test_template_errors_are_shown_at_their_line(page, api):  # type: ignore[no-untyped-def]
    broken = "Hello {{ name }}\n{% if vip %}Welcome back"
    page.goto("/p/default/new")
    page.get_by_label("Name").fill("broken-demo")
    set_editor(page, "Prompt template", broken)
    answer = api.post("/templates/validate", json={"type": "text", "content": broken}).json()
    assert answer["valid"] is False and answer["errors"]
    error = answer["errors"][0]
    errors = page.get_by_role("list", name="Template errors")
    expect(errors).to_contain_text(error["message"])
    expect(errors).to_contain_text(f"line {error['line']}")
    marked_line = page.locator(".cm-line", has=page.locator(".cm-lintRange-error"))
    expect(marked_line).to_have_count(1)
    lines = broken.split("\n")
    expect(marked_line).to_have_text(lines[error["line"] - 1])

    # saving anyway is refused by the server and nothing is created
    page.get_by_role("button", name=re.compile("^Create prompt")).click()
    expect(page.get_by_role("alert").filter(has_text="Not saved.")).to_be_visible()
    assert api.get("/prompts/broken-demo").status_code == 404


def test_playground_runs_versions_side_by_side(page, api):  # type: ignore[no-untyped-def]
    create_prompt(
        api, "pg-demo", "Summarise {{ topic }} in one line", config={"model": "fake/echo"}
    )
    update_prompt(api, "pg-demo", content="Explain {{ topic }} to a child", base_version=1)
    models = api.get("/models").json()["items"]
    assert any(m["id"] == "fake/echo" for m in models)

    page.goto("/p/default/prompts/pg-demo/playground")
    page.get_by_role("textbox", name="topic", exact=True).fill("ocean tides")
    page.get_by_role("button", name="Add comparison").click()
    columns = page.get_by_test_id("run-column")
    expect(columns).to_have_count(2)
    columns.nth(1).get_by_label("Version").select_option("1")
    page.keyboard.press("ControlOrMeta+Enter")

    outputs = page.get_by_test_id("run-output")
    expect(outputs).to_have_count(2)
    for column, version in ((0, 2), (1, 1)):
        expected = api.post(
            "/prompts/execute",
            json={
                "prompt": "pg-demo",
                "version": version,
                "variables": {"topic": "ocean tides"},
                "model": "fake/echo",
            },
        ).json()
        expect(outputs.nth(column)).to_have_text(expected["output"])
        metrics = columns.nth(column).locator(".metrics")
        usage = expected["usage"]
        expect(metrics).to_contain_text(f"{usage['input_tokens']} / {usage['output_tokens']}")
        expect(metrics).to_contain_text("Latency")
        expect(metrics).to_contain_text("Cost")

    # up to four runs
    for _ in range(2):
        page.get_by_role("button", name="Add comparison").click()
    expect(columns).to_have_count(4)
    expect(page.get_by_role("button", name=re.compile("Add comparison"))).to_be_disabled()
