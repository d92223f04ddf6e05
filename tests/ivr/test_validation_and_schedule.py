"""Pure helpers: Luhn, phone, masking, and schedules."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.model import PhoneRule, Validation
from ivr.schedule import Schedule, format_minutes
from ivr.validation import luhn_ok, mask, validation_failure


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("79927398713", True),
        ("4111111111111111", True),
        ("79927398710", False),
        ("0", False),
        ("12a4", False),
        ("", False),
        ("00", True),
    ],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


def test_every_rule_given_must_hold() -> None:
    rules = Validation(regex=re.compile(r"4[0-9]+"), luhn=True, phone=PhoneRule(8, 16))
    assert validation_failure("4111111111111111", rules) is None
    assert validation_failure("4111111111111112", rules) == "luhn: checksum"
    assert validation_failure("79927398713", rules) == "regex: no match"
    assert validation_failure("4111", rules) == "phone: 8 to 16 digits"
    assert validation_failure("4111*111", rules) == "phone: digits only"
    assert validation_failure("anything", Validation()) is None


def test_mask_keeps_at_most_two_characters() -> None:
    assert mask("79927398713") == "****13"
    assert mask("123456") == "****56"
    assert mask("12345") == "****"


def test_schedule_exceptions_win_over_the_week() -> None:
    zone = ZoneInfo("Europe/Paris")
    nine_to_five = ((540, 1020),)
    schedule = Schedule(
        "Europe/Paris", zone, (nine_to_five,) * 5 + ((), ()), {date(2025, 6, 3): ()}, {(6, 2): ((600, 660),)}
    )
    assert schedule.hours_on(date(2025, 6, 3)) == ()
    assert schedule.hours_on(date(2025, 6, 2)) == ((600, 660),)
    assert schedule.hours_on(date(2025, 6, 4)) == nine_to_five
    assert schedule.is_open(datetime(2025, 6, 4, 7, 0, tzinfo=UTC))  # 09:00 in Paris
    assert not schedule.is_open(datetime(2025, 6, 4, 15, 0, tzinfo=UTC))  # 17:00 in Paris
    assert format_minutes(1440) == "24:00"
