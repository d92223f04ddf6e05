"""Simulated time: every duration the simulator implements runs on this clock.

``speed`` is real seconds per simulated second: ``1.0`` is real time, ``0.05`` runs twenty
times faster. Audio lengths, waits, DTMF timings, AGI command timeouts, Originate timeouts,
caller patience and talk times are all *simulated* seconds and are scaled here, in one
place, so a test at ``speed=0.02`` sees the same sequence of events as a demo at ``1.0``.
Reported values (``endpos``, ``Duration``, uptimes) are in simulated units.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class SimClock:
    """Simulated seconds since the simulator started, scaled from the event loop's clock."""

    def __init__(self, speed: float = 1.0, *, epoch: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        self.speed = speed
        self._loop: asyncio.AbstractEventLoop | None = None
        self._t0 = 0.0
        # Wall-clock time at simulated zero: uniqueids and timestamps derive from it.
        self.epoch = time.time() if epoch is None else epoch

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Bind to the running loop and set simulated zero to now."""
        self._loop = loop or asyncio.get_running_loop()
        self._t0 = self._loop.time()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the clock is bound to."""
        if self._loop is None:
            raise RuntimeError("SimClock.start() was not called")
        return self._loop

    def now(self) -> float:
        """Simulated seconds since start."""
        return (self.loop.time() - self._t0) / self.speed

    def wall(self) -> float:
        """Simulated wall-clock time (epoch seconds), for uniqueids and timestamps."""
        return self.epoch + self.now()

    def real(self, sim_seconds: float) -> float:
        """Real seconds corresponding to a simulated duration."""
        return max(0.0, sim_seconds) * self.speed

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep a simulated duration."""
        await asyncio.sleep(self.real(sim_seconds))

    def call_later(self, sim_seconds: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        """Run ``callback`` after a simulated delay."""
        return self.loop.call_later(self.real(sim_seconds), callback)

    def call_at(self, sim_time: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        """Run ``callback`` at an absolute simulated time (no drift across a long schedule)."""
        return self.loop.call_at(self._t0 + max(0.0, sim_time) * self.speed, callback)
