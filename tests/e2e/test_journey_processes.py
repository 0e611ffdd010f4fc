"""Issue 4 end to end on the demo agency: a one-stop officer finds the postal licence without diacritics,
opens its map and asks which version was in force in January; the province cuts the limit to 12 days;
the specialist drafts a version with a shortened appraisal step, the unit head reviews it, the director
approves it; the Word procedure then carries the map and the step table of the new version."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document as WordDocument
from playwright.sync_api import Page, expect
from tests.e2e.conftest import signed_in as _signed_in

pytestmark = pytest.mark.e2e



def _sign(page: Page, action: str, password: str) -> None:
    page.fill(f"form[action$='/{action}'] input[name=password]", password)
    page.click(f"[data-testid=sign-{action}]")
    expect(page.locator(".alert-success")).to_be_visible()


def test_find_read_draft_shortened_version_approve_and_download(browser, live_server, demo_password, tmp_path):
    officer = _signed_in(browser, live_server, "thao.nt", demo_password)
    officer.goto("/procedures/?q=giay phep buu chinh noi tinh")
    officer.click("text=1.004470")
    expect(officer.locator("[data-testid=process-map] svg")).to_be_visible()
    expect(officer.locator("[data-testid=steps-table]")).to_contain_text("B3")
    officer.fill(".in-force-form input[name=on]", "15/01/2026")
    officer.click(".in-force-form button")
    expect(officer.locator("[data-testid=in-force-answer]")).to_contain_text("1")  # version 1, 20 days
    officer.screenshot(path=str(tmp_path / "procedure.png"), full_page=True)
    procedure_url = officer.url.split("?")[0]

    secretary = _signed_in(browser, live_server, "huong.nt", demo_password)
    secretary.goto(procedure_url)
    secretary.click("[data-testid=edit-procedure]")
    secretary.fill("#committed_limit", "12")
    secretary.click("[data-testid=save-procedure]")
    expect(secretary.locator(".alert-success")).to_be_visible()

    specialist = _signed_in(browser, live_server, "hoa.ltm", demo_password)
    specialist.goto(procedure_url)
    specialist.fill("textarea[name=change_summary], input[name=change_summary]",
                    "Rút ngắn thời hạn còn 12 ngày: thẩm định giảm 2 ngày")
    specialist.click("[data-testid=start-version]")
    expect(specialist).to_have_url(re.compile(r"/versions/\d+/edit$"))
    codes = specialist.locator("input[name=step_code]")
    appraisal = next(i for i in range(codes.count()) if codes.nth(i).input_value() == "B3")
    amount = specialist.locator("input[name=step_amount]").nth(appraisal)
    shortened = float(amount.input_value().replace(",", ".")) - 2
    amount.fill(f"{shortened:g}".replace(".", ","))
    specialist.click("[data-testid=save-steps]")
    expect(specialist.locator("[data-testid=time-ok]")).to_be_visible()
    specialist.screenshot(path=str(tmp_path / "draft-version.png"), full_page=True)
    specialist.click("[data-testid=revision-link]")
    revision_url = specialist.url
    _sign(specialist, "submit", demo_password)

    head = _signed_in(browser, live_server, "quang.nv", demo_password)
    head.goto(revision_url)
    _sign(head, "review", demo_password)

    director = _signed_in(browser, live_server, "hung.lv", demo_password)
    director.goto(revision_url)
    _sign(director, "approve", demo_password)
    expect(director.locator(".signature")).to_have_count(3)

    officer.goto(procedure_url)
    expect(officer.locator("[data-testid=steps-table]")).to_contain_text(f"{shortened:g}".replace(".", ","))
    with officer.expect_download() as download:
        officer.click("[data-testid=download-docx]")
    word = WordDocument(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert any(p.content_type == "image/png" for p in word.part.related_parts.values())
    steps = next(t for t in word.tables if t.rows[0].cells[0].text == "Bước")
    assert steps.rows[-1].cells[3].text == "12 ngày làm việc"
    assert any(row.cells[0].text == "B3" and row.cells[3].text == f"{shortened:g}".replace(".", ",") + " ngày"
               for row in steps.rows)
