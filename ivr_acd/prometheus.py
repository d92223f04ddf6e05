"""A Prometheus ``/metrics`` endpoint: a minimal asyncio HTTP/1.1 server, no dependency.

It serves the text exposition format (version 0.0.4) built from the engine's snapshot at
each scrape, plus counters of the engine's events since the daemon started:

* queue gauges ``ivr_acd_queue_*``: callers waiting, longest and estimated wait, callbacks
  pending, agents staffed / ready / on call / paused / in wrap-up;
* agent gauges: ``ivr_acd_agent_state{agent,state}`` is 1 for the agent's current state and
  0 for the others (the usual enum pattern), ``ivr_acd_agent_state_seconds``,
  ``ivr_acd_agent_calls_today`` and ``ivr_acd_agent_info{agent,name,device}``;
* counters ``ivr_acd_queue_{offered,answered,abandoned}_total``: CallJoined,
  AgentConnected and CallAbandoned events seen since start (they reset on restart, which
  Prometheus' ``rate()`` handles);
* with MQTT enabled, the bridge's counters ``ivr_acd_mqtt_*``: connected, connections,
  outbox depth, published, drops per message kind, superseded, commands and event errors.

The server answers one request per connection (``Connection: close``): ``GET``/``HEAD
/metrics`` (a query string is ignored), 404 for other paths, 405 for other methods, 400 for
anything unreadable. Requests are bounded in size and time and connections in number, so
garbage or a stalled peer costs a few kilobytes for a few seconds, never the daemon.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING

from acd.commands import CenterPort
from acd.events import AcdEvent, AgentConnected, CallAbandoned, CallJoined
from acd.snapshot import CenterSnapshot, QueueSnapshot

if TYPE_CHECKING:
    from ivr_acd.mqtt.bridge import MqttMetrics

logger = logging.getLogger(__name__)

DEFAULT_PORT = 9464
"""The port Prometheus exporters of this kind commonly use; configure another freely."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
AGENT_STATES = ("logged_out", "ready", "paused", "reserved", "ringing", "on_call", "wrap_up")

_MAX_REQUEST_LINE = 8 * 1024
_MAX_HEADERS = 100


class EventCounters:
    """Per-queue counts of engine events since start; call it with each event."""

    def __init__(self) -> None:
        self.offered: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.abandoned: Counter[str] = Counter()

    def __call__(self, event: AcdEvent) -> None:
        """Count ``event`` (synchronous and cheap: it runs inside the engine's dispatch)."""
        match event:
            case CallJoined():
                self.offered[event.queue] += 1
            case AgentConnected():
                self.answered[event.queue] += 1
            case CallAbandoned():
                self.abandoned[event.queue] += 1
            case _:
                pass


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{name}="{_escape(value)}"' for name, value in labels)
    return f"{{{inner}}}" if inner else ""


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


class _Family:
    """One metric: its HELP and TYPE lines, then its samples."""

    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        self.name = name

    def add(self, value: float, **labels: str) -> None:
        self.lines.append(f"{self.name}{_labels(labels.items())} {_number(value)}")


def render_metrics(snapshot: CenterSnapshot, counters: EventCounters, mqtt: MqttMetrics | None = None) -> str:
    """The exposition text for ``snapshot``, ``counters`` and (when enabled) the MQTT bridge."""
    families: list[_Family] = []

    def family(name: str, kind: str, help_text: str) -> _Family:
        created = _Family(name, kind, help_text)
        families.append(created)
        return created

    # A queue nobody serves has no estimated wait: its sample is left out rather than invented.
    gauges: dict[str, tuple[str, Callable[[QueueSnapshot], float | None]]] = {
        "ivr_acd_queue_waiting": ("Callers waiting in the queue now.", lambda q: q.waiting),
        "ivr_acd_queue_longest_wait_seconds": (
            "How long the longest-waiting caller has waited.",
            lambda q: q.longest_wait,
        ),
        "ivr_acd_queue_estimated_wait_seconds": (
            "The wait a caller joining now would be told.",
            lambda q: q.estimated_wait,
        ),
        "ivr_acd_queue_callbacks_pending": ("Callback requests not yet done.", lambda q: q.callbacks_pending),
        "ivr_acd_queue_agents_staffed": ("Agents logged in who serve the queue.", lambda q: q.staffed),
        "ivr_acd_queue_agents_ready": ("Agents serving the queue who are ready now.", lambda q: q.ready),
        "ivr_acd_queue_agents_on_call": ("Agents serving the queue who are on a call.", lambda q: q.on_call),
        "ivr_acd_queue_agents_paused": ("Agents serving the queue who are paused.", lambda q: q.paused),
        "ivr_acd_queue_agents_wrap_up": ("Agents serving the queue in wrap-up.", lambda q: q.wrap_up),
    }
    for name, (help_text, read) in gauges.items():
        metric = family(name, "gauge", help_text)
        for queue in snapshot.queues:
            value = read(queue)
            if value is not None:
                metric.add(value, queue=queue.name)

    queue_names = [q.name for q in snapshot.queues]
    for name, help_text, counter in (
        (
            "ivr_acd_queue_offered_total",
            "Calls that joined the queue since the daemon started.",
            counters.offered,
        ),
        (
            "ivr_acd_queue_answered_total",
            "Calls answered by an agent since the daemon started.",
            counters.answered,
        ),
        (
            "ivr_acd_queue_abandoned_total",
            "Callers who hung up waiting since the daemon started.",
            counters.abandoned,
        ),
    ):
        metric = family(name, "counter", help_text)
        # Known queues always appear (at 0), and so does a queue removed since it counted.
        for queue_name in [*queue_names, *sorted(set(counter) - set(queue_names))]:
            metric.add(counter[queue_name], queue=queue_name)

    info = family("ivr_acd_agent_info", "gauge", "Agents of the roster (always 1), with name and device.")
    state = family("ivr_acd_agent_state", "gauge", "1 for the agent's current state, 0 for the others.")
    since = family("ivr_acd_agent_state_seconds", "gauge", "Time the agent has been in its current state.")
    calls = family("ivr_acd_agent_calls_today", "gauge", "Calls the agent has handled today.")
    for agent in snapshot.agents:
        info.add(1, agent=agent.agent_id, name=agent.name, device=agent.device)
        states = AGENT_STATES if agent.state in AGENT_STATES else (*AGENT_STATES, agent.state)
        for name in states:
            state.add(int(name == agent.state), agent=agent.agent_id, state=name)
        since.add(max(0.0, snapshot.at - agent.state_since), agent=agent.agent_id)
        calls.add(agent.calls_today, agent=agent.agent_id)

    if mqtt is not None:
        _mqtt_families(mqtt, family)
    return "\n".join(line for metric in families for line in metric.lines) + "\n"


def _mqtt_families(m: MqttMetrics, family: Callable[[str, str, str], _Family]) -> None:
    """The bridge's counters (names as in docs/mqtt.md)."""
    for name, kind, help_text, value in (
        ("ivr_acd_mqtt_connected", "gauge", "1 while connected to the broker.", int(m.connected)),
        ("ivr_acd_mqtt_connections_total", "counter", "Connections made to the broker.", m.connections),
        ("ivr_acd_mqtt_outbox_messages", "gauge", "Messages waiting to be published.", m.pending),
        ("ivr_acd_mqtt_published_total", "counter", "Messages published.", m.published),
        (
            "ivr_acd_mqtt_superseded_total",
            "counter",
            "Retained messages replaced by a newer state before being sent.",
            m.superseded,
        ),
        ("ivr_acd_mqtt_event_errors_total", "counter", "Events that could not be converted.", m.event_errors),
    ):
        family(name, kind, help_text).add(value)
    dropped = family("ivr_acd_mqtt_dropped_total", "counter", "Messages lost to a full outbox, per kind.")
    for kind_name, count in sorted(m.dropped.items()):
        dropped.add(count, kind=kind_name)
    commands = family("ivr_acd_mqtt_commands_total", "counter", "Commands received, by outcome.")
    commands.add(m.commands_accepted, outcome="accepted")
    commands.add(m.commands_refused, outcome="refused")


class _BadRequestError(Exception):
    """The request cannot be read; answered 400."""


def _response(status: str, body: bytes, *, content_type: str, head: bool, extra: str = "") -> bytes:
    header = (
        f"HTTP/1.1 {status}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{extra}"
        "Connection: close\r\n\r\n"
    )
    return header.encode("ascii") + (b"" if head else body)


class MetricsServer:
    """Serves ``/metrics`` for ``center`` on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        center: CenterPort,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        max_connections: int = 16,
        request_timeout: float = 5.0,
        mqtt: Callable[[], MqttMetrics] | None = None,
    ) -> None:
        if max_connections < 1 or not request_timeout > 0:
            raise ValueError("max_connections must be at least 1 and request_timeout positive")
        self._center = center
        self._host = host
        self._port = port
        self._max_connections = max_connections
        self._request_timeout = request_timeout
        self._mqtt = mqtt
        self.counters = EventCounters()
        self._server: asyncio.Server | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The TCP port bound."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the metrics server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Subscribe to the engine's events and start listening."""
        if self._server is not None:
            raise RuntimeError("a MetricsServer starts once")
        self._unsubscribe = self._center.subscribe(self.counters)
        # limit bounds readuntil(): a request line or header longer than this is refused.
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, limit=_MAX_REQUEST_LINE
        )
        logger.info("metrics server started host=%s port=%d", self._host, self.port)

    async def serve_forever(self) -> None:
        """Start, serve until cancelled, then close (for a TaskGroup)."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop listening, finish open requests and unsubscribe."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._server is None:
            return
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        await self._server.wait_closed()

    async def __aenter__(self) -> MetricsServer:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is None or len(self._tasks) >= self._max_connections:
            writer.transport.abort()
            return
        self._tasks.add(task)
        closed = False
        try:
            try:
                async with asyncio.timeout(self._request_timeout):
                    answer = await self._answer(reader)
                    writer.write(answer)
                    await writer.drain()
            except TimeoutError:
                logger.debug("metrics request timed out peer=%s", writer.get_extra_info("peername"))
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                pass  # the scraper went away; nothing to answer
            writer.close()
            try:
                async with asyncio.timeout(self._request_timeout):
                    await writer.wait_closed()
                closed = True
            except (TimeoutError, ConnectionError, OSError):
                pass
        finally:
            # Also on cancellation (close()): the socket must not outlive the request.
            if not closed:
                writer.transport.abort()
            self._tasks.discard(task)

    async def _answer(self, reader: asyncio.StreamReader) -> bytes:
        try:
            method, target = await self._read_request(reader)
        except _BadRequestError as exc:
            logger.debug("metrics bad request reason=%s", exc)
            return _response("400 Bad Request", b"bad request\n", content_type="text/plain", head=False)
        head = method == "HEAD"
        path = target.split("?", 1)[0]
        if path != "/metrics":
            return _response("404 Not Found", b"not found\n", content_type="text/plain", head=head)
        if method not in ("GET", "HEAD"):
            return _response(
                "405 Method Not Allowed",
                b"method not allowed\n",
                content_type="text/plain",
                head=False,
                extra="Allow: GET, HEAD\r\n",
            )
        body = render_metrics(
            self._center.snapshot(), self.counters, self._mqtt() if self._mqtt else None
        ).encode("utf-8")
        return _response("200 OK", body, content_type=CONTENT_TYPE, head=head)

    async def _read_request(self, reader: asyncio.StreamReader) -> tuple[str, str]:
        line = await self._read_line(reader)
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
            raise _BadRequestError(f"request line {line[:80]!r}")
        for _ in range(_MAX_HEADERS):
            header = await self._read_line(reader)
            if not header:
                return parts[0].upper(), parts[1]
            if ":" not in header:
                raise _BadRequestError(f"header line {header[:80]!r}")
        raise _BadRequestError(f"more than {_MAX_HEADERS} headers")

    @staticmethod
    async def _read_line(reader: asyncio.StreamReader) -> str:
        try:
            raw = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            raise _BadRequestError("line too long") from exc
        # latin-1 never fails: a request is ASCII, and garbage only needs to be rejected.
        return raw.decode("latin-1").rstrip("\r\n")
