"""Issue 14, the friction: what a prompt author or reviewer trips over in a first day of
real use (protected labels, results out of view, small screens, audit search, keyboard,
forms, webhooks, the editor's cold load), each checked in Chromium against the real app."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from e2e_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DESKTOP,
    check_axe,
    create_prompt,
    set_editor,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

GUARDED = "friction-guard"


def _in_viewport(locator) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        locator.evaluate(
            """el => { const r = el.getBoundingClientRect();
                       return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"""
        )
    )


def _versions(api, name: str, count: int, project: str = "default") -> None:  # type: ignore[no-untyped-def]
    body = {"name": name, "type": "text", "content": "Version 1 says {{ x }}"}
    assert api.post("/prompts", params={"project": project}, json=body).status_code == 201
    for n in range(2, count + 1):
        r = api.patch(
            f"/prompts/{name}",
            params={"project": project},
            json={"content": f"Version {n} says {{{{ x }}}}", "commit_message": f"step {n}"},
        )
        assert r.status_code == 200, r.text


# -- 1. a protected label says so before the confirmation ---------------------------------


@pytest.fixture(scope="module")
def guarded(api):  # type: ignore[no-untyped-def]
    assert api.post("/projects", json={"slug": GUARDED, "name": "Guarded"}).status_code == 201
    r = api.put(
        f"/projects/{GUARDED}/policy",
        json={"require_review": True, "protected_labels": ["production"]},
    )
    assert r.status_code == 200, r.text
    _versions(api, "guarded-reply", 2, GUARDED)
    return "guarded-reply"


def test_a_protected_label_says_it_needs_review_before_any_confirmation(page, guarded):  # type: ignore[no-untyped-def]
    page.goto(f"/p/{GUARDED}/prompts/{guarded}/history")
    page.get_by_role("button", name="Move label to v2…").click()
    dialog = page.get_by_role("dialog", name="Move a label")
    expect(dialog.get_by_label("Label")).to_have_value("production")
    expect(dialog).to_contain_text(
        "production is protected in this project: moving it needs review."
    )
    expect(dialog.get_by_role("button", name="Continue")).to_have_count(0)
    open_cr = dialog.get_by_role("link", name="Open a change request")
    expect(open_cr).to_have_class(re.compile(r"\bprimary\b"))
    check_axe(page, "the move-label dialog of a protected label")
    # Another label is not protected: the usual two steps.
    dialog.get_by_label("Label").fill("staging")
    expect(dialog.get_by_role("button", name="Continue")).to_be_enabled()
    expect(dialog.get_by_role("link", name="Open a change request")).to_have_count(0)
    dialog.get_by_label("Label").fill("production")
    dialog.get_by_role("link", name="Open a change request").click()
    expect(page).to_have_url(
        re.compile(rf"/p/{GUARDED}/reviews/new\?prompt={guarded}&version=2&label=production$")
    )


# -- 2. results stay in view; History's diff is sticky ------------------------------------


def test_a_rollback_keeps_its_result_and_the_new_version_in_view(page, api):  # type: ignore[no-untyped-def]
    _versions(api, "long-history", 14)
    page.goto("/p/default/prompts/long-history/history")
    rollback = page.get_by_role("button", name="Roll back to v1…")
    rollback.scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 200  # the timeline's end is far down
    diff_title = page.get_by_role("heading", name=re.compile(r"^Compare v"))
    assert _in_viewport(diff_title), "the diff scrolled away with the timeline"
    rollback.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Roll back to v1").click()
    result = page.get_by_test_id("history-result")
    expect(result).to_have_text("Rolled back: version 15 has the content of version 1.")
    expect(result).to_be_focused()
    expect(diff_title).to_have_text("Compare v14 → v15")
    assert _in_viewport(result) and _in_viewport(diff_title)
    expect(page.locator(".version").first).to_contain_text("v15")
    assert _in_viewport(page.locator(".version").first)
    check_axe(page, "history after a rollback")


def test_a_label_move_focuses_its_result(page, api):  # type: ignore[no-untyped-def]
    _versions(api, "label-focus", 3)
    page.goto("/p/default/prompts/label-focus/labels")
    page.get_by_role("button", name="Add or move a label").click()
    dialog = page.get_by_role("dialog", name="Move a label")
    dialog.get_by_label("Label").fill("staging")
    dialog.get_by_label("Version").select_option("2")
    dialog.get_by_role("button", name="Continue").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Point staging to v2").click()
    result = page.get_by_test_id("labels-result")
    expect(result).to_have_text("Label staging now points to version 2.")
    expect(result).to_be_focused()
    assert _in_viewport(result)


# -- 3. a phone's screen ------------------------------------------------------------------


def test_at_390_px_the_header_folds_into_a_menu_and_the_template_has_room(mobile_page, api):  # type: ignore[no-untyped-def]
    pg = mobile_page
    create_prompt(api, "phone-room", "Hello {{ name }}, how can we help?")
    pg.goto("/p/default/prompts/phone-room")
    editor = pg.get_by_role("textbox", name="Prompt template", exact=True)
    expect(editor).to_be_visible(timeout=20_000)
    header = pg.locator("header.topbar").bounding_box()
    assert header and header["height"] <= 64, header
    expect(pg.get_by_role("navigation", name="Main")).to_be_hidden()
    savebar = pg.locator(".savebar").bounding_box()
    assert savebar and savebar["height"] <= 64, savebar
    check_axe(pg, "the editor at 390 px")

    menu = pg.get_by_role("button", name="Menu", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav = pg.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    check_axe(pg, "the open menu at 390 px")
    nav.get_by_role("link", name="Change requests").click()
    expect(pg.get_by_role("heading", level=1, name="Change requests")).to_be_visible()
    expect(nav).to_be_hidden()  # choosing a page closes the menu


def test_at_390_px_history_shows_the_diff_first(mobile_page, api):  # type: ignore[no-untyped-def]
    _versions(api, "phone-history", 3)
    mobile_page.goto("/p/default/prompts/phone-history/history")
    diff = mobile_page.locator(".history-diff").bounding_box()
    timeline = mobile_page.locator(".timeline").bounding_box()
    assert diff and timeline and diff["y"] < timeline["y"], (diff, timeline)
    assert _in_viewport(mobile_page.get_by_role("heading", name="Compare v2 → v3"))
    check_axe(mobile_page, "history at 390 px")


def test_at_390_px_the_audit_log_keeps_details_and_hash(mobile_page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "phone-audit", "Hi {{ x }}")
    event = api.get("/audit", params={"object_id": "phone-audit"}).json()["items"][0]
    mobile_page.goto("/p/default/audit?object_id=phone-audit")
    row = mobile_page.locator(".audit-table tbody tr").first
    expect(row.get_by_text("Details")).to_be_visible()
    expect(row.get_by_text(event["hash"])).to_be_visible()
    expect(row).to_contain_text("name: phone-audit")
    check_axe(mobile_page, "the audit log at 390 px")


# -- 4. audit search by a prompt's name; rows link to their object ------------------------


def test_audit_search_takes_a_prompt_name_and_rows_link_to_it(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "audit-by-name", "Hi {{ x }}")
    r = api.patch("/prompts/audit-by-name", json={"content": "Hello {{ x }}"})
    assert r.status_code == 200, r.text
    page.goto("/p/default/audit")
    page.get_by_label("Object id or prompt name").fill("audit-by-name")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(2)
    links = page.locator(".audit-table tbody").get_by_role("link", name="prompt audit-by-name")
    expect(links).to_have_count(2)
    links.first.click()
    expect(page).to_have_url(re.compile(r"/p/default/prompts/audit-by-name/history$"))


# -- 5. folders and tags are one tab stop each --------------------------------------------


def test_folders_and_tags_are_one_tab_stop_with_arrow_keys(page, api):  # type: ignore[no-untyped-def]
    project = "roving-e2e"
    assert api.post("/projects", json={"slug": project, "name": "Roving"}).status_code == 201
    for name, folder, tag in [
        ("r-a", "alpha", "one"),
        ("r-b", "beta", "two"),
        ("r-c", "gamma", "three"),
    ]:
        body = {"name": name, "type": "text", "content": "Hi", "folder": folder, "tags": [tag]}
        assert api.post("/prompts", params={"project": project}, json=body).status_code == 201
    page.goto(f"/p/{project}")
    folders = page.get_by_role("navigation", name="Folders")
    expect(folders.get_by_role("button")).to_have_count(4)
    tabbable = folders.locator('button[tabindex="0"]')
    expect(tabbable).to_have_count(1)
    expect(tabbable).to_contain_text("All prompts")
    tabbable.focus()
    page.keyboard.press("ArrowDown")
    expect(folders.get_by_role("button", name=re.compile("^alpha"))).to_be_focused()
    page.keyboard.press("End")
    expect(folders.get_by_role("button", name=re.compile("^gamma"))).to_be_focused()
    page.keyboard.press("Home")
    expect(folders.get_by_role("button", name=re.compile("^All prompts"))).to_be_focused()
    page.keyboard.press("ArrowUp")  # wraps around
    expect(folders.get_by_role("button", name=re.compile("^gamma"))).to_be_focused()
    # Tab leaves the folders for the tags at once, and the tags for what follows.
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "chip" in focused, focused
    page.keyboard.press("ArrowRight")
    second = page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Tab")
    after = page.evaluate("() => document.activeElement.className")
    assert "chip" not in after and "tree-item" not in after, after
    assert second.strip().startswith(("one", "three", "two"))
    page.keyboard.press("Shift+Tab")
    back = page.evaluate("() => document.activeElement.textContent")
    assert back == second  # the group remembers where you were
    page.keyboard.press("Shift+Tab")
    back_in_folders = page.evaluate("() => document.activeElement.textContent")
    assert back_in_folders.startswith("gamma"), back_in_folders
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("prompt-row")).to_have_count(1)
    check_axe(page, "the library with roving folders and tags")


# -- 6. forms: author prefix, name as you type, test delivery, conflict, models ------------


def test_the_author_filter_matches_a_prefix(page, api):  # type: ignore[no-untyped-def]
    made = create_prompt(api, "author-prefix", "Hi {{ x }}")
    author = made.get("updated_by") or api.get("/prompts/author-prefix").json()["updated_by"]
    prefix = author[:3].upper()
    page.goto(f"/p/default?author={prefix}")
    expect(page.get_by_role("link", name="author-prefix").first).to_be_visible()
    page.goto("/p/default?author=nobody-writes-here")
    expect(page.get_by_role("link", name="author-prefix")).to_have_count(0)


NAMES = ["good-name", "v1.2_ok", "a" * 128, "bad name", "-leading", "emoji✨", "x/y", ".dot"]


def test_an_invalid_prompt_name_is_flagged_as_you_type_by_the_servers_rule(page, api):  # type: ignore[no-untyped-def]
    page.goto("/p/default/new")
    field = page.get_by_role("textbox", name=re.compile(r"^Name"))
    for name in NAMES:
        field.fill(name)
        flagged = field.get_attribute("aria-invalid") == "true"
        r = api.post("/prompts", json={"name": name, "type": "text", "content": "x"})
        refused = r.status_code == 422
        if r.status_code == 201:
            api.delete(f"/prompts/{name}")
        assert flagged == refused, (name, flagged, r.status_code)
    field.fill("bad name!")
    expect(page.get_by_text("Not allowed: space, “!”.")).to_be_visible()
    check_axe(page, "the new-prompt form with an invalid name")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append({"headers": dict(self.headers), "body": body})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook_url() -> Iterator[str]:
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_send_test_delivery_from_the_webhook_settings(page, api, hook_url):  # type: ignore[no-untyped-def]
    project = "hook-test-e2e"
    assert api.post("/projects", json={"slug": project, "name": "Hook test"}).status_code == 201
    page.goto(f"/p/{project}/settings/webhooks")
    page.get_by_label("URL").fill(hook_url)
    page.get_by_label("version.created").check()
    page.get_by_role("button", name="Add webhook").click()
    secret = page.get_by_label("Signing secret").input_value()
    page.get_by_role("button", name=f"Send test delivery to {hook_url}").click()
    expect(page.get_by_text("Test delivery sent: the endpoint answered HTTP 204.")).to_be_visible()
    [hit] = _Hook.received
    headers = {k.lower(): v for k, v in hit["headers"].items()}
    assert headers["x-promptyard-event"] == "ping"
    mac = hmac.new(
        secret.encode(),
        headers["x-promptyard-timestamp"].encode() + b"." + hit["body"],
        hashlib.sha256,
    )
    assert headers["x-promptyard-signature"] == "sha256=" + mac.hexdigest()
    assert json.loads(hit["body"])["event"] == "ping"
    page.get_by_role("button", name="Deliveries").click()
    expect(page.locator("table").get_by_text("ping")).to_be_visible()
    check_axe(page, "webhooks after a test delivery")


def test_the_save_conflict_dialog_focuses_the_safe_choice(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "conflict-focus", "Hi {{ x }}")
    page.goto("/p/default/prompts/conflict-focus")
    set_editor(page, "Prompt template", "Mine {{ x }}")
    r = api.patch("/prompts/conflict-focus", json={"content": "Theirs {{ x }}"})
    assert r.status_code == 200, r.text
    page.get_by_role("button", name=re.compile("^Save")).click()
    dialog = page.get_by_role(
        "alertdialog", name="Someone saved this prompt while you were editing"
    )
    expect(dialog.get_by_role("button", name="Keep editing")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert api.get("/prompts/conflict-focus").json()["version"]["number"] == 2  # nothing saved


def test_the_model_field_offers_the_servers_models(page, api):  # type: ignore[no-untyped-def]
    listed = [m["id"] for m in api.get("/models").json()["items"]]
    assert listed, "the server lists no model"
    create_prompt(api, "model-choice", "Hi {{ x }}")
    page.goto("/p/default/prompts/model-choice")
    field = page.get_by_label("Model", exact=True)
    list_id = field.get_attribute("list")
    assert list_id
    options = page.locator(f"datalist#{list_id} option")
    expect(options).to_have_count(len(listed))
    assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == sorted(listed)
    field.fill("my-own/model-name")  # free text stays allowed
    expect(field).to_have_value("my-own/model-name")


# -- 8. the editor's data does not wait for its code --------------------------------------


def test_a_cold_editor_load_fetches_the_prompt_while_its_code_loads(browser, base_url, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "cold-editor", "Cold start {{ x }}")
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    try:
        login = context.request.post(
            "/api/v1/auth/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert login.ok
        pg = context.new_page()
        pg.goto("/p/default/prompts/cold-editor")
        expect(pg.locator(".cm-content")).to_contain_text("Cold start")
        timing = pg.evaluate(
            """() => {
              const res = performance.getEntriesByType('resource');
              const prompt = res.find(
                r => /\\/api\\/v1\\/prompts\\/cold-editor(\\?|$)/.test(r.name));
              const chunk = res.find(r => /EditorPage-[^/]*\\.js$/.test(r.name));
              return {promptStart: prompt?.startTime, chunkEnd: chunk?.responseEnd};
            }"""
        )
        assert timing["promptStart"] is not None and timing["chunkEnd"] is not None, timing
        assert timing["promptStart"] < timing["chunkEnd"], timing
    finally:
        context.close()
