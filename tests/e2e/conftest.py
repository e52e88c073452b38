"""Browser end-to-end tests: a real server on a fresh SQLite database, driven through
Debian's Chromium with Python Playwright.

The console must be built first (`npm --prefix console ci && npm --prefix console run build`);
the tests fail with that instruction when it is not. Chromium comes from Debian
(`apt-get install -y chromium`); `playwright install` is never needed.
"""

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
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    MOBILE,
    STATIC_INDEX,
    free_port,
    start_server,
    stop_server,
)
from playwright.sync_api import expect

#: One patience for actions and assertions alike: the suite runs beside the rest of CI on
#: two loaded CPUs, where a first use (a lazy import, a cold cache) can pass 5 s.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


def _require_build() -> None:
    if not STATIC_INDEX.is_file():
        pytest.fail(
            f"the console is not built ({STATIC_INDEX} is missing): run "
            "`npm --prefix console ci && npm --prefix console run build` (or `make test`) first",
            pytrace=False,
        )
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `npm --prefix console ci`", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium`", pytrace=False
        )


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    _require_build()
    with tempfile.TemporaryDirectory(prefix="promptyard-e2e-") as tmp:
        port = free_port()
        proc = start_server(Path(tmp), port)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(proc)


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    """The API as a script sees it: Bearer key, no cookies.

    A new connection per request: the session-long client otherwise reuses a connection
    the server may be closing for idleness at that instant (uvicorn's 5 s keep-alive),
    and the request fails with "Server disconnected without sending a response".
    """
    with httpx.Client(
        base_url=f"{base_url}/api/v1",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    _require_build()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser, base_url: str, viewport: dict[str, int], signed_in: bool):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport=viewport, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    if signed_in:
        # Same cookies the sign-in form gets, without spending a page load on it.
        response = context.request.post(
            "/api/v1/auth/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert response.ok, response.text()
    return context


def _page(browser, base_url, viewport, signed_in):  # type: ignore[no-untyped-def]
    context = _context(browser, base_url, viewport, signed_in)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def page(browser, base_url):  # type: ignore[no-untyped-def]
    """A signed-in desktop page (1440x900)."""
    context, pg = _page(browser, base_url, DESKTOP, True)
    yield pg
    errors = pg.js_errors
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def mobile_page(browser, base_url):  # type: ignore[no-untyped-def]
    """A signed-in phone-sized page (390x844)."""
    context, pg = _page(browser, base_url, MOBILE, True)
    yield pg
    errors = pg.js_errors
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def anon_page(browser, base_url):  # type: ignore[no-untyped-def]
    """A desktop page with no session."""
    context, pg = _page(browser, base_url, DESKTOP, False)
    yield pg
    context.close()
