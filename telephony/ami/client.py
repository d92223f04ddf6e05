"""The AMI client the daemon keeps connected to Asterisk: an asyncio shell around the codec.

One long TCP session to the manager. Through it the daemon originates agent legs, redirects
callers and reads the events (BridgeEnter/Leave, Hangup, OriginateResponse…) that tell a
bridge pull from a hang-up. The bytes are :mod:`telephony.ami.codec`'s job, matching answers
to actions is :mod:`telephony.ami.correlation`'s; this module owns sockets, tasks and time.

Rules:

1. ``run()`` connects, reads the banner, logs in (plain, or md5 challenge/response) and
   serves until ``close()``. While connected, three named tasks share one TaskGroup:
   ``ami-reader`` (the only reader of the socket), ``ami-pinger`` (the half-open watchdog)
   and ``ami-resync`` (the ``on_connect`` hook). Any of them failing takes the link down.
2. A refused login is configuration, not weather: :class:`AmiAuthenticationError` leaves
   ``run()`` and ``wait_connected()``, and nothing retries it.
3. Network trouble, a silent peer and protocol garbage are weather: log, drop the socket,
   wait a capped, fully jittered, exponentially growing delay (reset by a successful login),
   reconnect, run the resync hook again.
4. Actions are never re-sent. When the link drops, every pending action fails with
   :class:`AmiLinkError` (``maybe_executed=True``): only the caller knows whether running it
   twice is harmless, and an Originate is not.
5. Events reach handlers in arrival order, synchronously, from the reader; a handler that
   raises is logged and the others still run. List items an action collects are not events.
6. Log lines are ``key=value``; the secret and the md5 key are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Literal

from telephony.ami.backoff import backoff_delay
from telephony.ami.codec import AmiConnection, Banner, ConnectionClosed, Role
from telephony.ami.correlation import ActionResult, ActionTracker, Disposition
from telephony.ami.errors import AmiAuthenticationError, AmiError, AmiLinkError, AmiTimeout
from telephony.ami.message import AmiMessage, action
from telephony.errors import LocalProtocolError, RemoteProtocolError

logger = logging.getLogger(__name__)

AuthMode = Literal["plain", "md5"]
EventHandler = Callable[[AmiMessage], object]
"""A synchronous event subscriber; its return value is ignored. It must not block."""
ConnectHook = Callable[["AmiClient"], Awaitable[None]]
"""Runs after every successful login (the daemon re-reads channel state there)."""
Sleep = Callable[[float], Awaitable[None]]

_READ_SIZE = 64 * 1024

# What takes a link down and calls for a reconnect. Anything else is a bug and escapes run().
_LINK_ERRORS = (OSError, TimeoutError, RemoteProtocolError, AmiLinkError)


@dataclass(eq=False)
class _Subscription:
    handler: EventHandler
    names: frozenset[str] | None  # casefolded event names; None means every event


@dataclass(eq=False)
class _Waiter:
    action: str
    future: asyncio.Future[ActionResult]


class _Link:
    """One TCP session: the streams, its codec, and the actions in flight on it.

    The tracker and waiters belong to the session, not the client, so nothing pending on a
    dead link can ever be matched with an answer on the next one.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = AmiConnection(Role.CLIENT)
        self.tracker = ActionTracker()
        self.waiters: dict[str, _Waiter] = {}
        self.version = ""

    def write(self, message: AmiMessage) -> None:
        self.writer.write(self.conn.send(message))

    async def receive(self) -> Banner | AmiMessage:
        """The next banner or message; raises :class:`AmiLinkError` when the peer closed."""
        while True:
            match self.conn.next_event():
                case Banner() | AmiMessage() as received:
                    return received
                case ConnectionClosed():
                    raise AmiLinkError("the manager closed the connection")
                case _:  # NEED_DATA
                    self.conn.receive_data(await self.reader.read(_READ_SIZE))

    def fail_pending(self, reason: str) -> None:
        """Fail every action still waiting on this link; they were sent, so they may have run."""
        self.tracker.drain()
        waiters, self.waiters = self.waiters, {}
        for action_id, waiter in waiters.items():
            if not waiter.future.done():
                waiter.future.set_exception(
                    AmiLinkError(
                        f"link lost ({reason}) while action={waiter.action} action_id={action_id} "
                        "was pending: it may or may not have been executed",
                        maybe_executed=True,
                    )
                )

    async def aclose(self, grace: float) -> None:
        """Close the socket and wait until it is closed; abort it if that takes too long."""
        self.writer.close()
        try:
            async with asyncio.timeout(grace):
                await self.writer.wait_closed()
        except (OSError, TimeoutError):
            # A peer that stopped reading can keep a graceful close waiting forever.
            self.writer.transport.abort()


class AmiClient:
    """A self-healing AMI session to one Asterisk manager.

    ``backoff_base``/``backoff_max`` bound the reconnect delays; ``rng`` draws their jitter
    (seed it for reproducible delays); ``sleep`` waits them out (``asyncio.sleep`` unless a
    test injects a recorder). ``ping_interval=None`` disables the watchdog. A client is
    single-use: after ``close()`` it stays closed.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        auth: AuthMode = "plain",
        connect_timeout: float = 10.0,
        action_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float = 5.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        rng: random.Random | None = None,
        on_connect: ConnectHook | None = None,
        sleep: Sleep | None = None,
        events: str | None = None,
    ) -> None:
        if auth not in ("plain", "md5"):
            raise ValueError(f"auth must be 'plain' or 'md5', not {auth!r}")
        for label, value in (("username", username), ("secret", secret)):
            if not value or "\r" in value or "\n" in value:
                # The value itself is not echoed: it may be the secret.
                raise ValueError(f"AMI {label} must be non-empty and on one line")
        positive = {
            "connect_timeout": connect_timeout,
            "action_timeout": action_timeout,
            "ping_timeout": ping_timeout,
            "backoff_max": backoff_max,
            "ping_interval": ping_interval if ping_interval is not None else 1.0,
        }
        for label, number in positive.items():
            if not number > 0:
                raise ValueError(f"{label} must be positive, not {number!r}")
        if backoff_base < 0:
            raise ValueError(f"backoff_base must not be negative, not {backoff_base!r}")
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._auth: AuthMode = auth
        self._connect_timeout = connect_timeout
        self._action_timeout = action_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._rng = rng if rng is not None else random.Random()
        self._on_connect = on_connect
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        if events is not None and ("\r" in events or "\n" in events):
            raise ValueError("events must be on one line")
        # The Login's ``Events:`` (on, off or a class list): the manager then sends only
        # those classes, whatever else the AMI user may read. A busy Asterisk sends far more
        # dialplan, AGI and DTMF events than the daemon uses; not receiving them is cheaper
        # than decoding and dropping them.
        self._events = events

        # A per-client prefix keeps our ActionIDs apart from other clients' in shared logs.
        self._id_prefix = f"acd-{uuid.uuid4().hex[:8]}"
        self._ids = itertools.count(1)
        self._subscriptions: list[_Subscription] = []
        self._link: _Link | None = None  # set only while logged in
        self._runner: asyncio.Task[None] | None = None
        self._closed = False
        self._fatal: AmiAuthenticationError | None = None
        self._logins = 0
        # Replaced (and the old one set) on every state change; waiters re-check the state.
        self._changed = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle

    @property
    def connected(self) -> bool:
        """True while logged in to the manager."""
        return self._link is not None

    @property
    def pending_actions(self) -> int:
        """How many actions on the current link await their answer."""
        return len(self._link.waiters) if self._link is not None else 0

    async def run(self) -> None:
        """Connect, log in and keep the session up until :meth:`close`.

        Returns normally once closed. Raises :class:`AmiAuthenticationError` when the login
        is refused (no retry). Network and protocol failures never escape: they reconnect.
        Cancelling the task running ``run()`` closes the socket and propagates.
        """
        if self._runner is not None:
            raise RuntimeError("AmiClient.run() is already running")
        if self._closed:
            return
        self._fatal = None  # a deliberate new run() (after fixing the secret) tries again
        # The session lives in its own task so close() can cancel it without cancelling
        # whoever awaits run(): then run() returns instead of raising CancelledError.
        runner = asyncio.create_task(self._supervise(), name=f"ami-client {self._host}:{self._port}")
        self._runner = runner
        try:
            await asyncio.wait([runner])
        except asyncio.CancelledError:
            runner.cancel()
            await asyncio.wait([runner])
            raise
        finally:
            self._runner = None
        if not runner.cancelled():
            runner.result()

    # The limits below are parameters, not left to an outer asyncio.timeout(), because the
    # client owns a default (action_timeout) and expiry must forget the ActionID and say
    # the action may have run, which a bare TimeoutError from outside cannot.
    async def wait_connected(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until logged in.

        Raises :class:`AmiAuthenticationError` if the login was refused,
        :class:`AmiLinkError` once the client is closed, :class:`AmiTimeout` after ``timeout``.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if self._fatal is not None:
                        raise AmiAuthenticationError(str(self._fatal)) from self._fatal
                    if self._link is not None:
                        return
                    if self._closed:
                        raise AmiLinkError("the AMI client is closed")
                    await self._changed.wait()
        except TimeoutError:
            raise AmiTimeout(f"not connected to {self._host}:{self._port} within {timeout}s") from None

    async def close(self) -> None:
        """Log off, cancel the session's tasks and wait until the socket is closed.

        Pending actions fail with :class:`AmiLinkError`. Safe to call more than once, and
        before or without ``run()``.
        """
        self._closed = True
        self._notify()
        link = self._link
        if link is not None:
            # So Asterisk logs a logoff rather than a lost session; the answer is not awaited.
            link.write(action("Logoff", ActionID=self._next_action_id()))
        runner = self._runner
        if runner is not None and not runner.done():
            runner.cancel()
            await asyncio.wait([runner])

    # ---------------------------------------------------------------- actions

    async def send_action(
        self,
        message: AmiMessage,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - see wait_connected
    ) -> ActionResult:
        """Send one action and return its answer (a response, or a whole event list).

        An ``ActionID`` is added when missing. ``Response: Error`` comes back as a result
        with ``ok`` false (see :func:`~telephony.ami.errors.raise_for_error`). Raises
        :class:`AmiLinkError` at once when not connected (``maybe_executed`` false) or when
        the link drops before the answer (``maybe_executed`` true; it is never re-sent), and
        :class:`AmiTimeout` after ``timeout`` (default ``action_timeout``) seconds.
        """
        link = self._link
        if link is None:
            raise AmiLinkError(f"not connected to the manager; action={message.name} was not sent")
        return await self._request(link, message, self._action_timeout if timeout is None else timeout)

    async def _request(self, link: _Link, message: AmiMessage, limit: float) -> ActionResult:
        if message.kind != "action":
            raise LocalProtocolError(f"send_action() needs an action, got a {message.kind}")
        name = message.name
        action_id = message.action_id
        if action_id is None:
            action_id = self._next_action_id()
            message = message.replace({"ActionID": action_id})
        elif action_id in link.waiters:
            raise LocalProtocolError(f"ActionID {action_id!r} is already in flight")
        data = link.conn.send(message)  # a bad field raises here, before anything is sent
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        link.waiters[action_id] = _Waiter(name, future)
        link.tracker.register(action_id)
        link.writer.write(data)
        logger.debug("ami action sent action=%s action_id=%s", name, action_id)
        try:
            async with asyncio.timeout(limit):
                await link.writer.drain()
                return await future
        except TimeoutError:
            raise AmiTimeout(
                f"no answer to action={name} action_id={action_id} within {limit}s: "
                "it may or may not have been executed"
            ) from None
        except ConnectionError as exc:
            raise AmiLinkError(
                f"link lost while sending action={name} action_id={action_id}: "
                "it may or may not have been executed",
                maybe_executed=True,
            ) from exc
        finally:
            if link.waiters.pop(action_id, None) is not None:
                # Timed out or cancelled: a late answer must find nobody (logged at debug).
                link.tracker.forget(action_id)
            if future.done() and not future.cancelled():
                future.exception()  # mark a link error set during a timeout as seen

    def _next_action_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids)}"

    # ---------------------------------------------------------------- events

    def add_event_handler(
        self, handler: EventHandler, *, names: Collection[str] | None = None
    ) -> Callable[[], None]:
        """Call ``handler(event)`` for every event (or only those named in ``names``).

        Handlers run synchronously in the reader, in arrival order, and must not block
        (enqueue and return). One that raises is logged; the others and the link carry on.
        Returns a function that removes the handler (calling it twice is harmless).
        """
        wanted = frozenset(n.casefold() for n in names) if names is not None else None
        subscription = _Subscription(handler, wanted)
        self._subscriptions.append(subscription)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._subscriptions.remove(subscription)

        return remove

    def _dispatch(self, link: _Link, message: AmiMessage) -> None:
        disposition, action_id, result = link.tracker.feed(message)
        if disposition is Disposition.COMPLETED:
            waiter = link.waiters.pop(action_id, None) if action_id is not None else None
            if waiter is not None and result is not None and not waiter.future.done():
                waiter.future.set_result(result)
        elif disposition is Disposition.UNMATCHED:
            logger.debug(
                "ami response dropped, no action waits for it action_id=%s response=%s",
                action_id,
                message.name,
            )
        elif disposition is Disposition.EVENT:
            self._emit(message)

    def _emit(self, event: AmiMessage) -> None:
        name = event.name.casefold()
        # A copy: a handler may remove itself (or add another) while we iterate.
        for subscription in tuple(self._subscriptions):
            if subscription.names is not None and name not in subscription.names:
                continue
            try:
                subscription.handler(event)
            except Exception:
                # One subscriber's bug must not starve the others nor drop the link.
                logger.exception(
                    "ami event handler failed handler=%s event=%s",
                    getattr(subscription.handler, "__qualname__", subscription.handler),
                    event.name,
                )

    # ---------------------------------------------------------------- the session

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closed:
            logins = self._logins
            # Each session gets its own task. On Python 3.11 a TaskGroup whose child fails
            # after the body finished leaves a cancellation request on the task that owns
            # it; that stale request dies with the session task instead of poisoning the
            # supervisor's later timeouts and its cancellation check below.
            session = asyncio.create_task(self._connect_and_serve(), name="ami-session")
            try:
                await session
            except AmiAuthenticationError as exc:
                logger.error(
                    "ami login refused host=%s port=%d username=%s reason=%r",
                    self._host,
                    self._port,
                    self._username,
                    str(exc),
                )
                self._fatal = exc
                self._notify()
                raise
            except _LINK_ERRORS as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # We were cancelled while the session was failing, and it reported its
                    # error rather than the cancellation: honour the cancellation.
                    raise asyncio.CancelledError from exc
                logger.warning(
                    "ami link down host=%s port=%d reason=%r", self._host, self._port, _describe(exc)
                )
            if self._logins != logins:
                attempt = 0  # the manager was reachable and accepted us: start over
            delay = backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_max, rng=self._rng)
            attempt += 1
            logger.info("ami reconnect scheduled delay=%.3f attempt=%d", delay, attempt)
            await self._sleep(delay)

    async def _connect_and_serve(self) -> None:
        """One TCP session from connect to loss; always ends with an exception."""
        logger.info("ami connecting host=%s port=%d", self._host, self._port)
        async with asyncio.timeout(self._connect_timeout):
            reader, writer = await asyncio.open_connection(self._host, self._port)
        link = _Link(reader, writer)
        reason = "client stopped"  # what pending actions are told if we are cancelled
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._log_in(link)
            self._logins += 1
            self._link = link
            self._notify()
            logger.info(
                "ami logged in host=%s port=%d username=%s auth=%s version=%s",
                self._host,
                self._port,
                self._username,
                self._auth,
                link.version,
            )
            await self._serve(link)
        except Exception as exc:
            reason = _describe(exc)
            raise
        finally:
            if self._link is link:
                self._link = None
                self._notify()
            link.fail_pending(reason)
            await link.aclose(self._connect_timeout)

    async def _log_in(self, link: _Link) -> None:
        greeting = await link.receive()  # the codec yields the banner first or raises
        if isinstance(greeting, Banner):
            link.version = greeting.version
        if self._auth == "md5":
            challenge = await self._handshake(link, action("Challenge", AuthType="md5"))
            if not challenge.ok:
                raise AmiAuthenticationError(
                    f"manager refused an md5 challenge: {challenge.message or 'no message'}"
                )
            nonce = challenge.response.get("Challenge")
            if not nonce:
                raise RemoteProtocolError("Challenge response without a Challenge field")
            # The protocol fixes MD5; this is Asterisk's scheme, not our choice of hash.
            key = hashlib.md5((nonce + self._secret).encode()).hexdigest()  # noqa: S324
            login = action("Login", AuthType="md5", Username=self._username, Key=key)
        else:
            login = action("Login", Username=self._username, Secret=self._secret)
        if self._events is not None:
            login = login.replace({"Events": self._events})
        reply = await self._handshake(link, login)
        if not reply.ok:
            raise AmiAuthenticationError(
                f"manager refused login username={self._username}: {reply.message or 'no message'}"
            )

    async def _handshake(self, link: _Link, message: AmiMessage) -> ActionResult:
        """Send a login-phase action and read until its response.

        Before login there is no reader task: reading inline means a refusal followed at
        once by the manager's close is seen as a refusal, never as a lost link.
        """
        action_id = self._next_action_id()
        link.write(message.replace({"ActionID": action_id}))
        logger.debug("ami action sent action=%s action_id=%s", message.name, action_id)
        await link.writer.drain()
        while True:
            received = await link.receive()
            if not isinstance(received, AmiMessage):
                continue
            if received.kind == "response" and received.action_id == action_id:
                return ActionResult(received)
            self._dispatch(link, received)

    async def _serve(self, link: _Link) -> None:
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._read_loop(link), name="ami-reader")
                if self._ping_interval is not None:
                    tasks.create_task(self._ping_loop(link, self._ping_interval), name="ami-pinger")
                if self._on_connect is not None:
                    tasks.create_task(self._resync(self._on_connect), name="ami-resync")
        except* _LINK_ERRORS as group:
            # The TaskGroup already cancelled the sibling loops; the first cause is the story.
            raise group.exceptions[0] from None

    async def _read_loop(self, link: _Link) -> None:
        while True:
            received = await link.receive()
            if isinstance(received, AmiMessage):
                self._dispatch(link, received)

    async def _ping_loop(self, link: _Link, interval: float) -> None:
        # A peer that vanished without a FIN or RST (NAT timeout, a frozen Asterisk) leaves
        # the socket looking healthy forever; only an unanswered Ping reveals it.
        while True:
            await asyncio.sleep(interval)
            try:
                await self._request(link, action("Ping"), self._ping_timeout)
            except AmiTimeout:
                logger.warning(
                    "ami ping unanswered, link is half-open; dropping it host=%s port=%d timeout=%s",
                    self._host,
                    self._port,
                    self._ping_timeout,
                )
                raise AmiLinkError(
                    f"no answer to Ping within {self._ping_timeout}s (half-open link)"
                ) from None

    async def _resync(self, hook: ConnectHook) -> None:
        try:
            await hook(self)
        except AmiError as exc:
            logger.warning(
                "ami resync hook failed host=%s port=%d reason=%r", self._host, self._port, _describe(exc)
            )
        except Exception:
            # The hook is the daemon's code; its bug must not cost us the link.
            logger.exception("ami resync hook failed host=%s port=%d", self._host, self._port)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
