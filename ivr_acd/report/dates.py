"""``--from`` / ``--to`` values: ISO dates and times, ``today``, ``yesterday``, ``now``.

* ``2026-05-09`` is that day's local midnight; as ``--to`` it means the *end* of that day
  (the next midnight), so ``--from 2026-05-09 --to 2026-05-09`` is the whole day.
* ``2026-05-09T08:30`` / ``2026-05-09 08:30`` is local time unless it carries an offset
  (``+02:00``, ``Z``); as ``--to`` it is exclusive.
* ``today`` / ``yesterday`` are the day (its start for ``--from``, its end for ``--to``);
  ``now`` is the current instant.

"Local" is the report's time zone (``--tz``, default the system's). The current time is a
parameter, so these functions never read the clock themselves.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_when(text: str, *, tz: tzinfo | None, now: datetime, end: bool) -> float:
    """Epoch seconds for a ``--from`` (``end=False``) or ``--to`` (``end=True``) value.

    ``now`` must be aware. Raises ``ValueError`` with a readable message.
    """
    word = text.strip().lower()
    if word == "now":
        return now.timestamp()
    if word in ("today", "yesterday"):
        day = _in_zone(now, tz).date() - timedelta(days=1 if word == "yesterday" else 0)
        return _day_bound(day, tz, end=end)
    if _DATE.fullmatch(word):
        try:
            return _day_bound(date.fromisoformat(word), tz, end=end)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time (try 2026-05-09, 2026-05-09T08:30, today, yesterday or now)"
        ) from None
    return _localise(moment, tz).timestamp()


def _day_bound(day: date, tz: tzinfo | None, *, end: bool) -> float:
    # The next day's midnight, not midnight + 24 h: a DST day has 23 or 25 hours.
    target = day + timedelta(days=1) if end else day
    return _localise(datetime.combine(target, time()), tz).timestamp()


def _localise(moment: datetime, tz: tzinfo | None) -> datetime:
    if moment.tzinfo is not None:
        return moment
    if tz is None:
        return moment.astimezone()  # a naive datetime is read as system local time
    return moment.replace(tzinfo=tz)


def _in_zone(moment: datetime, tz: tzinfo | None) -> datetime:
    return moment.astimezone(tz) if tz is not None else moment.astimezone()
