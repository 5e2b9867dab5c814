"""Durations (``2 business days``) and the business calendars they are measured on.

SLAs in public agencies are counted in working days: a deadline of "3 business days"
set on a Friday before a public holiday lands on Thursday, not Monday. A ``Calendar``
knows its weekend, its public holidays (from the ``holidays`` package) and its time
zone; durations in plain minutes/hours/days ignore it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

__all__ = ["DEFAULT_CALENDAR", "Calendar", "Duration", "DurationError", "parse_duration"]

UNITS = ("minutes", "hours", "days", "business days")
_DURATION = re.compile(
    r"^\s*(?P<amount>\d+)\s+(?P<unit>business\s+days?|minutes?|hours?|days?)\s*$", re.IGNORECASE
)


class DurationError(ValueError):
    """Text that is not a duration; the message says what a valid one looks like."""


@dataclass(frozen=True, slots=True)
class Calendar:
    """A working week plus public holidays, in one time zone.

    ``country``/``subdivision`` select holidays from the ``holidays`` package (for
    example ``US``/``CA``, ``DE``/``BY``); ``None`` means weekends only.
    """

    name: str = "default"
    timezone: str = "UTC"
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))  # Mon=0
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        if day.weekday() in self.weekend or day in self.extra_holidays:
            return False
        if self.country is None:
            return True
        return day not in _holiday_table(self.country, self.subdivision, day.year)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """``start`` moved forward by ``days`` working days, same local time of day.

        Counting starts on the day after ``start``; a start on a weekend or holiday
        counts from the next working day, as a clerk would.
        """
        tz = ZoneInfo(self.timezone)
        local = start.astimezone(tz)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
        return moved.astimezone(UTC)


@lru_cache(maxsize=256)
def _holiday_table(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # Built once per (country, subdivision, year): the hot path is a set lookup.
    table = holidays_pkg.country_holidays(country, subdiv=subdivision, years=[year])
    return frozenset(table.keys())


DEFAULT_CALENDAR = Calendar()


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: str  # one of UNITS
    source: str

    def after(self, start: datetime, calendar: Calendar = DEFAULT_CALENDAR) -> datetime:
        if self.unit == "business days":
            return calendar.add_business_days(start, self.amount)
        return start + timedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        return self.source


def parse_duration(text: object) -> Duration:
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise DurationError(
            f"expected a duration such as '2 business days' or '4 hours', got {text!r}"
        )
    source = str(text)
    match = _DURATION.match(source)
    if match is None:
        raise DurationError(
            f"'{source}' is not a duration: write N minutes|hours|days|business days, "
            "e.g. '2 business days'"
        )
    unit = re.sub(r"\s+", " ", match["unit"].lower())
    if not unit.endswith("s"):
        unit += "s"
    amount = int(match["amount"])
    if amount <= 0:
        raise DurationError(f"'{source}' must be longer than zero")
    return Duration(amount=amount, unit=unit, source=source.strip())
