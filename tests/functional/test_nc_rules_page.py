"""The rules of nonconformities (issue 7): everyone reads them; the ISO secretary sets them; bad input changes
nothing."""

from nonconformities.models import NonconformityRules
from qms.extensions import db

FORM = {"raise_on_late_dossier": "y", "late_step_margin_hours": "4", "grouping_window_days": "14",
        "default_severity": "major", "effectiveness_after_working_days": "15", "reminder_lead_working_days": "2",
        "escalate_unit_head_after_working_days": "3", "escalate_director_after_working_days": "2",
        "default_action_working_days": "10"}


def test_the_secretary_sets_the_rules(app, auth, make_user):
    make_user("iso_secretary", username="huong.nt")
    auth.login("huong.nt")
    page = auth.client.get("/nonconformities/rules/").get_data(as_text=True)
    assert 'data-testid="save-nc-rules"' in page and "Biên độ" in page  # Vietnamese by default
    assert auth.post("/nonconformities/rules/", FORM, page="/nonconformities/rules/").status_code == 302
    with app.app_context():
        rules = db.session.get(NonconformityRules, 1)
        assert (rules.raise_on_late_dossier, rules.raise_on_late_step) == (True, False)
        assert (rules.late_step_margin_hours, rules.grouping_window_days, rules.default_severity.value) == \
            (4, 14, "major")
    bad = auth.post("/nonconformities/rules/", FORM | {"grouping_window_days": "-3"}, page="/nonconformities/rules/")
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.get(NonconformityRules, 1).grouping_window_days == 14


def test_others_read_the_rules_and_cannot_change_them(app, auth, make_user):
    make_user("specialist", username="hoa.ltm")
    auth.login("hoa.ltm")
    page = auth.client.get("/nonconformities/rules/").get_data(as_text=True)
    assert 'data-testid="save-nc-rules"' not in page and "30" in page  # the defaults, unsaved
    assert auth.post("/nonconformities/rules/", FORM, page="/nonconformities/rules/").status_code == 403
    with app.app_context():
        assert db.session.get(NonconformityRules, 1) is None
