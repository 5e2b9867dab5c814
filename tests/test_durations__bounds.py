"""Durations are bounded (ten years), and business-day arithmetic over years takes a
few steps instead of a loop over every day, with the same answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.language.durations import MAX_AMOUNT, Calendar, DurationError, parse_duration

US = Calendar(country="US", timezone="America/New_York")


@pytest.mark.parametrize("text", ["4000000 days", "2611 business days", "99999999999999 hours"])
def test_a_duration_over_ten_years__is_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is too long: at most"):
        parse_duration(text)


@pytest.mark.parametrize("unit", list(MAX_AMOUNT))
def test_the_longest_duration__can_be_added(unit: str) -> None:
    duration = parse_duration(f"{MAX_AMOUNT[unit]} {unit}")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    assert duration.after(start, US) > start + timedelta(days=9 * 365)


def day_by_day(calendar: Calendar, start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= calendar.is_business_day(day)
    return day


@pytest.mark.parametrize("days", [1, 4, 5, 11, 12, 63, 250, 261, 777, 2610])
def test_business_days_over_weeks__land_where_counting_day_by_day_lands(days: int) -> None:
    for offset in range(0, 14):  # every weekday, around the holidays of late December
        start = datetime(2026, 12, 14, 14, 0, tzinfo=UTC) + timedelta(days=offset)
        local = ZoneInfo(US.timezone)
        expected = day_by_day(US, start.astimezone(local).date(), days)
        assert US.add_business_days(start, days).astimezone(local).date() == expected
