"""Capacity: 500 concurrent callers held over FastAGI and 200 agents pulling them into bridges,
in one process, without the simulator falling behind its clock."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from asterisk_sim import Caller, CallRecord, DeviceBehaviour, Simulator
from telephony.ami.message import AmiMessage
from tests.asterisk_sim.helpers import AgiPeer, AmiClient, fastagi, running, sim_config

CALLERS = 500
AGENTS = 200
SPEED = 0.05
DIALPLAN = """
[perf-in]
exten => _X.,1,AGI(agi://127.0.0.1:4573/hold)
 same => n,Hangup()

[perf-connect]
exten => s,1,Bridge(${ACD_CALLER})
 same => n,Hangup()
"""


async def test_500_callers_and_200_agents(tmp_path: Path) -> None:
    held: asyncio.Queue[str] = asyncio.Queue()

    async def daemon(peer: AgiPeer) -> None:
        await peer.send("ANSWER")
        await held.put(peer.env["agi_channel"])
        await peer.send("EXEC MusicOnHold default,600")  # until an agent pulls the caller
        await peer.send("NOOP bridged")

    async with fastagi(daemon) as server:
        config = sim_config(
            tmp_path,
            DIALPLAN,
            speed=SPEED,
            agi_target=("127.0.0.1", server.port),
            devices={"PJSIP/1XXX": DeviceBehaviour.answering(after=0.5, talk=2.0)},
        )
        async with running(config) as sim:
            ami = await AmiClient.connect(sim.ami_port)
            await ami.login(Events="off")
            lags: list[float] = []
            stop = asyncio.Event()

            async def probe() -> None:
                # How late does a 10 ms timer fire while the simulator is busy?
                while not stop.is_set():
                    start = time.monotonic()
                    await asyncio.sleep(0.01)
                    lags.append(time.monotonic() - start - 0.01)

            prober = asyncio.ensure_future(probe())
            started = time.monotonic()
            calls = [
                sim.place_call(Caller(number=f"555{i:04d}", dnis="5000", context="perf-in"))
                for i in range(CALLERS)
            ]
            free = [f"PJSIP/1{n:03d}" for n in range(AGENTS)]
            busy: dict[str, asyncio.Task[None]] = {}

            async def connect(agent: str, caller: str) -> None:
                ami.send(
                    AmiMessage.build(
                        [("Action", "Originate")],
                        Channel=agent,
                        Context="perf-connect",
                        Exten="s",
                        Variable=f"ACD_CALLER={caller}",
                        Async="true",
                    )
                )
                record = await _device_record(sim, agent)
                await record.wait_ended(30)

            for _ in range(CALLERS):
                caller = await asyncio.wait_for(held.get(), 30)
                while not free:
                    done, _ = await asyncio.wait(busy.values(), return_when=asyncio.FIRST_COMPLETED)
                    for agent, task in list(busy.items()):
                        if task in done:
                            del busy[agent]
                            free.append(agent)
                agent = free.pop()
                busy[agent] = asyncio.ensure_future(connect(agent, caller))
            await asyncio.gather(*busy.values())
            await sim.wait_calls_ended(30)
            elapsed = time.monotonic() - started
            stop.set()
            await prober
            await ami.close()
        server.check()
    assert all(call.connected and call.hung_up_by == "peer" for call in calls)
    assert sim.stats.agi_sessions == CALLERS
    assert sim.stats.bridges == CALLERS
    # 500 calls through 200 agents take 3 rounds of ~2.5 simulated seconds: about 0.4 s real
    # at this speed if nothing lags. Allow generous slack for slow CI machines.
    assert elapsed < 15, elapsed
    lags.sort()
    assert lags[len(lags) // 2] < 0.05, lags[len(lags) // 2]


async def _device_record(sim: Simulator, agent: str) -> CallRecord:
    async with asyncio.timeout(30):
        while True:
            for record in reversed(sim.device_calls):
                if record.device == agent and not record.ended:
                    return record
            await asyncio.sleep(0.005)
