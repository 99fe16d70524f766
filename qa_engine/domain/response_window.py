"""The provider-response window: a number of working days after the draft report was sent.

The day the report is sent does not count; weekends and the given holidays are skipped; the window closes at
the end of its last working day. By default 20 working days, Saturday and Sunday off.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_WORKING_DAYS = 20
WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


@dataclass(frozen=True)
class ResponseWindow:
    """When the designer may answer the draft report."""

    sent_on: date
    working_days: int = DEFAULT_WORKING_DAYS
    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = WEEKEND

    def __post_init__(self) -> None:
        if self.working_days < 1:
            raise ValueError("working_days: must be >= 1")
        if len(self.weekend) >= 7 or not self.weekend <= set(range(7)):
            raise ValueError("weekend: must be weekday numbers 0-6, leaving at least one working day")

    @property
    def closes_on(self) -> date:
        """The last day on which the designer may respond."""
        day, counted = self.sent_on, 0
        while counted < self.working_days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return day

    def is_working_day(self, day: date) -> bool:
        """True unless `day` is a weekend day or a holiday."""
        return day.weekday() not in self.weekend and day not in self.holidays

    def is_open(self, day: date) -> bool:
        """True from the sending day to the closing day, both included."""
        return self.sent_on <= day <= self.closes_on

    def working_days_left(self, day: date) -> int:
        """Working days after `day` up to the closing day (0 on the closing day and once closed)."""
        if day < self.sent_on:
            return self.working_days
        return sum(
            self.is_working_day(day + timedelta(days=n)) for n in range(1, (self.closes_on - day).days + 1)
        )


def closing_date(sent_on: date, working_days: int = DEFAULT_WORKING_DAYS, holidays: Collection[date] = ()) -> date:
    """The last day of the response window for a report sent on `sent_on`."""
    return ResponseWindow(sent_on, working_days, frozenset(holidays)).closes_on


def is_open(
    sent_on: date, day: date, working_days: int = DEFAULT_WORKING_DAYS, holidays: Collection[date] = ()
) -> bool:
    """True when a report sent on `sent_on` may still be answered on `day`."""
    return ResponseWindow(sent_on, working_days, frozenset(holidays)).is_open(day)
