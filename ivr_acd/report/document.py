"""What every renderer receives: the metrics plus how to present them (time zone, source)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from acd.metrics import MetricsReport
from acd.metrics.period import local_datetime


@dataclass(frozen=True)
class ReportDocument:
    """A computed report and the context it is shown in."""

    report: MetricsReport
    tz: tzinfo | None = None
    """Time zone of the displayed times (``None`` = system local time)."""
    source: str = ""
    """Where the records came from (the database path)."""
    generated_at: float | None = None
    """When the report was made (shown in the HTML footer; the CLI passes the clock)."""

    def iso(self, t: float) -> str:
        """``t`` as ISO 8601 local time with its offset, to the second."""
        return local_datetime(t, self.tz).isoformat(timespec="seconds")

    def clock(self, t: float, *, with_date: bool = False) -> str:
        """``t`` as ``HH:MM`` (or ``YYYY-MM-DD HH:MM``) local time."""
        return local_datetime(t, self.tz).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")

    @property
    def zone_name(self) -> str:
        """A name for the display time zone."""
        if self.tz is not None:
            return str(self.tz)
        return "local time"

    def period_text(self) -> str:
        """The period for a title line, e.g. ``2026-05-09 08:00 → 2026-05-09 18:00``."""
        period = self.report.period
        if period.start is None and period.end is None:
            return "all records"
        start = "first record" if period.start is None else self.clock(period.start, with_date=True)
        end = "latest record" if period.end is None else self.clock(period.end, with_date=True)
        return f"{start} → {end}"

    def interval_labels(self) -> list[str]:
        """A label per interval bucket: the clock time, with the date when the report spans days."""
        starts = [i.start for i in self.report.intervals]
        days = {local_datetime(s, self.tz).date() for s in starts}
        return [self.clock(s, with_date=len(days) > 1) for s in starts]
