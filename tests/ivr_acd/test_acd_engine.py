"""The engine task around the pure core: it must share the event loop with the calls."""

from __future__ import annotations

import asyncio

from acd.center.core import CallCenter
from acd.center.messages import CallStarted
from acd.events import CallerInfo
from ivr_acd.acd_engine import YIELD_EVERY, AcdEngine


async def test_a_burst_of_messages_does_not_hold_the_event_loop() -> None:
    engine = AcdEngine(CallCenter({}, []), clock=lambda: 1000.0)
    await engine.start()
    try:
        count = YIELD_EVERY * 10
        for i in range(count):
            caller = CallerInfo(f"c{i}", f"PJSIP/trunk-{i}", f"u{i}", "", "555", "")
            engine.post(CallStarted(f"c{i}", caller, "5000", "main"))
        seen: list[int] = []

        async def other_task() -> None:
            # Runs as soon as the loop gets a chance: while the engine is mid-burst, if it yields.
            for _ in range(5):
                seen.append(engine.handled)
                await asyncio.sleep(0)

        await asyncio.gather(engine.idle(), other_task())
        assert engine.handled == count
        assert any(0 < handled < count for handled in seen), seen
    finally:
        await engine.close()
