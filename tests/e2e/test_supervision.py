"""What supervisors see, end to end: a scripted day in the simulator, then the figures.

One scenario drives the real daemon through the simulator; the daemon runs its AMI listener,
the MQTT bridge (against the suite's mosquitto) and /metrics. Then:

* ``ivr-acd stats --once --json``, run as its own process against the daemon's listener,
  must print figures that agree with what happened (and with the call records the daemon
  stored, which are computed by another path);
* the retained MQTT queue statistics must say the same and validate against their schema,
  and the agent's offer must carry the screen-pop data the dialplan listed;
* /metrics must show the same gauges.

The scenario, in real seconds (simulated time runs 20 times faster): Bruno is paused; a
sales caller talks to Carla until the end; caller A reaches Alice at once; B waits for
Alice (over the 1 s service level); C hangs up after 0.2 s (a short abandon, not an
offered call); Alice pauses for lunch; E gives up after 1 s (an abandon); D is still
waiting when the figures are read. Dan is logged out.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from acd.commands import AgentPause
from acd.records import CallOutcome, CallRecord
from asterisk_sim import Caller, DeviceBehaviour
from tests.e2e.harness import Center, running_center
from tests.mosquitto import Mosquitto
from tests.mqtt.helpers import Recorder, validate_published

ROOT = Path(__file__).resolve().parents[2]
SECRET = "wallboard-secret-0123456789"
SPEED = 0.05
SERVICE_LEVEL = 1.0

DIALPLAN = """\
dialplan: main
numbers: ["5000", "5001"]
steps:
  lookup:
    set: {customer.id: '"C-42"'}
    next: route
  route:
    branch:
      - if: call.dnis == "5001"
        goto: sales
      - else: support
  support:
    queue: {name: support, data: [customer.id]}
    next: bye
  sales:
    queue: {name: sales, data: [customer.id]}
    next: bye
  bye:
    hangup:
"""

QUEUES = """\
queues:
  support: {skills: {support: 1}, service_level: 1, ring_timeout: 4, wrap_up: 0.2, segment: 1, announce: {frequency: 0}}
  sales: {skills: {sales: 1}, service_level: 5, ring_timeout: 4, wrap_up: 0.2, segment: 1, announce: {frequency: 0}}
"""

AGENTS = """\
agents:
  - {id: "1001", name: Alice, device: PJSIP/1001, skills: {support: 3}, login_at_start: true}
  - {id: "1002", name: Bruno, device: PJSIP/1002, skills: {support: 3}, login_at_start: true}
  - {id: "1003", name: Carla, device: PJSIP/1003, skills: {sales: 3}, login_at_start: true}
  - {id: "1004", name: Dan, device: PJSIP/1004, skills: {support: 3}}
"""


def settings_for(broker: Mosquitto, prefix: str) -> str:
    return f"""\
short_abandon: 0.5
supervisor:
  enabled: true
  port: 0
  userevents: false
  users: [{{username: wallboard, secret: {SECRET}, permission: read}}]
mqtt: {{enabled: true, port: {broker.port}, prefix: {prefix}, stats_interval: 1, stats_min_interval: 0.1}}
prometheus: {{port: 0}}
"""


async def run_stats(port: int) -> dict[str, Any]:
    """``ivr-acd stats --once --json`` as a separate process (the secret through the environment)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ivr_acd.cli", "stats", "--ami", f"127.0.0.1:{port}",
        "--user", "wallboard", "--once", "--json", "--timeout", "5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(ROOT),
        env={"IVR_ACD_AMI_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert SECRET not in out.decode() + err.decode()
    document: dict[str, Any] = json.loads(out)
    return document


def fetch_metrics(port: int) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text: str = reply.read().decode()
    return text.splitlines()


async def play_the_scenario(center: Center) -> list[CallRecord]:
    """The day described in the module docstring; returns the four finished support calls."""
    sim = center.sim
    await center.engine.command(AgentPause("1002", True, "training"))
    sales = sim.place_call(Caller(number="5557001", dnis="5001"))
    first = sim.place_call(Caller(number="5551001", talk=30))
    await center.settle(lambda: bool(first.bridged_with) and bool(sales.bridged_with))
    sim.place_call(Caller(number="5551002", talk=30))
    sim.place_call(Caller(number="5551003", patience=4))
    await center.records(3)
    await center.engine.command(AgentPause("1001", True, "lunch"))
    sim.place_call(Caller(number="5551004", patience=20))
    records = await center.records(4)
    sim.place_call(Caller(number="5551005"))
    await center.settle(lambda: center.engine.snapshot().queue("support").waiting == 1)  # type: ignore[union-attr]
    return records


async def test_stats_cli_mqtt_and_metrics_agree_with_a_scripted_day(
    tmp_path: Path, broker: Mosquitto
) -> None:
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    devices = {f"PJSIP/100{n}": DeviceBehaviour.answering(after=0.5) for n in range(1, 5)}
    async with (
        Recorder(broker.port, f"{prefix}/#") as mqtt,
        running_center(
            tmp_path,
            dialplans={"main": DIALPLAN},
            queues=QUEUES,
            agents=AGENTS,
            devices=devices,
            speed=SPEED,
            extra_settings=settings_for(broker, prefix),
        ) as center,
    ):
        records = await play_the_scenario(center)
        assert center.daemon.supervisor is not None and center.daemon.metrics is not None
        stats = await run_stats(center.daemon.supervisor.port)
        metrics = await asyncio.to_thread(fetch_metrics, center.daemon.metrics.port)

        def support_stats() -> dict[str, Any] | None:
            found = [m.json() for m in mqtt.on(f"{prefix}/queue/support/stats")]
            return found[-1] if found and found[-1]["waiting"] == 1 and found[-1]["abandoned"] == 1 else None

        await mqtt.wait_for(lambda: support_stats() is not None)

    # What happened, from the call records the daemon stored.
    by_number = {r.caller_number: r for r in records}
    answered = [by_number["5551001"], by_number["5551002"]]
    assert all(r.outcome is CallOutcome.ANSWERED and r.agent_id == "1001" for r in answered)
    assert by_number["5551003"].outcome is CallOutcome.ABANDONED
    assert by_number["5551004"].outcome is CallOutcome.ABANDONED
    waits = [r.wait_time for r in answered]
    assert None not in waits
    within = sum(1 for w in waits if w is not None and w <= SERVICE_LEVEL)
    asa = sum(w for w in waits if w is not None) / len(waits)
    assert within == 1, f"the scenario expects A within the service level and B over it: {waits}"

    # ivr-acd stats, over AMI.
    queues = {q["name"]: q for q in stats["queues"]}
    support = queues["support"]
    offered = 3  # A, B and E; C hung up before short_abandon
    assert {k: support[k] for k in ("waiting", "staffed", "ready", "on_call", "paused")} == {
        "waiting": 1,
        "staffed": 2,
        "ready": 0,
        "on_call": 0,
        "paused": 2,
    }
    assert support["service_level"] == round(100.0 * within / offered, 1)
    assert support["abandon_rate"] == round(100.0 / offered, 1)
    assert abs(support["asa"] - asa) <= 0.051
    assert 0 <= support["longest_wait"] <= 10
    sales = queues["sales"]
    assert {k: sales[k] for k in ("waiting", "staffed", "on_call", "service_level", "abandon_rate")} == {
        "waiting": 0,
        "staffed": 1,
        "on_call": 1,
        "service_level": 100.0,
        "abandon_rate": 0.0,
    }
    agents = {a["agent_id"]: a for a in stats["agents"]}
    assert {a: (agents[a]["state"], agents[a]["calls"]) for a in agents} == {
        "1001": ("paused", 2),
        "1002": ("paused", 0),
        "1003": ("on_call", 0),
    }  # Dan is logged out: no queue lists him

    # MQTT: the retained statistics say the same, and every payload matches its schema.
    latest = support_stats()
    assert latest is not None
    assert (latest["offered"], latest["answered"], latest["abandoned"], latest["answered_within_sl"]) == (
        offered,
        2,
        1,
        within,
    )
    assert abs(latest["average_hold"] - asa) < 0.01
    for message in mqtt.messages:
        if message.payload:
            validate_published(message.json())
    offers = [m.json() for m in mqtt.on(f"{prefix}/agent/1001/offer")]
    assert [o["caller"]["number"] for o in offers] == ["5551001", "5551002"]
    assert all(o["data"] == {"customer.id": "C-42"} for o in offers)
    states = [m.json()["state"] for m in mqtt.on(f"{prefix}/agent/1001/state")]
    assert states[-1] == "paused"

    # /metrics.
    assert 'ivr_acd_queue_waiting{queue="support"} 1' in metrics
    assert 'ivr_acd_queue_agents_paused{queue="support"} 2' in metrics
    assert 'ivr_acd_queue_offered_total{queue="support"} 5' in metrics  # every join, D included
    assert 'ivr_acd_queue_abandoned_total{queue="support"} 2' in metrics  # C and E hung up
    assert "ivr_acd_mqtt_connected 1" in metrics
