"""The broker connection: one background task owns the aiomqtt client and survives outages.

Each connection runs two named loops in a TaskGroup, ``mqtt-publish`` (drains the outbox)
and ``mqtt-receive`` (feeds command messages to a callback); when either fails the
connection is over. :meth:`BrokerLink.run` then waits a jittered, exponentially growing
delay and connects again. On every (re)connection it first publishes the retained state
afresh from a snapshot (status, queue statistics, agent states), dropping the retained
messages still waiting in the outbox: they are older than the snapshot.

Nothing here is awaited by call handling: the engine only ever touches the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

import aiomqtt

from ivr_acd.mqtt.config import MqttConfig
from ivr_acd.mqtt.outbox import Outbox, OutMessage
from ivr_acd.mqtt.topics import Topics
from telephony.ami.backoff import backoff_delay

log = logging.getLogger(__name__)

# What a broken or refused connection raises: aiomqtt wraps most socket errors in MqttError,
# but not all of them (a reset during a publish surfaces as OSError).
_BROKER_ERRORS = (aiomqtt.MqttError, OSError, TimeoutError)

Sleep = Callable[[float], Awaitable[None]]

_OFFLINE_GRACE = 2.0  # seconds a stopping daemon gives the broker to take its offline status


def _broker_failure(exc: BaseException) -> str | None:
    """Why the broker connection ended, or None if ``exc`` is something else (a bug)."""
    if isinstance(exc, _BROKER_ERRORS):
        return str(exc) or type(exc).__name__
    if isinstance(exc, BaseExceptionGroup):
        reasons = [_broker_failure(inner) for inner in exc.exceptions]
        if all(reason is not None for reason in reasons):
            return "; ".join(sorted({reason for reason in reasons if reason is not None}))
    return None


def _as_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    return b"" if payload is None else str(payload).encode()


class BrokerLink:
    """Connects, publishes the outbox, receives commands, reconnects; see the module docstring."""

    def __init__(
        self,
        config: MqttConfig,
        outbox: Outbox,
        *,
        retained_state: Callable[[], list[OutMessage]],
        last_will: Callable[[], OutMessage],
        on_command: Callable[[str, bytes], None],
        rng: random.Random | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._config = config
        self._topics = Topics(config.prefix)
        self._outbox = outbox
        self._retained_state = retained_state
        self._last_will = last_will
        self._on_command = on_command
        self._rng = rng if rng is not None else random.Random()
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._client: aiomqtt.Client | None = None
        self.connected = False
        """True once connected and the retained state is re-published, until the link drops."""
        self.connections = 0
        """Successful connections since start (the first one included)."""
        self.published = 0

    async def run(self) -> None:
        """Keep a connection up until cancelled."""
        attempt = 0
        while True:
            connections = self.connections
            # Each connection gets its own task: on Python 3.11 a TaskGroup whose child fails
            # after the body finished leaves a cancellation request on the task that owns it;
            # it dies with the session task instead of poisoning this loop's sleeps.
            session = asyncio.create_task(self._connect_and_serve(), name="mqtt-session")
            try:
                await session
            except Exception as exc:  # a bug is logged with its traceback, then retried like an outage
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # Cancelled while the session was failing, and it reported its failure
                    # rather than the cancellation: honour the cancellation.
                    raise asyncio.CancelledError from exc
                reason = _broker_failure(exc)
                if reason is None:
                    log.exception("mqtt session failed unexpectedly; reconnecting")
                    reason = "internal error"
            else:
                reason = "session ended"
            if self.connections != connections:
                attempt = 0  # the broker was reachable and accepted us: start over
            delay = backoff_delay(
                attempt, base=self._config.reconnect_min, cap=self._config.reconnect_max, rng=self._rng
            )
            attempt += 1
            log.warning(
                "mqtt link down host=%s port=%d reason=%r retry_in=%.3f attempt=%d pending=%d",
                self._config.host,
                self._config.port,
                reason,
                delay,
                attempt,
                len(self._outbox),
            )
            await self._sleep(delay)

    async def announce_offline(self, message: OutMessage) -> None:
        """Best effort at shutdown: a clean disconnect does not trigger the last will."""
        client = self._client
        if client is None or not self.connected:
            return
        with contextlib.suppress(*_BROKER_ERRORS):
            async with asyncio.timeout(_OFFLINE_GRACE):
                await client.publish(
                    message.topic, message.payload, qos=self._config.qos, retain=message.retain
                )

    def _new_client(self) -> aiomqtt.Client:
        will = self._last_will()
        return aiomqtt.Client(
            self._config.host,
            self._config.port,
            username=self._config.username,
            password=self._config.password,
            identifier=self._config.client_id,
            keepalive=self._config.keepalive,
            will=aiomqtt.Will(will.topic, will.payload, qos=self._config.qos, retain=will.retain),
            logger=logging.getLogger(f"{__name__}.client"),
        )

    async def _connect_and_serve(self) -> None:
        """One connection, from connect to loss; ends only by raising."""
        client = self._new_client()
        async with client:
            self._client = client
            self.connections += 1
            try:
                await client.subscribe(self._topics.command_filter, qos=self._config.qos)
                # Synchronously, with no await in between: no event can slip between the
                # snapshot and the discarding of the older retained messages.
                stale = self._outbox.discard_retained()
                state = self._retained_state()
                for message in state:
                    await self._publish(client, message)
                self.connected = True
                log.info(
                    "mqtt connected host=%s port=%d client_id=%s retained=%d stale_discarded=%d pending=%d",
                    self._config.host,
                    self._config.port,
                    self._config.client_id,
                    len(state),
                    stale,
                    len(self._outbox),
                )
                async with asyncio.TaskGroup() as loops:
                    loops.create_task(self._publish_loop(client), name="mqtt-publish")
                    loops.create_task(self._receive_loop(client), name="mqtt-receive")
            finally:
                self.connected = False
                self._client = None

    async def _publish(self, client: aiomqtt.Client, message: OutMessage) -> None:
        await client.publish(message.topic, message.payload, qos=self._config.qos, retain=message.retain)
        self.published += 1

    async def _publish_loop(self, client: aiomqtt.Client) -> None:
        while True:
            message = await self._outbox.get()
            try:
                await self._publish(client, message)
            except BaseException:
                # Failed or cancelled half-way: the next connection sends it (at least once,
                # as QoS 1 promises anyway). Retained state is re-published from a snapshot.
                if not message.retain:
                    self._outbox.put_front(message)
                raise

    async def _receive_loop(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            kind = self._topics.command_kind(message.topic.value)
            if kind is None:
                continue
            if message.retain:
                # Delivered because it was left on the broker, not because it was just sent:
                # obeying would run the command again at every reconnect and restart.
                log.warning(
                    "mqtt retained command ignored kind=%r (publish commands with retain=false)", kind
                )
                continue
            try:
                self._on_command(kind, _as_bytes(message.payload))
            except Exception:  # one bad command must not cost every client its connection
                log.exception("mqtt command handling failed kind=%r", kind)
        raise aiomqtt.MqttError("the broker's message stream ended")
