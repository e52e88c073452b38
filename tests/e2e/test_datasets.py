"""Datasets and the evaluator library in the console (issue 11): import a file, see a
refused import name its row and column, browse cases, edit one (a new version), read an
older version, and the evaluator library; against the real API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CSV = "id,question,expected\nq1,What is 2+2?,4\nq2,Capital of France?,Paris\n"
BAD = "question,metadata\nfine,\nbroken,{not json}\n"


def test_import_browse_edit_and_versions(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "e2e-qa.csv"
    good.write_text(CSV)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    page.goto("/p/default")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Datasets").click()
    expect(page.get_by_role("heading", name="Datasets", exact=True)).to_be_visible()

    form = page.get_by_role("form", name="Import a dataset file")
    form.get_by_label("Dataset name").fill("e2e-qa")
    form.get_by_label("File", exact=True).set_input_files(str(bad))
    form.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("row 2, column 'metadata'")

    form.get_by_label("File", exact=True).set_input_files(str(good))
    form.get_by_role("button", name="Import").click()
    expect(
        page.get_by_text(re.compile(r"Imported 2 cases into e2e-qa \(version 1"))
    ).to_be_visible()
    check_page(page, "datasets page")
    page.get_by_role("button", name="Open e2e-qa").click()

    expect(page.get_by_role("heading", name=re.compile("e2e-qa"))).to_be_visible()
    row = page.get_by_test_id("case-q1")
    expect(row).to_contain_text("What is 2+2?")
    row.get_by_role("button", name="Edit q1").click()
    dialog = page.get_by_role("dialog", name="Edit case q1")
    dialog.get_by_label("Expected output (optional)").fill("four")
    dialog.get_by_label("Why (the version's note)").fill("words, not digits")
    dialog.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("Case q1 saved: version 2.", exact=True).last).to_be_visible()
    expect(page.get_by_test_id("case-q1")).to_contain_text("four")
    expect(page.get_by_role("list", name="Versions")).to_contain_text("words, not digits")
    check_page(page, "dataset page")

    page.get_by_label("Version", exact=True).select_option("1")
    expect(page.get_by_text(re.compile("Version 1 is read-only"))).to_be_visible()
    expect(page.get_by_test_id("case-q1")).to_contain_text("4")
    expect(page.get_by_role("button", name="Edit q1")).to_have_count(0)


def test_evaluator_library(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/p/default/datasets")
    page.get_by_role("link", name="Evaluator library").click()
    expect(page.get_by_role("heading", name="Evaluators", exact=True)).to_be_visible()
    judge = page.get_by_test_id("evaluator-llm_judge")
    expect(judge).to_contain_text("model judge")
    judge.get_by_text("Config schema").click()
    expect(judge.locator("pre")).to_contain_text("criteria")
    expect(page.get_by_test_id("evaluator-rouge_l")).to_be_visible()
    check_page(page, "evaluator library")
