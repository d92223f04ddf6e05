"""B4's contact centre: the shipped dialplans and queues, a generated roster of 200 agents, a
caller mix for the simulator, and the daemon's settings — all written to a temporary folder.

The shipped ``dialplans/main.yaml`` checks business hours (Europe/Paris); the daemon's clock is
therefore run ahead to the next ordinary Tuesday at 10:00 in Paris (:func:`business_hours_offset`)
so that callers reach the queues whatever the hour of the benchmark.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.processes import AMI_SECRET, ROOT

AGENTS = 200
DEVICE_BASE = 2000
SUPERVISOR_SECRET = "bench-supervisor-0123"  # noqa: S105 (loopback-only, throwaway)
HOLIDAYS = {(1, 1), (5, 1), (7, 14), (12, 24), (12, 25), (12, 31)}
"""Month-days main.yaml closes (or shortens); the chosen day avoids them."""

SCENARIO = """\
# B4's callers and devices (asterisk_sim/scenario_file.py format). bench/sim_host.py keeps the
# requested number of callers on the line, drawing each new caller from these streams with the
# streams' rates as weights; agents' phones answer after 2 s and the callers hang up after 20 s.
speed: 1.0
seed: 7
devices:
  - {match: PJSIP/2XXX, mode: answer, answer_after: 2}
traffic:
  - rate: 4          # English, 1 sales
    count: 1
    caller: {number: 555XXXX, dnis: "0800100200", patience: 600, talk: 20,
             presses: [{digits: "1", after: 0.5}, {digits: "1", after: 0.5}]}
  - rate: 4          # English, 2 support, 1 internet
    count: 1
    caller: {number: 555XXXX, dnis: "0800100200", patience: 600, talk: 20,
             presses: [{digits: "1", after: 0.5}, {digits: "2", after: 0.5}, {digits: "1", after: 0.5}]}
  - rate: 1          # French, 0 for an agent
    count: 1
    caller: {number: 555XXXX, dnis: "0800100200", patience: 600, talk: 20,
             presses: [{digits: "2", after: 0.5}, {digits: "0", after: 0.5}]}
  - rate: 1          # English, 3 billing: an 8-digit Luhn account, confirmed
    count: 1
    caller: {number: 555XXXX, dnis: "0800100200", patience: 600, talk: 20,
             presses: [{digits: "1", after: 0.5}, {digits: "3", after: 0.5},
                       {digits: "79927398", after: 0.5}, {digits: "#", after: 0.3},
                       {digits: "1", after: 0.5}]}
"""


def business_hours_offset(now: float, zone: str = "Europe/Paris") -> float:
    """Seconds to add to ``now`` to land on the next ordinary Tuesday, 10:00 in ``zone``."""
    tz = ZoneInfo(zone)
    day = dt.datetime.fromtimestamp(now, tz).date()
    while True:
        day += dt.timedelta(days=1)
        if day.weekday() == 1 and (day.month, day.day) not in HOLIDAYS:
            break
    target = dt.datetime.combine(day, dt.time(10, 0), tz)
    return target.timestamp() - now


def roster(count: int = AGENTS, seed: int = 3) -> str:
    """``agents:`` YAML: a quarter sales, half support, the rest billing or senior (VIP)."""
    rng = random.Random(seed)
    lines = ["agents:"]
    for index in range(count):
        number = DEVICE_BASE + index
        share = index / count
        if share < 0.25:
            skills = {"sales": rng.randint(2, 5), "english": rng.randint(3, 5)}
        elif share < 0.75:
            skills = {"support": rng.randint(3, 5), "english": rng.randint(3, 5), "french": rng.randint(1, 5)}
        elif share < 0.9:
            skills = {"billing": rng.randint(2, 5), "support": 2, "english": 3, "french": rng.randint(3, 5)}
        else:
            skills = {"support": 5, "sales": 4, "english": 5, "french": 4}
        levels = ", ".join(f"{k}: {v}" for k, v in skills.items())
        lines.append(
            f'  - {{id: "{number}", name: Agent {number}, device: PJSIP/{number}, pin: "{number}",'
            f" skills: {{{levels}}}, login_at_start: true}}"
        )
    return "\n".join(lines) + "\n"


def write(root: Path, ami_port: int) -> Path:
    """Write the settings (shipped dialplans and queues, the roster under ``root``); their path."""
    (root / "agents").mkdir(parents=True, exist_ok=True)
    (root / "agents" / "roster.yaml").write_text(roster())
    settings = root / "ivr-acd.yaml"
    settings.write_text(
        f"""\
fastagi: {{host: 127.0.0.1, port: 0, max_sessions: 2000}}
ami: {{host: 127.0.0.1, port: {ami_port}, username: ivr-acd, secret: {AMI_SECRET}, auth: md5}}
paths:
  dialplans: {ROOT / "dialplans"}
  agents: agents
  queues: {ROOT / "config" / "queues.yaml"}
  database: var/ivr-acd.sqlite
  queue_log: var/queue_log
  recordings: {root / "recordings"}
dialplans: {{default: main}}
timezone: Europe/Paris
supervisor:
  enabled: true
  host: 127.0.0.1
  port: 0
  users: [{{username: supervisor, secret: {SUPERVISOR_SECRET}, permission: read}}]
  userevents: true
  userevent_interval: 30
logging: {{level: INFO}}
drain_timeout: 5
"""
    )
    return settings


def write_scenario(root: Path) -> Path:
    """The caller mix; its path."""
    path = root / "scenario.yaml"
    path.write_text(SCENARIO)
    return path
