"""The ivr-acd daemon: wires the adapters around the ACD engine and the dialplans.

Start-up order matters: configuration first (a broken file stops the start with every
error listed), then the database (a database from a newer ivr-acd stops it too), the ACD
engine, the AMI link (its resync hook tells the engine which channels exist), and only then
the FastAGI server, so no call arrives before the daemon can handle it.

Signals: SIGHUP reloads every configuration file; if any has an error the set in force
stays and the errors are logged (calls in progress always finish on the dialplans they
started with). SIGTERM/SIGINT drain: no new FastAGI session is accepted (Asterisk's
dialplan sends those callers to the fallback), calls in progress get ``drain_timeout``
seconds, then everything is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from acd.center.core import CallCenter
from acd.center.messages import CallbackCustomerArrived, CallStarted, IvrFinished, LoadCallbacks, Reconfigure
from acd.events import CallerInfo
from acd.records import CallbackStatus, RecordingRecord
from configlang.diagnostics import Diagnostic
from ivr.interpreter.actions import (
    BookCallback,
    CallbackResult,
    Enqueue,
    Finished,
    HttpRequest,
    HttpResult,
    QueueResult,
)
from ivr.interpreter.machine import Machine
from ivr.runner import DONE_VARIABLE, CallContext, DialplanRunner, RecordingSaved
from ivr_acd import logs
from ivr_acd.acd_engine import AcdEngine
from ivr_acd.agent_features import AgentFeatures
from ivr_acd.callback_offer import CallbackOffer, book_callback
from ivr_acd.config_set import ConfigSet, load_config_set
from ivr_acd.http_lookup import fetch_json
from ivr_acd.in_queue import InQueue
from ivr_acd.mqtt import MqttBridge
from ivr_acd.prometheus import MetricsServer
from ivr_acd.queue_log_file import QueueLogFile
from ivr_acd.settings import Settings
from ivr_acd.storage.reader import RecordReader
from ivr_acd.storage.rows import Record
from ivr_acd.storage.writer import RecordWriter
from ivr_acd.supervisor.config import AmiUser, ListenerConfig, Permission
from ivr_acd.supervisor.listener import AmiListener
from ivr_acd.supervisor.userevents import QueueStatsPublisher
from telephony.agi import commands
from telephony.agi.channel import AgiChannel, AgiHangup
from telephony.agi.environment import AgiEnvironment
from telephony.agi.server import FastAgiServer, Handler
from telephony.ami.client import AmiClient

log = logging.getLogger(__name__)

CALLBACK_WHISPER = "custom/callback-whisper"
CALLBACK_HELLO = "custom/callback-hello"
RESUMABLE = frozenset({CallbackStatus.PENDING, CallbackStatus.DIALLING, CallbackStatus.RETRY_WAIT})


class ConfigError(RuntimeError):
    """The configuration has errors; ``diagnostics`` lists them all."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} configuration error(s)")
        self.diagnostics = diagnostics


@dataclass
class Runtime:
    """Things a running daemon exposes (tests, the demo, the benchmarks)."""

    fastagi_port: int
    engine: AcdEngine
    writer: RecordWriter


class Daemon:
    """One ivr-acd process."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_commit: Callable[[list[Record]], None] | None = None,
        dialplan_clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._dialplan_clock = dialplan_clock
        self._rng = rng or random.Random()
        self._on_commit = on_commit
        self.config: ConfigSet | None = None
        self.engine: AcdEngine | None = None
        self.writer: RecordWriter | None = None
        self.fastagi: FastAgiServer | None = None
        self.ami: AmiClient | None = None
        self._queue_log: QueueLogFile | None = None
        self._ami_task: asyncio.Task[None] | None = None
        self._features: AgentFeatures | None = None
        self._stopping = asyncio.Event()
        self._extra_closers: list[Callable[[], Any]] = []
        self.supervisor: AmiListener | None = None
        self.mqtt: MqttBridge | None = None
        self.metrics: MetricsServer | None = None

    # ================================================================ lifecycle

    async def start(self) -> None:
        """Load, open and start everything; raises :class:`ConfigError` on a broken configuration."""
        settings = self.settings
        logs.REDACTOR.set_secrets(settings.secrets())
        config, diagnostics = load_config_set(settings)
        for diagnostic in diagnostics:
            log.warning("config %s", diagnostic.format())
        if config is None:
            raise ConfigError(diagnostics)
        self.config = config
        self.writer = RecordWriter(settings.database, on_commit=self._on_commit)
        await self.writer.start()
        if settings.queue_log is not None:
            self._queue_log = QueueLogFile(settings.queue_log)
            self._queue_log.open()
        core = CallCenter(
            config.queues,
            config.agents,
            timezone=settings.timezone,
            instance=f"acd{int(self._clock()) % 100000000}",
            callback_dial=settings.callback_dial,
            callback_caller_id=settings.callback_caller_id,
            short_abandon=settings.short_abandon,
        )
        self.ami = AmiClient(
            settings.ami.host,
            settings.ami.port,
            settings.ami.username,
            settings.ami.secret,
            auth="md5" if settings.ami.auth == "md5" else "plain",
            ping_interval=settings.ami.ping_interval,
            action_timeout=settings.ami.action_timeout,
            rng=self._rng,
            on_connect=self._resync,
            events=settings.ami.events,
        )
        self.engine = AcdEngine(
            core, ami=self.ami, records=self.writer, queue_log=self._queue_log, clock=self._clock
        )
        engine = self.engine
        self.ami.add_event_handler(engine.on_ami_event)
        await engine.start()
        await self._load_callbacks(engine)
        self._ami_task = asyncio.create_task(self._run_ami(), name="ami-client")
        self._features = AgentFeatures(
            lambda: self.config.roster if self.config else {},
            core.agent_by_device,
            engine.command,
            settings.pause_reasons,
        )
        self.fastagi = FastAgiServer(
            self.route,
            host=settings.fastagi.host,
            port=settings.fastagi.port,
            header_timeout=settings.fastagi.header_timeout,
            max_sessions=settings.fastagi.max_sessions,
        )
        await self._start_supervision(engine)
        await self.fastagi.start()
        log.info(
            "daemon started fastagi=%s:%s ami=%s:%s dialplans=%d queues=%d agents=%d",
            settings.fastagi.host,
            self.fastagi.port,
            settings.ami.host,
            settings.ami.port,
            len(config.dialplans),
            len(config.queues),
            len(config.agents),
        )

    async def _start_supervision(self, engine: AcdEngine) -> None:
        """Our AMI listener, the UserEvents through Asterisk, MQTT and /metrics, as configured."""
        settings = self.settings
        users = tuple(
            AmiUser(u.username, u.secret, Permission(u.permission)) for u in settings.supervisor.users
        )
        if settings.supervisor.enabled:
            listener = AmiListener(
                engine,
                ListenerConfig(users, host=settings.supervisor.host, port=settings.supervisor.port),
                clock=self._clock,
            )
            await listener.start()
            self.supervisor = listener
            self.add_closer(listener.close)
            log.info(
                "supervisor ami listening host=%s port=%s users=%d",
                settings.supervisor.host,
                listener.port,
                len(users),
            )
        if settings.supervisor.userevents and self.ami is not None:
            publisher = QueueStatsPublisher(self.ami, engine, interval=settings.supervisor.userevent_interval)
            self._spawn_service(publisher.run(), "ami-userevents")
        if settings.mqtt.enabled:
            bridge = MqttBridge(
                settings.mqtt_config(),
                engine,
            )
            await bridge.start()
            self.mqtt = bridge
            self.add_closer(bridge.stop)
        if settings.prometheus_port is not None:
            metrics = MetricsServer(
                engine,
                host=settings.prometheus_host,
                port=settings.prometheus_port,
                mqtt=self.mqtt.metrics if self.mqtt is not None else None,
            )
            await metrics.start()
            self.metrics = metrics
            self.add_closer(metrics.close)
            log.info("prometheus listening host=%s port=%s", settings.prometheus_host, metrics.port)

    def _spawn_service(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)

        async def cancel() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        self.add_closer(cancel)

    async def _load_callbacks(self, engine: AcdEngine) -> None:
        """Callbacks still pending from before a restart come back, keeping their place."""
        async with RecordReader(self.settings.database) as reader:
            records = await reader.callbacks()
        pending = tuple(r for r in records if r.status in RESUMABLE)
        if pending:
            log.info("callbacks reloaded count=%d", len(pending))
            engine.post(LoadCallbacks(pending))

    async def _resync(self, client: AmiClient) -> None:
        if self.engine is not None:
            await self.engine.resync(client)

    async def _run_ami(self) -> None:
        assert self.ami is not None
        try:
            await self.ami.run()
        except Exception:
            # A refused login is fatal: stop the daemon rather than run deaf to AMI.
            log.exception("ami link failed for good; stopping")
            self._stopping.set()

    def add_closer(self, closer: Callable[[], Any]) -> None:
        """Something to close (awaited if it returns an awaitable) when the daemon stops."""
        self._extra_closers.append(closer)

    @property
    def runtime(self) -> Runtime:
        """Ports and handles of a started daemon."""
        assert self.fastagi is not None and self.engine is not None and self.writer is not None
        return Runtime(self.fastagi.port, self.engine, self.writer)

    async def stop(self, drain_timeout: float | None = None) -> None:
        """Drain calls in progress, then close everything (idempotent)."""
        timeout = self.settings.drain_timeout if drain_timeout is None else drain_timeout
        if self.fastagi is not None:
            log.info("daemon draining sessions=%d timeout=%s", self.fastagi.active_sessions, timeout)
            await self.fastagi.close(drain_timeout=timeout)
            self.fastagi = None
        for closer in reversed(self._extra_closers):
            result = closer()
            if asyncio.iscoroutine(result):
                await result
        self._extra_closers.clear()
        if self.engine is not None:
            await self.engine.flush_calls()
            await self.engine.close()
        if self.ami is not None:
            await self.ami.close()
        if self._ami_task is not None:
            await asyncio.gather(self._ami_task, return_exceptions=True)
            self._ami_task = None
        if self.writer is not None:
            await self.writer.close()
        if self._queue_log is not None:
            self._queue_log.close()
        log.info("daemon stopped")

    async def run_until_signalled(self) -> None:
        """Serve until SIGTERM/SIGINT (or a fatal AMI error); SIGHUP reloads."""
        pid_file = self.settings.pid_file
        if pid_file is not None:
            pid_file.parent.mkdir(parents=True, exist_ok=True)
            pid_file.write_text(f"{os.getpid()}\n")
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stopping.set)
        loop.add_signal_handler(signal.SIGINT, self._stopping.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        try:
            await self._stopping.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            await self.stop()
            if pid_file is not None:
                pid_file.unlink(missing_ok=True)

    def request_stop(self) -> None:
        """Ask :meth:`run_until_signalled` to drain and return."""
        self._stopping.set()

    async def reload(self) -> bool:
        """Re-read every configuration file; keep the set in force if any has an error."""
        config, diagnostics = load_config_set(self.settings)
        for diagnostic in diagnostics:
            log.warning("reload %s", diagnostic.format())
        if config is None:
            errors = sum(1 for d in diagnostics if d.severity == "error")
            log.error("reload refused errors=%d: the configuration in force stays", errors)
            return False
        self.config = config
        assert self.engine is not None
        self.engine.post(Reconfigure(config.queues, config.agents))
        log.info(
            "reload done dialplans=%d queues=%d agents=%d",
            len(config.dialplans),
            len(config.queues),
            len(config.agents),
        )
        return True

    # ================================================================ FastAGI routing

    def route(self, env: AgiEnvironment) -> Handler | None:
        """Choose what a new FastAGI session runs, from its script name (and dialled number)."""
        script = env.script
        features = self._features
        if features is not None:
            feature = {
                "agent-login": features.login,
                "agent-logout": features.logout,
                "agent-pause": features.pause,
                "agent-unpause": features.unpause,
            }.get(script)
            if feature is not None:
                return feature
        if script == "after-call":
            return self._after_call
        if script == "agent-hold":
            return self._agent_hold
        if script == "callback-customer":
            return self._callback_customer
        return self._dialplan_handler(env)

    def _dialplan_handler(self, env: AgiEnvironment) -> Handler:
        config = self.config
        assert config is not None
        name = env.script
        if name == "inbound" or name not in config.dialplans:
            number = env.query.get("dnis") or env.dialled_number
            chosen = config.numbers.get(number)
            if chosen is None and name in config.dialplans:
                chosen = name
            if chosen is None:
                chosen = self.settings.default_dialplan
                log.warning(
                    "agi no dialplan for script=%s number=%s: using the default %s",
                    env.script,
                    number,
                    chosen,
                )
            name = chosen
        dialplans = config.dialplans  # this call keeps the set it started with, whatever reloads

        async def handler(channel: AgiChannel) -> None:
            await self._run_dialplan(channel, dialplans, name)

        return handler

    async def _run_dialplan(self, channel: AgiChannel, dialplans: Mapping[str, Any], name: str) -> None:
        engine = self.engine
        assert engine is not None
        env = channel.env
        call_id = env.uniqueid or env.channel
        engine.post(
            CallStarted(
                call_id,
                CallerInfo(call_id, env.channel, env.uniqueid, "", env.caller_number, env.caller_name),
                env.query.get("dnis") or env.dialled_number,
                name,
            )
        )
        context = CallContext(call_id=call_id, channel=channel, dialplan=name, started_at=self._clock())
        machine = Machine(dialplans, name)
        runner = DialplanRunner(
            machine,
            context,
            _Services(self, machine),
            clock=self._clock,
            draw=self._rng.random,
            dialplan_clock=self._dialplan_clock,
        )
        await runner.run()

    async def _after_call(self, channel: AgiChannel) -> None:
        """The caller is back after the agent hung up: the queue's survey, or goodbye."""
        engine = self.engine
        config = self.config
        assert engine is not None and config is not None
        record = engine.core.call_record(channel.env.uniqueid)
        queue = engine.core.queue(record.queue) if record is not None and record.queue else None
        if queue is not None and queue.after_call and queue.after_call in config.dialplans:
            await self._run_dialplan(channel, config.dialplans, queue.after_call)
            return
        with contextlib.suppress(AgiHangup):
            await channel.execute(commands.set_variable(DONE_VARIABLE, "1"))
            await channel.execute(commands.hangup())

    async def _agent_hold(self, channel: AgiChannel) -> None:
        """Agent first: the agent hears who is being called back, then waits to be bridged."""
        engine = self.engine
        assert engine is not None
        callback = engine.core.callback(channel.env.query.get("call", ""))
        with contextlib.suppress(AgiHangup):
            await channel.execute(commands.stream_file(CALLBACK_WHISPER))
            if callback is not None:
                await channel.execute(commands.say_digits(callback.number.removeprefix("+")))
            await channel.execute(commands.set_music(True))
            while True:  # until the customer's Bridge() pulls this leg, or the ACD hangs it up
                await channel.execute(commands.wait_for_digit(30))

    async def _callback_customer(self, channel: AgiChannel) -> None:
        """Customer first: the called-back customer waits for an agent like any caller."""
        engine = self.engine
        assert engine is not None
        env = channel.env
        callback_id = env.query.get("call", "")
        callback = engine.core.callback(callback_id)
        if callback is None:
            with contextlib.suppress(AgiHangup):
                await channel.execute(commands.hangup())
            return
        engine.post(
            CallbackCustomerArrived(
                callback_id,
                CallerInfo(callback_id, env.channel, env.uniqueid, "", callback.number, callback.caller_name),
            )
        )
        context = CallContext(call_id=callback_id, channel=channel, dialplan="", started_at=self._clock())
        with contextlib.suppress(AgiHangup):
            await channel.execute(commands.stream_file(CALLBACK_HELLO))
            await InQueue(engine, context, Enqueue(callback.queue, {}, 0, {}), clock=self._clock).run(
                attach=True
            )


class _Services:
    """What one dialplan run gets from the daemon (``ivr.runner.RunnerServices``)."""

    def __init__(self, daemon: Daemon, machine: Machine) -> None:
        self._daemon = daemon
        self._machine = machine
        self.recordings_path = daemon.settings.recordings

    async def http(self, request: HttpRequest) -> HttpResult:
        result = await fetch_json(request)
        if result.error:
            log.info("lookup failed url=%s error=%s", self._machine.redact(request.url), result.error)
        return result

    async def enqueue(self, context: CallContext, request: Enqueue) -> QueueResult:
        engine = self._daemon.engine
        assert engine is not None
        offer = CallbackOffer(engine, context.call_id, clock=self._daemon._clock)
        waiting = InQueue(
            engine, context, request, clock=self._daemon._clock, variables=context.variables, offer=offer
        )
        return await waiting.run()

    async def callback(self, context: CallContext, request: BookCallback) -> CallbackResult:
        engine = self._daemon.engine
        assert engine is not None
        return await book_callback(
            engine, context.channel, request.queue, clock=self._daemon._clock, variables=context.variables
        )

    async def recording_saved(self, context: CallContext, recording: RecordingSaved) -> None:
        writer = self._daemon.writer
        if writer is not None:
            writer.submit(
                RecordingRecord(
                    context.call_id,
                    recording.folder,
                    recording.path,
                    self._daemon._clock(),
                    recording.seconds,
                    recording.tag,
                    context.caller_number,
                )
            )

    async def finished(self, context: CallContext, finished: Finished | None) -> None:
        engine = self._daemon.engine
        assert engine is not None
        engine.post(
            IvrFinished(
                call_id=context.call_id,
                outcome=finished.outcome if finished is not None else "error",
                last_step=(finished.last_step if finished is not None else context.last_step)
                or context.last_step,
                path=tuple(context.path),
                variables={
                    k: _text(v) for k, v in (finished.variables.items() if finished is not None else ())
                },
                survey_score=context.survey_score,
            )
        )


async def serve(daemon: Daemon) -> int:
    """What ``ivr-acd run`` does with a daemon: start, serve until signalled, stop.

    Returns the exit status: 0, or 2 when the configuration has errors (printed on stderr,
    one ``file:line:col`` line each). The benchmarks run the daemon through this too.
    """
    try:
        await daemon.start()
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        await daemon.stop(drain_timeout=0)
        return 2
    # What start-up built (modules, compiled dialplans, configuration) lives as long as the
    # process: moved out of the collector's sight, full collections only walk what calls
    # allocate, which keeps their pauses short under load.
    gc.freeze()
    await daemon.run_until_signalled()
    return 0


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
