"""Notifications: once per dedupe key (also under concurrency), read marks, and the e-mail copy sent
to a local SMTP server started by the test (no network beyond 127.0.0.1)."""

from __future__ import annotations

import base64
import email
import shutil
import socketserver
import ssl
import subprocess
import threading
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import func, select

from qms.errors import Forbidden
from qms.extensions import db
from qms.notifications import jobs, services
from qms.notifications.models import Notification
from qms.timeutil import utcnow
from qms.users.models import User


def _user(user_id):
    return db.session.get(User, user_id)


def _count(user_id=None):
    query = select(func.count(Notification.id))
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return db.session.scalar(query)


def test_notify_inserts_once_per_user_and_dedupe_key(app, make_user):
    hoa, lan = make_user(username="hoa"), make_user(username="lan")
    with app.app_context():
        first = services.notify(_user(hoa), kind="document.acknowledge", title="Xác nhận đã đọc QT-01",
                                url="/documents/1", dedupe_key="ack:1:rev:2")
        assert first is not None and first.id and first.read_at is None
        again = services.notify(_user(hoa), kind="document.acknowledge", title="Xác nhận đã đọc QT-01 (lần 2)",
                                dedupe_key="ack:1:rev:2")
        assert again is None
        other_user = services.notify(_user(lan), kind="document.acknowledge", title="Xác nhận", dedupe_key="ack:1:rev:2")
        other_key = services.notify(_user(hoa), kind="document.acknowledge", title="Xác nhận", dedupe_key="ack:1:rev:3")
        assert other_user is not None and other_key is not None
        db.session.commit()
    with app.app_context():  # a later run of the same job, in a new transaction
        assert services.notify(_user(hoa), kind="x", title="y", dedupe_key="ack:1:rev:2") is None
        db.session.commit()
        assert _count(hoa) == 2 and _count(lan) == 1
        assert db.session.scalar(select(Notification.title).where(Notification.dedupe_key == "ack:1:rev:2",
                                                                  Notification.user_id == hoa)) \
            == "Xác nhận đã đọc QT-01"


def test_a_duplicate_leaves_the_callers_transaction_usable(app, make_user):
    hoa = make_user(username="hoa")
    with app.app_context():
        services.notify(_user(hoa), kind="k", title="t", dedupe_key="same")
        db.session.commit()
        user = _user(hoa)
        user.phone = "0269 3823 456"
        assert services.notify(user, kind="k", title="t", dedupe_key="same") is None
        db.session.commit()  # no failed transaction to roll back
        assert _user(hoa).phone == "0269 3823 456"


def test_concurrent_jobs_insert_one_notification(app, make_user):
    hoa = make_user(username="hoa")
    barrier, results, errors = threading.Barrier(4), [], []

    def worker():
        try:
            with app.app_context():
                user = _user(hoa)
                barrier.wait(timeout=10)
                results.append(services.notify(user, kind="k", title="t", dedupe_key="race") is not None)
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(results) == [False, False, False, True]
    with app.app_context():
        assert _count(hoa) == 1


def test_unread_count_and_marking_read(app, make_user):
    hoa, lan = make_user(username="hoa"), make_user(username="lan")
    with app.app_context():
        for n in range(3):
            services.notify(_user(hoa), kind="k", title=f"Việc {n}", dedupe_key=f"k{n}")
        services.notify(_user(lan), kind="k", title="Việc của Lan", dedupe_key="k0")
        db.session.commit()
        assert services.unread_count(_user(hoa)) == 3
        notification = db.session.scalars(services.notifications_of(_user(hoa))).first()
        assert notification.title == "Việc 2"  # newest first
        with pytest.raises(Forbidden):
            services.mark_read(notification, actor=_user(lan))
        services.mark_read(notification, actor=_user(hoa))
        read_at = notification.read_at
        services.mark_read(notification, actor=_user(hoa), now=utcnow() + timedelta(hours=1))
        assert notification.read_at == read_at  # the first reading counts
        db.session.commit()
        assert services.unread_count(_user(hoa)) == 2
        assert services.mark_all_read(_user(hoa)) == 2
        db.session.commit()
        assert services.unread_count(_user(hoa)) == 0
        assert services.unread_count(_user(lan)) == 1


# A local SMTP server --------------------------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough ESMTP for smtplib: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def finish(self):
        super().finish()
        if isinstance(self.request, ssl.SSLSocket):  # the server closes only the socket it accepted
            self.request.close()

    def handle(self):
        server, envelope = self.server, {}
        server.connections += 1
        self.reply("220 localhost test ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8").rstrip("\r\n")
            verb, _sep, argument = line.partition(" ")
            verb = verb.upper()
            server.commands.append(verb)
            if verb in ("EHLO", "HELO"):
                capabilities = ["localhost", "8BITMIME", "AUTH PLAIN"]
                if server.tls_context is not None and not isinstance(self.request, ssl.SSLSocket):
                    capabilities.append("STARTTLS")
                for capability in capabilities[:-1]:
                    self.reply(f"250-{capability}")
                self.reply(f"250 {capabilities[-1]}")
            elif verb == "STARTTLS":
                self.reply("220 ready for TLS")
                self.request = server.tls_context.wrap_socket(self.request, server_side=True)
                self.rfile, self.wfile = self.request.makefile("rb"), self.request.makefile("wb")
                server.tls_used = True
            elif verb == "AUTH":
                _mechanism, _sep, payload = argument.partition(" ")
                server.logins.append(base64.b64decode(payload).split(b"\0")[1:])
                self.reply("235 authenticated")
            elif verb == "MAIL":
                if server.drop_after is not None and len(server.messages) >= server.drop_after:
                    return  # the connection is lost
                envelope = {"from": argument, "to": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                address = argument.split(":", 1)[1].strip("<> ")
                if address in server.refuse:
                    self.reply("550 no such mailbox")
                else:
                    envelope["to"].append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                message = email.message_from_bytes(b"".join(lines), policy=policy.default)
                server.messages.append((envelope, message))
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                envelope = {}
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls_context=None):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.tls_context, self.tls_used = tls_context, False
        self.messages, self.commands, self.logins = [], [], []
        self.refuse: set[str] = set()
        self.drop_after: int | None = None
        self.connections = 0


def _start(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def smtp_server():
    server = _start(_SMTPServer())
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail_app(app, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.server_address[1], SMTP_STARTTLS=False,
                      MAIL_FROM="iso@stttt.gialai.gov.vn", PUBLIC_URL="https://iso.stttt.gialai.gov.vn")
    return app


def _notify_people(app, make_user):
    hoa = make_user(username="hoa", full_name="Lê Thị Mai Hoa", email="hoa.ltm@stttt.gialai.gov.vn")
    lan = make_user(username="lan", full_name="Trần Thị Lan", email="lan.tt@stttt.gialai.gov.vn")
    no_mail = make_user(username="nam", full_name="Nguyễn Văn Nam", email="")
    with app.app_context():
        services.notify(_user(hoa), kind="document.acknowledge", title="Xác nhận đã đọc QT-01 phiên bản 3",
                        body="Hạn xác nhận: 28/11/2026.", url="/documents/1", dedupe_key="a")
        services.notify(_user(lan), kind="document.review", title="Đến hạn xem xét định kỳ QT-02",
                        dedupe_key="b")
        services.notify(_user(no_mail), kind="k", title="Không có e-mail", dedupe_key="c")
        read = services.notify(_user(lan), kind="k", title="Đã đọc trên web", dedupe_key="d")
        read.read_at = utcnow()
        db.session.commit()
    return hoa, lan, no_mail


def test_pending_notifications_are_emailed_once_over_one_connection(mail_app, smtp_server, make_user):
    hoa, lan, no_mail = _notify_people(mail_app, make_user)
    with mail_app.app_context():
        report = services.send_pending_emails()
        db.session.commit()
    assert (report.sent, report.refused, report.stopped) == (2, 0, "")
    assert smtp_server.connections == 1 and "STARTTLS" not in smtp_server.commands
    by_recipient = {envelope["to"][0]: message for envelope, message in smtp_server.messages}
    assert set(by_recipient) == {"hoa.ltm@stttt.gialai.gov.vn", "lan.tt@stttt.gialai.gov.vn"}
    message = by_recipient["hoa.ltm@stttt.gialai.gov.vn"]
    assert message["Subject"] == "Xác nhận đã đọc QT-01 phiên bản 3"
    assert message["From"] == "iso@stttt.gialai.gov.vn"
    text = message.get_content()
    assert "Hạn xác nhận: 28/11/2026." in text
    assert "https://iso.stttt.gialai.gov.vn/documents/1" in text
    with mail_app.app_context():
        emailed = dict(db.session.execute(select(Notification.dedupe_key, Notification.emailed_at)).all())
        assert emailed["a"] is not None and emailed["b"] is not None
        assert emailed["c"] is None and emailed["d"] is None  # no address; already read
        again = services.send_pending_emails()
    assert again.sent == 0 and len(smtp_server.messages) == 2 and smtp_server.connections == 1


def test_a_refused_address_stays_pending_and_the_others_go(mail_app, smtp_server, make_user):
    _notify_people(mail_app, make_user)
    smtp_server.refuse.add("hoa.ltm@stttt.gialai.gov.vn")
    with mail_app.app_context():
        report = services.send_pending_emails()
        db.session.commit()
        pending = db.session.scalars(select(Notification.dedupe_key).where(Notification.emailed_at.is_(None))).all()
    assert (report.sent, report.refused) == (1, 1)
    assert sorted(pending) == ["a", "c", "d"]


def test_a_connection_lost_half_way_keeps_what_was_sent(mail_app, smtp_server, make_user):
    _notify_people(mail_app, make_user)
    smtp_server.drop_after = 1
    with mail_app.app_context():
        report = services.send_pending_emails()
        db.session.commit()
        sent = db.session.scalar(select(func.count(Notification.id)).where(Notification.emailed_at.is_not(None)))
    assert report.sent == 1 and report.stopped
    assert sent == 1 and len(smtp_server.messages) == 1


def test_nothing_is_sent_without_an_smtp_host(app, smtp_server, make_user):
    _notify_people(app, make_user)
    with app.app_context():
        assert app.config["SMTP_HOST"] == ""
        assert services.send_pending_emails().sent == 0
        assert jobs.send_emails(utcnow()) == "e-mail is off (SMTP_HOST is empty)"
    assert smtp_server.connections == 0


def test_the_send_emails_job_reports_what_it_did(mail_app, smtp_server, make_user):
    _notify_people(mail_app, make_user)
    with mail_app.app_context():
        assert jobs.send_emails(utcnow()) == "2 e-mail(s) sent, 0 refused"


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_starttls_and_login_when_configured(app, make_user, certificate, monkeypatch):
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = _start(_SMTPServer(tls_context=server_context))
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(services.ssl, "create_default_context", lambda: trusting)
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1], SMTP_STARTTLS=True,
                          SMTP_USERNAME="qms", SMTP_PASSWORD="mat-khau-smtp")
        _notify_people(app, make_user)
        with app.app_context():
            assert services.send_pending_emails().sent == 2
    finally:
        server.shutdown()
        server.server_close()
    assert server.tls_used
    assert server.commands.index("STARTTLS") < server.commands.index("AUTH") < server.commands.index("MAIL")
    assert server.logins == [[b"qms", b"mat-khau-smtp"]]


def test_a_line_break_in_a_title_does_not_reach_the_headers(mail_app, smtp_server, make_user):
    hoa = make_user(username="hoa", email="hoa.ltm@stttt.gialai.gov.vn")
    with mail_app.app_context():
        services.notify(_user(hoa), kind="k", title="Đến hạn xem xét\r\nBcc: ai-do@example.com", dedupe_key="x")
        db.session.commit()
        assert services.send_pending_emails().sent == 1
    [(envelope, message)] = smtp_server.messages
    assert envelope["to"] == ["hoa.ltm@stttt.gialai.gov.vn"] and message["Bcc"] is None
    assert message["Subject"] == "Đến hạn xem xét Bcc: ai-do@example.com"
