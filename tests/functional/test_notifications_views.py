"""Notifications over HTTP: the bell, the list (newest first, unread highlighted, pages), marking read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from qms.extensions import db
from qms.notifications import services
from qms.notifications.models import Notification
from qms.users.models import User

START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


def _notify(app, user_id, count, *, prefix="Việc", url=""):
    with app.app_context():
        user = db.session.get(User, user_id)
        ids = [services.notify(user, kind="test", title=f"{prefix} {n}", url=url, dedupe_key=f"{prefix}:{n}",
                               now=START + timedelta(minutes=n)).id for n in range(count)]
        db.session.commit()
    return ids


def _bell(page: str) -> str:
    match = re.search(r'<a class="bell[^"]*"[^>]*data-testid="bell">.*?</a>', page, re.S)
    assert match, "no bell in the header"
    return match.group(0)


def test_the_bell_shows_the_unread_count_and_links_to_the_list(app, auth, make_user):
    hoa = make_user(username="hoa")
    auth.login("hoa")
    bell = _bell(auth.client.get("/").get_data(as_text=True))
    assert 'href="/notifications/"' in bell and "bell-count" not in bell
    _notify(app, hoa, 3)
    bell = _bell(auth.client.get("/").get_data(as_text=True))
    assert '<span class="bell-count">3</span>' in bell


def test_the_list_is_newest_first_with_unread_highlighted(app, auth, make_user):
    hoa, lan = make_user(username="hoa"), make_user(username="lan")
    ids = _notify(app, hoa, 3, url="/documents/7")
    _notify(app, lan, 1, prefix="Thư của Lan")
    with app.app_context():
        db.session.get(Notification, ids[0]).read_at = START + timedelta(hours=1)
        db.session.commit()
    auth.login("hoa")
    page = auth.client.get("/notifications/").get_data(as_text=True)
    assert page.index("Việc 2") < page.index("Việc 1") < page.index("Việc 0")
    assert "Thư của Lan" not in page
    classes = {int(i): c for c, i in re.findall(r'<tr class="(notification-\w+)" data-testid="notification-(\d+)"',
                                                 page)}
    assert classes == {ids[0]: "notification-read", ids[1]: "notification-unread", ids[2]: "notification-unread"}
    assert 'data-testid="mark-read-%d"' % ids[1] in page and 'data-testid="mark-read-%d"' % ids[0] not in page
    assert 'href="/documents/7"' in page  # the read one links straight to its object
    assert 'data-testid="mark-all-read"' in page


def test_the_list_has_pages(app, auth, make_user):
    hoa = make_user(username="hoa")
    _notify(app, hoa, app.config["PAGE_SIZE"] + 2)
    auth.login("hoa")
    first = auth.client.get("/notifications/").get_data(as_text=True)
    second = auth.client.get("/notifications/?page=2").get_data(as_text=True)
    assert "Việc 26" in first and "Việc 0<" not in first and 'class="pager"' in first
    assert "Việc 1<" in second and "Việc 0<" in second and "Việc 26" not in second


def test_mark_read_and_mark_all_read(app, auth, make_user):
    hoa = make_user(username="hoa")
    ids = _notify(app, hoa, 3, url="/documents/7")
    auth.login("hoa")
    response = auth.post(f"/notifications/{ids[1]}/read", {"page": "1"}, page="/notifications/")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/?page=1"
    response = auth.post(f"/notifications/{ids[2]}/read", {"open": "1"}, page="/notifications/")
    assert response.headers["Location"] == "/documents/7"  # opened: read, and on to what it is about
    with app.app_context():
        assert db.session.get(Notification, ids[1]).read_at is not None
        assert db.session.get(Notification, ids[0]).read_at is None
    assert '<span class="bell-count">1</span>' in _bell(auth.client.get("/").get_data(as_text=True))
    response = auth.post("/notifications/read-all", page="/notifications/")
    assert response.status_code == 302
    with app.app_context():
        assert services.unread_count(db.session.get(User, hoa)) == 0
    page = auth.client.get("/notifications/").get_data(as_text=True)
    assert "bell-count" not in _bell(page) and 'data-testid="mark-all-read"' not in page


def test_a_notification_never_sends_anyone_off_the_site(app, auth, make_user):
    hoa = make_user(username="hoa")
    [evil] = _notify(app, hoa, 1, url="//evil.example/phish")
    auth.login("hoa")
    assert "evil.example" not in auth.client.get("/notifications/").get_data(as_text=True)
    response = auth.post(f"/notifications/{evil}/read", {"open": "1"}, page="/notifications/")
    assert response.headers["Location"] == "/notifications/"


def test_someone_elses_notification_is_not_found(app, auth, make_user):
    make_user(username="hoa")
    lan = make_user(username="lan")
    [theirs] = _notify(app, lan, 1)
    auth.login("hoa")
    assert auth.post(f"/notifications/{theirs}/read", page="/notifications/").status_code == 404
    assert auth.post("/notifications/999999/read", page="/notifications/").status_code == 404
    auth.post("/notifications/read-all", page="/notifications/")  # marks only hoa's
    with app.app_context():
        assert db.session.get(Notification, theirs).read_at is None


def test_marking_read_needs_the_csrf_token(app, auth, make_user):
    hoa = make_user(username="hoa")
    [mine] = _notify(app, hoa, 1)
    auth.login("hoa")
    assert auth.client.post(f"/notifications/{mine}/read").status_code == 400
    assert auth.client.post("/notifications/read-all").status_code == 400
    with app.app_context():
        assert db.session.get(Notification, mine).read_at is None


def test_an_external_auditor_reads_but_cannot_mark(app, auth, make_user):
    from datetime import date

    auditor = make_user("external_auditor", username="doan.kt", expires_on=date.today() + timedelta(days=10))
    [mine] = _notify(app, auditor, 1)
    auth.login("doan.kt")
    page = auth.client.get("/notifications/")
    assert page.status_code == 200 and "Việc 0" in page.get_data(as_text=True)
    assert 'data-testid="mark-read-' not in page.get_data(as_text=True)  # no button that would answer 403
    assert 'data-testid="mark-all-read"' not in page.get_data(as_text=True)
    assert auth.post(f"/notifications/{mine}/read", page="/notifications/").status_code == 403
    assert auth.post("/notifications/read-all", page="/notifications/").status_code == 403


def test_the_home_page_shows_unread_notifications(app, auth, make_user):
    hoa = make_user(username="hoa")
    auth.login("hoa")
    assert "Việc 0" not in auth.client.get("/").get_data(as_text=True)
    _notify(app, hoa, 7, url="/documents/7")
    page = auth.client.get("/").get_data(as_text=True)
    assert "Việc 6" in page and "Việc 2" in page and "Việc 1<" not in page  # the newest five
    assert 'href="/documents/7"' in page
