"""Allotted times as written on the agency's procedures: "0,5 ngày", "14 ngày", "4 giờ" (issue 4)."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processes.durations import compatible, format_duration, parse_amount, to_minutes
from processes.models import TimeUnit

DAYS, HOURS, CALENDAR = TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS, TimeUnit.CALENDAR_DAYS


@pytest.mark.parametrize("text, value", [("0,5", Fraction(1, 2)), ("0.5", Fraction(1, 2)), ("14", 14),
                                         (" 2,50 ", Fraction(5, 2)), (3, 3), (1.5, Fraction(3, 2))])
def test_amounts_accept_the_vietnamese_decimal_comma(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["", "abc", "-1", "1,5,5", "1e3", None, -2])
def test_malformed_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_a_working_day_is_eight_working_hours():
    assert to_minutes("1", DAYS) == to_minutes("8", HOURS) == 480
    assert to_minutes("0,5", DAYS) == to_minutes(4, HOURS)


@pytest.mark.parametrize("amount, unit", [("0,3", DAYS), ("0,25", DAYS), ("0,2", HOURS), ("1,1", CALENDAR)])
def test_amounts_finer_than_half_a_day_or_half_an_hour_are_refused(amount, unit):
    with pytest.raises(ValueError):
        to_minutes(amount, unit)


def test_times_are_printed_as_on_the_forms():
    assert format_duration(240, DAYS) == "0,5 ngày"
    assert format_duration(14 * 480, DAYS) == "14 ngày"
    assert format_duration(20 * 480, DAYS, long=True) == "20 ngày làm việc"
    assert format_duration(270, HOURS) == "4,5 giờ"
    assert format_duration(1200, DAYS) == "2,5 ngày"


def test_calendar_days_never_mix_with_working_time():
    assert compatible(DAYS, HOURS)
    assert not compatible(DAYS, CALENDAR)


@given(st.integers(min_value=0, max_value=2000), st.sampled_from(list(TimeUnit)))
def test_printing_then_parsing_gives_the_same_minutes(halves, unit):
    minutes = halves * unit.grain
    amount = format_duration(minutes, unit).split()[0]
    assert to_minutes(amount, unit) == minutes
