"""The .xlsx round trip of the TTHC catalogue and its process maps: export, import back (nothing changes),
import into an empty database (the same procedures and maps), a changed map becomes a new draft
version, bad rows are all reported with nothing written (issue: process maps import/export)."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from processes import services
from processes.importers import import_workbook
from processes.models import AdministrativeProcedure, ProcessBranch, ProcessStep, ProcessVersion
from processes.xlsx import example_rows, export_workbook, template_workbook
from processes.xlsx_layout import BRANCHES, CATALOGUE, DATA_SHEETS, HEADER_ROW, STEPS
from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.documents import services as documents
from qms.documents.models import Revision, RevisionState
from qms.extensions import db
from qms.external_docs.models import ExternalDocument, ExternalKind
from tests.conftest import DEMO_PASSWORD as PW
from tests.conftest import _empty_database
from tests.process_samples import BRANCHES as BRANCH_ROWS
from tests.process_samples import T0, approve, setup_people, steps_20_days, unit


def _reference_data(make_user):
    """Users, units and the one external document the procedures rest on: what an empty agency has."""
    people = setup_people(make_user)
    db.session.add(ExternalDocument(number="61/2018/NĐ-CP", kind=ExternalKind.DECREE, issuer="Chính phủ",
                                    title="Về thực hiện cơ chế một cửa, một cửa liên thông"))
    db.session.commit()
    return people


@pytest.fixture
def people(ctx, make_user):
    return _reference_data(make_user)


def two_procedures(people):
    """1.004470 in force (with branches, a committed limit, a legal basis); 2.001234 a first draft."""
    secretary, specialist = people["secretary"], people["specialist"]
    basis = db.session.scalar(select(ExternalDocument.id))
    with audit.acting_as(audit.Actor.of_user(secretary)):
        postal = services.create_procedure(
            {"code": "1.004470", "name": "Cấp giấy phép bưu chính (phạm vi nội tỉnh)", "field": "Bưu chính",
             "legal_limit": "20", "legal_limit_unit": "working_days", "owner_unit_id": unit("BCVT"),
             "fees": "10.750.000 đồng", "accepts_post": True, "online_service": "partial",
             "announcement_no": "1220/QĐ-UBND", "announcement_on": date(2022, 5, 27), "legal_basis_ids": [basis],
             "notes": "Ghi chú\ndòng hai"}, actor=secretary)
        bulletin = services.create_procedure(
            {"code": "2.001234", "name": "Cấp giấy phép xuất bản bản tin", "field": "Báo chí", "level": "provincial",
             "legal_limit": "20", "legal_limit_unit": "working_days", "committed_limit": "15",
             "committed_limit_unit": "working_days", "accepts_in_person": False}, actor=secretary)
        db.session.commit()
    with audit.acting_as(audit.Actor.of_user(specialist)):
        first = services.start_version(postal, actor=specialist, now=T0 - timedelta(days=3))
        steps = steps_20_days()
        steps[2].update(description="Thẩm định;\nkiểm tra thực tế", output="=Phiếu trình")  # multi-line; formula-like
        services.replace_steps(first, steps, BRANCH_ROWS, actor=specialist)
        draft = services.start_version(bulletin, actor=specialist, now=T0)
        rows = [dict(row, amount="1") for row in steps_20_days()[:3]]
        services.replace_steps(draft, rows, actor=specialist)
        db.session.commit()
    approve(people, first, at=T0)
    return postal, bulletin


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (AdministrativeProcedure, ProcessVersion, ProcessStep, ProcessBranch, Revision, AuditEntry)}


def run_import(people, data, *, dry_run=False, filename="quy-trinh.xlsx"):
    secretary = people["secretary"]
    with audit.acting_as(audit.Actor.of_user(secretary)):
        report = import_workbook(data, filename, actor=secretary, dry_run=dry_run, now=T0 + timedelta(days=30))
        if report.ok and not dry_run:
            db.session.commit()
        else:
            db.session.rollback()
    return report


def export_all():
    return export_workbook(db.session.scalars(select(AdministrativeProcedure)).all())


def edit(data, change):
    """Open an exported workbook, let *change(workbook)* edit it, return the new bytes."""
    wb = load_workbook(BytesIO(data))
    change(wb)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def cell(wb, layout, row_number, key):
    """The cell of column *key* on data row *row_number* (1 = the first row under the headers)."""
    return wb[layout.name][f"{layout.letter(key)}{HEADER_ROW + row_number}"]


def filled(rows_by_sheet):
    """The template with rows written under the headers: {sheet name: [{column key: value}]}."""
    def write(wb):
        for layout in DATA_SHEETS:
            for number, row in enumerate(rows_by_sheet.get(layout.name, []), start=1):
                for key, value in row.items():
                    cell(wb, layout, number, key).value = value
    return edit(template_workbook(), write)


def snapshot():
    """Every procedure and the map of its latest version, in codes and values (no ids), for comparison."""
    result = {}
    for p in db.session.scalars(select(AdministrativeProcedure).order_by(AdministrativeProcedure.code)):
        version = p.versions[-1] if p.versions else None
        result[p.code] = {
            "catalogue": (p.name, p.field, p.level, p.legal_limit_minutes, p.legal_limit_unit,
                          p.committed_limit_minutes, p.committed_limit_unit, p.fees, p.accepts_in_person,
                          p.accepts_post, p.online_service, p.announcement_no, p.announcement_on,
                          p.internal_approval_no, p.internal_approval_on,
                          p.owner_unit.code if p.owner_unit else None, p.status, p.abolished_on, p.notes,
                          [b.external_document.number for b in p.legal_bases]),
            "steps": [(s.code, s.name, s.description, s.unit.code if s.unit else None, s.performer, s.kind,
                       s.allotted_minutes, s.allotted_unit, s.output) for s in version.steps] if version else [],
            "branches": [(b.kind, b.from_step.code, b.to_step.code if b.to_step else None, b.party, b.condition,
                          b.output) for b in version.branches] if version else [],
        }
    return result


def test_round_trip_changes_nothing_and_says_so(people):
    postal, _bulletin = two_procedures(people)
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):  # a textarea sends CRLF; a cell reads LF
        services.update_procedure(postal, {"notes": "Ghi chú\r\ndòng hai", "fees": "Phi\u0301"},
                                  actor=people["secretary"])
        db.session.commit()
    data = export_all()
    before = counts()
    report = run_import(people, data)
    assert report.ok, report.problems
    assert not report.changed
    assert report.summary() == _("The file changes nothing: it matches the data already recorded.")
    assert sorted(report.unchanged) == ["1.004470", "2.001234"]
    assert sorted(report.maps_unchanged) == ["1.004470", "2.001234"]
    assert counts() == before


def test_import_into_an_empty_database_reproduces_the_procedures_and_maps(app, people, make_user):
    two_procedures(people)
    expected = snapshot()
    data = export_all()
    _empty_database()
    people = _reference_data(make_user)
    report = run_import(people, data)
    assert report.ok, report.problems
    assert sorted(report.created) == ["1.004470", "2.001234"]
    assert [(d.code, d.version_no, d.is_new) for d in report.drafted] == [("1.004470", 1, True), ("2.001234", 1, True)]
    db.session.expire_all()
    assert snapshot() == expected
    for version in db.session.scalars(select(ProcessVersion)):
        assert version.revision.state == RevisionState.DRAFT
        assert version.revision.drafted_by_id == people["secretary"].id
    assert run_import(people, data).changed is False  # and a second time: nothing


def test_a_changed_step_time_becomes_a_new_draft_version_and_the_approved_one_is_untouched(people):
    postal, bulletin = two_procedures(people)
    approved = postal.versions[0]
    approved_steps = [(s.code, s.allotted_minutes) for s in approved.steps]
    changed = edit(export_all(), lambda wb: setattr(cell(wb, STEPS, 3, "amount"), "value", "13,5"))
    report = run_import(people, changed)
    assert report.ok, report.problems
    assert [(d.code, d.version_no, d.is_new) for d in report.drafted] == [("1.004470", 2, True)]
    assert report.maps_unchanged == ["2.001234"] and not report.created and not report.updated
    assert any("0,5" in warning for warning in report.warnings)  # 19.5 days: must be settled before approval
    db.session.expire_all()
    versions = db.session.scalars(select(ProcessVersion).where(ProcessVersion.procedure_id == postal.id)
                                  .order_by(ProcessVersion.version_no)).all()
    assert [v.version_no for v in versions] == [1, 2]
    assert versions[0].revision.state == RevisionState.EFFECTIVE
    assert [(s.code, s.allotted_minutes) for s in versions[0].steps] == approved_steps
    assert versions[1].revision.state == RevisionState.DRAFT
    assert versions[1].steps[2].allotted_minutes == 13 * 480 + 240
    assert len(versions[1].branches) == 3
    assert "quy-trinh.xlsx" in versions[1].revision.change_summary
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "processes.import")) == 1
    before = counts()
    again = run_import(people, changed)  # the same file again: the draft already says so
    assert again.ok and not again.changed and counts() == before
    twice = edit(changed, lambda wb: setattr(cell(wb, STEPS, 3, "amount"), "value", 13))
    rewritten = run_import(people, twice)  # a further change rewrites the draft in progress
    assert [(d.version_no, d.is_new) for d in rewritten.drafted] == [(2, False)]
    assert db.session.scalar(select(func.count()).select_from(ProcessVersion)) == before["ProcessVersion"]


def test_three_bad_rows_are_all_reported_and_nothing_is_written(people):
    two_procedures(people)

    def spoil(wb):
        cell(wb, STEPS, 2, "unit").value = "XYZ"
        cell(wb, STEPS, 4, "amount").value = "0,3"
        for key, value in (("code", "1.004470"), ("kind", "Yêu cầu bổ sung"), ("from_step", "B9")):
            cell(wb, BRANCHES, 4, key).value = value

    before = counts()
    report = run_import(people, edit(export_all(), spoil))
    assert not report.ok
    assert [(p.sheet, p.row, p.column, p.value) for p in report.problems] == [
        ("Quy trình", 5, "Đơn vị", "XYZ"),
        ("Quy trình", 7, "Thời gian", "0,3"),
        ("Nhánh", 7, "Từ bước", "B9"),
    ]
    assert all(p.message for p in report.problems)
    assert str(report.problems[1]).startswith("Quy trình!R7 [Thời gian] '0,3': ")
    assert counts() == before


def test_every_rule_names_its_cell(people):
    two_procedures(people)
    rows = example_rows()
    catalogue = [dict(rows["Thủ tục"][0], code="9.000001", committed_limit="21"),
                 dict(rows["Thủ tục"][0], code="9.000001"),
                 dict(rows["Thủ tục"][0], code="9.000002", status="đã bãi bỏ", announcement_on="31/02/2022")]
    steps = [dict(rows["Quy trình"][0], code="9.000002"), dict(rows["Quy trình"][0], code="9.000002"),
             dict(rows["Quy trình"][1], code="7.7", kind="Ngủ"), dict(rows["Quy trình"][2], code="9.000002", unit=None,
                                                                   performer=None, amount="abc")]
    before = counts()
    report = run_import(people, filled({"Thủ tục": catalogue, "Quy trình": steps}))
    found = {(p.sheet, p.row, p.column) for p in report.problems}
    assert found == {
        ("Thủ tục", 4, "Thời hạn cam kết"),  # longer than the legal limit
        ("Thủ tục", 5, "Mã TTHC"),  # the same procedure twice
        ("Thủ tục", 6, "Ngày QĐ công bố (dd/mm/yyyy)"),  # 31/02 is no date
        ("Thủ tục", 6, "Ngày bãi bỏ (dd/mm/yyyy)"),  # abolished without a date
        ("Quy trình", 5, "Bước"),  # B1 twice in one procedure
        ("Quy trình", 6, "Mã TTHC"),  # no such procedure
        ("Quy trình", 6, "Loại bước"),
        ("Quy trình", 7, "Đơn vị"),  # neither unit nor performer
        ("Quy trình", 7, "Thời gian"),
    }
    assert counts() == before


def test_changing_a_map_under_review_is_refused(people):
    postal, bulletin = two_procedures(people)
    draft = bulletin.versions[0]
    with audit.acting_as(audit.Actor.of_user(people["specialist"])):
        documents.update_draft(draft.revision, {}, [{"key": "content", "title": "Nội dung", "body_html": "<p>x</p>"}],
                               actor=people["specialist"])
        services.replace_steps(draft, [dict(r, amount="5") for r in steps_20_days()[:3]], actor=people["specialist"])
        documents.submit_revision(draft.revision, actor=people["specialist"], password=PW, now=T0)
        db.session.commit()
    changed = edit(export_all(), lambda wb: setattr(cell(wb, STEPS, 9, "name"), "value", "Thẩm định lại"))
    before = counts()
    report = run_import(people, changed)
    assert [(p.sheet, p.row, p.value) for p in report.problems] == [("Quy trình", 11, "2.001234")]
    assert counts() == before


def test_the_catalogue_is_updated_in_place_and_a_dry_run_writes_nothing(people):
    postal, bulletin = two_procedures(people)

    def change(wb):
        cell(wb, CATALOGUE, 2, "committed_limit").value = 14
        cell(wb, CATALOGUE, 2, "status").value = "đã bãi bỏ"
        cell(wb, CATALOGUE, 2, "abolished_on").value = "01/07/2026"

    data = edit(export_all(), change)
    before = counts()
    trial = run_import(people, data, dry_run=True)
    assert trial.ok and trial.updated == ["2.001234"] and trial.dry_run
    assert counts() == before
    report = run_import(people, data)
    assert report.updated == ["2.001234"] and not report.drafted
    db.session.expire_all()
    bulletin = db.session.get(AdministrativeProcedure, bulletin.id)
    assert bulletin.committed_limit_minutes == 14 * 480
    assert bulletin.abolished_on == date(2026, 7, 1) and bulletin.status.value == "abolished"


def test_cells_are_read_as_people_write_them(people):
    rows = example_rows()
    catalogue = dict(rows["Thủ tục"][0], legal_limit="20", announcement_on="27/05/2022", name="  Cấp giấy phép  ")
    steps = [dict(row, amount=str(row["amount"]).replace(".", ",")) for row in rows["Quy trình"]]
    steps[0]["amount"] = 0.5
    steps[1]["kind"] = "phan cong"  # without diacritics

    def retype(wb):  # a header typed again by hand, lower case and without diacritics
        wb["Quy trình"][f"{STEPS.letter('amount')}{HEADER_ROW}"] = "thoi gian"
        wb["Quy trình"].insert_rows(HEADER_ROW + 1)  # an empty row is ignored

    data = edit(filled({"Thủ tục": [catalogue], "Quy trình": steps, "Nhánh": rows["Nhánh"]}), retype)
    report = run_import(people, data)
    assert report.ok, report.problems
    assert not report.warnings  # the example adds up to its 20 working days
    procedure = services.find_procedure("1.004470")
    assert procedure.name == "Cấp giấy phép" and procedure.announcement_on == date(2022, 5, 27)
    assert procedure.accepts_post and procedure.owner_unit.code == "BCVT"
    version = procedure.versions[0]
    assert version.total_minutes == 20 * 480 and len(version.branches) == 3
    assert version.steps[1].kind.value == "assign" and version.steps[5].allotted_unit.value == "working_hours"


def test_files_that_are_not_the_workbook_are_refused(people):
    from tests.sample_files import docx_bytes

    before = counts()
    for data in (b"Ma TTHC;Buoc\n1.004470;B1\n", docx_bytes()):
        report = run_import(people, data, filename="quy-trinh.xlsx")
        assert len(report.problems) == 1 and report.problems[0].value == "quy-trinh.xlsx"
        assert "quy-trinh.xlsx" in report.problems[0].message
    wb = Workbook()
    wb.active.title = "Thủ tục"
    buffer = BytesIO()
    wb.save(buffer)
    report = run_import(people, buffer.getvalue())
    assert [(p.sheet, p.row) for p in report.problems] == [("Quy trình", None), ("Nhánh", None)]
    assert "Quy trình" in report.problems[0].message
    no_time = edit(template_workbook(), lambda wb: setattr(wb["Quy trình"][f"{STEPS.letter('amount')}{HEADER_ROW}"],
                                                           "value", "Ghi chú"))
    report = run_import(people, no_time)
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("Quy trình", HEADER_ROW, "Thời gian")]
    assert counts() == before


def test_the_template_has_the_headers_the_importer_reads_and_nothing_to_import(people):
    wb = load_workbook(BytesIO(template_workbook()))
    assert wb.sheetnames == ["Hướng dẫn", "Thủ tục", "Quy trình", "Nhánh"]
    for layout in DATA_SHEETS:
        headers = [c.value for c in wb[layout.name][HEADER_ROW]]
        assert headers == [c.header for c in layout.columns]
        assert all(c.value is None for row in wb[layout.name].iter_rows(min_row=HEADER_ROW + 1) for c in row)
    kinds = next(v for v in wb["Quy trình"].data_validations.dataValidation if "Tiếp nhận" in (v.formula1 or ""))
    assert str(kinds.sqref).startswith(f"{STEPS.letter('kind')}{HEADER_ROW + 1}:")
    assert any(c.value == "Phòng Bưu chính – Viễn thông" for row in wb["Hướng dẫn"].iter_rows() for c in row)
    report = run_import(people, template_workbook())
    assert [p.message for p in report.problems] == [_("There is nothing to import: the sheets have headers but no "
                                                      "rows.")]


def test_exported_cells_are_safe_and_typed(people):
    two_procedures(people)
    wb = load_workbook(BytesIO(export_all()))
    steps = wb["Quy trình"]
    output = cell(wb, STEPS, 3, "output")
    assert output.value == "=Phiếu trình" and output.data_type == "s"  # text, never a formula
    assert cell(wb, STEPS, 1, "amount").value == 0.5 and cell(wb, STEPS, 3, "amount").value == 14
    assert cell(wb, CATALOGUE, 1, "announcement_on").value.date() == date(2022, 5, 27)
    assert cell(wb, CATALOGUE, 1, "legal_bases").value == "61/2018/NĐ-CP"
    assert steps.freeze_panes == "C4"


def test_the_command_line_exports_checks_and_imports(app, people, tmp_path):
    two_procedures(people)
    runner = app.test_cli_runner()
    exported = tmp_path / "quy-trinh.xlsx"
    result = runner.invoke(args=["export-process-maps", str(exported)])
    assert result.exit_code == 0, result.output
    bad, changed = tmp_path / "sai.xlsx", tmp_path / "moi.xlsx"
    bad.write_bytes(edit(exported.read_bytes(), lambda wb: setattr(cell(wb, STEPS, 2, "unit"), "value", "XYZ")))
    changed.write_bytes(edit(exported.read_bytes(), lambda wb: setattr(cell(wb, STEPS, 3, "amount"), "value", 13)))
    before = counts()
    result = runner.invoke(args=["import-process-maps", str(bad), "--as", "huong.nt"])
    assert result.exit_code == 1 and "Quy trình!R5 [Đơn vị] 'XYZ': " in result.output
    result = runner.invoke(args=["import-process-maps", str(changed), "--as", "huong.nt", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["import-process-maps", str(changed), "--as", "hoa.ltm"]).exit_code == 1  # a specialist
    db.session.expire_all()
    assert counts() == before
    result = runner.invoke(args=["import-process-maps", str(changed), "--as", "huong.nt"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert counts()["ProcessVersion"] == before["ProcessVersion"] + 1
    assert runner.invoke(args=["import-process-maps", str(changed)]).exit_code == 2  # --as is required


def test_a_rule_only_the_services_know_still_leaves_nothing_written(people):
    postal, bulletin = two_procedures(people)
    with audit.acting_as(audit.Actor.of_user(people["specialist"])):  # the first issue abandoned: no version to amend
        documents.cancel_revision(bulletin.versions[0].revision, actor=people["specialist"], comment="Soạn lại")
        db.session.commit()
    rows = example_rows()
    data = filled({"Thủ tục": [dict(rows["Thủ tục"][0], code="9.000009")],
                   "Quy trình": [dict(row, code="2.001234") for row in rows["Quy trình"]]})
    before = counts()
    report = run_import(people, data)
    assert [(p.sheet, p.row, p.value) for p in report.problems] == [("Quy trình", 4, "2.001234")]
    assert not report.created and not report.drafted
    assert counts() == before and services.find_procedure("9.000009") is None
