"""The working clock (issue 5): DOMAIN.md 4.5 to the day, and the properties that make it exact."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qms.calendar.engine import OutOfRange, Weighting, WorkingClock

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60))  # 07:30-11:30, 13:30-17:00
VN = holidays.VN(years=range(2023, 2027))


def sessions_of(day: date):
    return OFFICE if VN.is_working_day(day) else ()


def make(weighting=Weighting.REAL):
    return WorkingClock(date(2023, 1, 1), date(2026, 12, 31), sessions_of, zone=HCM, weighting=weighting)


REAL, DAYS, SESSIONS = make(), make(Weighting.DAY), make(Weighting.SESSION)


def local(*parts):
    return datetime(*parts, tzinfo=HCM)


def test_the_2024_swap_and_make_up_saturday():
    assert not REAL.is_working_day(date(2024, 4, 29))  # swapped day off
    assert not REAL.is_working_day(date(2024, 4, 30)) and not REAL.is_working_day(date(2024, 5, 1))
    assert REAL.is_working_day(date(2024, 5, 4))  # make-up Saturday


def test_domain_4_5_due_date_by_sessions_received_in_the_afternoon():
    """e-PAR: received Thu 25/04/2024 14:30, 20 working days, "nhận chiều trả chiều" → 27/05/2024 afternoon."""
    received = local(2024, 4, 25, 14, 30)
    session_end = SESSIONS.at(np.ceil(SESSIONS.clock(received) / 240) * 240)  # the receipt session is not counted
    assert session_end == local(2024, 4, 25, 17, 0)
    due = SESSIONS.at(SESSIONS.clock(session_end) + 20 * 480)
    assert due == local(2024, 5, 27, 17, 0)


def test_domain_4_5_by_hours_keeps_the_time_of_day():
    assert DAYS.add(local(2024, 4, 25, 14, 30), 20 * 480) == local(2024, 5, 27, 14, 30)


def test_domain_4_5_supplement_restart_and_pause_extend():
    restarted = SESSIONS.at(SESSIONS.clock(local(2024, 5, 10, 11, 30)) + 20 * 480)  # complete dossier Fri 10/05 morning
    assert restarted.astimezone(HCM).date() == date(2024, 6, 7)
    extended = DAYS.add(local(2024, 5, 27, 17, 0), 6 * 480)  # 6 working days paused
    assert extended.astimezone(HCM).date() == date(2024, 6, 4)


def test_a_receipt_outside_office_hours_counts_from_the_next_session():
    assert REAL.next_working_instant(local(2024, 4, 26, 18, 0)) == local(2024, 5, 2, 7, 30)
    assert REAL.next_working_instant(local(2024, 5, 2, 12, 0)) == local(2024, 5, 2, 13, 30)
    assert REAL.next_working_instant(local(2024, 5, 2, 9, 0)) == local(2024, 5, 2, 9, 0)
    assert REAL.add(local(2024, 4, 26, 18, 0), 60) == local(2024, 5, 2, 8, 30)


def test_a_deadline_ends_a_session_rather_than_opening_the_next():
    assert REAL.add(local(2024, 5, 2, 7, 30), 240) == local(2024, 5, 2, 11, 30)
    assert REAL.add(local(2024, 5, 2, 7, 30), 450) == local(2024, 5, 2, 17, 0)


def test_working_time_skips_lunch_nights_and_holidays():
    assert REAL.between(local(2024, 4, 26, 11, 0), local(2024, 4, 26, 14, 0)) == 60
    assert REAL.between(local(2024, 4, 26, 16, 0), local(2024, 5, 2, 8, 0)) == 90
    assert DAYS.between(local(2024, 4, 26, 7, 30), local(2024, 5, 2, 7, 30)) == 480


def test_outside_the_table_is_refused():
    with pytest.raises(OutOfRange):
        REAL.clock(local(2030, 1, 1, 8, 0))


def test_a_zone_with_daylight_saving_is_refused():
    with pytest.raises(ValueError):
        WorkingClock(date(2024, 1, 1), date(2024, 12, 31), sessions_of, zone=ZoneInfo("Europe/Paris"))


instants = st.datetimes(min_value=datetime(2023, 2, 1), max_value=datetime(2026, 10, 1)).map(
    lambda naive: naive.replace(tzinfo=HCM, microsecond=0, second=0))


@settings(max_examples=300, deadline=None)
@given(instants, st.integers(min_value=1, max_value=40 * 480))
def test_adding_then_measuring_gives_the_duration_back(start, units):
    for clock in (REAL, DAYS, SESSIONS):
        due = clock.add(start, units)
        assert clock.between(clock.next_working_instant(start), due) == pytest.approx(units, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(instants, instants)
def test_the_clock_never_goes_back(a, b):
    early, late = sorted((a, b))
    assert REAL.clock(early) <= REAL.clock(late)


@settings(max_examples=300, deadline=None)
@given(instants, st.integers(min_value=1, max_value=40 * 480))
def test_a_deadline_never_falls_in_non_working_time(start, units):
    due = DAYS.add(start, units).astimezone(HCM)
    minute = due.hour * 60 + due.minute + (due.second + due.microsecond / 1e6) / 60
    assert REAL.is_working_day(due.date())
    assert any(begin < minute <= end for begin, end in OFFICE)


def test_the_vectorised_clock_equals_the_scalar_one():
    rng = np.random.default_rng(7)
    first = datetime(2023, 2, 1, tzinfo=timezone.utc).timestamp()
    seconds = rng.integers(int(first), int(first) + 3 * 365 * 86400, size=2000)
    vector = REAL.clock_many(seconds)
    scalar = [REAL.clock(datetime.fromtimestamp(int(s), tz=timezone.utc)) for s in seconds]
    assert np.allclose(vector, scalar)
    pairs = REAL.between_many(seconds[:1000], seconds[1000:])
    assert np.allclose(pairs, np.array(scalar[1000:]) - np.array(scalar[:1000]))


def test_the_vectorised_inverse_equals_the_scalar_one():
    rng = np.random.default_rng(11)
    start = REAL.clock(datetime(2023, 3, 1, tzinfo=timezone.utc))
    readings = start + rng.uniform(1, 400_000, size=3000)
    readings[:5] = np.ceil(readings[:5] / 480) * 480  # exact day ends
    vector = REAL.at_many(readings)
    scalar = [REAL.at(float(u)).timestamp() for u in readings]
    assert np.allclose(vector, scalar, atol=1e-5)
