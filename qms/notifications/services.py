"""In-app notifications and their e-mail copies (ISO 9001:2008 clause 5.5.3, internal communication).

Jobs and services call ``notify`` to tell one person that something waits for them. The dedupe key
makes a reminder fire once per person, however often (or however concurrently) its job runs: the
insert is an ``INSERT ... ON CONFLICT DO NOTHING`` on the unique (user_id, dedupe_key), so two
processes racing on PostgreSQL never raise and never insert twice.

Like every service here: flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from qms.errors import Forbidden
from qms.extensions import db
from qms.notifications.models import Notification
from qms.timeutil import format_datetime, utcnow
from qms.users.models import User

log = logging.getLogger(__name__)

#: Notifications sent per SMTP connection; the rest wait for the next run.
EMAIL_BATCH = 200

_UPSERT_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def notify(user, *, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str,
           now: datetime | None = None) -> Notification | None:
    """Tell *user* something once per *dedupe_key*; return the new notification, or None if it existed."""
    if user.id is None:
        db.session.flush()
    values = {
        "user_id": user.id, "kind": kind[:60], "title": title[:300], "body": body or "", "url": (url or "")[:500],
        "dedupe_key": dedupe_key[:200], "created_at": now or utcnow(),
    }
    table = Notification.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect in _UPSERT_INSERTS:
        statement = (_UPSERT_INSERTS[dialect](table).values(**values)
                     .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
                     .returning(table.c.id))
        new_id = db.session.execute(statement).scalar()
    else:  # any other database: a savepoint keeps the caller's transaction usable after a duplicate
        try:
            with db.session.begin_nested():
                new_id = db.session.execute(table.insert().values(**values)).inserted_primary_key[0]
        except IntegrityError:
            new_id = None
    return None if new_id is None else db.session.get(Notification, new_id)


def unread_count(user) -> int:
    """How many notifications *user* has not read yet (the number on the bell)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def notifications_of(user):
    """The query of *user*'s notifications, newest first."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_read(notification: Notification, *, actor, now: datetime | None = None) -> Notification:
    """Mark one notification read; only the person it was sent to may do so."""
    if actor is None or notification.user_id != getattr(actor, "id", None):
        raise Forbidden(_("This notification was sent to someone else."))
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        db.session.flush()
    return notification


def mark_all_read(user, *, now: datetime | None = None) -> int:
    """Mark every unread notification of *user* read; return how many were unread."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


# E-mail ---------------------------------------------------------------------------------------------


def pending_emails(limit: int = EMAIL_BATCH) -> list[Notification]:
    """Unread notifications not yet e-mailed whose recipient is active and has an e-mail address."""
    return list(db.session.scalars(
        select(Notification).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
               User.is_active.is_(True), User.email != "")
        .order_by(Notification.id).limit(limit)
    ))


def build_email(notification: Notification, *, sender: str, base_url: str = "") -> EmailMessage:
    """The e-mail copy of *notification*: its title as subject, its body and an absolute link."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = db.session.get(User, notification.user_id).email
    message["Subject"] = " ".join(notification.title.split())  # a header never carries a line break
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = [notification.title, ""]
    if notification.body:
        lines += [notification.body, ""]
    if notification.url:
        link = notification.url if "://" in notification.url else base_url.rstrip("/") + notification.url
        lines += [link, ""]
    lines += ["--", _("Quality management system, %(time)s", time=format_datetime(notification.created_at))]
    message.set_content("\n".join(lines))
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    connection = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=30)
    if config.get("SMTP_STARTTLS"):
        connection.starttls(context=ssl.create_default_context())
    if config.get("SMTP_USERNAME"):
        connection.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    return connection


@dataclass
class EmailReport:
    """What one e-mail run did: sent, refused by the server, and why it stopped early (if it did)."""

    sent: int = 0
    refused: int = 0
    stopped: str = ""

    def __str__(self) -> str:
        text = f"{self.sent} e-mail(s) sent, {self.refused} refused"
        return f"{text}; stopped early: {self.stopped}" if self.stopped else text


def send_pending_emails(now: datetime | None = None) -> EmailReport:
    """E-mail the pending notifications over one SMTP connection and set their ``emailed_at``.

    Does nothing when SMTP_HOST is empty. A connection that cannot be opened raises (the job fails
    and is retried). A notification whose address the server refuses stays pending. A connection
    lost half-way stops the batch without raising, so the caller's commit keeps the ``emailed_at``
    of the messages already sent and the next run does not send them twice.
    """
    config = current_app.config
    report = EmailReport()
    if not config.get("SMTP_HOST"):
        return report
    batch = pending_emails()
    if not batch:
        return report
    now = now or utcnow()
    sender, base_url = config["MAIL_FROM"], config.get("PUBLIC_URL") or ""
    connection = _connect()
    try:
        for notification in batch:
            try:
                connection.send_message(build_email(notification, sender=sender, base_url=base_url))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                report.refused += 1
                log.warning("notification %s not e-mailed: %s", notification.id, error)
                continue
            except (smtplib.SMTPException, OSError) as error:
                report.stopped = f"{type(error).__name__}: {error}"
                log.warning("e-mail batch stopped after %s message(s): %s", report.sent, error)
                break
            notification.emailed_at = now
            report.sent += 1
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()
    db.session.flush()
    return report
