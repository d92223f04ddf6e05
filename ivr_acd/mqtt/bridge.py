"""The MQTT bridge: what the daemon constructs, starts, feeds and stops.

    bridge = MqttBridge(config, center)   # center: acd.commands.CenterPort
    await bridge.start()                  # returns at once, broker or not
    ...                                   # bridge.metrics() for /metrics
    await bridge.stop()

:meth:`MqttBridge.on_event` is subscribed to the engine. It only converts the event and
puts the messages in the bounded :class:`~ivr_acd.mqtt.outbox.Outbox`: no I/O, no await, no
lock, whatever the broker is doing. Three named loops run in a TaskGroup behind it:
``mqtt-connection`` (:class:`~ivr_acd.mqtt.connection.BrokerLink`), ``mqtt-stats`` (queue
statistics on change, rate-limited, and periodically) and ``mqtt-report`` (a log line with
the counters, so drops are seen even without /metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from acd.commands import CenterPort
from acd.events import AcdEvent
from ivr_acd.mqtt.commands import CommandDecoder, CommandReply, CommandService
from ivr_acd.mqtt.config import MqttConfig
from ivr_acd.mqtt.connection import BrokerLink, Sleep
from ivr_acd.mqtt.messages import MessageFactory
from ivr_acd.mqtt.outbox import MESSAGE_KINDS, Outbox, OutMessage
from ivr_acd.mqtt.stats import StatsTracker
from ivr_acd.mqtt.topics import Topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttMetrics:
    """Counters since start, for /metrics (suggested names in docs/mqtt.md) and logs."""

    connected: bool
    connections: int
    pending: int
    """Messages waiting in the outbox."""
    published: int
    dropped: Mapping[str, int]
    """Messages lost because the outbox was full, per message kind (every kind present)."""
    superseded: int
    """Retained messages replaced by a newer state before being sent (no information lost)."""
    commands_accepted: int
    commands_refused: int
    event_errors: int
    """Events that could not be converted (a bug; logged with a traceback)."""

    @property
    def dropped_total(self) -> int:
        """All drops, every kind."""
        return sum(self.dropped.values())


class MqttBridge:
    """Publishes the engine's events and statistics, and serves the command topic."""

    def __init__(
        self,
        config: MqttConfig,
        port: CenterPort,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._config = config
        self._port = port
        self._clock = clock
        self._messages = MessageFactory(Topics(config.prefix))
        self._outbox = Outbox(config.queue_size)
        self._stats = StatsTracker()
        self._stats_changed = asyncio.Event()
        self._commands = CommandService(
            port,
            CommandDecoder(config.users, max_age=config.command_max_age, clock=clock),
            self._reply,
            max_concurrent=config.max_concurrent_commands,
        )
        self._link = BrokerLink(
            config,
            self._outbox,
            retained_state=self._retained_state,
            last_will=lambda: self._messages.status(False, self._clock()),
            on_command=self._commands.submit,
            rng=rng,
            sleep=sleep,
        )
        self._event_errors = 0
        self._reported_drops = 0
        self._runner: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Subscribe to the engine and start the background loops; never waits for the broker."""
        if self._runner is not None:
            raise RuntimeError("the MQTT bridge is already started")
        self._unsubscribe = self._port.subscribe(self.on_event)
        self._runner = asyncio.create_task(self._run(), name="mqtt-bridge")
        self._runner.add_done_callback(self._runner_ended)
        log.info(
            "mqtt bridge started host=%s port=%d prefix=%s qos=%d queue_size=%d command_users=%d",
            self._config.host,
            self._config.port,
            self._config.prefix,
            self._config.qos,
            self._config.queue_size,
            len(self._config.users),
        )

    async def stop(self) -> None:
        """Unsubscribe, mark the daemon offline on the broker (best effort), stop the loops."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._link.announce_offline(self._messages.status(False, self._clock()))
        if self._runner is not None:
            self._runner.cancel()
            # return_exceptions collects the runner's own CancelledError; a cancellation
            # of *this* task still propagates out of gather().
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None
        await self._commands.close()
        self._report(final=True)

    def _runner_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("mqtt bridge stopped on an error; nothing more is published", exc_info=task.exception())

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as loops:
            loops.create_task(self._link.run(), name="mqtt-connection")
            loops.create_task(self._stats_loop(), name="mqtt-stats")
            loops.create_task(self._report_loop(), name="mqtt-report")

    # ---------------------------------------------------------------- the engine's side

    def on_event(self, event: AcdEvent) -> None:
        """The engine's event subscriber: converts and enqueues; never waits, never raises."""
        try:
            for message in self._messages.for_event(event):
                self._outbox.put(message)
        except Exception:  # a bug here must never reach call handling; logged, counted
            self._event_errors += 1
            log.exception("mqtt event not published event=%s", type(event).__name__)
        self._stats_changed.set()

    def metrics(self) -> MqttMetrics:
        """The counters now."""
        return MqttMetrics(
            connected=self._link.connected,
            connections=self._link.connections,
            pending=len(self._outbox),
            published=self._link.published,
            dropped={kind: self._outbox.dropped[kind] for kind in MESSAGE_KINDS},
            superseded=self._outbox.superseded,
            commands_accepted=self._commands.accepted,
            commands_refused=self._commands.refused,
            event_errors=self._event_errors,
        )

    # ---------------------------------------------------------------- loops and callbacks

    def _reply(self, reply: CommandReply) -> None:
        self._outbox.put(self._messages.reply(reply, self._clock()))

    def _retained_state(self) -> list[OutMessage]:
        snapshot = self._port.snapshot()
        self._stats.select(snapshot, everything=True)  # now the baseline for change detection
        return self._messages.retained_state(snapshot)

    async def _stats_loop(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            # Wake on the first event after the rate-limit pause, or when the period is up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stats_changed.wait(), timeout=max(0.0, due - loop.time()))
            self._stats_changed.clear()
            everything = loop.time() >= due
            if everything:
                due = loop.time() + self._config.stats_interval
            self._publish_stats(everything=everything)
            await asyncio.sleep(self._config.stats_min_interval)

    def _publish_stats(self, *, everything: bool) -> None:
        try:
            snapshot = self._port.snapshot()
            for queue in self._stats.select(snapshot, everything=everything):
                self._outbox.put(self._messages.queue_stats(queue, snapshot.at))
        except Exception:  # a bug (ours or the engine's) must not stop later statistics; logged
            log.exception("mqtt statistics skipped")

    async def _report_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.report_interval)
            self._report()

    def _report(self, *, final: bool = False) -> None:
        metrics = self.metrics()
        dropped = " ".join(f"dropped_{kind}={count}" for kind, count in metrics.dropped.items() if count)
        level = logging.WARNING if metrics.dropped_total > self._reported_drops else logging.INFO
        self._reported_drops = metrics.dropped_total
        log.log(
            level,
            "mqtt %s connected=%s connections=%d pending=%d published=%d dropped=%d superseded=%d "
            "commands_accepted=%d commands_refused=%d event_errors=%d%s",
            "final" if final else "report",
            metrics.connected,
            metrics.connections,
            metrics.pending,
            metrics.published,
            metrics.dropped_total,
            metrics.superseded,
            metrics.commands_accepted,
            metrics.commands_refused,
            metrics.event_errors,
            f" {dropped}" if dropped else "",
        )
