"""Issue 14: with `serve --demo`, the workspace's audit log has no unexplained gap: the
seed's events are recorded under the workspace they act on, and the page says how the
sequence numbers relate to the workspace."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    API_KEY,
    DESKTOP,
    ROOT,
    check_axe,
    free_port,
)
from playwright.sync_api import expect
from tests._server import server_env, start_process, stop_process

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_url(base_url: str) -> Iterator[str]:  # base_url: the console-is-built check
    with tempfile.TemporaryDirectory(prefix="promptyard-e2e-demo-") as tmp:
        port = free_port()
        env = server_env(
            Path(tmp),
            PROMPTYARD_INIT_API_KEY=API_KEY,
            PROMPTYARD_INIT_ADMIN_EMAIL=ADMIN_EMAIL,
            PROMPTYARD_INIT_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        proc = start_process(env, port=port, log=Path(tmp) / "server.log", cwd=ROOT, demo=True)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(proc)


def test_the_demo_workspace_audit_log_has_no_gap(browser, demo_url):  # type: ignore[no-untyped-def]
    with httpx.Client(
        base_url=f"{demo_url}/api/v1", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
    ) as api:
        answer = api.get("/audit", params={"limit": 500}).json()
    seqs = sorted(event["seq"] for event in answer["items"])
    assert answer["total"] == len(seqs)
    seeded = [e for e in answer["items"] if e["actor"] == "system"]
    assert any(e["action"].startswith("prompt.") for e in seeded)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"gaps in {seqs}"

    context = browser.new_context(base_url=demo_url, viewport=DESKTOP)
    try:
        context.set_default_timeout(10_000)
        login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        assert context.request.post("/api/v1/auth/login", data=login).ok
        page = context.new_page()
        page.goto("/p/default/audit")
        expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        expect(page.get_by_text("which all workspaces share")).to_be_visible()
        expect(page.get_by_role("columnheader", name="#")).to_have_accessible_description(
            "The # is the event's place in this server's one chain, which all workspaces share: "
            "numbers skipped here belong to other workspaces, never to a removed event of this "
            "one. Verify chain checks the whole chain."
        )
        rows = page.get_by_role("table", name="Audit events").locator("tbody tr")
        expect(rows.first).to_be_visible()
        check_axe(page, "the demo audit log")
    finally:
        context.close()
