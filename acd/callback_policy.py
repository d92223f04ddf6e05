"""A queue's callback policy: when to offer a callback, which numbers to accept, when to call.

```yaml
callback:
  offer: when_wait_exceeds     # never | always | when_wait_exceeds | after_waiting
  wait_exceeds: 120            # offer when the caller's estimated wait is over this (s)
  after_waiting: 60            # or once they have waited this long (s)
  repeat_every: 90             # offer again at most this often (s)
  min_estimate: 30             # never offer when the estimate is shorter than this (s)
  key: "1"
  slots: true                  # offer "as soon as possible" or a later time
  hours:                       # when callbacks can be made (and offered)
    timezone: Europe/Paris
    weekly: {mon-fri: "09:00-18:00"}
    holidays: {"12-25": closed}
  number: {min_length: 8, max_length: 15, prefixes: ["0", "+33"]}
  mode: agent_first            # or customer_first
  customer_ring: 30            # seconds a customer's phone rings
  retry_delay: 120             # seconds between attempts that did not reach the customer
  max_attempts: 3
  window: 14400                # seconds a request stays valid (capped by the end of its day's hours)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import Fields, expect_list, expect_map
from configlang.source import MapNode, ScalarNode
from ivr.schedule import Hours, Schedule
from ivr.schedule_parse import parse_holidays, parse_weekly

OFFER_MODES = ("never", "always", "when_wait_exceeds", "after_waiting")
DIGIT_KEY = re.compile(r"[0-9*#]\Z")
PREFIX = re.compile(r"\+?[0-9]+\Z")


@dataclass(frozen=True)
class NumberRules:
    """Which numbers a callback may be made to."""

    min_length: int = 6
    max_length: int = 15
    prefixes: tuple[str, ...] = ()
    """Allowed beginnings (e.g. national and mobile prefixes); empty: any."""

    def check(self, number: str) -> str | None:
        """None when acceptable, else what is wrong (for logs and replies)."""
        digits = number.removeprefix("+")
        if not digits.isdigit():
            return "a number is digits only"
        if not self.min_length <= len(digits) <= self.max_length:
            return f"a number has {self.min_length} to {self.max_length} digits"
        if self.prefixes and not any(number.startswith(p) for p in self.prefixes):
            return f"numbers must start with {', '.join(self.prefixes)}"
        return None


@dataclass(frozen=True)
class CallbackPolicy:
    """A queue's callback settings (see the module docstring)."""

    offer: str = "never"
    wait_exceeds: float = 120.0
    after_waiting: float = 60.0
    repeat_every: float = 90.0
    min_estimate: float = 30.0
    key: str = "1"
    slots: bool = False
    hours: Schedule | None = None
    number: NumberRules = NumberRules()
    mode: str = "agent_first"
    customer_ring: float = 30.0
    retry_delay: float = 120.0
    max_attempts: int = 3
    window: float = 4 * 3600.0

    @property
    def enabled(self) -> bool:
        """Whether callers of this queue may be called back (offered or requested from outside)."""
        return self.offer != "never"

    def open_at(self, now: float) -> bool:
        """Whether callbacks can be made at ``now`` (always, without hours)."""
        if self.hours is None:
            return True
        return self.hours.is_open(datetime.fromtimestamp(now, self.hours.zone))

    def should_offer(self, waited: float, estimate: float, now: float, last_offer: float | None) -> bool:
        """The offer rule: mode, minimum estimate, repetition and callback hours."""
        if not self.enabled or estimate < self.min_estimate or not self.open_at(now):
            return False
        if last_offer is not None and now - last_offer < self.repeat_every:
            return False
        if self.offer == "when_wait_exceeds":
            return estimate > self.wait_exceeds
        if self.offer == "after_waiting":
            return waited >= self.after_waiting
        return True

    def next_open(self, now: float) -> float | None:
        """The next instant at or after ``now`` when callbacks can be made (None: never, in 14 days)."""
        if self.hours is None:
            return now
        schedule = self.hours
        local = datetime.fromtimestamp(now, schedule.zone)
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            for start, end in schedule.hours_on(day):
                begin = _at(day, start, schedule.zone)
                finish = _at(day, end, schedule.zone)
                if finish.timestamp() > now:
                    return max(now, begin.timestamp())
        return None

    def closes_after(self, now: float) -> float | None:
        """When the opening period that contains ``now`` ends (None without hours or when closed)."""
        if self.hours is None:
            return None
        schedule = self.hours
        local = datetime.fromtimestamp(now, schedule.zone)
        for start, end in schedule.hours_on(local.date()):
            if (
                _at(local.date(), start, schedule.zone).timestamp()
                <= now
                < _at(local.date(), end, schedule.zone).timestamp()
            ):
                return _at(local.date(), end, schedule.zone).timestamp()
        return None

    def slots_after(self, now: float, count: int = 3, step: float = 3600.0) -> list[float]:
        """Later times a caller may pick: the next whole hours within callback hours."""
        found: list[float] = []
        candidate = (int(now // step) + 2) * step  # at least an hour from now
        horizon = now + 7 * 86400
        while len(found) < count and candidate < horizon:
            if self.open_at(candidate):
                found.append(candidate)
            candidate += step
        return found

    def window_end(self, start: float) -> float:
        """When a request made (or due) at ``start`` expires unserved."""
        end = start + self.window
        closes = self.closes_after(start)
        return min(end, closes) if closes is not None else end


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)


_KEYS = (
    "offer", "wait_exceeds", "after_waiting", "repeat_every", "min_estimate", "key", "slots", "hours",
    "number", "mode", "customer_ring", "retry_delay", "max_attempts", "window",
)  # fmt: skip


def parse_callback_policy(node: MapNode, path: DocPath, diags: Diagnostics) -> CallbackPolicy | None:
    """Parse a queue's ``callback:`` mapping; None (with diagnostics) when it has errors."""
    errors = diags.error_count()
    f = Fields(node, path, diags, where="callback", allowed=_KEYS)
    policy = CallbackPolicy(
        offer=f.choice("offer", OFFER_MODES, "when_wait_exceeds"),
        wait_exceeds=f.number("wait_exceeds", 120.0, minimum=0, maximum=86400),
        after_waiting=f.number("after_waiting", 60.0, minimum=0, maximum=86400),
        repeat_every=f.number("repeat_every", 90.0, minimum=1, maximum=86400),
        min_estimate=f.number("min_estimate", 30.0, minimum=0, maximum=86400),
        key=f.text("key", "1", what="one key (0-9, * or #)", pattern=DIGIT_KEY),
        slots=f.boolean("slots", False),
        hours=_hours(f, diags),
        number=_number_rules(f, diags),
        mode=f.choice("mode", ("agent_first", "customer_first"), "agent_first"),
        customer_ring=f.number("customer_ring", 30.0, minimum=3, maximum=300),
        retry_delay=f.number("retry_delay", 120.0, minimum=0, maximum=86400),
        max_attempts=f.integer("max_attempts", 3, minimum=1, maximum=20),
        window=f.number("window", 4 * 3600.0, minimum=1, maximum=14 * 86400),
    )
    return policy if diags.error_count() == errors else None


def _hours(f: Fields, diags: Diagnostics) -> Schedule | None:
    node = f.value("hours")
    if node is None:
        return None
    mapping = expect_map(node, f.at("hours"), diags, "callback hours: {timezone, weekly, holidays}")
    if mapping is None:
        return None
    h = Fields(
        mapping,
        f.at("hours"),
        diags,
        where="callback hours",
        allowed=("timezone", "weekly", "holidays"),
        required=("weekly",),
    )
    timezone = h.text("timezone", "UTC")
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, KeyError):
        diags.error(h.mark("timezone"), f'timezone: unknown time zone "{timezone}"', h.at("timezone"))
        return None
    weekly_node = h.value("weekly")
    weekly = parse_weekly(diags, weekly_node, h.at("weekly")) if weekly_node is not None else None
    dated: dict[date, Hours] = {}
    yearly: dict[tuple[int, int], Hours] = {}
    holidays = h.value("holidays")
    if holidays is not None:
        parse_holidays(diags, holidays, h.at("holidays"), dated, yearly)
    if weekly is None:
        return None
    return Schedule(timezone, zone, weekly, dated, yearly)


def _number_rules(f: Fields, diags: Diagnostics) -> NumberRules:
    node = f.value("number")
    if node is None:
        return NumberRules()
    mapping = expect_map(node, f.at("number"), diags, "{min_length, max_length, prefixes}")
    if mapping is None:
        return NumberRules()
    n = Fields(
        mapping,
        f.at("number"),
        diags,
        where="callback number",
        allowed=("min_length", "max_length", "prefixes"),
    )
    prefixes: list[str] = []
    prefix_node = n.value("prefixes")
    for item, path in (
        expect_list(prefix_node, n.at("prefixes"), diags, "a list of prefixes", allow_single=True)
        if prefix_node is not None
        else None
    ) or []:
        text = item.raw if isinstance(item, ScalarNode) else ""
        if PREFIX.match(text):
            prefixes.append(text)
        else:
            diags.error(item.mark, f"{path.last}: expected a number prefix such as 0 or +33 (quote it)", path)
    rules = NumberRules(
        n.integer("min_length", 6, minimum=1, maximum=20),
        n.integer("max_length", 15, minimum=1, maximum=20),
        tuple(prefixes),
    )
    if rules.min_length > rules.max_length:
        diags.error(mapping.mark, "min_length is larger than max_length", n.path)
    return rules
