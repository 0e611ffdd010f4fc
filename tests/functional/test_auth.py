"""Sign-in, lockout, CSRF, expiry, sessions and passwords over HTTP (issue 2)."""

from datetime import date, timedelta

from sqlalchemy import select

from qms.audit.models import AuditEntry
from qms.extensions import db
from qms.users.models import User
from tests.conftest import DEMO_PASSWORD


def _actions(app, *prefixes):
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    return [a for a in rows if a.startswith(prefixes)]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_and_out(app, client, auth, make_user):
    make_user("iso_secretary", username="huong.nt", full_name="Nguyễn Thị Hương")
    response = auth.login("huong.nt")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Nguyễn Thị Hương" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/").status_code == 302
    assert _actions(app, "auth.") == ["auth.login", "auth.logout"]


def test_username_is_case_insensitive(client, auth, make_user):
    make_user(username="hoa.ltm")
    assert auth.login("HOA.LTM").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, auth, make_user):
    make_user(username="hoa.ltm")
    for username in ("hoa.ltm", "nobody"):
        response = auth.login(username, "wrong-password-1")
        assert response.status_code == 200
        assert "Wrong username or password." in response.get_data(as_text=True) or \
            "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
    assert _actions(app, "auth.") == ["auth.login_failed", "auth.login_failed"]


def test_five_failures_lock_the_account_and_the_sixth_right_attempt_is_refused(app, client, auth, make_user):
    user_id = make_user(username="quang.nv")
    for _ in range(4):
        auth.login("quang.nv", "not-the-password-1")
    fifth = auth.login("quang.nv", "not-the-password-1").get_data(as_text=True)
    assert "locked until" in fifth or "khóa đến" in fifth  # told at once, not only at the next attempt
    response = auth.login("quang.nv", DEMO_PASSWORD)
    assert response.status_code == 200  # the form again, not a redirect
    assert client.get("/").status_code == 302  # not signed in
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.locked_until is not None and user.failed_login_count == 5
    actions = _actions(app, "auth.")
    assert actions == ["auth.login_failed"] * 5 + ["auth.locked", "auth.login_refused"]


def test_the_lock_ends_after_the_configured_minutes(app, make_user):
    from qms.auth import services

    make_user(username="quang.nv")
    with app.test_request_context():
        start = services.utcnow()
        for _ in range(5):
            try:
                services.authenticate("quang.nv", "wrong-one-22", now=start)
            except services.LoginRefused:
                pass
        try:
            services.authenticate("quang.nv", DEMO_PASSWORD, now=start + timedelta(minutes=14))
            raise AssertionError("a locked account signed in")
        except services.LoginRefused:
            pass
        user = services.authenticate("quang.nv", DEMO_PASSWORD, now=start + timedelta(minutes=15, seconds=1))
        assert user.failed_login_count == 0 and user.locked_until is None
        db.session.rollback()


def test_lock_threshold_is_configurable(database_url, make_user):
    from qms import create_app

    app = create_app("testing", DATABASE_URL=database_url, LOGIN_MAX_ATTEMPTS=2)
    client = app.test_client()
    from tests.conftest import AuthActions

    auth = AuthActions(client)
    make_user(username="tuan.da")
    auth.login("tuan.da", "nope-nope-1")
    auth.login("tuan.da", "nope-nope-1")
    assert auth.login("tuan.da").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_post_without_csrf_token_is_refused(app, client, auth, make_user):
    make_user("admin", username="quantri")
    auth.login("quantri")
    response = client.post("/org/units/new", data={"code": "X", "name": "Phòng X", "kind": "office"})
    assert response.status_code == 400
    response = client.post("/login", data={"username": "quantri", "password": DEMO_PASSWORD})
    assert response.status_code == 400


def test_expired_external_auditor_cannot_sign_in(app, client, auth, make_user):
    yesterday = date.today() - timedelta(days=2)
    make_user("external_auditor", username="thanh.hv", expires_on=yesterday)
    response = auth.login("thanh.hv")
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    assert _actions(app, "auth.") == ["auth.login_refused"]


def test_external_auditor_reads_but_cannot_change_anything(client, auth, make_user):
    make_user("external_auditor", username="thanh.hv", expires_on=date.today() + timedelta(days=30))
    assert auth.login("thanh.hv").status_code == 302
    assert client.get("/audit-log/").status_code == 200
    assert auth.post("/audit-log/verify").status_code == 403


def test_deactivated_user_cannot_sign_in_and_loses_open_sessions(app, client, auth, make_user):
    from qms.audit import log as audit
    from qms.permissions import SYSTEM_ACTOR
    from qms.users.services import deactivate_user

    user_id = make_user(username="hoa.ltm")
    auth.login("hoa.ltm")
    assert client.get("/").status_code == 200
    with app.app_context(), audit.acting_as(audit.Actor.system("test")):
        deactivate_user(db.session.get(User, user_id), actor=SYSTEM_ACTOR, reason="nghỉ hưu")
        db.session.commit()
    assert client.get("/").status_code == 302
    assert auth.login("hoa.ltm").status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id) is not None  # history kept


def test_session_cookie_flags_and_renewal_at_login(app, client, auth, make_user):
    make_user(username="hoa.ltm")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = auth.login("hoa.ltm")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_remember_me_sets_a_long_lived_http_only_cookie(client, auth, make_user):
    make_user(username="hoa.ltm")
    response = auth.login("hoa.ltm", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0]


def test_production_cookies_are_secure(database_url):
    from qms import create_app

    app = create_app("production", DATABASE_URL=database_url, SECRET_KEY="x" * 40)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_no_open_redirect_after_login(client, auth, make_user):
    make_user(username="hoa.ltm")
    token = auth.csrf_token("/login")
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "hoa.ltm", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_change_password_enforces_the_policy_and_ends_other_sessions(app, auth, make_user):
    make_user(username="hoa.ltm")
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login("hoa.ltm")
    auth.login("hoa.ltm")
    weak = auth.post("/account/password", {"current_password": DEMO_PASSWORD, "new_password": "short1",
                                           "confirm": "short1"}, page="/account/password")
    assert weak.status_code == 422
    good = "Mat-khau-moi-2026"
    response = auth.post("/account/password", {"current_password": DEMO_PASSWORD, "new_password": good,
                                               "confirm": good}, page="/account/password")
    assert response.status_code == 302
    assert auth.client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302  # the other one has ended
    assert "auth.password_changed" in _actions(app, "auth.")


def test_admin_reset_forces_a_change_at_next_sign_in(app, client, auth, make_user):
    import re

    make_user("admin", username="quantri")
    target = make_user(username="hoa.ltm")
    auth.login("quantri")
    response = auth.post(f"/users/{target}/reset-password", follow_redirects=True)
    temporary = re.search(r"hoa\.ltm: (\w+)\.", response.get_data(as_text=True)).group(1)
    auth.logout()
    auth.login("hoa.ltm", temporary)
    response = client.get("/users/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/password")
    new = "Mat-khau-rieng-2026"
    auth.post("/account/password", {"current_password": temporary, "new_password": new, "confirm": new},
              page="/account/password")
    assert client.get("/").status_code == 200
    assert "auth.password_reset" in _actions(app, "auth.")
