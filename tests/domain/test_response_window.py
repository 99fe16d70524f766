"""The provider-response window: working days, weekends, holidays, and when it is open."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_engine.domain.response_window import ResponseWindow, closing_date, is_open

MONDAY = date(2026, 3, 2)
FRIDAY = date(2026, 4, 3)


def test_closing_date_default_is_twenty_working_days():
    assert closing_date(MONDAY) == date(2026, 3, 30)


def test_closing_date_skips_the_weekend():
    assert closing_date(FRIDAY, 1) == date(2026, 4, 6)
    assert closing_date(date(2026, 4, 4), 1) == date(2026, 4, 6)  # sent on a Saturday


def test_closing_date_skips_holidays():
    easter_monday = date(2026, 4, 6)
    assert closing_date(FRIDAY, 1, {easter_monday}) == date(2026, 4, 7)
    assert closing_date(date(2026, 12, 18), 5, {date(2026, 12, 24), date(2026, 12, 25)}) == date(2026, 12, 29)


def test_response_window_custom_weekend():
    window = ResponseWindow(date(2026, 3, 5), 2, weekend=frozenset({4, 5}))  # Thursday; Friday-Saturday weekend
    assert window.closes_on == date(2026, 3, 9)


def test_is_open_boundaries():
    assert [is_open(MONDAY, MONDAY + timedelta(days=n)) for n in (-1, 0, 27, 28, 29)] == [
        False, True, True, True, False]


def test_working_days_left():
    window = ResponseWindow(FRIDAY, 3)  # closes Wednesday 8 April
    assert window.closes_on == date(2026, 4, 8)
    assert [window.working_days_left(FRIDAY + timedelta(days=n)) for n in (-3, 0, 1, 2, 3, 4, 5, 6)] == [
        3, 3, 3, 3, 2, 1, 0, 0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"working_days": 0}, "working_days: must be >= 1"),
        ({"weekend": frozenset(range(7))}, "weekend: must be weekday numbers 0-6, leaving at least one working day"),
        ({"weekend": frozenset({7})}, "weekend: must be weekday numbers 0-6, leaving at least one working day"),
    ],
)
def test_response_window_invalid(changes, message):
    with pytest.raises(ValueError) as error:
        ResponseWindow(MONDAY, **changes)
    assert str(error.value) == message


@given(
    st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    st.integers(1, 40),
    st.frozensets(st.dates(date(2025, 1, 1), date(2028, 6, 30)), max_size=30),
    st.integers(-5, 80),
)
def test_response_window_properties(sent_on, working_days, holidays, offset):
    window = ResponseWindow(sent_on, working_days, holidays)
    closes = window.closes_on
    between = [sent_on + timedelta(days=n) for n in range(1, (closes - sent_on).days + 1)]
    assert window.is_working_day(closes)
    assert sum(map(window.is_working_day, between)) == working_days
    day = sent_on + timedelta(days=offset)
    assert window.is_open(day) == (sent_on <= day <= closes)
    assert is_open(sent_on, day, working_days, holidays) == window.is_open(day)
    assert 0 <= window.working_days_left(day) <= working_days
