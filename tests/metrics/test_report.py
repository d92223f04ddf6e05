"""`ivr-acd report` end to end: a real SQLite file written by RecordWriter, every output format."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from acd.records import AgentInterval, CallbackRecord, CallOutcome, CallRecord
from ivr_acd.report import report_main
from ivr_acd.storage.writer import RecordWriter
from tests.metrics.builders import call
from tests.metrics.day import callbacks, calls, intervals

Record = CallRecord | AgentInterval | CallbackRecord
# The day of tests/metrics/day.py, 09:00–11:00 UTC, 15-minute buckets, SL at 20 s.
PERIOD_ARGS = [
    "--from",
    "2026-05-11T09:00",
    "--to",
    "2026-05-11T11:00",
    "--tz",
    "UTC",
    "--interval",
    "15",
    "--sl",
    "20",
]


def make_db(path: Path, records: list[Record]) -> Path:
    async def write() -> None:
        writer = RecordWriter(path)
        await writer.start()
        await writer.write_many(records)
        await writer.close()

    asyncio.run(write())
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return make_db(tmp_path / "records.sqlite", [*calls(), *intervals(), *callbacks()])


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = report_main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------- text


def test_text_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--db", db, *PERIOD_ARGS)
    assert (status, err) == (0, "")
    for heading in ("OVERALL", "BY QUEUE", "BY INTERVAL (15 min", "BY AGENT", "IVR", "ABANDON TIME PROFILE"):
        assert heading in out
    assert "2026-05-11 09:00 → 2026-05-11 11:00 (UTC)" in out
    assert re.search(r"Offered\s+4\b", out)
    assert re.search(r"Answered\s+3 \(75\.0%\)", out)
    assert re.search(r"Abandoned\s+1 \(25\.0%\)", out)
    assert re.search(r"SL 20s\s+50\.0%", out)
    assert re.search(r"ASA\s+0:15", out)  # (30 + 10 + 5) / 3
    # the queue table: sales has offered 2, answered 1, abandoned 1, 50.0 %
    assert re.search(r"^\s+sales\s+2\s+1\s+1\s+0\s+50\.0%", out, re.M)
    # the interval table lists the empty 09:45 bucket too
    assert re.search(r"^\s+09:45\s+0\s+0\s+0\s+0\s+–", out, re.M)
    assert re.search(r"^\s+a1\s+2\s+0\b", out, re.M)  # a1 handled 2, no RNA


# ---------------------------------------------------------------- csv


def test_csv_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--db", db, *PERIOD_ARGS, "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    by_cut: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_cut.setdefault(row["cut"], []).append(row)
    (overall,) = by_cut["overall"]
    assert (overall["key"], overall["offered"], overall["answered"], overall["abandoned"]) == (
        "all",
        "4",
        "3",
        "1",
    )
    assert overall["start"] == "2026-05-11T09:00:00+00:00"
    assert overall["abandon_rate"] == "0.2500"
    assert overall["sl_20"] == "0.5000"
    assert overall["asa"] == "15.0"
    assert overall["occupancy"] == f"{840 / 3900:.4f}"
    assert [r["key"] for r in by_cut["queue"]] == ["sales", "support"]
    intervals_ = by_cut["interval"]
    assert [r["key"][11:16] for r in intervals_] == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15"]
    assert [r["offered"] for r in intervals_] == ["1", "1", "2", "0", "0", "0"]
    assert intervals_[3]["asa"] == ""  # undefined, not 0
    agents = {r["key"]: r for r in by_cut["agent"]}
    assert agents["a1"]["calls_handled"] == "2"
    assert agents["a1"]["occupancy"] == f"{600 / 1800:.4f}"  # one occupancy column for every cut
    assert agents["a1"]["offered"] == ""  # not a metric of an agent
    assert [r["key"] for r in by_cut["ivr_step"]] == ["welcome"]
    assert sum(int(r["band_abandons"]) for r in by_cut["abandon_band"]) == 2


# ---------------------------------------------------------------- json


def test_json_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--db", db, *PERIOD_ARGS, "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["period"]["from"] == "2026-05-11T09:00:00+00:00"
    assert data["period"]["to"] == "2026-05-11T11:00:00+00:00"
    assert data["interval_minutes"] == 15
    assert data["overall"]["offered"] == 4
    assert data["overall"]["service_levels"] == [
        {
            "threshold": 20.0,
            "answered_within": 2,
            "abandoned_within": 0,
            "level": 0.5,
            "level_with_abandons": 0.5,
        }
    ]
    assert sorted(data["by_queue"]) == ["sales", "support"]
    assert [i["from"][11:16] for i in data["intervals"]] == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
        "10:15",
    ]
    assert data["intervals"][3]["queue"]["asa"] is None
    assert [a["agent_id"] for a in data["agents"]] == ["a1", "b1"]
    assert data["agents"][1]["time_by_state"]["paused"] == 5100.0
    assert data["ivr"]["steps"][0]["step"] == "welcome"
    assert data["abandon_profile"][0]["label"] == "0–5 s"
    assert data["config"]["short_abandon_threshold"] == 5.0


def test_queue_filter(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--db", db, *PERIOD_ARGS, "--format", "json", "--queue", "sales")
    assert status == 0
    data = json.loads(out)
    assert data["queues"] == ["sales"]
    assert list(data["by_queue"]) == ["sales"]
    assert [a["agent_id"] for a in data["agents"]] == ["b1"]
    _, out, _ = run(capsys, "--db", db, *PERIOD_ARGS, "--format", "json", "--queue", "sales,support")
    assert sorted(json.loads(out)["by_queue"]) == ["sales", "support"]


def test_thresholds_and_short_abandon_options(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        *PERIOD_ARGS[:-2],
        "--sl",
        "10,60",
        "--short-abandon",
        "0",
        "--sl-target",
        "90",
        "--format",
        "json",
    ]
    status, out, _ = run(capsys, "--db", db, *argv)
    assert status == 0
    data = json.loads(out)
    assert [s["threshold"] for s in data["overall"]["service_levels"]] == [10.0, 60.0]
    assert data["overall"]["short_abandons"] == 0  # q5 (2 s) is now a counted abandon
    assert data["overall"]["offered"] == 5
    assert data["config"]["service_level_target"] == 0.9


# ---------------------------------------------------------------- html


VOID = {
    "meta",
    "link",
    "br",
    "hr",
    "img",
    "input",
    "col",
    "area",
    "base",
    "wbr",
    "source",
    "track",
    "embed",
    "param",
}


class StrictHTML(HTMLParser):
    """Fails on any end tag that does not close the element open at that point."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.charts: list[list[tuple[str, dict[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "svg":
            self.charts.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if "svg" in self.stack and self.charts:
            self.charts[-1].append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> with nothing open"
        opened = self.stack.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"


def parse(text: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def bars(chart: list[tuple[str, dict[str, str]]], series: str) -> list[tuple[float, float]]:
    """(value, height) of each bar of ``series``."""
    return [
        (float(a["data-value"]), float(a["height"]))
        for tag, a in chart
        if tag == "rect" and "bar" in a.get("class", "").split() and a.get("data-series") == series
    ]


def test_html_report_is_one_self_contained_document(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    status, out, _ = run(capsys, "--db", db, *PERIOD_ARGS, "--format", "html", "--output", target)
    assert (status, out) == (0, "")  # written to the file, nothing on stdout
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    page = parse(text)
    assert [t for t, _ in page.tags].count("svg") == 5  # one per chart
    assert "script" not in {t for t, _ in page.tags}
    assert not [a for _, attrs in page.tags for k, a in attrs.items() if k in ("src", "href")]
    assert set(re.findall(r"https?://[^\s\"')]+", text)) == {"http://www.w3.org/2000/svg"}  # namespace only
    assert "<style>" in text


def test_html_chart_values_come_from_the_data(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    assert run(capsys, "--db", db, *PERIOD_ARGS, "--format", "html", "--output", target)[0] == 0
    page = parse(target.read_text(encoding="utf-8"))
    calls_chart, sl_chart, profile_chart, occupancy_chart, funnel_chart = page.charts
    # Calls per interval: answered 1, 1, 1 in 09:00, 09:15, 09:30; abandoned 1 in 09:30
    answered_bars = bars(calls_chart, "Answered")
    abandoned_bars = bars(calls_chart, "Abandoned")
    assert [v for v, _ in answered_bars] == [1.0, 1.0, 1.0]
    assert [v for v, _ in abandoned_bars] == [1.0]
    heights = [h / v for v, h in answered_bars + abandoned_bars]
    assert max(heights) - min(heights) < 0.01  # the same height per call in every bar
    # Service level per interval (percent): 0, 100, 50, then no calls: no points
    points = [float(a["data-value"]) for t, a in sl_chart if t == "circle" and a.get("class") == "p-sl"]
    assert points == [0.0, 100.0, 50.0]
    (target_line,) = [
        a for t, a in sl_chart if t == "line" and "l-target" in a.get("class", "") and "data-value" in a
    ]
    assert target_line["data-value"] == "80"
    # Abandon profile: the 2 s short abandon and the 60 s abandon
    assert [v for v, _ in bars(profile_chart, "Short abandons")] == [1.0]
    assert [v for v, _ in bars(profile_chart, "Abandons")] == [1.0]
    # Occupancy: a1 1/3, b1 240/2100, in percent
    occupancy = [float(a["data-value"]) for t, a in occupancy_chart if a.get("data-series") == "Occupancy"]
    assert occupancy == pytest.approx([100 * 600 / 1800, 100 * 240 / 2100], abs=1e-3)
    widths = [float(a["width"]) for t, a in occupancy_chart if a.get("data-series") == "Occupancy"]
    assert widths[0] / widths[1] == pytest.approx(occupancy[0] / occupancy[1], rel=1e-3)
    # IVR funnel: one step, entered once, one hang-up
    assert [(a["data-series"], a["data-value"]) for t, a in funnel_chart if "data-series" in a] == [
        ("entered", "1"),
        ("hung up", "1"),
    ]


def test_html_escapes_names_from_the_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "<script>alert('x')</script>"
    db = make_db(
        tmp_path / "evil.sqlite",
        [
            call(
                CallOutcome.ABANDONED,
                queue=evil,
                enqueued_at=1000.0,
                wait=30.0,
                ivr_end_step=evil,
                hangup_by="caller",
            )
        ],
    )
    status, out, _ = run(capsys, "--db", db, "--format", "html", "--tz", "UTC")
    assert status == 0
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    parse(out)


def test_every_format_of_an_empty_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = make_db(tmp_path / "empty.sqlite", [])
    for fmt in ("text", "csv", "json", "html"):
        status, out, err = run(capsys, "--db", db, "--format", fmt)
        assert (status, err) == (0, ""), fmt
        assert out
    status, out, _ = run(capsys, "--db", db, "--format", "html")
    page = parse(out)
    assert [t for t, _ in page.tags].count("svg") == 5  # placeholders say there is no data
    assert "No queued calls in this period" in out
    assert json.loads(run(capsys, "--db", db, "--format", "json")[1])["overall"]["abandon_rate"] is None


def test_whole_days_and_keywords(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "--db", db, "--tz", "UTC", "--from", "2026-05-11", "--to", "2026-05-11", "--format", "json"
    )
    assert status == 0
    assert json.loads(out)["overall"]["calls"] == 8  # the whole day: "before" and "after" too
    status, out, _ = run(capsys, "--db", db, "--tz", "UTC", "--from", "today", "--format", "json")
    assert status == 0
    period = json.loads(out)["period"]
    assert period["from"] == datetime.now(UTC).strftime(
        "%Y-%m-%dT00:00:00+00:00"
    )  # (a test may read the clock)
    assert period["to"] is None


# ---------------------------------------------------------------- errors


def test_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--db", tmp_path / "missing.sqlite")
    assert status == 1
    assert "no such database file" in err
    assert not (tmp_path / "missing.sqlite").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "someday"], "not a date or time"),
        (["--from", "2026-05-12", "--to", "2026-05-11T00:00"], "cannot end before"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--sl", "twenty"], "--sl takes seconds"),
        (["--sl-target", "150"], "fraction"),
        (["--interval", "20"], "invalid choice"),
        (["--format", "pdf"], "invalid choice"),
    ],
)
def test_bad_arguments(db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, out, err = run(capsys, "--db", db, *argv)
    assert status == 2
    assert out == ""
    assert message in err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0
    assert "ivr-acd report" in out
    assert "--interval {15,30,60}" in out


def test_unwritable_output(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--db", db, "--output", tmp_path / "no" / "such" / "dir" / "r.txt")
    assert status == 1
    assert "cannot write" in err
