"""Checks on digits a caller typed, and how sensitive values are masked in records."""

from __future__ import annotations

from ivr.model import Validation


def luhn_ok(digits: str) -> bool:
    """Whether `digits` (only 0-9, at least two) pass the Luhn checksum used by card numbers."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - ord("0")
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validation_failure(value: str, rules: Validation) -> str | None:
    """Why `value` fails `rules` (a short reason for the path record), or None when it passes."""
    if rules.phone is not None:
        phone = rules.phone
        if not (value.isascii() and value.isdigit()):
            return "phone: digits only"
        if not phone.min_length <= len(value) <= phone.max_length:
            return f"phone: {phone.min_length} to {phone.max_length} digits"
    if rules.luhn and not luhn_ok(value):
        return "luhn: checksum"
    if rules.regex is not None and rules.regex.fullmatch(value) is None:
        return "regex: no match"
    return None


def mask(value: str) -> str:
    """How a sensitive value appears in logs and records: `****` and at most its last two characters.

    Values shorter than six characters keep nothing: two of four digits would say too much.
    """
    return "****" + value[-2:] if len(value) >= 6 else "****"
