"""``ivr-acd demo``: the simulator, the real daemon and a minute of synthetic traffic.

Everything runs on the shipped configuration (``config/``, ``dialplans/``, ``agents/``) with
the daemon's real FastAGI and AMI code over loopback TCP, against the simulated Asterisk.
Simulated callers choose their way through the example contact centre (language, menus,
the billing account number, the suggestion line), wait, take callbacks, hang up when
their patience runs out, answer the post-call survey; simulated agents answer, talk and
hang up; one agent's phone never answers; agents log in and pause from their phones.
The demo prints what happens as it happens, stops by itself, and ends with a summary, the
database, the queue_log and an HTML report under ``var/demo/``.

The example dialplan checks business hours (Europe/Paris); outside them the demo runs
the dialplans' clock at the next opening time so callers reach the queues (records keep
real time) and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import secrets
import shutil
import sys
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from acd import events as ev
from asterisk_sim import Caller, DeviceBehaviour, Mode, Press, Simulator, SimulatorConfig
from asterisk_sim.sounds import SoundTable
from configlang.diagnostics import Diagnostics
from ivr.compiler import compile_paths
from ivr.model import HoursStep
from ivr_acd import logs
from ivr_acd.acd_engine import AcdEngine
from ivr_acd.daemon import ConfigError, Daemon
from ivr_acd.report import report_main
from ivr_acd.settings import (
    AmiSettings,
    FastAgiSettings,
    Settings,
    SupervisorSettings,
    UserSettings,
    load_settings,
)

DEFAULT_CONFIG = Path("config/ivr-acd.yaml")
OUT = Path("var/demo")
CRM_PORT = 8089
DNIS = "0800100200"
CUSTOMERS = {
    "+33612000001": {"name": "Camille Roux", "vip": True, "account": "4539578763621486"},
    "+33612000002": {"name": "Louis Martin", "vip": False, "account": "4556737586899855"},
    "+33612000003": {"name": "Ada Lovelace", "vip": True, "account": "4916338506082832"},
}
ACCOUNT = "4539578763621486"  # passes the Luhn check
SOUNDS = {
    "custom/welcome": 2.5,
    "custom/welcome-short": 1.2,
    "custom/main-menu": 4.0,
    "custom/support-menu": 3.0,
    "custom/enter-account-number": 2.5,
    "custom/callback-offer": 3.0,
    "custom/survey-question": 3.0,
}
OFFER = "custom/callback-offer"
CONFIRM = "custom/callback-1-to-confirm-2-for-another"
SURVEY = "custom/survey-question"


# ---------------------------------------------------------------- the demo CRM


async def _crm(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A tiny CRM for the dialplan's VIP lookup: GET /crm/customers?phone=…"""
    try:
        request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        target = request.split(b" ", 2)[1].decode()
        phone = parse_qs(urlsplit(target).query).get("phone", [""])[0]
        customer = CUSTOMERS.get(phone)
        body = json.dumps(customer).encode() if customer else b'{"error": "unknown"}'
        status = b"200 OK" if customer else b"404 Not Found"
        writer.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body
        )
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, IndexError):
        pass  # a bad request just gets no answer: the lookup's failure branch
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


# ---------------------------------------------------------------- who calls


def _caller(rng: random.Random) -> Caller:
    """One synthetic caller with a plausible script through the example contact centre."""
    french = rng.random() < 0.2
    language = "2" if french else "1"
    number = f"+3361{rng.randrange(1000000, 9999999)}"
    patience = rng.uniform(30, 120)
    talk = rng.uniform(25, 60)
    survey = Press(str(rng.choice([6, 7, 8, 9, 9, 10])) + "#", when=SURVEY, after=1.0)
    roll = rng.random()
    presses: list[str | Press]
    if roll < 0.07:  # a VIP the CRM knows: straight to the VIP queue
        number = rng.choice([n for n, c in CUSTOMERS.items() if c["vip"]])
        presses = [language]
    elif roll < 0.30:
        presses = [language, "1", survey]  # sales
    elif roll < 0.58:
        presses = [language, "2", rng.choice(["1", "2"]), survey]  # support, with its sub-menu
        if rng.random() < 0.4:  # takes the callback offer and confirms the caller ID
            presses = [language, "2", "1", Press("1", when=OFFER), Press("1", when=CONFIRM)]
    elif roll < 0.72:
        presses = [language, "3", Press(ACCOUNT + "#", after=1.0), "1"]  # billing, Luhn-checked
    elif roll < 0.80:
        presses = [language, "0", survey]  # 0 for an agent
    elif roll < 0.88:
        presses = [language, "4", rng.choice(["1", "2", "3"]), survey]  # suggestion line
    else:
        presses = [language]  # hangs up in the main menu
        patience = rng.uniform(6, 15)
    return Caller(
        number=number, name="", dnis=DNIS, presses=presses, patience=patience, talk=talk, speech=4.0
    )


def _devices(rng: random.Random) -> dict[str, DeviceBehaviour]:
    devices = {
        f"PJSIP/100{i}": DeviceBehaviour.answering(after=rng.uniform(1.5, 4.0), talk=rng.uniform(30, 70))
        for i in range(1, 9)
    }
    devices["PJSIP/1007"] = DeviceBehaviour(mode=Mode.NOANSWER)  # rings out: no answer, auto-paused
    devices["PJSIP/_X.@trunk"] = DeviceBehaviour.answering(after=3.0, talk=40.0)  # customers called back
    return devices


# ---------------------------------------------------------------- live view


class LiveView:
    """Prints the contact centre every few seconds and a line per notable event."""

    def __init__(self, engine: AcdEngine, started: float) -> None:
        self._engine = engine
        self._started = started
        self._ticker: deque[str] = deque(maxlen=8)
        self.counts = {"joined": 0, "answered": 0, "abandoned": 0, "callbacks": 0}
        self._tty = sys.stdout.isatty()

    def on_event(self, event: ev.AcdEvent) -> None:
        """The engine's subscriber: one short line per event worth telling."""
        stamp = datetime.fromtimestamp(event.at).strftime("%H:%M:%S")
        line: str | None = None
        match event:
            case ev.CallJoined() if not event.is_callback:
                self.counts["joined"] += 1
                wait = "?" if event.estimated_wait is None else f"~{event.estimated_wait:.0f}s"
                line = f"{event.caller.number} joined {event.queue} at position {event.position} (estimate {wait})"
            case ev.AgentConnected():
                self.counts["answered"] += 1
                line = f"{event.agent.name} answered {event.caller.number or 'a callback'} in {event.queue} after {event.hold_time:.0f}s"
            case ev.CallAbandoned():
                self.counts["abandoned"] += 1
                line = f"{event.caller.number} hung up in {event.queue} after {event.hold_time:.0f}s"
            case ev.AgentRingNoAnswer():
                line = f"{event.agent.name} did not answer ({event.outcome}); next agent"
            case ev.CallbackChanged():
                if event.status == "pending":
                    self.counts["callbacks"] += 1
                line = f"callback {event.number} in {event.queue}: {event.status}"
            case ev.AgentStateChanged() if (
                event.new_state in ("paused", "logged_out") or event.old_state == "logged_out"
            ):
                reason = f" ({event.reason})" if event.reason else ""
                line = f"{event.agent.name}: {event.old_state} -> {event.new_state}{reason}"
        if line is not None:
            entry = f"{stamp}  {line}"
            self._ticker.append(entry)
            if not self._tty:
                print(entry, flush=True)

    def render(self, now: float) -> None:
        """One screen (a terminal) or one status line (a pipe)."""
        snapshot = self._engine.snapshot()
        elapsed = now - self._started
        if not self._tty:
            busy = sum(1 for a in snapshot.agents if a.state in ("on_call", "ringing", "reserved"))
            waiting = sum(q.waiting for q in snapshot.queues)
            print(
                f"[{elapsed:4.0f}s] waiting={waiting} agents on calls={busy} "
                + " ".join(f"{k}={v}" for k, v in self.counts.items()),
                flush=True,
            )
            return
        lines = [
            f"\x1b[2J\x1b[Hivr-acd demo — {elapsed:.0f}s    "
            + "  ".join(f"{k}: {v}" for k, v in self.counts.items()),
            "",
        ]
        lines.append(
            f"{'queue':<9}{'waiting':>8}{'longest':>9}{'ready':>7}{'on call':>9}{'paused':>8}{'answered':>10}{'abandoned':>11}"
        )
        for q in snapshot.queues:
            lines.append(
                f"{q.name:<9}{q.waiting:>8}{q.longest_wait:>8.0f}s{q.ready:>7}{q.on_call:>9}{q.paused:>8}{q.answered:>10}{q.abandoned:>11}"
            )
        lines.append("")
        for a in snapshot.agents:
            reason = f" ({a.pause_reason})" if a.pause_reason else ""
            lines.append(
                f"  {a.name:<16}{a.state + reason:<24}{now - a.state_since:>5.0f}s  calls {a.calls_today}"
            )
        lines += ["", *self._ticker]
        print("\n".join(lines), flush=True)


# ---------------------------------------------------------------- running it


def _open_time(daemon_config: Settings, now: float) -> tuple[float, ZoneInfo]:
    """The next instant the example dialplan's hours are open (``now`` if they are), and their zone."""
    compiled = compile_paths([daemon_config.dialplans])
    plan = compiled.dialplans.get(daemon_config.default_dialplan)
    hours = [s for s in plan.steps.values() if isinstance(s, HoursStep)] if plan else []
    if not hours:
        return now, ZoneInfo("UTC")
    schedule = hours[0].schedule
    probe = now
    for _step in range(7 * 24 * 12):
        if schedule.is_open(datetime.fromtimestamp(probe, UTC)):
            # well inside the opening, not at its edge
            return (probe if probe == now else probe + 600), schedule.zone
        probe += 300
    return now, schedule.zone


async def _feature_code(sim: Simulator, phone: str, code: str, *presses: str) -> None:
    call = sim.place_call(
        Caller(number=phone, dnis=code, context="ivr-acd-agent-features", trunk=phone, presses=presses)
    )
    await call.wait_ended(60)


async def run_demo(duration: float, rate: float, seed: int, config: Path) -> int:
    """The whole demo; returns the exit code."""
    rng = random.Random(seed)
    diags = Diagnostics()
    base = load_settings(config, diags, str(config), resolve_secrets=False)
    if base is None:
        for diagnostic in diags:
            print(diagnostic.format(), file=sys.stderr)
        return 2
    ami_secret = secrets.token_urlsafe(24)
    supervisor_secret = secrets.token_urlsafe(18)
    sim = Simulator(
        SimulatorConfig(
            speed=1.0,
            ami_users={"ivr-acd": ami_secret},
            recordings_dir=OUT / "recordings",
            devices=_devices(rng),
            sounds=SoundTable.with_overrides(SOUNDS, default=1.5),
        )
    )
    await sim.start()
    settings = dataclasses.replace(
        base,
        fastagi=FastAgiSettings(port=0),
        ami=AmiSettings(port=sim.ami_port, username="ivr-acd", secret=ami_secret, auth="md5"),
        database=OUT / "ivr-acd.sqlite",
        queue_log=OUT / "queue_log",
        recordings=str((OUT / "recordings").resolve()),
        supervisor=SupervisorSettings(
            enabled=True,
            port=0,
            users=(UserSettings("demo", supervisor_secret, "control"),),
            userevent_interval=10,
        ),
        drain_timeout=3,
    )
    now = time.time()
    opening, zone = _open_time(settings, now)
    offset = opening - now
    daemon = Daemon(
        settings, rng=random.Random(seed), dialplan_clock=(lambda: time.time() + offset) if offset else None
    )
    crm: asyncio.Server | None = None
    with contextlib.suppress(OSError):
        crm = await asyncio.start_server(_crm, "127.0.0.1", CRM_PORT)
    try:
        try:
            await daemon.start()
        except ConfigError as exc:
            for diagnostic in exc.diagnostics:
                print(diagnostic.format(), file=sys.stderr)
            return 2
        assert daemon.fastagi is not None and daemon.engine is not None and daemon.ami is not None
        sim.set_agi_target("127.0.0.1", daemon.fastagi.port)
        await daemon.ami.wait_connected(10)
        listener = daemon.supervisor
        print(
            f"ivr-acd demo: {duration:.0f} s of traffic, about {rate:.0f} calls a minute, on the shipped configuration"
        )
        if offset:
            print(
                f"  (outside business hours: the dialplans see {datetime.fromtimestamp(opening, zone).strftime('%a %H:%M %Z')},"
                " records keep real time)"
            )
        if listener is not None:
            print(
                f"  supervisor AMI on 127.0.0.1:{listener.port}: ivr-acd stats --ami 127.0.0.1:{listener.port} --user demo --secret {supervisor_secret}"
            )
        if crm is None:
            print(f"  (port {CRM_PORT} busy: the CRM lookup will take its failure branch)")
        view = LiveView(daemon.engine, time.time())
        unsubscribe = daemon.engine.subscribe(view.on_event)
        await _traffic(sim, view, duration, rate, rng)
        code = await _finish(daemon, sim, view)
        unsubscribe()
        return code
    finally:
        await daemon.stop(drain_timeout=3)
        await sim.stop()
        if crm is not None:
            crm.close()
            await crm.wait_closed()


async def _traffic(sim: Simulator, view: LiveView, duration: float, rate: float, rng: random.Random) -> None:
    started = time.time()
    next_render = started
    next_call = started
    features = [
        (15.0, ("1008", "*50", "1008#", "1008#")),  # Hugo logs in from his phone
        (30.0, ("1004", "*52", "2#")),  # Dmitri goes to lunch
        (48.0, ("1004", "*53")),  # …and is back
    ]
    pending: set[asyncio.Task[None]] = set()
    while (now := time.time()) - started < duration:
        if now >= next_call:
            sim.place_call(_caller(rng))
            next_call = now + rng.expovariate(rate / 60.0)
        while features and now - started >= features[0][0]:
            _, args = features.pop(0)
            task = asyncio.create_task(_feature_code(sim, *args))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if now >= next_render:
            view.render(now)
            next_render = now + 2.0
        await asyncio.sleep(0.1)
    view.render(time.time())
    await asyncio.gather(*pending, return_exceptions=True)


async def _finish(daemon: Daemon, sim: Simulator, view: LiveView, drain: float = 12.0) -> int:
    print("\nno more new calls; letting the calls in progress finish for a few seconds…", flush=True)
    deadline = time.time() + drain
    while time.time() < deadline and any(call.ended_at is None for call in sim.calls):
        await asyncio.sleep(1.0)
        view.render(time.time())
    await daemon.stop(drain_timeout=3)
    await sim.stop()
    return 0


def _summary(database: Path, queue_log: Path | None) -> None:
    """The metrics of the run, as text, and the HTML report beside the database."""
    print()
    report_main(["--db", str(database), "--format", "text"])
    report_main(["--db", str(database), "--format", "html", "--output", str(OUT / "report.html")])
    print(f"\nLeft behind: {database}, {queue_log}, {OUT / 'report.html'}")
    print(f"Explore: ivr-acd report --db {database} --format html --output report.html")


def demo_main(argv: list[str]) -> int:
    """``ivr-acd demo``."""
    parser = argparse.ArgumentParser(
        prog="ivr-acd demo", description="Simulator + daemon + synthetic traffic."
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=50.0,
        help="seconds of new calls, then a few seconds for calls in progress (default: %(default)s)",
    )
    parser.add_argument("--rate", type=float, default=40.0, help="calls a minute (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG, help="daemon settings (default: %(default)s)"
    )
    parser.add_argument("--log-level", default="WARNING", help="daemon log level (default: %(default)s)")
    args = parser.parse_args(argv)
    logs.setup(args.log_level)
    # A fresh output folder, so the summary and report describe this run only.
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    code = asyncio.run(run_demo(args.duration, args.rate, args.seed, args.config))
    if code == 0:
        _summary(OUT / "ivr-acd.sqlite", OUT / "queue_log")
    return code
