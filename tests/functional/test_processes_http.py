"""The TTHC catalogue and the process maps through the web pages: search, the procedure form, abolition,
the map and its steps, the version in force on a date, the step editor, downloads, comparison, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from processes import services
from processes.models import AdministrativeProcedure, ProcedureStatus, ProcessVersion
from qms.audit import log as audit
from qms.extensions import db
from qms.users.models import User
from tests.conftest import AuthActions
from tests.process_samples import T0, approve, draft_first_version, new_procedure, setup_people, steps_20_days

USERNAMES = {"secretary": "huong.nt", "head": "quang.nv", "director": "hung.lv", "specialist": "hoa.ltm",
             "officer": "thao.nt"}


@pytest.fixture
def people(app, make_user):
    """The sample team and units, and an external auditor (kiem.tv); pages are opened by username."""
    make_user("external_auditor", username="kiem.tv", full_name="Trần Văn Kiểm",
              expires_on=(T0 + timedelta(days=3650)).date())
    with app.app_context():
        setup_people(make_user)


def _people() -> dict[str, User]:
    return {key: db.session.scalar(select(User).where(User.username == name)) for key, name in USERNAMES.items()}


def add_procedure(app, **values) -> int:
    with app.app_context():
        return new_procedure(_people(), **values).id


@pytest.fixture
def mapped(app, people):
    """1.004470 with version 1 in force since T0 (seven steps, 20 working days)."""
    with app.app_context():
        team = _people()
        procedure, version = draft_first_version(team)
        approve(team, version, at=T0)
        return {"procedure": procedure.id, "v1": version.id}


def second_version(app, mapped) -> int:
    """Version 2 (B2 0,5 → 1 day, B3 14 → 13,5 days: still 20), in force from T0 + 40 days."""
    with app.app_context():
        team = _people()
        procedure = db.session.get(AdministrativeProcedure, mapped["procedure"])
        with audit.acting_as(audit.Actor.of_user(team["specialist"])):
            version = services.start_version(procedure, actor=team["specialist"], now=T0 + timedelta(days=30))
            rows = steps_20_days()
            rows[1]["amount"], rows[2]["amount"] = "1", "13,5"
            services.replace_steps(version, rows, actor=team["specialist"])
            db.session.commit()
        approve(team, version, at=T0 + timedelta(days=40))
        return version.id


def _as(app, username):
    """A client signed in as *username*, in English (the assertions read English messages)."""
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def _form(**values):
    data = {"code": "1.000001", "name": "Cấp giấy phép kinh doanh dịch vụ bưu chính", "field": "Bưu chính",
            "level": "provincial", "legal_limit": "20", "legal_limit_unit": "working_days", "committed_limit": "",
            "committed_limit_unit": "working_days", "fees": "", "accepts_in_person": "y", "online_service": "full",
            "announcement_no": "", "announcement_on": "", "internal_approval_no": "", "internal_approval_on": "",
            "owner_unit_id": "0", "notes": ""}
    data.update(values)
    return data


def test_the_catalogue_lists_searches_without_diacritics_and_filters_by_field(app, people):
    add_procedure(app)
    add_procedure(app, code="2.001234", name="Cấp giấy phép hoạt động in", field="Xuất bản, in")
    secretary = _as(app, "huong.nt")
    page = secretary.client.get("/procedures/").get_data(as_text=True)
    assert "1.004470" in page and "2.001234" in page and "20 working days" in page
    assert "/procedures/new" in page
    page = secretary.client.get("/procedures/?q=buu+chinh").get_data(as_text=True)
    assert "1.004470" in page and "2.001234" not in page
    page = secretary.client.get("/procedures/?field=Xuất bản, in").get_data(as_text=True)
    assert "2.001234" in page and "1.004470" not in page
    specialist = _as(app, "hoa.ltm")
    page = specialist.client.get("/procedures/").get_data(as_text=True)
    assert "1.004470" in page and "/procedures/new" not in page


def test_the_secretary_creates_a_procedure_and_a_duplicate_code_changes_nothing(app, people):
    secretary = _as(app, "huong.nt")
    response = secretary.post("/procedures/new", _form(committed_limit="14"), page="/procedures/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = secretary.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cấp giấy phép kinh doanh dịch vụ bưu chính" in page and "14 (committed) / 20 working days" in page
    response = secretary.post("/procedures/new", _form(name="Trùng mã"), page="/procedures/new")
    assert response.status_code == 422
    assert "already in the catalogue" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AdministrativeProcedure.id))) == 1
        assert db.session.scalar(select(AdministrativeProcedure.name)) == "Cấp giấy phép kinh doanh dịch vụ bưu chính"


def test_a_specialist_cannot_create_nor_edit_procedures(app, people):
    procedure_id = add_procedure(app)
    specialist = _as(app, "hoa.ltm")
    assert specialist.client.get("/procedures/new").status_code == 403
    assert specialist.post("/procedures/new", _form(), page="/procedures/").status_code == 403
    assert specialist.client.get(f"/procedures/{procedure_id}/edit").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(AdministrativeProcedure.id))) == 1


def test_the_secretary_edits_and_abolishes_a_procedure(app, people):
    procedure_id = add_procedure(app)
    secretary = _as(app, "huong.nt")
    edit_url = f"/procedures/{procedure_id}/edit"
    page = secretary.client.get(edit_url).get_data(as_text=True)
    assert 'value="20"' in page and "1.004470" in page
    response = secretary.post(edit_url, _form(code="", name="Cấp giấy phép bưu chính", committed_limit="21"),
                              page=edit_url)
    assert response.status_code == 422 and "longer than the legal limit" in response.get_data(as_text=True)
    response = secretary.post(edit_url, _form(code="", name="Cấp giấy phép bưu chính", committed_limit="15"),
                              page=edit_url)
    assert response.status_code == 302
    response = secretary.post(f"/procedures/{procedure_id}/abolish", {"abolished_on": "01/06/2026",
                                                                       "reason": "QĐ 567/QĐ-UBND"},
                              page=f"/procedures/{procedure_id}")
    assert response.status_code == 302
    with app.app_context():
        procedure = db.session.get(AdministrativeProcedure, procedure_id)
        assert procedure.name == "Cấp giấy phép bưu chính" and procedure.code == "1.004470"
        assert procedure.committed_limit_minutes == 15 * 480
        assert procedure.status == ProcedureStatus.ABOLISHED and procedure.abolished_on.isoformat() == "2026-06-01"
    page = secretary.client.get("/procedures/?status=abolished").get_data(as_text=True)
    assert "1.004470" in page
    secretary.post(f"/procedures/{procedure_id}/reinstate", page=f"/procedures/{procedure_id}")
    with app.app_context():
        assert db.session.get(AdministrativeProcedure, procedure_id).status == ProcedureStatus.IN_FORCE


def test_the_procedure_page_shows_the_map_the_steps_and_the_downloads(app, people, mapped):
    specialist = _as(app, "hoa.ltm")
    page = specialist.client.get(f"/procedures/{mapped['procedure']}").get_data(as_text=True)
    assert "<svg" in page and "Thẩm định hồ sơ" in page and "Phòng Bưu chính – Viễn thông" in page
    assert "Supplement request" in page and "Văn thư Sở" in page
    assert f"/procedures/{mapped['procedure']}/versions/{mapped['v1']}/bpmn" in page
    assert "Draft a new version" in page


def test_the_version_in_force_on_a_date(app, people, mapped):
    v2 = second_version(app, mapped)
    auditor = _as(app, "kiem.tv")
    url = f"/procedures/{mapped['procedure']}"
    before = auditor.client.get(url + "?on=01/03/2026").get_data(as_text=True)
    assert "No version was in force on 01/03/2026" in before
    first = auditor.client.get(url + "?on=05/03/2026").get_data(as_text=True)
    assert "Version 1 (issue 01, revision 00)" in first and "in force from 02/03/2026" in first
    assert f"/versions/{mapped['v1']}\"" in first
    later = auditor.client.get(url + "?on=20/04/2026").get_data(as_text=True)
    assert "Version 2 (issue 01, revision 01)" in later
    assert f"/versions/{v2}" in later
    assert "Enter a date" in auditor.client.get(url + "?on=31/02/2026").get_data(as_text=True)


def test_drafting_a_new_version_lands_on_the_editor_which_saves_the_steps(app, people, mapped):
    specialist = _as(app, "hoa.ltm")
    url = f"/procedures/{mapped['procedure']}"
    response = specialist.post(url + "/versions/new", {"change_kind": "amendment",
                                                       "change_summary": "Rút ngắn thẩm định"}, page=url)
    assert response.status_code == 302
    editor = response.headers["Location"]
    with app.app_context():
        v2 = db.session.scalar(select(ProcessVersion).where(ProcessVersion.version_no == 2))
        assert editor.endswith(f"/versions/{v2.id}/edit") and len(v2.steps) == 7
        assert v2.revision.change_summary == "Rút ngắn thẩm định"
        version_url = f"{url}/versions/{v2.id}"
    page = specialist.client.get(editor).get_data(as_text=True)
    assert 'value="Thẩm định hồ sơ"' in page and "process_editor.js" in page
    assert "Continue the draft (version 2)" in specialist.client.get(url).get_data(as_text=True)
    rows = _posted_rows(app, v2_id=v2.id)
    rows["step_amount"][2] = "12"  # B3: 14 → 12 days: the steps no longer add up to 20
    response = specialist.post(editor, rows, page=editor)
    assert response.status_code == 302 and response.headers["Location"].endswith(version_url)
    page = specialist.client.get(version_url).get_data(as_text=True)
    assert "less than the limit" in page and "B3 12" in page
    rows["step_amount"][1] = "2,5"  # B2: 0.5 → 2.5 days: back to 20
    specialist.post(editor, rows, page=editor)
    page = specialist.client.get(version_url).get_data(as_text=True)
    assert "The steps add up to the limit." in page and "Edit steps" in page


def _posted_rows(app, v2_id):
    """The editor's parallel lists for the version's steps, plus a blank step row and a blank branch row."""
    from processes.forms import rows_of

    with app.app_context():
        steps, branches = rows_of(db.session.get(ProcessVersion, v2_id))
    data = {f"step_{name}": [str(row[name] or "") for row in steps] + [""] for name in steps[0]}
    data |= {f"branch_{name}": [row[name] for row in branches] + [""] for name in branches[0]}
    data["notes"] = "Sửa đổi theo QĐ mới"
    return data


def test_a_bad_row_is_shown_with_its_number_and_changes_nothing(app, people, mapped):
    specialist = _as(app, "hoa.ltm")
    url = f"/procedures/{mapped['procedure']}"
    editor = specialist.post(url + "/versions/new", {"change_kind": "amendment"}, page=url).headers["Location"]
    version_id = int(editor.rsplit("/", 2)[-2])
    rows = _posted_rows(app, version_id)
    rows["step_amount"][3] = "0,3"
    rows["step_name"][0] = "Tiếp nhận hồ sơ (đã sửa)"
    response = specialist.post(editor, rows, page=editor)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Step row 4" in page and "0,3" in page
    assert 'value="Tiếp nhận hồ sơ (đã sửa)"' in page  # the user's input is kept
    with app.app_context():
        version = db.session.get(ProcessVersion, version_id)
        assert version.steps[0].name == "Tiếp nhận, kiểm tra hồ sơ"
        assert version.steps[3].allotted_minutes == 2 * 480


def test_the_map_and_the_bpmn_model_download(app, people, mapped):
    officer = _as(app, "thao.nt")
    base = f"/procedures/{mapped['procedure']}/versions/{mapped['v1']}"
    with officer.client.get(base + "/map.svg") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert 'filename="so-do-1.004470-v1.svg"' in response.headers["Content-Disposition"]
        assert b"<svg" in response.data
    with officer.client.get(base + "/bpmn") as response:
        assert response.status_code == 200 and response.mimetype == "application/xml"
        assert 'filename="quy-trinh-1.004470-v1.bpmn"' in response.headers["Content-Disposition"]
        assert b"Process_1_004470_v1" in response.data


def test_the_comparison_shows_the_changed_steps(app, people, mapped):
    second_version(app, mapped)
    secretary = _as(app, "huong.nt")
    page = secretary.client.get(f"/procedures/{mapped['procedure']}/compare").get_data(as_text=True)
    assert "Compare version 1 with version 2" in page
    assert "changed: 2" in page and "unchanged: 5" in page
    assert "<del>14 working days</del> → <ins>13,5 working days</ins>" in page.replace("13.5", "13,5")


def test_an_external_auditor_reads_but_never_posts(app, people, mapped):
    auditor = _as(app, "kiem.tv")
    url = f"/procedures/{mapped['procedure']}"
    assert auditor.client.get("/procedures/").status_code == 200
    page = auditor.client.get(url).get_data(as_text=True)
    assert "<svg" in page and "Draft a new version" not in page
    assert auditor.client.get(f"{url}/versions/{mapped['v1']}").status_code == 200
    assert auditor.post(url + "/versions/new", {"change_kind": "amendment"}, page=url).status_code == 403
    assert auditor.post(url + "/abolish", {"abolished_on": "01/06/2026"}, page=url).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(ProcessVersion.id))) == 1


def test_a_one_stop_officer_cannot_see_a_draft_version(app, people, mapped):
    specialist = _as(app, "hoa.ltm")
    url = f"/procedures/{mapped['procedure']}"
    editor = specialist.post(url + "/versions/new", {"change_kind": "amendment"}, page=url).headers["Location"]
    officer = _as(app, "thao.nt")
    assert officer.client.get(editor).status_code == 403
    assert officer.client.get(editor.removesuffix("/edit")).status_code == 404
    page = officer.client.get(url).get_data(as_text=True)
    assert "Continue the draft" not in page and "<svg" in page  # the version in force stays on show
