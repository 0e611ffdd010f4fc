"""External documents: the register, amendments and replacements, the three-month update flags
(QĐ 19/2014/QĐ-TTg Art. 4.4a), citations by internal revisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.documents.defaults import ensure_document_types
from qms.documents.models import (
    ChangeKind,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentType,
    Revision,
    RevisionState,
)
from qms.errors import Conflict, DomainError, Forbidden
from qms.external_docs import services
from qms.external_docs.models import (
    ExternalDocument,
    ExternalKind,
    ExternalRelation,
    ExternalStatus,
    RelationKind,
    RevisionCitation,
    UpdateFlag,
)
from qms.extensions import db
from qms.users.models import User

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
WRITTEN = datetime(2019, 3, 1, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def people(ctx, make_user):
    ids = {
        "secretary": make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương"),
        "director": make_user("director", username="hung.lv", full_name="Lê Văn Hùng"),
        "head": make_user("unit_head", username="lan.tt", full_name="Trần Thị Lan"),
        "specialist": make_user("specialist", username="hoa.ltm", full_name="Lê Thị Mai Hoa"),
        "officer": make_user("one_stop_officer", username="tam.nv", full_name="Nguyễn Văn Tâm"),
    }
    ensure_document_types()
    db.session.commit()
    return {name: db.session.get(User, ident) for name, ident in ids.items()}


def _external(people, number, kind=ExternalKind.DECREE, effective_on=None, title=None, issuer="Chính phủ"):
    return services.create_external_document(
        {"number": number, "kind": kind, "issuer": issuer, "title": title or f"Văn bản {number}",
         "issued_on": effective_on - timedelta(days=30) if effective_on else None, "effective_on": effective_on},
        actor=people["secretary"])


def _document(people, code, state=RevisionState.EFFECTIVE, cites=(), document=None):
    """A document with one revision in *state*, built directly (not through the workflow), citing *cites*."""
    if document is None:
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = Document(code=code, title=f"Quy trình {code}", type_id=doc_type.id,
                            status=DocumentStatus.EFFECTIVE if state == RevisionState.EFFECTIVE
                            else DocumentStatus.DRAFT)
        db.session.add(document)
        db.session.flush()
    number = db.session.scalar(select(func.count(Revision.id)).where(Revision.document_id == document.id))
    revision = Revision(document_id=document.id, issue_no=1, revision_no=number, change_kind=ChangeKind.FIRST_ISSUE,
                        title=document.title, state=state, drafted_by_id=people["specialist"].id)
    if state != RevisionState.DRAFT:
        revision.reviewed_by_id, revision.reviewed_at = people["head"].id, NOW
        revision.approved_by_id, revision.approved_at = people["director"].id, NOW
        revision.content_sha256, revision.issued_on = "0" * 64, NOW.date()
    if state in (RevisionState.EFFECTIVE, RevisionState.SUPERSEDED):
        revision.effective_at = WRITTEN  # before the amendments: written under the old texts
    if state == RevisionState.SUPERSEDED:
        revision.ended_at = NOW
    db.session.add(revision)
    db.session.flush()
    for external in cites:
        db.session.add(RevisionCitation(revision_id=revision.id, external_document_id=external.id, note="Điều 16"))
    db.session.flush()
    return document, revision


# The register -----------------------------------------------------------------------------------------


def test_a_number_is_unique_whatever_its_spaces_and_case(people):
    first = _external(people, " 61 / 2018 /NĐ-CP ")
    assert first.number == "61/2018/NĐ-CP"
    for typed in ("61/2018/nđ-cp", "61/2018/NĐ-CP", "61 /2018/Nđ-Cp"):
        with pytest.raises(Conflict) as refused:
            _external(people, typed)
        assert "61/2018/NĐ-CP" in refused.value.message
        assert refused.value.field == "number"
    other = _external(people, "107/2021/NĐ-CP")
    with pytest.raises(Conflict):
        services.update_external_document(other, {"number": "61/2018/nđ-CP"}, actor=people["secretary"])
    services.update_external_document(first, {"number": "61/2018/NĐ-CP", "notes": "Bản hợp nhất"},
                                      actor=people["secretary"])
    assert first.notes == "Bản hợp nhất"


def test_only_the_register_keeper_changes_the_register(people):
    with pytest.raises(Forbidden):
        _external({"secretary": people["director"]}, "61/2018/NĐ-CP")
    with pytest.raises(Forbidden):
        _external({"secretary": people["specialist"]}, "61/2018/NĐ-CP")


def test_entries_are_validated(people):
    with pytest.raises(DomainError) as refused:
        services.create_external_document({"number": "01/2018/TT-VPCP", "kind": "circular", "issuer": "VPCP",
                                           "title": "Hướng dẫn", "issued_on": date(2018, 11, 23),
                                           "effective_on": date(2018, 1, 6)}, actor=people["secretary"])
    assert refused.value.field == "effective_on"
    with pytest.raises(DomainError) as refused:
        services.create_external_document({"number": "01/2018/TT-VPCP", "kind": "circular", "issuer": "VPCP",
                                           "title": "Hướng dẫn", "url": "javascript:alert(1)"},
                                          actor=people["secretary"])
    assert refused.value.field == "url"


def test_search_ignores_diacritics_case_and_word_order(people):
    _external(people, "61/2018/NĐ-CP", title="Nghị định 61/2018/NĐ-CP về thực hiện cơ chế một cửa, một cửa liên "
                                             "thông trong giải quyết thủ tục hành chính")
    _external(people, "01/2018/TT-VPCP", kind=ExternalKind.CIRCULAR, issuer="Văn phòng Chính phủ",
              title="Hướng dẫn thi hành một số quy định của Nghị định số 61/2018/NĐ-CP")
    _external(people, "TCVN ISO 9001:2008", kind=ExternalKind.STANDARD, issuer="Bộ Khoa học và Công nghệ",
              title="Hệ thống quản lý chất lượng - Các yêu cầu")

    def numbers(**filters):
        return [d.number for d in db.session.scalars(services.register_query(**filters))]

    # the circular names the decree in its title, so both answer
    assert numbers(q="nghi dinh 61") == ["61/2018/NĐ-CP", "01/2018/TT-VPCP"]  # the decree itself first
    assert set(numbers(q="NGHỊ ĐỊNH 61/2018")) == {"61/2018/NĐ-CP", "01/2018/TT-VPCP"}
    assert numbers(q="MOT CUA lien thong") == ["61/2018/NĐ-CP"]
    assert numbers(q="nghi dinh thu tuc") == ["61/2018/NĐ-CP"]
    assert numbers(q="9001") == ["TCVN ISO 9001:2008"]
    assert numbers(q="van phong chinh phu") == ["01/2018/TT-VPCP"]
    assert numbers(q="100%") == []
    assert numbers(kind="circular") == ["01/2018/TT-VPCP"]
    assert numbers(status="expired") == []


def test_a_decree_is_found_by_its_kind_although_its_title_does_not_name_it(people):
    _external(people, "61/2018/NĐ-CP", title="Về thực hiện cơ chế một cửa, một cửa liên thông")
    assert [d.number for d in db.session.scalars(services.register_query(q="Nghi dinh 61"))] == ["61/2018/NĐ-CP"]


# Amendments and replacements ----------------------------------------------------------------------------


def test_calendar_month_arithmetic_clamps_the_day(ctx):
    assert services.update_due_on(date(2025, 7, 1)) == date(2025, 10, 1)
    assert services.update_due_on(date(2025, 11, 30)) == date(2026, 2, 28)
    assert services.update_due_on(date(2023, 11, 30)) == date(2024, 2, 29)
    assert services.update_due_on(date(2025, 10, 31)) == date(2026, 1, 31)
    assert services.update_due_on(date(2026, 12, 31)) == date(2027, 3, 31)


def test_a_relation_flags_only_documents_whose_effective_revision_cites_the_target(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    tt01 = _external(people, "01/2018/TT-VPCP", kind=ExternalKind.CIRCULAR, effective_on=date(2019, 1, 6))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    citing, _r = _document(people, "QT-01", cites=[nd61])
    also_citing, _r = _document(people, "QT-02", cites=[nd61, tt01])
    other, _r = _document(people, "QT-03", cites=[tt01])
    draft_only, _r = _document(people, "QT-04", state=RevisionState.DRAFT, cites=[nd61])
    old, _r = _document(people, "QT-05", state=RevisionState.SUPERSEDED, cites=[nd61])
    _document(people, "QT-05", document=old, cites=[tt01])  # its revision in force no longer cites NĐ 61

    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        relation = services.record_relation(nd118, nd61, RelationKind.REPLACES, actor=people["secretary"], now=NOW)
    assert relation.effective_on == date(2025, 7, 1)  # the source's effective date
    assert relation.recorded_by_id == people["secretary"].id
    assert nd61.status == ExternalStatus.EXPIRED
    flags = db.session.scalars(select(UpdateFlag).order_by(UpdateFlag.document_id)).all()
    assert [f.document_id for f in flags] == [citing.id, also_citing.id]
    assert {f.due_on for f in flags} == {date(2025, 10, 1)}
    assert all(f.relation_id == relation.id and f.resolved_at is None for f in flags)
    assert other.id not in {f.document_id for f in flags} and draft_only.id not in {f.document_id for f in flags}
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"external.replaces", "external.expired", "update_flag.raised"} <= actions


def test_recording_the_same_relation_again_changes_nothing(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd107 = _external(people, "107/2021/NĐ-CP", effective_on=date(2021, 12, 6))
    _document(people, "QT-01", cites=[nd61])
    first = services.record_relation(nd107, nd61, "amends", actor=people["secretary"], now=NOW)
    db.session.commit()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))
    again = services.record_relation(nd107, nd61, "amends", actor=people["secretary"],
                                     effective_on=date(2022, 1, 1), now=NOW + timedelta(days=3))
    db.session.commit()
    assert again.id == first.id and again.effective_on == date(2021, 12, 6)
    assert db.session.scalar(select(func.count(ExternalRelation.id))) == 1
    assert db.session.scalar(select(func.count(UpdateFlag.id))) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
    assert nd61.status == ExternalStatus.AMENDED


def test_an_amendment_after_a_replacement_keeps_the_text_out_of_force(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd107 = _external(people, "107/2021/NĐ-CP", effective_on=date(2021, 12, 6))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    services.record_relation(nd118, nd61, "replaces", actor=people["secretary"])
    services.record_relation(nd107, nd61, "amends", actor=people["secretary"])
    assert nd61.status == ExternalStatus.EXPIRED


def test_a_relation_needs_an_effective_date_and_two_texts(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    undated = _external(people, "118/2025/NĐ-CP")
    with pytest.raises(DomainError) as refused:
        services.record_relation(undated, nd61, "replaces", actor=people["secretary"])
    assert refused.value.field == "effective_on" and "118/2025/NĐ-CP" in refused.value.message
    with pytest.raises(DomainError):
        services.record_relation(nd61, nd61, "amends", actor=people["secretary"])
    with pytest.raises(Forbidden):
        services.record_relation(undated, nd61, "replaces", actor=people["director"], effective_on=date(2025, 7, 1))
    relation = services.record_relation(undated, nd61, "replaces", actor=people["secretary"],
                                        effective_on=date(2025, 11, 30))
    assert services.update_due_on(relation.effective_on) == date(2026, 2, 28)


def test_flags_are_resolved_when_a_new_revision_takes_effect(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd107 = _external(people, "107/2021/NĐ-CP", effective_on=date(2021, 12, 6))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    document, first = _document(people, "QT-01", cites=[nd61])
    untouched, _r = _document(people, "QT-02", cites=[nd61])
    services.record_relation(nd107, nd61, "amends", actor=people["secretary"], now=NOW)
    services.record_relation(nd118, nd61, "replaces", actor=people["secretary"], now=NOW)
    assert db.session.scalar(select(func.count(UpdateFlag.id)).where(UpdateFlag.document_id == document.id)) == 2

    with pytest.raises(Conflict):  # an unfinished revision resolves nothing
        services.resolve_flags_for(document, _document(people, "QT-01", state=RevisionState.DRAFT,
                                                       document=document)[1])
    first.state, first.ended_at = RevisionState.SUPERSEDED, NOW
    db.session.flush()
    _d, second = _document(people, "QT-01", document=document, cites=[nd118])
    with pytest.raises(DomainError):
        services.resolve_flags_for(untouched, second)
    resolved = services.resolve_flags_for(document, second, now=NOW + timedelta(days=1))
    assert len(resolved) == 2
    assert all(f.resolved_by_revision_id == second.id and f.resolved_at == NOW + timedelta(days=1)
               for f in resolved)
    assert [f.flag.document_id for f in services.open_flags(date(2026, 3, 2))] == [untouched.id] * 2
    assert services.resolve_flags_for(document, second) == []


def test_the_documents_workflow_resolves_the_flags_when_a_revision_takes_effect(people):
    from qms.documents import services as documents
    from tests.conftest import DEMO_PASSWORD

    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    document, _first = _document(people, "QT-01", cites=[nd61])
    services.record_relation(nd118, nd61, "replaces", actor=people["secretary"], now=NOW)
    db.session.commit()
    revision = documents.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"],
                                       values={"change_summary": "Cập nhật theo Nghị định 118/2025/NĐ-CP"})
    documents.update_draft(revision, {}, [{"key": "content", "title": "Nội dung quy trình",
                                           "body_html": "<p>Tiếp nhận hồ sơ theo Nghị định 118/2025/NĐ-CP.</p>"}],
                           actor=people["secretary"])
    services.uncite(revision, nd61, actor=people["secretary"])
    services.cite(revision, nd118, actor=people["secretary"], note="Điều 16")
    documents.submit_revision(revision, actor=people["secretary"], password=DEMO_PASSWORD)
    documents.review_revision(revision, actor=people["head"], password=DEMO_PASSWORD)
    documents.approve_revision(revision, actor=people["director"], password=DEMO_PASSWORD)
    db.session.commit()
    flag = db.session.scalar(select(UpdateFlag))
    assert revision.state == RevisionState.EFFECTIVE
    assert flag.resolved_by_revision_id == revision.id


def test_open_flags_put_the_overdue_first_and_leave_withdrawn_documents_out(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    tt01 = _external(people, "01/2018/TT-VPCP", kind=ExternalKind.CIRCULAR, effective_on=date(2019, 1, 6))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    tt_new = _external(people, "99/2026/TT-VPCP", kind=ExternalKind.CIRCULAR, effective_on=date(2026, 2, 15))
    late, _r = _document(people, "QT-09", cites=[nd61])
    soon, _r = _document(people, "QT-01", cites=[tt01])
    gone, _r = _document(people, "QT-05", cites=[nd61])
    services.record_relation(tt_new, tt01, "replaces", actor=people["secretary"])
    services.record_relation(nd118, nd61, "replaces", actor=people["secretary"])
    gone.status, gone.withdrawn_at, gone.withdrawn_by_id = DocumentStatus.WITHDRAWN, NOW, people["secretary"].id
    db.session.flush()
    today = date(2026, 3, 2)
    listed = services.open_flags(today)
    assert [(f.flag.document_id, f.is_overdue) for f in listed] == [(late.id, True), (soon.id, False)]
    assert listed[0].days_left == (date(2025, 10, 1) - today).days and listed[0].tone == "danger"
    assert listed[1].days_left == (date(2026, 5, 15) - today).days and listed[1].tone == "default"


# Citations -------------------------------------------------------------------------------------------------


def test_citing_is_refused_on_a_locked_revision(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    _d, effective = _document(people, "QT-01", cites=[nd61])
    _d, approved = _document(people, "QT-02", state=RevisionState.APPROVED)
    for revision in (effective, approved):
        assert revision.is_locked
        with pytest.raises(Conflict):
            services.cite(revision, nd118, actor=people["secretary"])
        with pytest.raises(Conflict):
            services.uncite(revision, nd61, actor=people["secretary"])
    assert db.session.scalar(select(func.count(RevisionCitation.id))) == 1


def test_citing_a_draft_twice_keeps_one_citation(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    _d, draft = _document(people, "QT-01", state=RevisionState.DRAFT)
    services.cite(draft, nd61, actor=people["specialist"], note="Điều 16")
    services.cite(draft, nd61, actor=people["specialist"], note="Điều 16, 17")
    citations = db.session.scalars(select(RevisionCitation)).all()
    assert [(c.revision_id, c.note) for c in citations] == [(draft.id, "Điều 16, 17")]
    with pytest.raises(Forbidden):
        services.cite(draft, nd61, actor=people["officer"])
    assert services.uncite(draft, nd61, actor=people["specialist"]) is True
    assert services.uncite(draft, nd61, actor=people["specialist"]) is False


def test_the_detail_page_helpers_list_relations_and_citations(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd107 = _external(people, "107/2021/NĐ-CP", effective_on=date(2021, 12, 6))
    _d, effective = _document(people, "QT-02", cites=[nd61])
    _d, draft = _document(people, "QT-01", state=RevisionState.DRAFT, cites=[nd61])
    _d, _old = _document(people, "QT-03", state=RevisionState.SUPERSEDED, cites=[nd61])
    relation = services.record_relation(nd107, nd61, "amends", actor=people["secretary"])
    assert services.relations_of(nd107) == ([relation], [])
    assert services.relations_of(nd61) == ([], [relation])
    assert [r.id for _c, r in services.citations_of(nd61)] == [effective.id, draft.id]
    assert services.superseding_relations([nd61.id, nd107.id]) == {nd61.id: [relation], nd107.id: []}
    assert [f.document_id for f in services.flags_of_relations([relation.id])] == [effective.document_id]
    assert db.session.get(ExternalDocument, nd61.id).status == ExternalStatus.AMENDED


# Demo data ------------------------------------------------------------------------------------------------


def test_the_demo_register_loads_once_with_its_relations(people):
    from qms.external_docs.seeding import load_external_demo
    from qms.seeding import DEMO_DIR, SeedReport

    report = SeedReport()
    with audit.acting_as(audit.Actor.system("test")):
        created, unchanged = load_external_demo(DEMO_DIR, report)
    assert created >= 12 and unchanged == 0 and report.created == created
    nd61 = services.find_by_number("61/2018/nđ-cp")
    assert nd61.title.startswith("Về thực hiện cơ chế một cửa") and nd61.status == ExternalStatus.EXPIRED
    assert services.find_by_number("TCVN ISO 9001:2008").kind == ExternalKind.STANDARD
    relations = {(r.source.number, r.kind, r.effective_on) for r in db.session.scalars(select(ExternalRelation))}
    assert relations == {("107/2021/NĐ-CP", RelationKind.AMENDS, date(2021, 12, 6)),
                         ("118/2025/NĐ-CP", RelationKind.REPLACES, date(2025, 7, 1))}
    db.session.commit()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))
    assert load_external_demo(DEMO_DIR) == (0, created)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
    assert db.session.scalar(select(func.count(UpdateFlag.id))) == 0  # no internal document cites NĐ 61 yet


def test_a_new_revision_still_citing_the_replaced_text_leaves_the_flag_open(ctx, make_user):
    """A replaced text must leave the references; an amended one may stay cited."""
    from qms.audit import log as audit
    from qms.documents import services as documents
    from qms.documents.defaults import ensure_document_types
    from qms.documents.models import ChangeKind, DocumentKind, DocumentType
    from qms.external_docs.models import ExternalDocument, ExternalKind, UpdateFlag
    from qms.external_docs.seeding import REGISTER_KEEPER
    from qms.external_docs.services import cite, record_relation, uncite
    from qms.users.models import User
    from tests.conftest import DEMO_PASSWORD as PW

    people = {n: db.session.get(User, make_user(r, username=n)) for n, r in
              (("secretary", "iso_secretary"), ("head", "unit_head"), ("director", "director"))}
    with audit.acting_as(audit.Actor.system("test")):
        ensure_document_types()
        old = ExternalDocument(number="61/2018/NĐ-CP", kind=ExternalKind.DECREE, issuer="Chính phủ", title="Một cửa")
        new = ExternalDocument(number="118/2025/NĐ-CP", kind=ExternalKind.DECREE, issuer="Chính phủ", title="Một cửa",
                               effective_on=date(2025, 7, 1))
        db.session.add_all([old, new])
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = documents.create_document({"type_id": doc_type.id, "title": "Quy trình"}, actor=people["secretary"])

        def sign_through(revision):
            documents.submit_revision(revision, actor=people["secretary"], password=PW)
            documents.review_revision(revision, actor=people["head"], password=PW)
            documents.approve_revision(revision, actor=people["director"], password=PW)

        first = document.latest_revision
        documents.update_draft(first, {}, [{"title": "Mục đích", "body_html": "<p>x</p>"}], actor=people["secretary"])
        cite(first, old, actor=people["secretary"])
        sign_through(first)
        record_relation(new, old, "replaces", actor=REGISTER_KEEPER)
        still = documents.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"])
        sign_through(still)  # copies the citation of the replaced decree
        flag = db.session.scalar(select(UpdateFlag))
        assert flag.resolved_at is None
        fixed = documents.open_revision(document, ChangeKind.AMENDMENT, actor=people["secretary"])
        uncite(fixed, old, actor=people["secretary"])
        cite(fixed, new, actor=people["secretary"])
        sign_through(fixed)
        assert flag.resolved_by_revision_id == fixed.id
        db.session.rollback()


def test_an_amendment_older_than_the_revision_in_force_raises_no_flag(people):
    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd107 = _external(people, "107/2021/NĐ-CP", effective_on=date(2021, 12, 6))
    document, revision = _document(people, "QT-BC-01", cites=[nd61])
    revision.effective_at = datetime(2025, 12, 1, 1, 0, tzinfo=timezone.utc)  # written under the amended text
    db.session.flush()
    services.record_relation(nd107, nd61, "amends", actor=people["secretary"], now=NOW)
    assert db.session.scalar(select(func.count(UpdateFlag.id))) == 0


def test_update_flags_are_reminded_once_to_the_keepers(people):
    from qms.external_docs.jobs import remind_update_flags
    from qms.notifications.models import Notification

    nd61 = _external(people, "61/2018/NĐ-CP", effective_on=date(2018, 6, 21))
    nd118 = _external(people, "118/2025/NĐ-CP", effective_on=date(2025, 7, 1))
    _document(people, "QT-BC-01", cites=[nd61])
    services.record_relation(nd118, nd61, "replaces", actor=people["secretary"], now=NOW)
    remind_update_flags(NOW)
    remind_update_flags(NOW + timedelta(hours=1))
    notes = db.session.scalars(select(Notification).where(Notification.kind == "external.update_due")).all()
    told = sorted(db.session.get(type(people["secretary"]), n.user_id).username for n in notes)
    assert told == sorted([people["secretary"].username, people["director"].username])
    assert all("QT-BC-01" in n.title and "118/2025/NĐ-CP" in n.title for n in notes)
