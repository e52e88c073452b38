"""Annotation queues in the browser (issue 11): make a queue, add generations, annotate
with the keyboard under a lock with its countdown, skip, read the agreement table; axe
and no sideways scrolling at 1440 and 390 px."""

from __future__ import annotations

import pytest
from e2e_helpers import check_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

IDS = [f"e2e-ann-{i}" for i in range(3)]


@pytest.fixture(scope="module")
def generations(api):  # type: ignore[no-untyped-def]
    items = [
        {"id": gid, "model": "gpt-4o", "prompt_name": "e2e-ann", "input": f"Question {i}?",
         "output": f"Answer number {i}."}
        for i, gid in enumerate(IDS)
    ]  # fmt: skip
    sent = api.post("/generations/batch", json={"generations": items})
    assert sent.status_code == 200, sent.text
    return IDS


def test_make_a_queue_and_annotate_with_the_keyboard(page, api, generations):  # type: ignore[no-untyped-def]
    page.goto("/p/default")
    page.get_by_role("link", name="Annotation", exact=True).click()
    expect(page.get_by_role("heading", name="Annotation queues")).to_be_visible()
    form = page.get_by_role("form", name="New annotation queue")
    form.get_by_label("Name", exact=True).fill("e2e-review")
    form.get_by_role("button", name="Create queue").click()
    expect(page.get_by_role("heading", name="e2e-review")).to_be_visible()

    add = page.get_by_role("form", name="Add items")
    add.get_by_label("From").select_option("ids")
    add.get_by_label("Generation ids (comma or space separated)").fill(" ".join(generations))
    add.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Added 3 (0 already in the queue); 3 items.")).to_be_visible()
    expect(page.get_by_role("table", name="Agreement per criterion")).to_be_visible()
    check_page(page, "annotation queue page")

    page.get_by_role("link", name="Annotate").click()
    expect(page.get_by_test_id("output")).to_have_text("Answer number 0.")
    expect(page.get_by_test_id("lock")).to_contain_text("Locked for you: 9:5")
    check_page(page, "annotate view")
    save = page.get_by_role("button", name="Save and next")
    expect(save).to_be_disabled()
    page.keyboard.press("4")  # correctness
    page.keyboard.press("5")  # tone
    expect(page.get_by_role("radio", name="4").first).to_be_checked()
    expect(save).to_be_enabled()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("output")).to_have_text("Answer number 1.")
    page.keyboard.press("s")
    expect(page.get_by_test_id("output")).to_have_text("Answer number 2.")

    stored = api.get("/scores", params={"source": "human", "limit": 10}).json()["items"]
    named = {s["name"]: s for s in stored}
    assert named["e2e-review.correctness"]["details"]["score"] == 4
    assert named["e2e-review.tone"]["details"]["score"] == 5
    assert named["e2e-review"]["generation_id"] == IDS[0]


def test_annotation_pages_at_390_px(mobile_page, api, generations):  # type: ignore[no-untyped-def]
    queues = api.get("/annotation-queues").json()["items"]
    queue = next((q for q in queues if q["name"] == "e2e-mobile"), None)
    if queue is None:
        queue = api.post("/annotation-queues", json={"name": "e2e-mobile"}).json()
        added = api.post(f"/annotation-queues/{queue['id']}/items", json={"generation_ids": IDS})
        assert added.status_code == 201, added.text
    mobile_page.goto("/p/default/annotation")
    expect(mobile_page.get_by_role("form", name="New annotation queue")).to_be_visible()
    check_page(mobile_page, "annotation queues at 390 px")
    mobile_page.goto(f"/p/default/annotation/{queue['id']}")
    expect(mobile_page.get_by_role("table", name="Agreement per criterion")).to_be_visible()
    check_page(mobile_page, "annotation queue at 390 px")
    mobile_page.goto(f"/p/default/annotation/{queue['id']}/annotate")
    expect(mobile_page.get_by_test_id("output")).to_be_visible()
    check_page(mobile_page, "annotate view at 390 px")
