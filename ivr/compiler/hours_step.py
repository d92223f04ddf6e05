"""The `hours` step: a weekly timetable, holidays and exceptions, in a time zone."""

from __future__ import annotations

from datetime import date

from ivr.compiler.context import FileContext
from ivr.compiler.stepsource import StepSource, options_of
from ivr.compiler.zones import load_zone
from ivr.model import HoursStep
from ivr.schedule import Hours, Schedule
from ivr.schedule_parse import parse_holidays, parse_weekly

HOURS_KEYS = ("timezone", "weekly", "holidays", "open", "closed")


def compile_hours(ctx: FileContext, src: StepSource) -> HoursStep | None:
    """`hours:` go to `open` or `closed` depending on the time of the call."""
    fields = options_of(ctx, src, allowed=HOURS_KEYS, required=("weekly", "open", "closed"))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    timezone = fields.text("timezone", ctx.timezone, what="a time zone such as Europe/Paris")
    zone = load_zone(timezone)
    if zone is None:
        ctx.error(fields.mark("timezone"), f'timezone: unknown time zone "{timezone}"', fields.at("timezone"))
    weekly_node = fields.value("weekly")
    weekly = parse_weekly(ctx.diags, weekly_node, fields.at("weekly")) if weekly_node is not None else None
    dated: dict[date, Hours] = {}
    yearly: dict[tuple[int, int], Hours] = {}
    holidays_node = fields.value("holidays")
    if holidays_node is not None:
        parse_holidays(ctx.diags, holidays_node, fields.at("holidays"), dated, yearly)
    open_node = fields.value("open")
    closed_node = fields.value("closed")
    open_target = ctx.target(open_node, fields.at("open")) if open_node is not None else None
    closed_target = ctx.target(closed_node, fields.at("closed")) if closed_node is not None else None
    if (
        zone is None
        or weekly is None
        or open_target is None
        or closed_target is None
        or ctx.diags.error_count() > errors
    ):
        return None
    schedule = Schedule(timezone, zone, weekly, dated, yearly)
    return HoursStep(
        id=src.id, mark=src.mark, next=None, schedule=schedule, open=open_target, closed=closed_target
    )
