"""``ivr-acd stats``: live queue and agent figures read over AMI.

It logs in to our supervisor listener (127.0.0.1:5039 by default) with the project's
:class:`~telephony.ami.client.AmiClient`, turns events off, and reads ``QueueStatus``: one
action carries app_queue's fields plus our ``Acd…`` figures. Against a plain Asterisk
app_queue (no ``Acd…`` fields) the figures are derived from app_queue's own fields.

The secret comes from ``--secret`` or, better (command lines are visible to every local
user), the ``IVR_ACD_AMI_SECRET`` environment variable. It is never printed.

Exit status: 0 done (or interrupted in live mode), 1 cannot connect / log in / read,
2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TextIO

from telephony.ami.client import AmiClient
from telephony.ami.errors import AmiAuthenticationError, AmiError, AmiLinkError
from telephony.ami.message import AmiMessage, action

SECRET_ENV = "IVR_ACD_AMI_SECRET"  # noqa: S105 - the variable's name, not a secret
DEFAULT_AMI = "127.0.0.1:5039"
CLEAR_SCREEN = "\x1b[H\x1b[2J"

# app_queue's member Status codes, read back into a state name when no AcdState is sent.
_STATUS_NAMES = {
    "0": "unknown",
    "1": "ready",
    "2": "on_call",
    "3": "busy",
    "5": "unavailable",
    "6": "ringing",
}


class StatsError(Exception):
    """Cannot get the figures (connection, login, or an answer we cannot read)."""


@dataclass(frozen=True)
class QueueRow:
    """One queue's figures."""

    name: str
    waiting: int
    longest_wait: int
    staffed: int
    ready: int
    on_call: int
    paused: int
    service_level: float | None
    """Percent of offered calls answered within the threshold, today."""
    abandon_rate: float | None
    asa: float | None
    """Mean wait of answered calls today, seconds."""


@dataclass
class AgentRow:
    """One agent's figures (an agent serving several queues appears once)."""

    agent_id: str
    name: str
    device: str
    state: str
    seconds_in_state: int | None
    calls: int
    queues: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stats:
    """Everything one refresh shows."""

    queues: tuple[QueueRow, ...]
    agents: tuple[AgentRow, ...]


# ---------------------------------------------------------------- reading QueueStatus


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(float(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _member_state(member: AmiMessage) -> str:
    state = member.get("AcdState")
    if state:
        return state
    if member.get("Paused") == "1":
        return "paused"
    return _STATUS_NAMES.get(member.get("Status") or "", "unknown")


def parse_queue_status(items: Sequence[AmiMessage]) -> Stats:
    """Figures from QueueStatus's list items (QueueParams, QueueMember, QueueEntry)."""
    params = [m for m in items if m.name == "QueueParams"]
    members = [m for m in items if m.name == "QueueMember"]
    entries = [m for m in items if m.name == "QueueEntry"]
    queues: list[QueueRow] = []
    for p in params:
        name = p.get("Queue") or ""
        mine = [m for m in members if m.get("Queue") == name]
        waits = [_int(e.get("Wait")) for e in entries if e.get("Queue") == name]
        answered, abandoned = _int(p.get("Completed")), _int(p.get("Abandoned"))
        fallback_abandon = 100.0 * abandoned / (answered + abandoned) if answered + abandoned else None
        sl = p.get("AcdServiceLevel")
        queues.append(
            QueueRow(
                name=name,
                waiting=_int(p.get("Calls")),
                longest_wait=_int(p.get("AcdLongestWait"), max(waits, default=0)),
                staffed=_int(p.get("AcdStaffed"), len(mine)),
                ready=_int(
                    p.get("AcdReady"),
                    sum(m.get("Status") == "1" and m.get("Paused") != "1" for m in mine),
                ),
                on_call=_int(p.get("AcdOnCall"), sum(m.get("InCall") == "1" for m in mine)),
                paused=_int(p.get("AcdPaused"), sum(m.get("Paused") == "1" for m in mine)),
                service_level=_float(sl) if sl is not None else _float(p.get("ServicelevelPerf")),
                abandon_rate=_float(p.get("AcdAbandonRate")) if "AcdAbandonRate" in p else fallback_abandon,
                asa=_float(p.get("AcdAsa")) if "AcdAsa" in p else _float(p.get("Holdtime")),
            )
        )
    agents: dict[str, AgentRow] = {}
    for m in members:
        key = m.get("AcdAgentId") or m.get("Location") or m.get("Name") or ""
        row = agents.get(key)
        if row is None:
            seconds = m.get("AcdStateSeconds")
            row = AgentRow(
                agent_id=key,
                name=m.get("Name") or "",
                device=m.get("Location") or "",
                state=_member_state(m),
                seconds_in_state=_int(seconds) if seconds is not None else None,
                calls=_int(m.get("AcdCallsToday"), 0),
            )
            agents[key] = row
        if "AcdCallsToday" not in m:
            row.calls += _int(m.get("CallsTaken"))  # app_queue counts per queue
        row.queues.append(m.get("Queue") or "")
    return Stats(tuple(queues), tuple(agents.values()))


# ---------------------------------------------------------------- rendering


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return [line(header), *(line(r) for r in rows)]


def render_text(stats: Stats, *, source: str, at: float) -> str:
    """The human table."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))
    lines = [f"ivr-acd stats  {source}  {stamp}", ""]
    queue_rows = [
        [
            q.name,
            str(q.waiting),
            _duration(q.longest_wait),
            str(q.staffed),
            str(q.ready),
            str(q.on_call),
            str(q.paused),
            _percent(q.service_level),
            _percent(q.abandon_rate),
            "-" if q.asa is None else f"{q.asa:.1f}s",
        ]
        for q in stats.queues
    ]
    header = [
        "QUEUE",
        "WAITING",
        "LONGEST",
        "STAFFED",
        "READY",
        "ON CALL",
        "PAUSED",
        "SL %",
        "ABAND %",
        "ASA",
    ]
    lines += _table(header, queue_rows, right=set(range(1, 10)))
    lines.append("")
    agent_rows = [
        [a.agent_id, a.name, a.state, _duration(a.seconds_in_state), str(a.calls), ",".join(a.queues)]
        for a in stats.agents
    ]
    lines += _table(["AGENT", "NAME", "STATE", "IN STATE", "CALLS", "QUEUES"], agent_rows, right={3, 4})
    return "\n".join(lines) + "\n"


def render_json(stats: Stats, *, at: float) -> str:
    """One JSON document (one line)."""
    return json.dumps({"at": at, **asdict(stats)}, ensure_ascii=False)


# ---------------------------------------------------------------- fetching


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) for argparse."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise argparse.ArgumentTypeError(f"expected host:port, got {text!r}")
    return host, int(port_text)


class _DropClientLogs(logging.Filter):
    # The client logs every retry as a warning; this command reports failures itself.
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextlib.contextmanager
def _quiet_client() -> Iterator[None]:
    client_logger = logging.getLogger("telephony.ami.client")
    quiet = _DropClientLogs()
    client_logger.addFilter(quiet)
    try:
        yield
    finally:
        client_logger.removeFilter(quiet)


async def fetch(client: AmiClient) -> Stats:
    """One QueueStatus, read into figures."""
    result = await client.send_action(action("QueueStatus"))
    if not result.ok:
        raise StatsError(f"QueueStatus refused: {result.message or 'no message'}")
    return parse_queue_status(result.events)


async def _session(args: argparse.Namespace, secret: str, out: TextIO) -> int:
    host, port = args.ami
    source = f"{host}:{port}"
    client = AmiClient(
        host,
        port,
        args.user,
        secret,
        auth=args.auth,
        connect_timeout=args.timeout,
        action_timeout=args.timeout,
        ping_interval=None,
        backoff_base=0.2,
        backoff_max=2.0,
    )
    runner = asyncio.create_task(client.run(), name="stats-ami-client")
    try:
        try:
            await client.wait_connected(args.timeout)
        except AmiAuthenticationError:
            raise StatsError(f"login refused by {source} for user {args.user}") from None
        except AmiError:
            raise StatsError(f"cannot reach the AMI listener at {source}") from None
        # Events would only be read and thrown away.
        await client.send_action(action("Events", EventMask="off"))
        while True:
            try:
                stats = await fetch(client)
            except AmiLinkError:
                if args.once:
                    raise
                out.write(f"{CLEAR_SCREEN}connection to {source} lost, reconnecting…\n")
                out.flush()
                await asyncio.sleep(args.interval)
                continue
            now = time.time()
            if args.json:
                out.write(render_json(stats, at=now) + "\n")
            else:
                out.write(("" if args.once else CLEAR_SCREEN) + render_text(stats, source=source, at=now))
            out.flush()
            if args.once:
                return 0
            await asyncio.sleep(args.interval)
    except AmiError as exc:
        raise StatsError(f"{source}: {exc}") from None
    finally:
        await client.close()
        with contextlib.suppress(AmiError):
            await runner


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ivr-acd stats``."""
    parser = argparse.ArgumentParser(
        prog="ivr-acd stats",
        description="Live queue and agent figures, read over AMI (QueueStatus).",
        epilog=f"The secret may come from the {SECRET_ENV} environment variable instead of --secret.",
    )
    parser.add_argument(
        "--ami",
        type=parse_address,
        default=parse_address(DEFAULT_AMI),
        metavar="HOST:PORT",
        help=f"AMI listener (default {DEFAULT_AMI}, ivr-acd's own)",
    )
    parser.add_argument("--user", default="supervisor", help="AMI username (default supervisor)")
    parser.add_argument("--secret", help=f"AMI secret (prefer the {SECRET_ENV} environment variable)")
    parser.add_argument(
        "--auth", choices=("plain", "md5"), default="plain", help="login method (default plain)"
    )
    parser.add_argument("--once", action="store_true", help="print once and exit")
    parser.add_argument(
        "--json", action="store_true", help="machine-readable JSON (one document per refresh)"
    )
    parser.add_argument(
        "--interval", type=float, default=2.0, metavar="S", help="seconds between refreshes (default 2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="connect and answer timeout (default 5)"
    )
    return parser


def stats_main(argv: list[str]) -> int:
    """Run ``ivr-acd stats`` with ``argv`` (without the program and sub-command names)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on errors; we return instead
        return exc.code if isinstance(exc.code, int) else 2
    if not args.interval > 0 or not args.timeout > 0:
        print("ivr-acd stats: --interval and --timeout must be positive", file=sys.stderr)
        return 2
    secret = args.secret or os.environ.get(SECRET_ENV, "")
    if not secret:
        print(f"ivr-acd stats: no secret: use --secret or set {SECRET_ENV}", file=sys.stderr)
        return 2
    try:
        with _quiet_client():
            return asyncio.run(_session(args, secret, sys.stdout))
    except StatsError as exc:
        print(f"ivr-acd stats: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
