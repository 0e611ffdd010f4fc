"""Document jobs: effective dates take effect by themselves; reminders fire once."""

from datetime import timedelta

from sqlalchemy import func, select

from qms.documents import jobs, services
from qms.documents.models import Acknowledgement, Document, RevisionState
from qms.extensions import db
from qms.notifications.models import Notification
from qms.timeutil import utcnow
from tests.integration.test_document_workflow import PW, _new_procedure, people  # noqa: F401 - fixture


def test_a_scheduled_effective_date_takes_effect_by_itself(people):  # noqa: F811
    from qms.timeutil import local_today

    _, revision = _new_procedure(people)
    services.submit_revision(revision, actor=people["secretary"], password=PW)
    services.review_revision(revision, actor=people["head"], password=PW)
    services.approve_revision(revision, actor=people["director"], password=PW,
                              effective_on=local_today() + timedelta(days=2))
    db.session.commit()
    assert "0 revision" in jobs.apply_effective_dates(utcnow())
    summary = jobs.apply_effective_dates(utcnow() + timedelta(days=2))
    db.session.commit()
    assert "1 revision" in summary and revision.state == RevisionState.EFFECTIVE
    assert "0 revision" in jobs.apply_effective_dates(utcnow() + timedelta(days=3))


def test_overdue_acknowledgements_are_reminded_once_a_day(people):  # noqa: F811
    from qms.documents import distribution

    _, revision = _new_procedure(people)
    distribution.set_distribution(revision, unit_ids=[], user_ids=[people["specialist"].id],
                                  actor=people["secretary"])
    services.submit_revision(revision, actor=people["secretary"], password=PW)
    services.review_revision(revision, actor=people["head"], password=PW)
    services.approve_revision(revision, actor=people["director"], password=PW)
    db.session.commit()
    later = utcnow() + timedelta(days=14)
    jobs.remind_acknowledgements(later)
    jobs.remind_acknowledgements(later)
    db.session.commit()
    count = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "document.acknowledge_overdue"))
    assert count == 1
    task = db.session.scalar(select(Acknowledgement))
    distribution.acknowledge(revision, actor=people["specialist"])
    jobs.remind_acknowledgements(later + timedelta(days=1))
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "document.acknowledge_overdue")) == 1
    assert task.confirmed_at is not None


def test_periodic_review_reminders_reach_the_iso_secretary(people):  # noqa: F811
    document, revision = _new_procedure(people)
    services.submit_revision(revision, actor=people["secretary"], password=PW)
    services.review_revision(revision, actor=people["head"], password=PW)
    services.approve_revision(revision, actor=people["director"], password=PW)
    db.session.commit()
    assert "no periodic review" in jobs.remind_periodic_reviews(utcnow())
    soon = utcnow() + timedelta(days=350)
    jobs.remind_periodic_reviews(soon)
    jobs.remind_periodic_reviews(soon)
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.kind == "document.review_due")).all()
    assert [n.user_id for n in notes] == [people["secretary"].id]
    assert db.session.get(Document, document.id).code in notes[0].title
