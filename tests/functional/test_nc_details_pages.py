"""The small pieces of the nonconformity pages (issue 7): editing the title, severity and clause (refused on a closed
record), cancelling a planned action with a reason, and the ISO secretary's link to the rules page."""

from __future__ import annotations

import pytest

from nonconformities.models import ActionStatus, NcStatus, Nonconformity, Severity
from qms.extensions import db
from qms.users.models import User
from tests.conftest import AuthActions
from tests.nc_samples import raise_one, setup_people, walk_to


@pytest.fixture
def people(app, make_user):
    with app.app_context():
        return {name: user.id for name, user in setup_people(make_user).items()}


def _loaded(people: dict) -> dict[str, User]:
    """The sample people in the current app context."""
    return {name: db.session.get(User, ident) for name, ident in people.items()}


def _as(app, username: str) -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def _nc(app, nc_id: int) -> Nonconformity:
    with app.app_context():
        nc = db.session.get(Nonconformity, nc_id)
        _ = nc.actions  # loaded before the context ends
        return nc


def test_the_raiser_edits_the_details_while_open_and_the_closed_record_refuses(app, people):
    with app.app_context():
        nc_id = raise_one(_loaded(people)).id
    owner = _as(app, "hoa.ltm")  # who raised it
    page = owner.client.get(f"/nonconformities/{nc_id}").get_data(as_text=True)
    assert 'data-testid="details-form"' in page
    saved = owner.post(f"/nonconformities/{nc_id}/details", {"title": "Phiếu kiểm soát thiếu chữ ký ở bước B4, B5",
                                                             "description": "Hai hồ sơ", "severity": "major",
                                                             "clause": "7.5.1"}, follow_redirects=True)
    assert "are saved." in saved.get_data(as_text=True)
    nc = _nc(app, nc_id)
    assert (nc.title, nc.severity, nc.clause, nc.description) == ("Phiếu kiểm soát thiếu chữ ký ở bước B4, B5",
                                                                  Severity.MAJOR, "7.5.1", "Hai hồ sơ")
    refused = owner.post(f"/nonconformities/{nc_id}/details", {"title": "X", "severity": "major", "clause": "9.9"},
                         follow_redirects=True).get_data(as_text=True)
    assert 'Clause &#34;9.9&#34; is not a clause of ISO 9001:2008 (4 to 8).' in refused
    assert "Choose the severity" in owner.post(f"/nonconformities/{nc_id}/details", {"title": "X", "severity": ""},
                                               follow_redirects=True).get_data(as_text=True)
    assert _nc(app, nc_id).title == "Phiếu kiểm soát thiếu chữ ký ở bước B4, B5"
    assert _as(app, "tuan.da").post(f"/nonconformities/{nc_id}/details",  # the head of another unit
                                    {"title": "Khác", "severity": "minor"}, follow_redirects=True).status_code == 200
    assert _nc(app, nc_id).title == "Phiếu kiểm soát thiếu chữ ký ở bước B4, B5"

    with app.app_context():
        walk_to(_loaded(people), NcStatus.CLOSED, nc=db.session.get(Nonconformity, nc_id))
    secretary = _as(app, "huong.nt")
    assert 'data-testid="details-form"' not in secretary.client.get(f"/nonconformities/{nc_id}").get_data(as_text=True)
    closed = secretary.post(f"/nonconformities/{nc_id}/details", {"title": "Sửa sau khi đóng", "severity": "minor"},
                            follow_redirects=True).get_data(as_text=True)
    assert "a closed record cannot be changed" in closed
    assert _nc(app, nc_id).title == "Phiếu kiểm soát thiếu chữ ký ở bước B4, B5"


def test_a_planned_action_is_cancelled_with_its_reason_by_the_button(app, people):
    with app.app_context():
        nc = walk_to(_loaded(people), NcStatus.ACTION_PLAN)
        nc_id, action_id = nc.id, nc.actions[0].id
    head = _as(app, "quang.nv")
    page = head.client.get(f"/nonconformities/{nc_id}").get_data(as_text=True)
    assert 'data-testid="cancel-action-1"' in page
    other_head = _as(app, "tuan.da")  # the head of another unit does not plan these actions
    assert 'data-testid="cancel-action-1"' not in other_head.client.get(f"/nonconformities/{nc_id}").get_data(as_text=True)
    assert other_head.post(f"/nonconformities/actions/{action_id}/cancel", {"reason": "Không cần"}).status_code == 302
    assert _nc(app, nc_id).actions[0].status == ActionStatus.OPEN
    refused = head.post(f"/nonconformities/actions/{action_id}/cancel", {"reason": " "}, follow_redirects=True)
    assert "Give a reason." in refused.get_data(as_text=True)
    head.post(f"/nonconformities/actions/{action_id}/cancel", {"reason": "Đã có quy định ký thay"})
    action = _nc(app, nc_id).actions[0]
    assert action.status == ActionStatus.CANCELLED
    assert 'data-testid="cancel-action-1"' not in head.client.get(f"/nonconformities/{nc_id}").get_data(as_text=True)


def test_the_iso_secretary_finds_the_rules_from_the_register_and_the_figures(app, people):
    secretary, owner = _as(app, "huong.nt"), _as(app, "hoa.ltm")
    for url in ("/nonconformities/", "/nonconformities/figures"):
        assert 'href="/nonconformities/rules/"' in secretary.client.get(url).get_data(as_text=True)
        assert 'data-testid="nc-rules-link"' not in owner.client.get(url).get_data(as_text=True)
