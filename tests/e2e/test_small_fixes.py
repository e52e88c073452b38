"""Issue 14, the small ones: the 404 page's heading, the import conflict message in the
console's words, a webhook refused for good shows "failed", the sample variables the
gates need, and the webhook secret's Copy button."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from e2e_helpers import check_axe, create_prompt
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _create_in(api, project: str, name: str) -> None:  # type: ignore[no-untyped-def]
    body = {"name": name, "type": "text", "content": "Hi {{ x }}"}
    r = api.post("/prompts", params={"project": project}, json=body)
    assert r.status_code == 201, r.text


def test_the_not_found_page_has_a_main_heading(page):  # type: ignore[no-untyped-def]
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    check_axe(page, "the 404 page")


def test_an_import_conflict_names_the_console_option(page, api, tmp_path):  # type: ignore[no-untyped-def]
    assert api.post("/projects", json={"slug": "dupe-e2e", "name": "Dupes"}).status_code == 201
    _create_in(api, "dupe-e2e", "already-here")
    bundle = api.get("/projects/dupe-e2e/export", params={"format": "json"}).json()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))

    page.goto("/p/dupe-e2e/transfer")
    page.get_by_label("Bundle file (.json, .yaml)").set_input_files(path)
    page.get_by_label("Into project").select_option("dupe-e2e")
    page.get_by_role("button", name="Import", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported.")
    expect(alert).to_contain_text("already-here")
    expect(alert).to_contain_text("“Skip it and import the rest”")
    expect(alert).not_to_contain_text("on_conflict")


class _Gone(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(410)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gone_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_refused_for_good_shows_failed(page, api, gone_url):  # type: ignore[no-untyped-def]
    project = {"project": "hooks-e2e"}
    assert api.post("/projects", json={"slug": "hooks-e2e", "name": "Hooks"}).status_code == 201
    _create_in(api, "hooks-e2e", "hooked")
    page.goto("/p/hooks-e2e/settings/webhooks")
    page.get_by_label("URL", exact=True).fill(gone_url)
    page.get_by_role("button", name="Add webhook").click()
    secret_box = page.get_by_role("textbox", name="Signing secret")
    expect(secret_box).to_be_visible()
    assert len(secret_box.input_value()) > 16
    expect(page.get_by_role("button", name="Copy secret")).to_be_visible()
    [hook] = api.get("/webhooks", params=project).json()["items"]

    opened = api.post(
        "/change-requests",
        params=project,
        json={"prompt": "hooked", "version": 1, "label": "staging", "sample_variables": {"x": 1}},
    )
    assert opened.status_code == 201, opened.text
    deadline = time.monotonic() + 15
    while True:
        deliveries = api.get(f"/webhooks/{hook['id']}/deliveries", params=project).json()["items"]
        if deliveries and deliveries[0]["attempts"] >= 1:
            break
        assert time.monotonic() < deadline, f"no delivery attempted: {deliveries}"
        time.sleep(0.3)
    [delivery] = deliveries
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 410
    assert _Gone.hits == 1

    card = page.locator("li.panel", has_text=gone_url)
    card.get_by_role("button", name="Deliveries").click()
    row = card.get_by_role("table", name="Deliveries").locator("tbody tr").first
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("HTTP 410 (permanent: not retried)")
    check_axe(page, "the webhooks page with a failed delivery")


def test_the_new_change_request_form_says_which_samples_the_gates_need(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "sampled", "Dear {{ customer }}, about {{ order_id }}")
    page.goto("/p/default/reviews/new?prompt=sampled&version=1&label=staging")
    field = page.get_by_role("textbox", name="Sample variables (JSON)", exact=True)
    expect(field).to_be_visible()
    expect(page.get_by_text("(JSON, optional)")).to_have_count(0)
    expect(field).to_have_accessible_description(
        "The quality gates render the version with these values, so give one for every "
        "variable it requires: version 1 needs customer, order_id."
    )
    page.get_by_role("button", name="Start from these names").click()
    expect(field).to_have_value('{"customer":"","order_id":""}')
    check_axe(page, "the new change request page")


def test_moving_to_another_page_focuses_its_heading(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "focus-demo", "Hi {{ x }}")
    page.goto("/p/default")
    expect(page.get_by_role("heading", level=1, name="Prompts")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Change requests").click()
    expect(page.get_by_role("heading", level=1, name="Change requests")).to_be_focused()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", level=1, name="Prompts")).to_be_focused()
    page.get_by_role("link", name="focus-demo").first.click()
    expect(page.get_by_role("heading", level=1, name="focus-demo")).to_be_focused()
    page.get_by_role("navigation", name="Prompt").get_by_role("link", name="History").click()
    expect(page.locator("#main h1")).to_be_focused()


def test_a_new_projects_slug_is_made_from_its_name(page, api):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    page.get_by_role("button", name="New project").click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Name", exact=True).fill("Support Bot (EU)")
    expect(dialog.get_by_label("Slug", exact=True)).to_have_value("support-bot-eu")
    dialog.get_by_label("Slug", exact=True).fill("support-eu")
    dialog.get_by_label("Name", exact=True).fill("Support Bot Europe")
    expect(dialog.get_by_label("Slug", exact=True)).to_have_value("support-eu")  # kept once edited
    dialog.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/p/support-eu$"))
    projects = api.get("/projects").json()["items"]
    assert {"slug": "support-eu", "name": "Support Bot Europe"}.items() <= next(
        p for p in projects if p["slug"] == "support-eu"
    ).items()


def test_branches_do_not_look_like_labels(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "branchy", "Hi {{ x }}")
    r = api.post("/prompts/branchy/branches", json={"name": "shorter", "from_version": 1})
    assert r.status_code in (200, 201), r.text
    r = api.patch("/prompts/branchy", json={"content": "Yo {{ x }}", "branch": "shorter"})
    assert r.status_code == 200, r.text
    page.goto("/p/default/prompts/branchy/history")
    chip = page.get_by_test_id("branch-chip")
    expect(chip).to_have_text("branch ⑂ shorter")
    label = page.locator(".version-head .label").first
    expect(label).to_be_visible()
    looks = [
        el.evaluate("e => [getComputedStyle(e).borderStyle, getComputedStyle(e).fontFamily]")
        for el in (chip, label)
    ]
    assert looks[0] != looks[1], looks
    check_axe(page, "history with a branch")
