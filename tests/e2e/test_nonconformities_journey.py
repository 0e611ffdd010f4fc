"""Issue 7 end to end on the demo agency: a specialist raises a nonconformity, the unit head analyses it
(correction, 5 Whys, root cause) and plans an action owned by an internal auditor, then approves the plan;
the ISO secretary's early closure is refused; the owner does the action and is refused as her own
verifier; another internal auditor finds it effective and closes it."""

from __future__ import annotations


import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import signed_in as _signed_in

pytestmark = pytest.mark.e2e



def test_raise_analyse_plan_refuse_early_closure_and_self_check_then_verify_and_close(browser, live_server,
                                                                                      demo_password):
    specialist = _signed_in(browser, live_server, "hoa.ltm", demo_password)
    specialist.goto("/nonconformities/new")
    specialist.fill("#title", "Hồ sơ trả kết quả không kèm phiếu xin lỗi khi trễ hạn")
    specialist.fill("#description", "Hồ sơ 000.00.17.H99-261120-0007 trễ 2 ngày, không có Mẫu 04.")
    specialist.select_option("#source", "staff")
    specialist.check("input[name=severity][value=major]")
    specialist.select_option("#unit_id", label="Phòng Bưu chính – Viễn thông")
    specialist.click("[data-testid=raise]")
    expect(specialist.locator("h1")).to_contain_text("NC-")
    url = specialist.url

    head = _signed_in(browser, live_server, "quang.nv", demo_password)
    head.goto(url)
    head.click("[data-testid=move-start_analysis]")
    head.fill("input[name=correction]", "Gửi ngay phiếu xin lỗi cho người dân")
    head.click("[data-testid=save-correction]")
    head.fill("input[name=why_q1]", "Tại sao không có phiếu xin lỗi?")
    head.fill("input[name=why_a1]", "Chuyên viên không biết hồ sơ đã trễ")
    head.fill("#root_cause", "Hệ thống không cảnh báo trước hạn trả kết quả")
    head.click("[data-testid=save-analysis]")
    head.click("[data-testid=move-finish_analysis]")
    head.fill("#description-a", "Bật cảnh báo 1 ngày trước hạn trả kết quả")
    head.fill("#done_criteria", "Cảnh báo hiển thị cho chuyên viên thụ lý")
    head.select_option("#owner_id", label="Võ Thị Bích Ngọc")
    head.fill("#working_days", "5")
    head.click("[data-testid=add-action]")
    head.click("[data-testid=approve-plan]")
    expect(head.locator("[data-testid=nc-status]")).to_have_text("Kế hoạch đã được phê duyệt")

    secretary = _signed_in(browser, live_server, "huong.nt", demo_password)
    secretary.goto(url)
    secretary.click("[data-testid=move-close]")  # too early: refused
    expect(secretary.locator("body")).to_contain_text("Chưa thể đóng")
    expect(secretary.locator("[data-testid=nc-status]")).to_have_text("Kế hoạch đã được phê duyệt")

    owner = _signed_in(browser, live_server, "ngoc.vtb", demo_password)
    owner.goto(url)
    owner.fill("input[name=text][placeholder]", "Đã cấu hình cảnh báo")
    owner.click("[data-testid=progress-1]")
    owner.click("[data-testid=complete-1]")
    owner.click("[data-testid=move-request_check]")
    expect(owner.locator("[data-testid=nc-status]")).to_have_text("Kiểm tra hiệu lực")
    owner.fill("#check-comment", "Tôi tự kiểm tra")
    owner.click("[data-testid=record-check]")  # she owns the action: refused
    expect(owner.locator("body")).to_contain_text("hiệu lực phải do người khác kiểm tra")
    expect(owner.locator("[data-testid=nc-status]")).to_have_text("Kiểm tra hiệu lực")

    auditor = _signed_in(browser, live_server, "lan.tt", demo_password)
    auditor.goto(url)
    auditor.fill("#check-comment", "Kiểm tra 10 hồ sơ sắp đến hạn: cảnh báo đều hiển thị")
    auditor.click("[data-testid=record-check]")
    expect(auditor.locator("[data-testid=check-1]")).to_contain_text("Có hiệu lực")
    auditor.click("[data-testid=move-close]")
    expect(auditor.locator("[data-testid=nc-status]")).to_have_text("Đã đóng")
    expect(auditor.locator("#history")).to_contain_text("Đã đóng")
