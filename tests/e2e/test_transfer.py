"""Export a project bundle from the UI and import it into another project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_helpers import create_prompt, update_prompt
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_export_then_import_into_another_project(page, api, tmp_path):  # type: ignore[no-untyped-def]
    src = {"project": "export-src"}
    assert (
        api.post("/projects", json={"slug": "export-src", "name": "Export source"}).status_code
        == 201
    )
    assert (
        api.post("/projects", json={"slug": "export-dst", "name": "Export target"}).status_code
        == 201
    )
    for name in ("alpha", "beta"):
        r = api.post(
            "/prompts",
            params=src,
            json={"name": name, "type": "text", "content": f"{name} {{{{ x }}}}"},
        )
        assert r.status_code == 201, r.text
    r = api.patch(
        "/prompts/alpha", params=src, json={"content": "alpha v2 {{ x }}", "base_version": 1}
    )
    assert r.status_code == 200, r.text

    page.goto("/p/export-src/transfer")
    expect(page.get_by_role("heading", name="Export export-src")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download JSON").click()
    bundle_path = tmp_path / "export-src.json"
    info.value.save_as(bundle_path)
    bundle = json.loads(bundle_path.read_text())
    api_bundle = api.get("/projects/export-src/export", params={"format": "json"}).json()
    assert bundle.keys() == api_bundle.keys()
    text = bundle_path.read_text()
    assert "alpha v2 {{ x }}" in text and "beta {{ x }}" in text

    # import it into the other project
    page.get_by_label("Bundle file (.json, .yaml)").set_input_files(bundle_path)
    page.get_by_label("Into project").select_option("export-dst")
    page.get_by_role("button", name="Import").click()
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("Imported 2 prompts")
    dst = api.get("/prompts", params={"project": "export-dst", "sort": "name"}).json()
    assert [p["name"] for p in dst["items"]] == ["alpha", "beta"]
    alpha = api.get("/prompts/alpha", params={"project": "export-dst"}).json()
    assert alpha["latest_version"] == 2
    assert alpha["version"]["content"] == "alpha v2 {{ x }}"

    # importing again: "fail" refuses with a readable error, "skip" skips them all
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported.")
    page.get_by_text("Skip it and import the rest", exact=True).click()
    page.get_by_role("button", name="Import").click()
    expect(result).to_contain_text("Imported 0 prompts, skipped 2 that already existed")
    assert api.get("/prompts", params={"project": "export-dst"}).json()["total"] == 2


def test_yaml_export_link(page, api):  # type: ignore[no-untyped-def]
    create_prompt(api, "yaml-demo", "Hi")
    update_prompt(api, "yaml-demo", content="Hi there", base_version=1)
    page.goto("/p/default/transfer")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download YAML").click()
    body = Path(info.value.path()).read_text(encoding="utf-8")
    assert "yaml-demo" in body and "Hi there" in body
