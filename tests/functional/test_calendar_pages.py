"""The working calendar page (issue 5): everyone reads it; the ISO secretary sets dates, office hours and rules."""

from datetime import date

from sqlalchemy import select

from qms.calendar.models import CalendarException, CalendarRules, OfficeHours
from qms.extensions import db


def test_everyone_reads_the_year_with_its_holidays(app, auth, make_user):
    make_user("one_stop_officer", username="thao.nt")
    auth.login("thao.nt")
    page = auth.client.get("/calendar/?year=2026").get_data(as_text=True)
    assert "2026" in page and 'class="off marked"' in page  # 2 September and the other holidays
    assert 'data-testid="add-exception"' not in page


def test_the_secretary_sets_a_date_and_bad_input_changes_nothing(app, auth, make_user):
    make_user("iso_secretary", username="huong.nt")
    auth.login("huong.nt")
    response = auth.post("/calendar/exceptions", {"day": "17/03/2026", "is_working": "0",
                                                  "reason": "Ngày nghỉ của tỉnh", "legal_reference": "QĐ 1/QĐ-UBND"},
                         page="/calendar/")
    assert response.status_code == 302
    bad = auth.post("/calendar/exceptions", {"day": "31/02/2026", "is_working": "0", "reason": "x"},
                    page="/calendar/")
    assert bad.status_code == 422
    twice = auth.post("/calendar/exceptions", {"day": "17/03/2026", "is_working": "1", "reason": "lại"},
                      page="/calendar/")
    assert twice.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(CalendarException)).all()
        assert [(r.day, r.is_working) for r in rows] == [(date(2026, 3, 17), False)]


def test_the_secretary_sets_office_hours_and_rules(app, auth, make_user):
    make_user("iso_secretary", username="huong.nt")
    auth.login("huong.nt")
    auth.post("/calendar/office-hours", {"effective_from": "01/10/2026", "morning_start": "07:00",
                                         "morning_end": "11:30", "afternoon_start": "13:30",
                                         "afternoon_end": "17:00"}, page="/calendar/")
    auth.post("/calendar/rules", {"weekdays": ["0", "1", "2", "3", "4"], "convention": "sessions",
                                  "cutoff_enabled": "y", "cutoff_at": "15:00", "timeliness_point": "returned"},
              page="/calendar/")
    with app.app_context():
        assert db.session.scalar(select(OfficeHours.effective_from)) == date(2026, 10, 1)
        rules = db.session.get(CalendarRules, 1)
        assert rules.convention.value == "sessions" and rules.cutoff_enabled


def test_others_cannot_change_the_calendar(app, auth, make_user):
    make_user("specialist", username="hoa.ltm")
    auth.login("hoa.ltm")
    response = auth.post("/calendar/exceptions", {"day": "17/03/2026", "reason": "x"}, page="/calendar/")
    assert response.status_code == 403
