"""The dossier pages (issue 5): receipt at the one-stop shop (Mẫu 01 data), hand-overs on the electronic
Mẫu 05, supplement, apology, refusal, withdrawal and return through the POSTs; the list's filters; who
reads and who acts. DOMAIN.md 4.5 and 9.5 to the day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from processes.dossiers.models import Apology, Dossier, DossierStatus, Outcome, Timeliness
from qms.extensions import db
from qms.org.models import Agency
from qms.timeutil import local_today
from qms.users.models import User
from tests.conftest import AuthActions
from tests.process_samples import T0, approve, draft_first_version, setup_people

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "000.00.17.H99-240425-0007"
USERNAMES = {"secretary": "huong.nt", "head": "quang.nv", "director": "hung.lv", "specialist": "hoa.ltm",
             "officer": "thao.nt"}
#: DOMAIN.md 9.5: the hand-overs of the first dossier, B1 → B7.
HAND_OVERS = (("25/04/2024", "15:40"), ("26/04/2024", "08:30"), ("17/05/2024", "16:00"), ("21/05/2024", "10:15"),
              ("23/05/2024", "16:20"), ("24/05/2024", "09:10"))


def local(*parts) -> datetime:
    return datetime(*parts, tzinfo=ZONE)


@pytest.fixture
def procedure(app, make_user) -> int:
    """The sample team, an external auditor, the agency (unit code 000.00.17.H99) and 1.004470 with its
    seven-step map in force since 01/04/2024."""
    make_user("external_auditor", username="kiem.tv", full_name="Trần Văn Kiểm",
              expires_on=local_today() + timedelta(days=365))
    with app.app_context():
        setup_people(make_user)
        db.session.add(Agency(name="Sở Thông tin và Truyền thông", code="000.00.17.H99"))
        db.session.commit()
        team = {key: db.session.scalar(select(User).where(User.username == name)) for key, name in USERNAMES.items()}
        procedure, version = draft_first_version(team)
        approve(team, version, at=local(2024, 4, 1, 9, 0))
        return procedure.id


def _as(app, username: str) -> AuthActions:
    """A client signed in as *username*, in English (the assertions read English messages)."""
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def receive(client: AuthActions, procedure_id: int, code: str = CODE, on: str = "25/04/2024", at: str = "14:30",
            **values):
    data = {"procedure_id": procedure_id, "code": code, "applicant_name": "Công ty TNHH Chuyển phát Nhanh An Phú",
            "applicant_address": "12 Hùng Vương, Pleiku", "applicant_phone": "0269 3823 377", "channel": "in_person",
            "supplement_policy": "restart", "on": on, "at": at, **values}
    return client.post("/dossiers/new", data, page="/dossiers/new")


def dossier_of(app, code: str = CODE) -> Dossier:
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.code == code))
        db.session.expunge_all()
        return dossier


def act(client: AuthActions, dossier_id: int, action: str, prefix: str, on: str, at: str, **values):
    """POST one action of the dossier page, its fields under the form's prefix; returns the page shown after."""
    data = {f"{prefix}-on": on, f"{prefix}-at": at, **{f"{prefix}-{key}": value for key, value in values.items()}}
    response = client.post(f"/dossiers/{dossier_id}/{action}", data, page=f"/dossiers/{dossier_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/dossiers/{dossier_id}")
    return client.client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)


def hand_over_all(client: AuthActions, dossier_id: int) -> str:
    for on, at in HAND_OVERS:
        page = act(client, dossier_id, "finish", "finish", on, at, handler="Nguyễn Thị Thảo")
    return page


def test_the_officer_receives_a_dossier_and_hands_it_over_to_the_result(app, procedure):
    officer = _as(app, "thao.nt")
    form = officer.client.get("/dossiers/new").get_data(as_text=True)
    assert "1.004470 – Cấp giấy phép bưu chính" in form
    assert f'placeholder="000.00.17.H99-{local_today():%y%m%d}-0001"' in form  # the next TT 01 code of today
    response = receive(officer, procedure)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = officer.client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Dossier {CODE} received; due 27/05/2024 14:30." in page
    for caption in ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "<th>TÊN CƠ QUAN</th>",
                    ">THỜI GIAN GIAO, NHẬN HỒ SƠ</th>",
                    ">KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/đúng hạn/quá hạn)</th>", "<th>GHI CHÚ</th>"):
        assert caption in page
    assert "14 giờ 30 phút, ngày 25/04/2024" in page and "2. Nhận: Bộ phận Tiếp nhận và Trả kết quả" in page
    assert "Finish B1 and hand over" in page and "Next: B2 Phân công thụ lý" in page
    dossier_id = dossier_of(app).id
    page = hand_over_all(officer, dossier_id)
    assert "15 giờ 40 phút, ngày 25/04/2024" in page and "1. Giao: Bộ phận Tiếp nhận và Trả kết quả" in page
    assert "Result ready" in page and 'data-testid="return-result"' in page and 'data-testid="finish-step"' not in page
    page = act(officer, dossier_id, "return", "return", "24/05/2024", "15:00")
    assert "is returned; the dossier is closed" in page and "This dossier is closed." in page
    assert page.count(">Trước hạn</span>") == 7
    dossier = dossier_of(app)
    assert dossier.status == DossierStatus.RETURNED and dossier.outcome == Outcome.ISSUED
    assert dossier.timeliness == Timeliness.EARLY and dossier.returned_at == local(2024, 5, 24, 15, 0)
    with app.app_context():
        runs = db.session.get(Dossier, dossier.id).steps
        assert [run.step_code for run in runs] == ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]
        assert all(run.result == Timeliness.EARLY for run in runs) and runs[1].handler == "Nguyễn Thị Thảo"


def test_a_supplement_restarts_the_limit_and_a_late_apology_changes_nothing(app, procedure):
    officer = _as(app, "thao.nt")
    receive(officer, procedure)
    dossier_id = dossier_of(app).id
    page = act(officer, dossier_id, "supplement", "supplement", "03/05/2024", "10:00",
               reason="Thiếu phương án kinh doanh dịch vụ bưu chính")
    assert "Supplement requested" in page and 'data-testid="complete-supplement"' in page
    assert dossier_of(app).status == DossierStatus.SUPPLEMENT_REQUESTED
    page = act(officer, dossier_id, "supplement/complete", "complete", "10/05/2024", "08:30")
    assert "Thiếu phương án kinh doanh dịch vụ bưu chính" in page and "originally 27/05/2024 14:30" in page
    assert "14 giờ 30 phút, ngày 25/04/2024" in page  # Mẫu 05 keeps the hand-over; the step restarted
    assert "counted again from 10/05/2024 08:30" in page
    dossier = dossier_of(app)
    assert dossier.status == DossierStatus.IN_PROGRESS
    assert dossier.due_at.astimezone(ZONE).date().isoformat() == "2024-06-07"  # DOMAIN.md 4.5, restart
    page = act(officer, dossier_id, "apologise", "apology", "07/06/2024", "07:30",
               reason="Chờ ý kiến phối hợp của Công an tỉnh", new_on="14/06/2024", new_at="16:30")
    assert "at least one working day before the due date" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Apology.id))) == 0
    assert dossier_of(app).extended_due_at is None
    page = act(officer, dossier_id, "apologise", "apology", "31/05/2024", "09:00",
               reason="Chờ ý kiến phối hợp của Công an tỉnh", new_on="14/06/2024", new_at="16:30",
               signed_by="KT. Giám đốc – Phó Giám đốc Lê Văn Hùng")
    assert "Apology (Mẫu 04) recorded" in page and "14/06/2024 16:30" in page
    assert 'data-testid="apologise"' not in page  # once per dossier
    assert dossier_of(app).extended_due_at == local(2024, 6, 14, 16, 30)
    listing = officer.client.get("/dossiers/").get_data(as_text=True)
    assert "Mẫu 04: 14/06/2024 16:30" in listing


def test_the_list_filters_by_status_timeliness_date_text_and_risk(app, procedure):
    officer = _as(app, "thao.nt")
    receive(officer, procedure)
    hand_over_all(officer, dossier_of(app).id)
    act(officer, dossier_of(app).id, "return", "return", "24/05/2024", "15:00")
    receive(officer, procedure, code="000.00.17.H99-240426-0001", on="26/04/2024", at="09:00",
            applicant_name="Nguyễn Văn Bình")
    open_code = "000.00.17.H99-240426-0001"

    def listed(query: str) -> str:
        return officer.client.get(f"/dossiers/{query}").get_data(as_text=True)

    page = listed("")
    assert CODE in page and open_code in page and "Receive a dossier" in page
    assert page.count('data-testid="overdue"') == 1  # the open one is long past its due date
    for query, shown, hidden in (("?quick=risk", open_code, CODE), ("?quick=open", open_code, CODE),
                                 ("?status=10", CODE, open_code), ("?status=4", open_code, CODE),
                                 ("?timeliness=early", CODE, open_code), ("?from=26/04/2024", open_code, CODE),
                                 ("?to=25/04/2024", CODE, open_code), ("?q=an+phú", CODE, open_code),
                                 ("?q=AN+PHU", CODE, open_code), ("?q=binh+nguyen", open_code, CODE),
                                 ("?q=240426", open_code, CODE)):
        page = listed(query)
        assert shown in page and hidden not in page, query
    assert "Enter a date as dd/mm/yyyy." in listed("?from=31/02/2024")


def test_refusal_and_withdrawal_need_their_reason(app, procedure):
    specialist = _as(app, "hoa.ltm")
    receive(specialist, procedure)
    dossier_id = dossier_of(app).id
    page = act(specialist, dossier_id, "refuse", "refuse", "29/04/2024", "09:00", reason="")
    assert "Reason: This field is required." in page and dossier_of(app).status == DossierStatus.IN_PROGRESS
    page = act(specialist, dossier_id, "refuse", "refuse", "07/05/2024", "09:00", reason="Không đủ điều kiện")
    dossier = dossier_of(app)
    assert dossier.status == DossierStatus.RESULT_READY and dossier.outcome == Outcome.REFUSED
    assert "Refused" in page and 'data-testid="return-result"' in page
    receive(specialist, procedure, code="000.00.17.H99-240425-0008")
    other = dossier_of(app, "000.00.17.H99-240425-0008").id
    act(specialist, other, "end", "end", "26/04/2024", "10:00", outcome="withdrawn", reason="Công dân xin rút")
    assert dossier_of(app, "000.00.17.H99-240425-0008").status == DossierStatus.WITHDRAWN


def test_codes_times_and_duplicates_at_receipt(app, procedure):
    officer = _as(app, "thao.nt")
    response = receive(officer, procedure, code="HS-2024-001")
    page = officer.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not in the TT 01 format" in page and "legacy code" in page
    response = receive(officer, procedure, code="", on="25/04/2024")  # blank: the next number of that day
    assert response.status_code == 302 and dossier_of(app, "000.00.17.H99-240425-0001") is not None
    response = receive(officer, procedure, code="000.00.17.H99-240425-0001")
    assert response.status_code == 422 and "is already recorded" in response.get_data(as_text=True)
    tomorrow = (local_today() + timedelta(days=1)).strftime("%d/%m/%Y")
    response = receive(officer, procedure, code="000.00.17.H99-990101-0001", on=tomorrow, at="09:00")
    assert response.status_code == 422 and "cannot be in the future" in response.get_data(as_text=True)
    response = receive(officer, procedure, code="000.00.17.H99-240301-0001", on="01/03/2024", at="09:00")
    assert response.status_code == 422 and "no process in force on that date" in response.get_data(as_text=True)
    response = receive(officer, procedure, code="000.00.17.H99-240425-0009", at="25:00")
    assert response.status_code == 422 and "Enter a time as HH:MM." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Dossier.id))) == 2


def test_everyone_reads_the_dossier_and_only_handlers_act(app, procedure):
    officer = _as(app, "thao.nt")
    receive(officer, procedure)
    dossier_id = dossier_of(app).id
    specialist = _as(app, "hoa.ltm").client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "PHIẾU KIỂM SOÁT" in specialist and 'data-testid="finish-step"' in specialist
    assert 'data-testid="process-map"' in specialist and "current-step" in specialist
    auditor = _as(app, "kiem.tv")
    page = auditor.client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert CODE in page and "TÊN CƠ QUAN" in page and 'data-testid="dossier-actions"' not in page
    listing = auditor.client.get("/dossiers/").get_data(as_text=True)
    assert CODE in listing and "Receive a dossier" not in listing
    assert auditor.client.get("/dossiers/new").status_code == 403
    response = auditor.post(f"/dossiers/{dossier_id}/finish", {"finish-on": "25/04/2024", "finish-at": "15:40"},
                            page=f"/dossiers/{dossier_id}")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Dossier, dossier_id).steps[0].finished_at is None


def test_the_dossier_page_links_its_forms(app, client, auth, make_user):
    from processes.dossiers import services as dossier_services

    with app.app_context():
        people = setup_people(make_user)
        procedure, version = draft_first_version(people)
        approve(people, version, at=T0 - timedelta(days=30))
        dossier = dossier_services.receive_dossier({"code": "000.00.17.H99-260302-0001", "procedure_id": procedure.id,
                                                    "applicant_name": "Nguyễn Văn A", "received_at": T0},
                                                   actor=people["officer"], now=T0 + timedelta(days=1))
        db.session.commit()
        dossier_id = dossier.id
    auth.login("thao.nt")
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert f"/dossier-reports/dossier/{dossier_id}/mau-01.docx" in page
    assert f"/dossier-reports/dossier/{dossier_id}/mau-05.docx" in page
    with client.get(f"/dossier-reports/dossier/{dossier_id}/mau-01.docx") as response:
        assert response.status_code == 200
