"""Every route against an expected-access table per role (issue 2).

Adding a route without adding it to EXPECTED makes ``test_every_route_is_in_the_table`` fail.
The table is written out here on purpose, independent of ``qms.permissions``: a change to
who may do what must be made in both places, consciously.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qms.extensions import db
from qms.external_docs.models import ExternalDocument, ExternalKind
from qms.notifications.models import Notification
from qms.org.models import Position, Unit
from qms.permissions import Role
from qms.records.models import QualityRecord, RecordCategory
from qms.users.models import Delegation

PUBLIC = "public"
TOKEN = "token"  # the ingest API: a client token, never a session; everyone else gets a JSON 401
SIGNED_IN = frozenset(Role)
EVIDENCE_READERS = frozenset({Role.ADMIN, Role.ISO_SECRETARY, Role.DIRECTOR, Role.INTERNAL_AUDITOR,
                              Role.EXTERNAL_AUDITOR})
ADMIN = frozenset({Role.ADMIN})
DELEGATORS = frozenset({Role.ADMIN, Role.DIRECTOR})
WRITERS = SIGNED_IN - {Role.EXTERNAL_AUDITOR}  # every POST of a read-only account is refused
DRAFTERS = frozenset({Role.ISO_SECRETARY, Role.UNIT_HEAD, Role.SPECIALIST})
REVIEWERS = frozenset({Role.ISO_SECRETARY, Role.DIRECTOR, Role.UNIT_HEAD})
ISO_SECRETARY = frozenset({Role.ISO_SECRETARY})
NOBODY = frozenset()
CATALOGUE_KEEPERS = frozenset({Role.ISO_SECRETARY})
DOSSIER_IMPORTERS = frozenset({Role.ISO_SECRETARY, Role.ONE_STOP_OFFICER})
DOSSIER_HANDLERS = frozenset({Role.ISO_SECRETARY, Role.DIRECTOR, Role.UNIT_HEAD, Role.SPECIALIST,
                              Role.ONE_STOP_OFFICER})
RECORD_FILERS = frozenset({Role.ISO_SECRETARY, Role.UNIT_HEAD, Role.SPECIALIST, Role.ONE_STOP_OFFICER})
RECORD_KEEPERS = frozenset({Role.ISO_SECRETARY})
AUDIT_MANAGERS = frozenset({Role.ISO_SECRETARY, Role.INTERNAL_AUDITOR})
DIRECTOR = frozenset({Role.DIRECTOR})

EXPECTED = {
    "static": PUBLIC,
    "home.healthz": PUBLIC,
    "home.set_language": PUBLIC,
    "auth.login": PUBLIC,
    "home.index": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "org.directory": SIGNED_IN,
    "org.agency": ADMIN,
    "org.units": ADMIN,
    "org.new_unit": ADMIN,
    "org.edit_unit": ADMIN,
    "org.positions": ADMIN,
    "org.new_position": ADMIN,
    "org.edit_position": ADMIN,
    "users.index": ADMIN,
    "users.new": ADMIN,
    "users.detail": ADMIN,
    "users.edit": ADMIN,
    "users.deactivate": ADMIN,
    "users.reactivate": ADMIN,
    "users.reset_password": ADMIN,
    "users.unlock": ADMIN,
    "users.delegations": DELEGATORS,
    "users.new_delegation": DELEGATORS,
    "users.revoke_delegation": DELEGATORS,
    "audit.index": EVIDENCE_READERS,
    "audit.export": EVIDENCE_READERS,
    "audit.verify": EVIDENCE_READERS - {Role.EXTERNAL_AUDITOR},  # a POST: read-only accounts never post
    # Controlled documents. The walk's revision is in force: everyone reads it, nobody edits it.
    "documents.index": SIGNED_IN,
    "documents.export_master_list": SIGNED_IN,
    "documents.tasks": SIGNED_IN,
    "documents.detail": SIGNED_IN,
    "documents.revision": SIGNED_IN,
    "documents.compare": SIGNED_IN,
    "documents.export_docx": SIGNED_IN,
    "documents.new": DRAFTERS,
    "documents.edit_revision": NOBODY,
    "documents.open_revision": DRAFTERS,
    "documents.submit": DRAFTERS,
    "documents.cancel": DRAFTERS,
    "documents.review": REVIEWERS,
    "documents.approve": WRITERS,  # a deputy under delegation holds no role permission: checked per object
    "documents.return_to_drafter": WRITERS,
    "documents.acknowledge": WRITERS,
    "documents.make_effective": ISO_SECRETARY,
    "documents.settings": ISO_SECRETARY,
    "documents.withdraw": ISO_SECRETARY,
    "documents.types": ISO_SECRETARY,
    "documents.distribution_list": DRAFTERS,  # the revision in force: its list can no longer change (a flash)
    "documents.acknowledgements": SIGNED_IN,
    "documents.attach": DRAFTERS,  # on the revision in force: refused with a message, nothing attached
    "documents.detach": DRAFTERS,
    "documents.download": SIGNED_IN,
    "documents.cite": DRAFTERS,
    "documents.uncite": DRAFTERS,
    "documents.change_requests": WRITERS,  # staff see their own; the ISO secretary sees all
    "documents.new_change_request": WRITERS,
    "documents.change_request": ISO_SECRETARY,  # the walker did not file it: only the secretary reads it
    "documents.accept_change_request": ISO_SECRETARY,
    "documents.reject_change_request": ISO_SECRETARY,
    "documents.periodic_reviews": ISO_SECRETARY,
    "documents.document_reviews": SIGNED_IN,
    "documents.review_no_change": ISO_SECRETARY,
    "documents.review_open_revision": ISO_SECRETARY,
    "external_docs.index": SIGNED_IN,
    "external_docs.export": SIGNED_IN,
    "external_docs.detail": SIGNED_IN,
    "external_docs.flags": SIGNED_IN,
    "external_docs.new": frozenset({Role.ISO_SECRETARY}),
    "external_docs.edit": frozenset({Role.ISO_SECRETARY}),
    "external_docs.record_relation": frozenset({Role.ISO_SECRETARY}),
    "records.index": SIGNED_IN,
    "records.export": SIGNED_IN,
    "records.detail": SIGNED_IN,
    "records.download": SIGNED_IN,  # no file on the test record: 404, not 403
    "records.categories": SIGNED_IN,
    "records.export_categories": SIGNED_IN,
    "records.new": RECORD_FILERS,
    "records.new_category": RECORD_KEEPERS,
    "records.edit_category": RECORD_KEEPERS,
    "records.retention_ended": RECORD_KEEPERS,
    "records.dispose": RECORD_KEEPERS,
    "records.dispose_many": RECORD_KEEPERS,
    "notifications.index": SIGNED_IN,
    "notifications.mark_read": SIGNED_IN - {Role.EXTERNAL_AUDITOR},  # someone else's: 404, not 403
    "notifications.mark_all_read": SIGNED_IN - {Role.EXTERNAL_AUDITOR},
    "calendar.index": SIGNED_IN,
    "calendar.save_rules": CATALOGUE_KEEPERS,
    "calendar.add_office_hours": CATALOGUE_KEEPERS,  # an empty form: the page again with its errors (422)
    "calendar.delete_office_hours": CATALOGUE_KEEPERS,  # no such row: 404
    "calendar.add_exception": CATALOGUE_KEEPERS,
    "calendar.delete_exception": CATALOGUE_KEEPERS,
    # The rules of nonconformities: everyone reads them, the ISO secretary sets them (an empty form: 422)
    "nc_rules.index": SIGNED_IN,
    "nc_rules.save": ISO_SECRETARY,
    # Nonconformities: everyone reads, staff raise and act (object-level checks inside; the walk's ids do
    # not exist: 404 for those allowed), plan approvers, verifiers and the ISO secretary for their parts
    "nonconformities.index": SIGNED_IN,
    "nonconformities.figures": SIGNED_IN,
    "nonconformities.register_xlsx": SIGNED_IN,
    "nonconformities.detail": SIGNED_IN,
    "nonconformities.request_form_docx": SIGNED_IN,
    "nonconformities.evidence_file": SIGNED_IN,
    "nonconformities.progress_file": SIGNED_IN,
    "nonconformities.new": WRITERS,  # an empty form: 422
    "nonconformities.move": WRITERS,
    "nonconformities.add_evidence": WRITERS,
    "nonconformities.record_correction": WRITERS,
    "nonconformities.save_analysis": WRITERS,
    "nonconformities.add_cause": WRITERS,
    "nonconformities.remove_cause": WRITERS,
    "nonconformities.add_action": WRITERS,
    "nonconformities.record_progress": WRITERS,
    "nonconformities.complete_action": WRITERS,
    "nonconformities.cancel_action": WRITERS,
    "nonconformities.request_document_change": WRITERS,
    "nonconformities.approve_plan": frozenset({Role.ISO_SECRETARY, Role.UNIT_HEAD}),
    "nonconformities.return_plan": frozenset({Role.ISO_SECRETARY, Role.UNIT_HEAD}),
    "nonconformities.record_check": frozenset({Role.ISO_SECRETARY, Role.INTERNAL_AUDITOR}),
    "nonconformities.edit_details": WRITERS,
    "nonconformities.from_finding": WRITERS,  # no such finding: 404 (then the audit's team, secretary, auditors)
    "nonconformities.reject": ISO_SECRETARY,
    "nonconformities.mark_duplicate": ISO_SECRETARY,
    # Administrative procedures and process maps (the walk's procedure has one version in force)
    "processes.index": SIGNED_IN,
    "processes.detail": SIGNED_IN,
    "processes.version": SIGNED_IN,
    "processes.compare": SIGNED_IN,  # with one version: a redirect and a message
    "processes.map_download": SIGNED_IN,
    "processes.bpmn": SIGNED_IN,
    "processes.new": CATALOGUE_KEEPERS,
    "processes.edit": CATALOGUE_KEEPERS,
    "processes.abolish": CATALOGUE_KEEPERS,
    "processes.reinstate": CATALOGUE_KEEPERS,
    "processes.start_version": DRAFTERS,
    "processes.edit_version": NOBODY,  # the version in force is signed: nobody edits it
    "processes.export_maps": SIGNED_IN,
    "dossiers.index": SIGNED_IN,
    "dossiers.detail": SIGNED_IN,
    "dossiers.new": DOSSIER_HANDLERS,
    "dossiers.finish_step": DOSSIER_HANDLERS,
    "dossiers.request_supplement": DOSSIER_HANDLERS,
    "dossiers.complete_supplement": DOSSIER_HANDLERS,
    "dossiers.apologise": DOSSIER_HANDLERS,
    "dossiers.refuse": DOSSIER_HANDLERS,
    "dossiers.return_result": DOSSIER_HANDLERS,
    "dossiers.end_dossier": DOSSIER_HANDLERS,
    "dossier_reports.index": SIGNED_IN,
    "dossier_reports.monthly_xlsx": SIGNED_IN,
    "dossier_reports.register_xlsx_download": SIGNED_IN,
    "dossier_reports.receipt_docx": SIGNED_IN,
    "dossier_reports.control_sheet_docx": SIGNED_IN,
    "dossier_reports.apology_docx": SIGNED_IN,  # no apology on the walk's dossier: 404
    "dossier_reports.supplement_docx": SIGNED_IN,  # no such request: 404
    "dossier_xes.export": SIGNED_IN,
    "dossier_xes.import_log": DOSSIER_IMPORTERS,
    "dossier_api_admin.index": CATALOGUE_KEEPERS,
    "dossier_api_admin.revoke": CATALOGUE_KEEPERS,  # no such client: 404
    "dossier_api.post_events": TOKEN,
    "dossier_api.openapi": PUBLIC,
    "dossier_api.docs": PUBLIC,
    "dossier_analysis.dashboard": SIGNED_IN,
    "dossier_analysis.procedure_map": SIGNED_IN,
    "dossier_analysis.steps_xlsx": SIGNED_IN,
    "dossier_imports.index": DOSSIER_IMPORTERS,
    "dossier_imports.show": DOSSIER_IMPORTERS,  # no such import: 404
    "dossier_imports.progress": DOSSIER_IMPORTERS,
    "dossier_imports.mapping": DOSSIER_IMPORTERS,
    "dossier_imports.errors": DOSSIER_IMPORTERS,
    "processes.import_template": SIGNED_IN,
    "processes.import_maps": CATALOGUE_KEEPERS,
    # Internal audits: the walk's programme is submitted (the director approves it), its audit planned
    "audits.index": SIGNED_IN,
    "audits.coverage": SIGNED_IN,
    "audits.calendar": SIGNED_IN,
    "audits.regenerate_feed": WRITERS,
    "audits.feed": PUBLIC,  # by its secret token: an unknown one is a 404
    "audits.auditors": SIGNED_IN,
    "audits.new_auditor": AUDIT_MANAGERS,
    "audits.edit_auditor": AUDIT_MANAGERS,
    "audits.deactivate_auditor": AUDIT_MANAGERS,
    "audits.reactivate_auditor": AUDIT_MANAGERS,
    "audits.new_programme": AUDIT_MANAGERS,  # an empty form: a message
    "audits.programme": SIGNED_IN,
    "audits.programme_xlsx": SIGNED_IN,
    "audits.submit_programme": AUDIT_MANAGERS,  # already submitted: a message
    "audits.approve_programme": DIRECTOR,  # no password: a message; a deputy needs a delegation
    "audits.return_programme": DIRECTOR,
    "audits.new_audit": AUDIT_MANAGERS,
    "audits.detail": SIGNED_IN,
    "audits.plan_docx": SIGNED_IN,
    "audits.edit_audit": AUDIT_MANAGERS,  # or the audit's own lead auditor
    "audits.set_team": AUDIT_MANAGERS,
    "audits.set_auditees": AUDIT_MANAGERS,
    "audits.add_session": AUDIT_MANAGERS,
    "audits.delete_session": AUDIT_MANAGERS,  # no such session: 404
    "audits.move": AUDIT_MANAGERS,  # no lead yet: a message
    # Checklists, findings and the report of the walk's planned audit; no such question, file, finding or template
    "audit_checklists.checklist": SIGNED_IN,
    "audit_checklists.build": AUDIT_MANAGERS,  # or the audit's team; an empty scope adds nothing
    "audit_checklists.add_question": AUDIT_MANAGERS,  # no question written: a message
    "audit_checklists.answer": WRITERS,  # no such question: 404 (then only the team, while in progress)
    "audit_checklists.attach": WRITERS,
    "audit_checklists.detach": WRITERS,
    "audit_checklists.download": SIGNED_IN,
    "audit_checklists.findings_page": SIGNED_IN,
    "audit_checklists.record_finding": WRITERS,  # not in progress: a message (then only the team)
    "audit_checklists.acknowledge": WRITERS,  # no such finding: 404 (then an auditee or the unit's head)
    "audit_checklists.withdraw": WRITERS,
    "audit_checklists.report": SIGNED_IN,
    "audit_checklists.report_download": SIGNED_IN,
    "audit_checklists.write_report": WRITERS,  # not in progress: a message (then only the lead auditor)
    "audit_checklists.templates": SIGNED_IN,
    "audit_checklists.template": SIGNED_IN,
    "audit_checklists.create_template": AUDIT_MANAGERS,
    "audit_checklists.add_template_question": AUDIT_MANAGERS,
    "audit_checklists.remove_template_question": AUDIT_MANAGERS,
    "audit_checklists.set_template_active": AUDIT_MANAGERS,
}


def test_every_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - set(EXPECTED)
    stale = set(EXPECTED) - endpoints
    assert not missing, f"routes without an expected-access entry: {sorted(missing)}"
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def objects(app, make_user):
    """One object of each kind the routes take as an argument."""
    director = make_user("director", username="giamdoc")
    deputy = make_user("unit_head", username="phogiamdoc")
    target = make_user("specialist", username="target")
    with app.app_context():
        unit = Unit(code="T1", name="Phòng thử")
        position = Position(code="P1", name="Chức vụ thử", is_leadership=True)
        db.session.add_all([unit, position])
        db.session.flush()
        delegation = Delegation(director_id=director, deputy_id=deputy, starts_on=date.today(),
                                ends_on=date.today() + timedelta(days=3))
        db.session.add(delegation)
        external = ExternalDocument(number="61/2018/NĐ-CP", kind=ExternalKind.DECREE, issuer="Chính phủ",
                                    title="Về thực hiện cơ chế một cửa, một cửa liên thông")
        db.session.add(external)
        category = RecordCategory(code="HS-T1", name="Hồ sơ chất lượng thử", retention_months=12)
        record = QualityRecord(category=category, title="Biên bản thử", record_date=date.today())
        db.session.add_all([category, record])
        notification = Notification(user_id=target, kind="test", title="Thông báo thử", dedupe_key="access")
        db.session.add(notification)
        db.session.commit()
        records = {"category_id": category.id, "record_id": record.id}
        document_id, revision_id = _effective_document(director)
        records |= {"document_id": document_id, "revision_id": revision_id,
                    "change_request_id": _change_request(document_id)}
        records |= _procedure_in_force(director)
        records |= _audit_objects(target)
        records |= {"question_id": 999_999, "attachment_id": 999_999, "finding_id": 999_999, "template_id": 999_999}
        return records | {"unit_id": unit.id, "position_id": position.id, "user_id": target,
                          "delegation_id": delegation.id, "notification_id": notification.id,
                          "external_document_id": external.id, "external_id": external.id,
                          "hours_id": 999_999, "exception_id": 999_999, "request_id": 999_999,
                          "client_id": 999_999, "import_id": 999_999,  # no such rows: 404 for those allowed
                          "nc_id": 999_999, "action_id": 999_999, "cause_id": 999_999,  # nonconformities: 404
                          "evidence_id": 999_999, "progress_id": 999_999,  # "action": the audit's (notify)
                          "file_id": 1}  # no file on the revision in force: downloads answer 404, never 403


def _effective_document(director_id):
    """A procedure with one revision in force, signed by three people."""
    from qms.audit import log as audit
    from qms.documents import services
    from qms.documents.defaults import ensure_document_types
    from qms.documents.models import DocumentKind, DocumentType
    from qms.users.models import User
    from tests.conftest import DEMO_PASSWORD

    with audit.acting_as(audit.Actor.system("test")):
        ensure_document_types()
        drafter = db.session.scalar(select(User).where(User.username == "target"))
        reviewer = db.session.scalar(select(User).where(User.username == "phogiamdoc"))
        director = db.session.get(User, director_id)
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = services.create_document({"type_id": doc_type.id, "title": "Quy trình thử"}, actor=drafter)
        revision = document.latest_revision
        services.update_draft(revision, {}, [{"title": "Mục đích", "body_html": "<p>Thử</p>"}], actor=drafter)
        services.submit_revision(revision, actor=drafter, password=DEMO_PASSWORD)
        services.review_revision(revision, actor=reviewer, password=DEMO_PASSWORD)
        services.approve_revision(revision, actor=director, password=DEMO_PASSWORD)
        db.session.commit()
        return document.id, revision.id


def _procedure_in_force(director_id):
    """A TTHC whose one-step process version is in force."""
    from processes import services as processes
    from processes.dossiers.services import receive_dossier
    from processes.models import AdministrativeProcedure, TimeUnit
    from qms.audit import log as audit
    from qms.documents import services
    from qms.users.models import User
    from tests.conftest import DEMO_PASSWORD

    with audit.acting_as(audit.Actor.system("test")):
        drafter = db.session.scalar(select(User).where(User.username == "target"))
        reviewer = db.session.scalar(select(User).where(User.username == "phogiamdoc"))
        procedure = AdministrativeProcedure(code="1.000001", name="Thủ tục thử", field="Thử", legal_limit_minutes=480,
                                            legal_limit_unit=TimeUnit.WORKING_DAYS)
        db.session.add(procedure)
        db.session.flush()
        version = processes.start_version(procedure, actor=drafter)
        processes.replace_steps(version, [{"code": "B1", "name": "Giải quyết", "performer": "Chuyên viên",
                                           "amount": "1", "unit": "working_days"}], actor=drafter)
        revision = version.revision
        services.update_draft(revision, {}, [{"title": "Mục đích", "body_html": "<p>Thử</p>"}], actor=drafter)
        services.submit_revision(revision, actor=drafter, password=DEMO_PASSWORD)
        services.review_revision(revision, actor=reviewer, password=DEMO_PASSWORD)
        services.approve_revision(revision, actor=db.session.get(User, director_id), password=DEMO_PASSWORD)
        db.session.commit()
        dossier = receive_dossier({"code": "000.00.17.H99-261122-0001", "procedure_id": procedure.id,
                                   "applicant_name": "Nguyễn Văn A"}, actor=drafter)
        db.session.commit()
        return {"procedure_id": procedure.id, "version_id": version.id, "dossier_id": dossier.id}


def _audit_objects(auditor_user_id):
    """A submitted 2026 programme with one planned audit, and "target" registered as an auditor."""
    from audits.models import Audit, Auditor, AuditProgramme, ProgrammeStatus
    from qms.timeutil import utcnow

    programme = AuditProgramme(year=2026, title="Chương trình đánh giá nội bộ năm 2026",
                               status=ProgrammeStatus.SUBMITTED, submitted_at=utcnow())
    db.session.add(programme)
    db.session.flush()
    audit = Audit(code="ĐGNB-2026-01", title="Đánh giá thử", programme_id=programme.id,
                  planned_start=date(2026, 10, 19), planned_end=date(2026, 10, 21))
    auditor = Auditor(user_id=auditor_user_id)
    db.session.add_all([audit, auditor])
    db.session.commit()
    return {"programme_id": programme.id, "audit_id": audit.id, "auditor_id": auditor.id, "session_id": 999_999,
            "action": "notify", "token": "no-such-token"}


def _change_request(document_id):
    """A change request filed by "target" on the document in force."""
    from qms.documents.change_requests import file_change_request
    from qms.documents.models import Document
    from qms.users.models import User

    target = db.session.scalar(select(User).where(User.username == "target"))
    change_request = file_change_request(db.session.get(Document, document_id), actor=target, reason="Thử")
    db.session.commit()
    return change_request.id


def _requests(app, objects):
    """(endpoint, method, url) for every route, POST last-but-logout so a walk keeps its session."""
    calls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            args = {name: objects[name] for name in rule.arguments}
            url = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods & {"GET", "POST"}):
                calls.append((rule.endpoint, method, url))
    return sorted(calls, key=lambda c: (c[0] == "auth.logout", c[1] == "POST", c[0]))


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_reaches_exactly_what_the_table_says(app, auth, make_user, objects, role):
    expires = date.today() + timedelta(days=30) if role == Role.EXTERNAL_AUDITOR else None
    make_user(role.value, username="walker", expires_on=expires)
    assert auth.login("walker").status_code == 302
    token = auth.csrf_token("/")
    wrong = []
    for endpoint, method, url in _requests(app, objects):
        expected = EXPECTED[endpoint]
        if expected == TOKEN:
            response = auth.client.post(url, json={})
            if response.status_code != 401 or not response.is_json:
                wrong.append(f"{method} {url} ({endpoint}): {response.status_code}, expected a JSON 401")
            continue
        allowed = expected == PUBLIC or role in expected
        if method == "GET":
            response = auth.client.get(url)
        else:
            response = auth.client.post(url, data={"csrf_token": token})
        got_in = response.status_code not in (401, 403) and not (
            response.status_code == 302 and response.headers["Location"].startswith("/login?next="))
        if got_in != allowed or response.status_code >= 500:
            wrong.append(f"{method} {url} ({endpoint}): {response.status_code}, expected "
                         f"{'access' if allowed else '403'}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_reaches_only_public_routes(app, client, objects):
    wrong = []
    for endpoint, method, url in _requests(app, objects):
        response = client.get(url) if method == "GET" else client.post(url)
        if EXPECTED[endpoint] == TOKEN:
            if response.status_code != 401 or not response.is_json:
                wrong.append(f"{method} {url}: {response.status_code}, expected a JSON 401")
        elif EXPECTED[endpoint] == PUBLIC:
            if response.status_code >= 500 or (response.status_code == 302 and
                                               response.headers["Location"].startswith("/login?")):
                wrong.append(f"{method} {url}: {response.status_code}")
        elif method == "GET" and not (response.status_code == 302 and
                                      response.headers["Location"].startswith("/login")):
            wrong.append(f"{method} {url}: {response.status_code}, expected a redirect to sign in")
        elif method == "POST" and response.status_code not in (302, 400):
            wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_specialist_gets_403_on_user_administration(auth, make_user):
    make_user("specialist", username="hoa.ltm")
    auth.login("hoa.ltm")
    response = auth.client.get("/users/")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "403" in text
