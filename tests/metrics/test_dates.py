"""--from / --to parsing: ISO dates and times, keywords, time zones; the clock is a parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ivr_acd.report.dates import parse_when

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 5, 11, 20, 0, tzinfo=UTC)  # 2026-05-12 01:30 in India


def ts(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, tz: timezone = UTC
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2026-05-09", False, ts(2026, 5, 9)),
        ("2026-05-09", True, ts(2026, 5, 10)),  # a --to date includes that whole day
        ("2026-05-09T08:30", False, ts(2026, 5, 9, 8, 30)),
        ("2026-05-09 08:30:15", True, ts(2026, 5, 9, 8, 30, 15)),  # a --to time is exclusive, as given
        ("2026-05-09T08:30+02:00", False, ts(2026, 5, 9, 6, 30)),  # an explicit offset wins
        ("2026-05-09T08:30Z", False, ts(2026, 5, 9, 8, 30)),
        ("today", False, ts(2026, 5, 11)),
        ("today", True, ts(2026, 5, 12)),
        ("Yesterday", False, ts(2026, 5, 10)),
        ("yesterday", True, ts(2026, 5, 11)),
        ("now", True, NOW.timestamp()),
    ],
)
def test_values_in_utc(text: str, end: bool, expected: float) -> None:
    assert parse_when(text, tz=UTC, now=NOW, end=end) == expected


def test_dates_and_today_follow_the_report_time_zone() -> None:
    assert parse_when("2026-05-09", tz=IST, now=NOW, end=False) == ts(2026, 5, 9, tz=IST)
    assert parse_when("2026-05-09T08:30", tz=IST, now=NOW, end=False) == ts(2026, 5, 9, 8, 30, tz=IST)
    # at 20:00 UTC it is already the 12th in India
    assert parse_when("today", tz=IST, now=NOW, end=False) == ts(2026, 5, 12, tz=IST)


def test_a_dst_day_ends_at_the_next_midnight_not_24_hours_later() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        paris = zoneinfo.ZoneInfo("Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    start = parse_when("2026-03-29", tz=paris, now=NOW, end=False)
    end = parse_when("2026-03-29", tz=paris, now=NOW, end=True)
    assert end - start == 23 * 3600


@pytest.mark.parametrize(
    ("text", "message"),
    [("2026-02-30", "not a valid date"), ("last week", "not a date or time"), ("", "not a date")],
)
def test_bad_values(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_when(text, tz=UTC, now=NOW, end=False)
