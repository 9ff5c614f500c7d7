"""Browser-test fixtures: the app served on a real port, and Debian's chromium via Playwright."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class LiveServer:
    def __init__(self, app: Flask) -> None:
        # Werkzeug adds a stderr handler of its own when logging is unconfigured; keep
        # request logs in pytest's log capture (or nowhere) instead.
        logging.getLogger("werkzeug").addHandler(logging.NullHandler())
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        # Closing waits for the requests still in flight (a page's last beacon or htmx load),
        # so none is left holding a database connection when the test's database goes away.
        self.server.daemon_threads = False
        self.server.block_on_close = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    app.config["WTF_CSRF_ENABLED"] = True
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def page(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    # bypass_csp lets the tests' own wait_for_function expressions run; test_csp.py checks
    # the pages under the real policy.
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900},
                                   bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript or CSP errors on the page: {errors}"


def htmx_idle(page: Any) -> None:
    """Wait until no htmx request, swap or settle is under way (an out-of-band redraw that
    lands after the next click would take that click's form away)."""
    page.wait_for_function("document.querySelector('.htmx-request, .htmx-swapping, "
                           ".htmx-settling, .htmx-added') === null")


def browser_login(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Any, name: str, height: int = 1100) -> None:
    """Save what a person sees at the top of the page (sticky headers make full pages odd)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(size)
