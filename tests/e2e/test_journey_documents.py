"""The ISO secretary drafts a procedure in the browser's editor; a unit head reviews it and the director
approves it, each signing with their password; anyone then finds it in the master list without diacritics."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import signed_in as _signed_in

pytestmark = pytest.mark.e2e



def test_draft_in_the_editor_review_approve_and_find(browser, live_server, demo_password, tmp_path):
    secretary = _signed_in(browser, live_server, "huong.nt", demo_password)
    secretary.goto("/documents/new")
    secretary.select_option("#type_id", label="Quy trình (QT)")
    secretary.fill("#title", "Quy trình tiếp nhận và xử lý phản ánh, kiến nghị")
    secretary.click("[data-testid=create-document]")
    expect(secretary).to_have_url(re.compile(r"/revisions/\d+/edit$"))

    first_body = secretary.locator("[data-body]").first
    first_body.click()
    first_body.type("Thống nhất cách tiếp nhận phản ánh, kiến nghị của tổ chức, công dân.")
    content = secretary.locator("[data-section]").nth(4).locator("[data-body]")
    content.click()
    secretary.once("dialog", lambda dialog: dialog.accept("3,2"))
    secretary.locator("[data-section]").nth(4).locator("[data-cmd=table]").click()
    secretary.locator("[data-section]").nth(4).locator("td").first.click()
    secretary.keyboard.type("B1")
    secretary.click("[data-testid=save-draft]")
    expect(secretary.locator(".rich").first).to_contain_text("Thống nhất cách tiếp nhận phản ánh")
    expect(secretary.locator(".doc-body table")).to_have_count(1)
    secretary.screenshot(path=str(tmp_path / "draft.png"), full_page=True)
    revision_url = secretary.url

    secretary.fill("form[action$='/submit'] input[name=password]", demo_password)
    secretary.click("[data-testid=sign-submit]")
    expect(secretary.locator(".alert-success")).to_be_visible()

    head = _signed_in(browser, live_server, "lan.tt", demo_password)
    head.goto(revision_url)
    head.fill("form[action$='/review'] input[name=password]", "sai-mat-khau-1")
    head.click("[data-testid=sign-review]")
    expect(head.locator(".alert-danger")).to_be_visible()  # refused, nothing signed
    head.fill("form[action$='/review'] input[name=password]", demo_password)
    head.fill("form[action$='/review'] textarea[name=comment]", "Đồng ý trình Giám đốc.")
    head.click("[data-testid=sign-review]")
    expect(head.locator(".alert-success")).to_be_visible()

    director = _signed_in(browser, live_server, "hung.lv", demo_password)
    director.goto(revision_url)
    director.fill("form[action$='/approve'] input[name=password]", demo_password)
    director.click("[data-testid=sign-approve]")
    expect(director.locator(".signature")).to_have_count(3)
    expect(director.locator(".badge-success").first).to_be_visible()
    director.screenshot(path=str(tmp_path / "approved.png"), full_page=True)

    reader = _signed_in(browser, live_server, "thao.nt", demo_password)
    reader.goto("/documents/?q=phan anh kien nghi")
    expect(reader.locator("table.table tbody")).to_contain_text("Quy trình tiếp nhận và xử lý phản ánh, kiến nghị")
