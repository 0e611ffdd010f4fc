"""Every route against an expected-access table per role (issue 2).

Adding a route without adding it to EXPECTED makes ``test_every_route_is_in_the_table`` fail.
The table is written out here on purpose, independent of ``qms.permissions``: a change to
who may do what must be made in both places, consciously.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qms.extensions import db
from qms.org.models import Position, Unit
from qms.permissions import Role
from qms.users.models import Delegation

PUBLIC = "public"
SIGNED_IN = frozenset(Role)
EVIDENCE_READERS = frozenset({Role.ADMIN, Role.ISO_SECRETARY, Role.DIRECTOR, Role.INTERNAL_AUDITOR,
                              Role.EXTERNAL_AUDITOR})
ADMIN = frozenset({Role.ADMIN})
DELEGATORS = frozenset({Role.ADMIN, Role.DIRECTOR})

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
        db.session.commit()
        return {"unit_id": unit.id, "position_id": position.id, "user_id": target,
                "delegation_id": delegation.id}


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
        if EXPECTED[endpoint] == PUBLIC:
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
