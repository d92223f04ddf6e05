"""Time-zone names, checked against the system's zone database."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def load_zone(name: str) -> ZoneInfo | None:
    """The zone called `name` (`Europe/Paris`), or None when the database has no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
