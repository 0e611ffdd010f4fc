"""Journeys through a real browser: sign in, switch language, sign out; lockout after failed sign-ins."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SECRETARY = "huong.nt"
SECRETARY_NAME = "Nguyễn Thị Hương"


def _sign_in(page: Page, username: str, password: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state()


def _home_link(page: Page):
    return page.locator(".sidebar nav a.nav-link").first


def test_sign_in_switch_language_sign_out(page: Page, demo_password, tmp_path):
    # Anonymous: / sends to the sign-in page, in Vietnamese by default.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    # The ISO secretary signs in and is greeted by name.
    _sign_in(page, SECRETARY, demo_password)
    expect(page).to_have_url(re.compile(r"/$"))
    greeting = page.locator(".page-head h1")
    expect(greeting).to_contain_text(SECRETARY_NAME)
    expect(greeting).to_contain_text("Xin chào")
    expect(page.locator("details.user-menu summary")).to_contain_text(SECRETARY_NAME)
    expect(_home_link(page)).to_have_text("Trang chủ")
    vi_shot = tmp_path / "home-vi.png"
    page.screenshot(path=str(vi_shot), full_page=True)

    # English with the header button.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-en")).to_have_attribute("aria-pressed", "true")
    expect(_home_link(page)).to_have_text("Home")
    expect(greeting).to_have_text(f"Hello, {SECRETARY_NAME}")
    en_shot = tmp_path / "home-en.png"
    page.screenshot(path=str(en_shot), full_page=True)

    # And back to Vietnamese.
    page.get_by_test_id("lang-vi").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_test_id("lang-vi")).to_have_attribute("aria-pressed", "true")
    expect(greeting).to_contain_text("Xin chào")
    expect(greeting).to_contain_text(SECRETARY_NAME)
    expect(_home_link(page)).to_have_text("Trang chủ")

    # Sign out through the user menu (a <details>): back to the sign-in page.
    page.locator("details.user-menu > summary").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Bạn đã đăng xuất.")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))

    for shot in (vi_shot, en_shot):
        assert shot.stat().st_size > 1000, f"empty screenshot {shot}"


def test_account_locks_after_repeated_wrong_passwords(page: Page, app, demo_password):
    max_attempts = int(app.config["LOGIN_MAX_ATTEMPTS"])
    page.goto("/login")
    # The messages are asserted in English so that this test does not depend on the wording of the
    # Vietnamese catalogue; the journey above covers Vietnamese.
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    for attempt in range(1, max_attempts + 1):
        _sign_in(page, SECRETARY, f"wrong-password-{attempt}")
        expect(page).to_have_url(re.compile(r"/login(\?|$)"))
        expect(page.get_by_text("Wrong username or password.")).to_be_visible()

    # The right password is now refused too, and the page says why.
    _sign_in(page, SECRETARY, demo_password)
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_text(re.compile(r"This account is locked until .+ after too many failed sign-ins\."))
           ).to_be_visible()
    expect(page.locator(".page-head h1")).to_have_count(0)

    # Still locked: no session was opened.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
