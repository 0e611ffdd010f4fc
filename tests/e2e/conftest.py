"""End-to-end fixtures: the app on the per-run test database, seeded with the demo agency and
served by werkzeug in a background thread, driven by Playwright through Debian's Chromium.

No browser is ever downloaded (never ``playwright install``): Playwright drives the system
Chromium at ``/usr/bin/chromium`` (``apt-get install chromium``; ``scripts/test.sh`` does it).
"""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import PROJECT_ROOT
from qms.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_USERS_FILE = PROJECT_ROOT / "seed_data" / "demo" / "20_users.toml"


@pytest.fixture(scope="session")
def demo_password() -> str:
    """The shared demo password, read from the seed file rather than copied here."""
    with Path(DEMO_USERS_FILE).open("rb") as handle:
        return tomllib.load(handle)["demo_password"]


@pytest.fixture
def live_server(app):
    """Seed the demo data, serve *app* on a free port of 127.0.0.1, yield its base URL."""
    from qms.audit.log import Actor, acting_as
    from qms.seeding import load_demo

    with app.app_context(), acting_as(Actor.system("test")):
        load_demo()
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium (apt-get install chromium) "
                    "or run the suite with scripts/test.sh, which does it. Never run `playwright install`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on the live server, Vietnamese like the agency's staff."""
    context = browser.new_context(base_url=live_server, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def signed_in(browser, live_server: str, username: str, password: str, *, timeout_ms: int = 20_000):
    """A new browser context (Vietnamese, 1366 px, downloads accepted) signed in as *username* on the home page."""
    import re

    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, locale="vi-VN", viewport={"width": 1366, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("[data-testid=login-submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    return page
