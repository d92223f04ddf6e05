"""Interval buckets aligned on the local wall clock, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import pairwise

import pytest

from acd.metrics import bucket_start, bucket_starts

IST = timezone(timedelta(hours=5, minutes=30))


def at(
    tz: tzinfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    fold: int = 0,
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold).timestamp()


def paris() -> tzinfo:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        return zoneinfo.ZoneInfo("Europe/Paris")  # type: ignore[no-any-return]
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(15, (9, 45)), (30, (9, 30)), (60, (9, 0))],
)
def test_buckets_align_on_the_clock(minutes: int, expected: tuple[int, int]) -> None:
    t = at(UTC, 2026, 5, 11, 9, 52, 17)
    assert bucket_start(t, minutes, UTC) == at(UTC, 2026, 5, 11, *expected)


def test_a_bucket_starts_on_its_own_boundary() -> None:
    t = at(UTC, 2026, 5, 11, 9, 15)
    assert bucket_start(t, 15, UTC) == t
    assert bucket_start(t - 0.001, 15, UTC) == at(UTC, 2026, 5, 11, 9, 0)


def test_hour_buckets_follow_local_time_not_utc() -> None:
    # 09:50 in India (+05:30) is 04:20 UTC: the local hour starts at 09:00 IST = 03:30 UTC.
    t = at(IST, 2026, 5, 11, 9, 50)
    assert bucket_start(t, 60, IST) == at(UTC, 2026, 5, 11, 3, 30)
    assert bucket_start(t, 60, UTC) == at(UTC, 2026, 5, 11, 4, 0)


def test_bucket_starts_are_contiguous_with_empty_gaps() -> None:
    first = at(UTC, 2026, 5, 11, 9, 14)
    last = at(UTC, 2026, 5, 11, 10, 1)
    assert bucket_starts(first, last, 15, UTC) == [
        at(UTC, 2026, 5, 11, h, m) for h, m in [(9, 0), (9, 15), (9, 30), (9, 45), (10, 0)]
    ]
    assert bucket_starts(last, first, 15, UTC) == []


def test_autumn_dst_change_has_two_buckets_for_the_repeated_hour() -> None:
    tz = paris()
    # 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:xx happens twice.
    first = at(tz, 2026, 10, 25, 1, 30)
    last = at(tz, 2026, 10, 25, 3, 30)
    starts = bucket_starts(first, last, 60, tz)
    assert starts == [
        at(tz, 2026, 10, 25, 1, 0),
        at(tz, 2026, 10, 25, 2, 0, fold=0),
        at(tz, 2026, 10, 25, 2, 0, fold=1),
        at(tz, 2026, 10, 25, 3, 0),
    ]
    assert {b - a for a, b in pairwise(starts)} == {3600.0}


def test_spring_dst_change_skips_the_missing_hour() -> None:
    tz = paris()
    # 2026-03-29: 02:00 CET becomes 03:00 CEST; there is no 02:xx.
    starts = bucket_starts(at(tz, 2026, 3, 29, 1, 30), at(tz, 2026, 3, 29, 3, 30), 60, tz)
    assert starts == [at(tz, 2026, 3, 29, 1, 0), at(tz, 2026, 3, 29, 3, 0)]


@pytest.mark.parametrize("minutes", [0, 7, 45, 90])
def test_bucket_size_must_divide_an_hour(minutes: int) -> None:
    with pytest.raises(ValueError, match="divide an hour"):
        bucket_start(0.0, minutes, UTC)
