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

__all__ = [
    "DEFAULT_CALENDAR",
    "MAX_AMOUNT",
    "Calendar",
    "Duration",
    "DurationError",
    "parse_duration",
]

UNITS = ("minutes", "hours", "days", "business days")
MAX_AMOUNT = {  # ten years: no deadline in an agency's workflow is longer
    "minutes": 10 * 366 * 24 * 60,
    "hours": 10 * 366 * 24,
    "days": 10 * 366,
    "business days": 10 * 261,
}
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
        per_week = 7 - len(self.weekend)
        # Whole weeks at a time while many days remain (each week holds per_week
        # working days, less its holidays), then day by day: years of business
        # days cost a few steps, not a loop over every day.
        while per_week > 0 and remaining > 2 * per_week:
            weeks = (remaining - per_week) // per_week
            end = day + timedelta(weeks=weeks)
            remaining -= weeks * per_week - self._holidays_between(day, end)
            day = end
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
        return moved.astimezone(UTC)

    def _holidays_between(self, after: date, until: date) -> int:
        """Working weekdays in ``(after, until]`` that are holidays."""
        days: set[date] = {d for d in self.extra_holidays if after < d <= until}
        if self.country is not None:
            for year in range(after.year, until.year + 1):
                table = _holiday_table(self.country, self.subdivision, year)
                days.update(d for d in table if after < d <= until)
        return sum(1 for d in days if d.weekday() not in self.weekend)


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
    digits = match["amount"].lstrip("0") or "0"
    if len(digits) > 9 or int(digits) > MAX_AMOUNT[unit]:
        raise DurationError(
            f"'{source.strip()}' is too long: at most {MAX_AMOUNT[unit]:,} {unit} (ten years)"
        )
    amount = int(digits)
    if amount <= 0:
        raise DurationError(f"'{source}' must be longer than zero")
    return Duration(amount=amount, unit=unit, source=source.strip())
