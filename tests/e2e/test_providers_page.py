"""The provider connections settings page (issue 9): connections with masked keys,
add / edit / remove for admins, the reason for others, models, and price overrides;
against the real API."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import check_page, create_member, signed_in_context
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SECRET = "sk-e2e-very-secret-key-9876"
PAGE = "/p/default/settings/providers"


@pytest.fixture(scope="module")
def connections(api):  # type: ignore[no-untyped-def]
    """A fake connection and an OpenAI-kind one with a key and a server that is not there."""
    for body in (
        {"name": "pe2e-local", "kind": "fake", "models": ["echo"], "max_concurrency": 4},
        {
            "name": "pe2e-remote",
            "kind": "openai",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key": SECRET,
            "models": ["gpt-4o-mini"],
            "timeout_seconds": 2,
        },
    ):
        r = api.post("/providers", json=body)
        assert r.status_code == 201, r.text
        assert SECRET not in r.text
    return api


def test_admin_sees_masked_keys_and_lists_models(page, connections):  # type: ignore[no-untyped-def]
    page.goto("/p/default/settings")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Providers").click()
    expect(page.get_by_role("heading", name="Provider connections")).to_be_visible()
    remote = page.get_by_test_id("connection-pe2e-remote")
    hint = connections.get("/providers/pe2e-remote").json()["api_key_hint"]
    assert hint and SECRET not in hint
    expect(remote.locator("dt", has_text="API key").locator("+ dd")).to_have_text(hint)
    assert SECRET not in page.content()
    expect(
        page.get_by_test_id("connection-pe2e-local")
        .locator("dt", has_text="API key")
        .locator("+ dd")
    ).to_have_text("none")

    local = page.get_by_test_id("connection-pe2e-local")
    local.get_by_role("button", name="List models").click()
    models = page.get_by_role("region", name="Models of pe2e-local")
    listed = connections.get("/providers/pe2e-local/models").json()
    assert listed["source"] == "provider"
    for item in listed["items"]:
        expect(models.get_by_text(item["id"], exact=True)).to_be_visible()
    expect(models).to_contain_text("As the provider lists them.")
    expect(local.get_by_role("button", name="List models")).to_have_attribute(
        "aria-expanded", "true"
    )

    # the provider is unreachable: the configured models, with the provider's error
    remote.get_by_role("button", name="List models").click()
    models = page.get_by_role("region", name="Models of pe2e-remote")
    expect(models.get_by_text("pe2e-remote/gpt-4o-mini", exact=True)).to_be_visible(timeout=30_000)
    expect(models).to_contain_text("As configured on the connection.")
    expect(models).to_contain_text("could not be read")


def test_admin_adds_edits_and_removes_a_connection(page, connections):  # type: ignore[no-untyped-def]
    page.goto(PAGE)
    page.get_by_role("button", name="Add connection").click()
    dialog = page.get_by_role("dialog", name="Add a provider connection")
    dialog.get_by_label("Name").fill("Bad Name")
    dialog.get_by_label("Kind").fill("fake")
    dialog.get_by_role("button", name="Add connection").click()
    expect(dialog.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_contain_text("Use a-z, 0-9, _ and -")
    dialog.get_by_label("Name").fill("pe2e-added")
    dialog.get_by_label("API key").fill("sk-added-secret-0000")
    dialog.get_by_label("Models").fill("echo, upper")
    dialog.get_by_label("Concurrency limit").fill("3")
    dialog.get_by_label("Default parameters (JSON)").fill('{"temperature": 0.2}')
    dialog.get_by_role("button", name="Add connection").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".notice.ok")).to_have_text("Connection pe2e-added was added.")
    added = connections.get("/providers/pe2e-added").json()
    assert added["models"] == ["echo", "upper"]
    assert added["max_concurrency"] == 3
    assert added["default_params"] == {"temperature": 0.2}
    assert added["api_key_set"] is True
    item = page.get_by_test_id("connection-pe2e-added")
    expect(item.locator("dt", has_text="API key").locator("+ dd")).to_have_text(
        added["api_key_hint"]
    )
    assert "sk-added-secret-0000" not in page.content()

    # edit: the key field starts empty and an untouched key is kept
    item.get_by_role("button", name="Edit pe2e-added").click()
    dialog = page.get_by_role("dialog", name="Edit connection pe2e-added")
    expect(dialog.get_by_label("New API key")).to_have_value("")
    expect(dialog).to_contain_text(added["api_key_hint"])
    dialog.get_by_label("Concurrency limit").fill("5")
    dialog.get_by_label("Timeout (seconds)").fill("30")
    dialog.get_by_role("button", name="Save connection").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".notice.ok")).to_have_text("Connection pe2e-added was saved.")
    edited = connections.get("/providers/pe2e-added").json()
    assert (edited["max_concurrency"], edited["timeout_seconds"]) == (5, 30)
    assert edited["api_key_set"] is True and edited["api_key_hint"] == added["api_key_hint"]
    expect(item).to_contain_text("5 at once · 30 s timeout")

    # remove the stored key
    item.get_by_role("button", name="Edit pe2e-added").click()
    dialog = page.get_by_role("dialog", name="Edit connection pe2e-added")
    dialog.get_by_label("Remove the stored key").check()
    dialog.get_by_role("button", name="Save connection").click()
    expect(dialog).to_be_hidden()
    assert connections.get("/providers/pe2e-added").json()["api_key_set"] is False
    expect(item.locator("dt", has_text="API key").locator("+ dd")).to_have_text("none")

    # remove, after the confirm step
    item.get_by_role("button", name="Remove pe2e-added").click()
    confirm = page.get_by_role("alertdialog", name="Remove pe2e-added?")
    confirm.get_by_role("button", name="Remove connection").click()
    expect(confirm).to_be_hidden()
    expect(page.locator(".notice.ok")).to_have_text("Connection pe2e-added was removed.")
    expect(page.get_by_test_id("connection-pe2e-added")).to_have_count(0)
    assert connections.get("/providers/pe2e-added").status_code == 404


def test_price_overrides(page, connections):  # type: ignore[no-untyped-def]
    page.goto(PAGE)
    form = page.get_by_role("form", name="Add a price override")
    form.get_by_label("Model", exact=True).fill("pe2e-model")
    form.get_by_label("Input $/Mtok", exact=True).fill("1.5")
    form.get_by_role("button", name="Add price").click()
    expect(form.get_by_role("alert")).to_have_text("Enter both the input and the output price.")
    form.get_by_label("Output $/Mtok").fill("6")
    form.get_by_label("Cached input $/Mtok").fill("0.75")
    form.get_by_label("Provider (optional)").fill("acme")
    form.get_by_role("button", name="Add price").click()
    expect(page.locator(".notice.ok")).to_have_text("Price for pe2e-model was added.")
    prices = [
        p
        for p in connections.get("/providers/prices").json()["items"]
        if p["model"] == "pe2e-model"
    ]
    assert len(prices) == 1
    price = prices[0]
    assert (price["input_per_mtok"], price["output_per_mtok"], price["cached_input_per_mtok"]) == (
        1.5,
        6,
        0.75,
    )
    assert price["provider"] == "acme"
    row = page.get_by_test_id(f"price-{price['id']}")
    expect(row).to_contain_text("pe2e-model")
    expect(row.locator("td").nth(2)).to_have_text("$1.5")
    expect(row.locator("td").nth(3)).to_have_text("$6")

    row.get_by_role("button", name="Delete the price of pe2e-model on acme").click()
    page.get_by_role("alertdialog", name="Delete the price of pe2e-model?").get_by_role(
        "button", name="Delete price"
    ).click()
    expect(page.get_by_test_id(f"price-{price['id']}")).to_have_count(0)
    assert not [
        p
        for p in connections.get("/providers/prices").json()["items"]
        if p["model"] == "pe2e-model"
    ]


def test_viewer_reads_but_cannot_change(browser, base_url, connections):  # type: ignore[no-untyped-def]
    create_member(connections, "pe2e-viewer@example.com", "viewer-pass-123", "viewer")
    context = signed_in_context(browser, base_url, "pe2e-viewer@example.com", "viewer-pass-123")
    try:
        page = context.new_page()
        page.goto(PAGE)
        expect(page.get_by_test_id("connection-pe2e-local")).to_be_visible()
        add = page.get_by_role("button", name="Add connection")
        expect(add).to_be_disabled()
        reason = re.compile(
            r"Your role \(viewer\) cannot add, change or remove provider connections"
        )
        expect(add).to_have_accessible_description(reason)
        expect(page.get_by_role("button", name=re.compile("^(Edit|Remove) pe2e-"))).to_have_count(0)
        expect(page.get_by_role("form", name="Add a price override")).to_have_count(0)
        remote = page.get_by_test_id("connection-pe2e-remote")
        assert SECRET not in page.content()
        page.get_by_test_id("connection-pe2e-local").get_by_role(
            "button", name="List models"
        ).click()
        expect(page.get_by_role("region", name="Models of pe2e-local")).to_contain_text(
            "pe2e-local/echo"
        )
        expect(remote).to_be_visible()
        check_page(page, "the provider connections page of a viewer")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_providers_page_is_accessible_and_fits(page, mobile_page, connections, viewport):  # type: ignore[no-untyped-def]
    pg = mobile_page if viewport == "mobile" else page
    width = pg.viewport_size["width"]
    pg.goto(PAGE)
    local = pg.get_by_test_id("connection-pe2e-local")
    local.get_by_role("button", name="List models").click()
    expect(pg.get_by_role("region", name="Models of pe2e-local")).to_contain_text("pe2e-local/echo")
    check_page(pg, f"the provider connections page at {width} px", "settings-providers")
    pg.get_by_role("button", name="Add connection").click()
    dialog = pg.get_by_role("dialog", name="Add a provider connection")
    expect(dialog.get_by_label("Name")).to_be_focused()
    check_page(pg, f"the add-connection dialog at {width} px")
    pg.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(pg.get_by_role("button", name="Add connection")).to_be_focused()
