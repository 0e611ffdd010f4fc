"""Two concurrent "make effective" operations cannot leave two effective revisions (PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from qms.audit import log as audit
from qms.documents import services
from qms.documents.defaults import ensure_document_types
from qms.documents.models import ChangeKind, DocumentKind, DocumentType, Revision, RevisionState
from qms.extensions import db
from qms.timeutil import local_today, utcnow
from qms.users.models import User
from tests.conftest import DEMO_PASSWORD


def _approved_pair(app, make_user):
    """A document with one effective revision and two approved ones waiting (set up behind the services)."""
    secretary = make_user("iso_secretary", username="huong.nt")
    head = make_user("unit_head", username="lan.tt")
    director = make_user("director", username="hung.lv")
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        ensure_document_types()
        users = {n: db.session.get(User, i) for n, i in (("s", secretary), ("h", head), ("d", director))}
        doc_type = db.session.scalar(select(DocumentType).where(DocumentType.kind == DocumentKind.PROCEDURE))
        document = services.create_document({"type_id": doc_type.id, "title": "Quy trình thử"}, actor=users["s"])
        first = document.latest_revision
        services.update_draft(first, {}, [{"title": "Mục đích", "body_html": "<p>Nội dung</p>"}], actor=users["s"])
        services.submit_revision(first, actor=users["s"], password=DEMO_PASSWORD)
        services.review_revision(first, actor=users["h"], password=DEMO_PASSWORD)
        services.approve_revision(first, actor=users["d"], password=DEMO_PASSWORD)
        revision = services.open_revision(document, ChangeKind.AMENDMENT, actor=users["s"])
        services.submit_revision(revision, actor=users["s"], password=DEMO_PASSWORD)
        services.review_revision(revision, actor=users["h"], password=DEMO_PASSWORD)
        services.approve_revision(revision, actor=users["d"], password=DEMO_PASSWORD,
                                  effective_on=local_today() + timedelta(days=1))
        # The services allow one revision in progress; a second approved one is made behind them.
        rival = Revision(document_id=document.id, issue_no=2, revision_no=0, change_kind=ChangeKind.REISSUE,
                         state=RevisionState.APPROVED, title=revision.title, drafted_by_id=revision.drafted_by_id,
                         **{key: getattr(revision, key) for key in (
                             "reviewed_by_id", "reviewed_at", "approved_by_id", "approved_at", "issued_on",
                             "content_sha256", "planned_effective_on")})
        db.session.add(rival)
        db.session.commit()
        return document.id, [revision.id, rival.id]


def test_two_concurrent_make_effective_leave_one_effective_revision(app, make_user):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks and concurrent transactions are tested on PostgreSQL")
    document_id, revision_ids = _approved_pair(app, make_user)
    tomorrow = utcnow() + timedelta(days=1)
    barrier = threading.Barrier(len(revision_ids))
    outcomes = []

    def run(revision_id):
        with app.app_context(), audit.acting_as(audit.Actor.system("test")):
            revision = db.session.get(Revision, revision_id)
            barrier.wait()
            try:
                services.make_effective(revision, actor=None, now=tomorrow)
                db.session.commit()
                outcomes.append("ok")
            except Exception as error:  # noqa: BLE001 - any refusal is acceptable, two effective is not
                db.session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=run, args=(rid,)) for rid in revision_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.app_context():
        states = db.session.scalars(select(Revision.state).where(Revision.document_id == document_id)).all()
    assert states.count(RevisionState.EFFECTIVE) == 1, (states, outcomes)
    assert "ok" in outcomes
