"""Issue 6 end to end on the demo agency: the ISO secretary opens the 2027 programme and sees every unit as a gap;
an audit of BCVT and the Office with the postal licence closes their gaps; Trần Thị Lan cannot join its team
(she belongs to the Office) and the page says who and why; the lead auditor runs the audit from a checklist
that shows the procedure's measured late steps, records a finding from a late step, the auditee acknowledges
it; the lead turns it into a nonconformity in one click and follows the link back from the nonconformity to the
finding; the plan and the report are downloaded and read back with python-docx."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document as WordDocument
from playwright.sync_api import expect
from sqlalchemy import select

from qms.extensions import db
from tests.e2e.conftest import signed_in as _signed_in

pytestmark = pytest.mark.e2e



def _ids(app) -> dict:
    """The demo's units, people and procedure; the three internal auditors registered (with a record of audits
    for the leads) unless the demo already did."""
    from audits import services
    from audits.models import Auditor
    from processes.models import AdministrativeProcedure
    from qms.audit import log as audit
    from qms.org.models import Unit
    from qms.users.models import User

    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        secretary = users["huong.nt"]
        with audit.acting_as(audit.Actor.of_user(secretary)):
            for username, prior in (("lan.tt", 5), ("son.ph", 5), ("ngoc.vtb", 0)):
                if db.session.scalar(select(Auditor).where(Auditor.user_id == users[username].id)) is None:
                    services.register_auditor(users[username], {"prior_audits": prior}, actor=secretary)
            db.session.commit()
        auditors = {a.user.username: a.id for a in db.session.scalars(select(Auditor))}
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
        procedure = db.session.scalar(select(AdministrativeProcedure.id)
                                      .where(AdministrativeProcedure.code == "1.004470"))
        return {"auditors": auditors, "units": units, "procedure": procedure, "quang": users["quang.nv"].id}


def _docx_text(download) -> str:
    doc = WordDocument(io.BytesIO(Path(download.path()).read_bytes()))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts += [cell.text for section in doc.sections for table in section.header.tables for row in table.rows
              for cell in row.cells]
    return "\n".join(parts)


def test_plan_a_year_close_a_gap_refuse_own_unit_run_the_checklist_and_download(app, browser, live_server,
                                                                                 demo_password, tmp_path):
    ids = _ids(app)
    secretary = _signed_in(browser, live_server, "huong.nt", demo_password)
    secretary.goto("/audits/")
    secretary.fill("#year", "2027")
    secretary.click("[data-testid=new-programme]")
    expect(secretary.locator("[data-testid=add-audit]")).to_be_visible()
    programme_url = secretary.url

    secretary.goto("/audits/coverage?year=2027")
    expect(secretary.locator("[data-testid=no-audit]")).to_be_visible()
    gaps_before = int(re.search(r"\d+", secretary.locator("[data-testid=unit-gaps]").inner_text())[0])

    secretary.goto(programme_url)
    secretary.click("[data-testid=add-audit]")
    secretary.fill("#title", "Đánh giá nội bộ Phòng BC-VT và Văn phòng")
    secretary.fill("#planned_start", "2027-01-18")
    secretary.fill("#planned_end", "2027-01-20")
    for unit in ("BCVT", "VP"):
        secretary.check(f"input[name=unit_ids][value='{ids['units'][unit]}']")
    secretary.select_option("#procedure_ids", value=[str(ids["procedure"])])
    for code in ("7.5", "8.2.3"):
        secretary.check(f"input[name=clause_codes][value='{code}']")
    secretary.click("[data-testid=save-audit]")
    expect(secretary.locator("[data-testid=save-team]")).to_be_visible()
    audit_url = secretary.url.split("?")[0]

    secretary.goto("/audits/coverage?year=2027")
    expect(secretary.locator("[data-testid=no-audit]")).to_have_count(0)
    gaps_after = int(re.search(r"\d+", secretary.locator("[data-testid=unit-gaps]").inner_text())[0])
    assert gaps_after == gaps_before - 2  # BCVT and the Office are covered now

    # Independence: Trần Thị Lan belongs to the Office, which is in scope
    secretary.goto(audit_url)
    secretary.select_option("#lead_id", value=str(ids["auditors"]["son.ph"]))
    secretary.check(f"input[name=member_ids][value='{ids['auditors']['lan.tt']}']")
    secretary.click("[data-testid=save-team]")
    refusal = secretary.locator(".alert-danger")
    expect(refusal).to_contain_text("Trần Thị Lan")
    expect(refusal).to_contain_text("Văn phòng Sở")
    secretary.goto(audit_url)
    secretary.select_option("#lead_id", value=str(ids["auditors"]["son.ph"]))
    secretary.check(f"input[name=member_ids][value='{ids['auditors']['ngoc.vtb']}']")
    secretary.click("[data-testid=save-team]")
    expect(secretary.locator(".alert-success")).to_be_visible()
    secretary.select_option("#user_ids", value=[str(ids["quang"])])
    secretary.click("[data-testid=save-auditees]")
    expect(secretary.locator(".alert-success")).to_be_visible()
    with secretary.expect_download() as plan:
        secretary.click("[data-testid=plan-docx]")
    plan_text = _docx_text(plan.value)
    assert "Phan Hoàng Sơn" in plan_text and "1.004470" in plan_text
    secretary.click("[data-testid=move-notify]")
    expect(secretary.locator(".alert-success")).to_be_visible()
    secretary.click("[data-testid=move-start]")
    expect(secretary.locator(".alert-success")).to_be_visible()
    expect(secretary.locator("[data-testid=open-checklist]")).to_be_visible()

    # The lead auditor builds the checklist: the measured late steps come first, with dossiers to sample
    lead = _signed_in(browser, live_server, "son.ph", demo_password)
    lead.goto(audit_url)
    lead.click("[data-testid=open-checklist]")
    lead.click("[data-testid=build]")
    expect(lead.locator(".alert-success")).to_be_visible()
    late = lead.locator("[data-testid=question]:has([data-testid=late-step])").filter(has_text="Bước B")
    expect(late.first).to_be_visible()
    evidence = late.first.locator("[data-testid=evidence]").inner_text()
    assert "trễ hạn" in evidence and "ngày làm việc" in evidence
    sample = re.search(r"Hồ sơ trễ hạn nên lấy mẫu: ([^,\s]+)", evidence)[1].rstrip(".")
    lead.screenshot(path=str(tmp_path / "checklist.png"), full_page=True)
    late.first.locator("input[name=result][value=nonconformity]").check()
    late.first.locator("textarea[name=notes]").fill(f"Hồ sơ {sample} trễ hạn ở bước này, không có Phiếu xin lỗi.")
    late.first.locator("textarea[name=sampled_codes]").fill(sample)
    late.first.locator("[data-testid=save-answer]").click()
    expect(lead.locator(".alert-success")).to_be_visible()
    answered = lead.locator("[data-testid=question]:has([data-testid=result])").first
    answered.locator("[data-testid=record-finding]").click()
    expect(lead.locator("#evidence")).to_contain_text(sample)
    lead.fill("#statement", f"Hồ sơ {sample} giải quyết trễ hạn, không có Phiếu xin lỗi (Mẫu 04).")
    lead.click("[data-testid=save-finding]")
    expect(lead.locator("[data-testid=count-minor_nc]")).to_have_text("1")
    lead.screenshot(path=str(tmp_path / "findings.png"), full_page=True)

    auditee = _signed_in(browser, live_server, "quang.nv", demo_password)
    auditee.goto(lead.url.split("?")[0].split("#")[0])
    auditee.fill("[data-testid=acknowledge-form] textarea", "Phòng BC-VT thống nhất, sẽ khắc phục.")
    auditee.click("[data-testid=acknowledge]")
    expect(auditee.locator("[data-testid=acknowledgement]").first).to_contain_text("Nguyễn Văn Quang")

    # Issue 7: the finding becomes a nonconformity in one click, and each page links to the other
    lead.reload()
    lead.screenshot(path=str(tmp_path / "findings-raise.png"), full_page=True)
    lead.click("[data-testid=raise-nc]")
    expect(lead).to_have_url(re.compile(r"/nonconformities/\d+$"))
    expect(lead.locator("[data-testid=source-finding]")).to_contain_text("NC-01")
    expect(lead.locator("[data-testid=evidence-table]")).to_contain_text("/NC-01")
    nc_code = lead.locator("h1 code").inner_text()
    lead.screenshot(path=str(tmp_path / "nc-from-finding.png"), full_page=True)
    lead.click("[data-testid=finding-link]")
    expect(lead.locator("[data-testid=finding-nc]")).to_contain_text(nc_code)
    expect(lead.locator("[data-testid=raise-nc]")).to_have_count(0)

    lead.click(".audit-tabs >> text=Báo cáo")
    lead.fill("#summary", "Đánh giá quy trình cấp giấy phép bưu chính tại Phòng BC-VT và Văn phòng Sở.")
    lead.fill("#conclusion", "HTQLCL được duy trì; cần khắc phục việc xử lý hồ sơ trễ hạn.")
    lead.click("[data-testid=save-report]")
    expect(lead.locator("[data-testid=report-gaps]")).to_contain_text("câu hỏi")  # the rest is still open
    with lead.expect_download() as report:
        lead.click("[data-testid=report-docx]")
    report_text = _docx_text(report.value)
    assert "BÁO CÁO ĐÁNH GIÁ NỘI BỘ" in report_text and "NC-01" in report_text
    assert "Không phù hợp nhẹ" in report_text and "Nguyễn Văn Quang" in report_text
    assert "cần khắc phục việc xử lý hồ sơ trễ hạn" in report_text and sample in report_text
