"""``config/ivr-acd.yaml``: the daemon's own settings (addresses, paths, users, options).

Relative paths are relative to the settings file. Secrets may be written inline (for a
lab), or read from an environment variable (``secret_env``) or a file (``secret_file``)
so they stay out of version control; every secret loaded is handed to the log redactor.
Everything binds to 127.0.0.1 unless the file says otherwise.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import Fields, expect_list, expect_map
from configlang.source import MapNode, Node, ScalarNode, load_yaml_file
from ivr_acd.mqtt.config import MqttConfig

LOOPBACK = "127.0.0.1"
DEFAULT_PAUSE_REASONS = {"1": "break", "2": "lunch", "3": "training", "4": "meeting", "9": "other"}
PAUSE_CODE = re.compile(r"[0-9]{1,3}\Z")
PAUSE_REASON = re.compile(r"[A-Za-z][A-Za-z0-9_ -]{0,39}\Z")


@dataclass(frozen=True)
class FastAgiSettings:
    """Where Asterisk's AGI() connects."""

    host: str = LOOPBACK
    port: int = 4573
    header_timeout: float = 5.0
    max_sessions: int = 2000


@dataclass(frozen=True)
class AmiSettings:
    """How the daemon logs in to Asterisk's manager."""

    host: str = LOOPBACK
    port: int = 5038
    username: str = "ivr-acd"
    secret: str = field(default="", repr=False)
    auth: str = "md5"
    ping_interval: float = 20.0
    action_timeout: float = 10.0
    events: str = "call"
    """The event classes asked for at login (the engine reads only ``call`` events)."""


@dataclass(frozen=True)
class UserSettings:
    """A user of our supervisor interfaces (AMI listener, MQTT commands)."""

    username: str
    secret: str = field(repr=False)
    permission: str = "read"
    """``read`` (supervisor, read-only) or ``control`` (agent control, callback requests)."""


@dataclass(frozen=True)
class SupervisorSettings:
    """Our own AMI listener, and the UserEvents sent through Asterisk's AMI."""

    enabled: bool = True
    host: str = LOOPBACK
    port: int = 5039
    users: tuple[UserSettings, ...] = ()
    userevents: bool = True
    userevent_interval: float = 30.0


@dataclass(frozen=True)
class MqttSettings:
    """The MQTT broker events and statistics are published to."""

    enabled: bool = False
    host: str = LOOPBACK
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "ivr-acd"
    prefix: str = "ivr-acd"
    qos: int = 1
    stats_interval: float = 15.0
    stats_min_interval: float = 1.0
    queue_size: int = 10_000
    keepalive: int = 30


@dataclass(frozen=True)
class Settings:
    """Everything the daemon reads from its settings file."""

    source: Path
    fastagi: FastAgiSettings = field(default_factory=FastAgiSettings)
    ami: AmiSettings = field(default_factory=AmiSettings)
    dialplans: Path = Path("dialplans")
    agents: tuple[Path, ...] = (Path("agents"),)
    queues: Path = Path("config/queues.yaml")
    sounds: Path | None = None
    database: Path = Path("var/ivr-acd.sqlite")
    queue_log: Path | None = Path("var/queue_log")
    recordings: str = "/var/spool/asterisk/ivr-acd"
    """Where recordings go, as a path on the Asterisk machine."""
    default_dialplan: str = "main"
    numbers: dict[str, str] = field(default_factory=dict)
    timezone: str = "UTC"
    supervisor: SupervisorSettings = field(default_factory=SupervisorSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    prometheus_port: int | None = None
    prometheus_host: str = LOOPBACK
    log_level: str = "INFO"
    drain_timeout: float = 30.0
    pid_file: Path | None = None
    """Where the daemon writes its process id (``ivr-acd reload`` signals it)."""
    callback_dial: str = "Local/{number}@ivr-acd-outbound"
    """Originate channel for reaching a callback customer; ``{number}`` is replaced."""
    callback_caller_id: str = ""
    short_abandon: float = 5.0
    """Callers who hang up sooner than this are not offered calls in the live statistics."""
    pause_reasons: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PAUSE_REASONS))
    """The codes an agent keys after ``*52`` (pause), and the reason each one records."""

    def mqtt_config(self) -> MqttConfig:
        """The MQTT bridge's configuration; the command users are the supervisor users.

        Raises ValueError when the combination is not acceptable (checked at load time, so a
        loaded ``Settings`` always builds).
        """
        m = self.mqtt
        return MqttConfig(
            host=m.host,
            port=m.port,
            username=m.username,
            password=m.password,
            client_id=m.client_id,
            prefix=m.prefix,
            qos=m.qos,
            stats_interval=m.stats_interval,
            stats_min_interval=m.stats_min_interval,
            queue_size=m.queue_size,
            keepalive=m.keepalive,
            users=self.supervisor.users,
        )

    def secrets(self) -> list[str]:
        """Every secret the settings hold (for the log redactor)."""
        found = [self.ami.secret, *(u.secret for u in self.supervisor.users)]
        if self.mqtt.password:
            found.append(self.mqtt.password)
        return [s for s in found if s]


_TOP_KEYS = (
    "$schema", "fastagi", "ami", "paths", "dialplans", "supervisor", "mqtt", "prometheus",
    "logging", "timezone", "drain_timeout", "callbacks", "agent_features",
    "short_abandon",
)  # fmt: skip
_PATH_KEYS = ("dialplans", "agents", "queues", "sounds", "database", "queue_log", "recordings", "pid_file")


def load_settings(
    path: Path, diags: Diagnostics, display_name: str | None = None, *, resolve_secrets: bool = True
) -> Settings | None:
    """Read and check a settings file; None (with diagnostics) when it has errors.

    ``resolve_secrets=False`` (the linter) leaves ``secret_env``/``secret_file`` unread, so
    checking a configuration needs no access to the secrets themselves.
    """
    root = load_yaml_file(path, diags, display_name)
    base = path.resolve().parent
    errors = diags.error_count()
    settings = parse_settings(root, diags, source=path.resolve(), base=base, resolve_secrets=resolve_secrets)
    return settings if diags.error_count() == errors else None


def parse_settings(
    root: Node | None, diags: Diagnostics, *, source: Path, base: Path, resolve_secrets: bool = True
) -> Settings:
    """Parse an already loaded settings document."""
    where = _Where(base, resolve_secrets)
    if root is None:
        return Settings(source=source)
    doc = expect_map(root, DocPath(), diags, "the daemon settings (a mapping)")
    if doc is None:
        return Settings(source=source)
    f = Fields(doc, DocPath(), diags, where="settings", allowed=_TOP_KEYS)
    paths = _sub(f, "paths", _PATH_KEYS)
    dialplans = _sub(f, "dialplans", ("default", "numbers"))
    logging_f = _sub(f, "logging", ("level",))
    prometheus = _sub(f, "prometheus", ("host", "port"))
    callbacks = _sub(f, "callbacks", ("dial", "caller_id"))
    features = _sub(f, "agent_features", ("pause_reasons",))

    def path_of(sub: Fields | None, key: str, default: Path | None) -> Path | None:
        if sub is None or not sub.has(key):
            return base / default if default is not None else None
        node = sub.value(key)
        if isinstance(node, ScalarNode) and node.value is None:
            return None
        text = sub.text(key)
        return base / text if text else (base / default if default is not None else None)

    agents_paths: tuple[Path, ...] = (base / "../agents",)
    if paths is not None and paths.has("agents"):
        agents_node = paths.value("agents")
        items = (
            expect_list(
                agents_node,
                paths.at("agents"),
                diags,
                "a folder or a list of roster files",
                allow_single=True,
            )
            if agents_node is not None
            else None
        )
        agents_paths = tuple(
            base / str(item.value) for item, _ in (items or []) if isinstance(item, ScalarNode) and item.value
        )
    database = path_of(paths, "database", Path("../var/ivr-acd.sqlite"))
    settings = Settings(
        source=source,
        fastagi=_fastagi(f, diags),
        ami=_ami(f, diags, where),
        dialplans=path_of(paths, "dialplans", Path("../dialplans")) or base / "../dialplans",
        agents=agents_paths,
        queues=path_of(paths, "queues", Path("queues.yaml")) or base / "queues.yaml",
        sounds=path_of(paths, "sounds", None),
        database=database or base / "../var/ivr-acd.sqlite",
        queue_log=path_of(paths, "queue_log", Path("../var/queue_log")),
        recordings=paths.text("recordings", "/var/spool/asterisk/ivr-acd")
        if paths
        else "/var/spool/asterisk/ivr-acd",
        default_dialplan=dialplans.text("default", "main") if dialplans else "main",
        numbers=_numbers(dialplans, diags),
        timezone=f.text("timezone", "UTC"),
        supervisor=_supervisor(f, diags, where),
        mqtt=_mqtt(f, diags, where),
        prometheus_port=_optional_port(prometheus),
        prometheus_host=prometheus.text("host", LOOPBACK) if prometheus else LOOPBACK,
        log_level=logging_f.choice("level", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
        if logging_f
        else "INFO",
        drain_timeout=f.number("drain_timeout", 30.0, minimum=0, maximum=3600),
        pid_file=path_of(paths, "pid_file", Path("../var/ivr-acd.pid")),
        callback_dial=callbacks.text("dial", "Local/{number}@ivr-acd-outbound")
        if callbacks
        else "Local/{number}@ivr-acd-outbound",
        callback_caller_id=callbacks.text("caller_id", "") if callbacks else "",
        pause_reasons=_pause_reasons(features, diags),
        short_abandon=f.number("short_abandon", 5.0, minimum=0, maximum=600),
    )
    if settings.mqtt.enabled and where.resolve:
        try:
            settings.mqtt_config()
        except ValueError as exc:
            diags.error(f.mark("mqtt"), str(exc), f.at("mqtt"))
    return settings


def _optional_port(sub: Fields | None) -> int | None:
    node = sub.value("port") if sub is not None else None
    if sub is None or node is None or (isinstance(node, ScalarNode) and node.value is None):
        return None
    return sub.integer("port", minimum=0, maximum=65535)  # 0: any free port (tests)


def _sub(f: Fields, key: str, allowed: tuple[str, ...]) -> Fields | None:
    node = f.value(key)
    if node is None:
        return None
    mapping = expect_map(node, f.at(key), f.diags)
    if mapping is None:
        return None
    return Fields(mapping, f.at(key), f.diags, where=key, allowed=allowed)


def _fastagi(f: Fields, diags: Diagnostics) -> FastAgiSettings:
    sub = _sub(f, "fastagi", ("host", "port", "header_timeout", "max_sessions"))
    if sub is None:
        return FastAgiSettings()
    return FastAgiSettings(
        host=sub.text("host", LOOPBACK),
        port=sub.integer("port", 4573, minimum=0, maximum=65535),
        header_timeout=sub.number("header_timeout", 5.0, minimum=0.1, maximum=300),
        max_sessions=sub.integer("max_sessions", 2000, minimum=1, maximum=100000),
    )


def _ami(f: Fields, diags: Diagnostics, where: _Where) -> AmiSettings:
    sub = _sub(
        f,
        "ami",
        (
            "host",
            "port",
            "username",
            "secret",
            "secret_env",
            "secret_file",
            "auth",
            "ping_interval",
            "action_timeout",
            "events",
        ),
    )
    if sub is None:
        return AmiSettings()
    return AmiSettings(
        host=sub.text("host", LOOPBACK),
        port=sub.integer("port", 5038, minimum=1, maximum=65535),
        username=sub.text("username", "ivr-acd"),
        secret=_secret(sub, "secret", where) or "",
        auth=sub.choice("auth", ("plain", "md5"), "md5"),
        ping_interval=sub.number("ping_interval", 20.0, minimum=1, maximum=3600),
        action_timeout=sub.number("action_timeout", 10.0, minimum=1, maximum=300),
        events=sub.text("events", "call", what="on, off or event classes such as call,user", pattern=_EVENTS),
    )


@dataclass(frozen=True)
class _Where:
    """What secret lookups need: the settings file's folder, and whether to read secrets at all."""

    base: Path
    resolve: bool


def _secret(sub: Fields, key: str, where: _Where) -> str | None:
    """Inline ``secret``, or ``secret_env`` (an environment variable), or ``secret_file``."""
    given = [k for k in (key, f"{key}_env", f"{key}_file") if sub.has(k)]
    if len(given) > 1:
        sub.diags.error(sub.mark(given[1]), f"give only one of {', '.join(given)}", sub.at(given[1]))
        return None
    if not where.resolve and given and given[0] != key:
        return "(not read)"
    if sub.has(f"{key}_env"):
        name = sub.text(f"{key}_env", "")
        value = os.environ.get(name)
        if value is None:
            sub.diags.error(
                sub.mark(f"{key}_env"), f"environment variable {name} is not set", sub.at(f"{key}_env")
            )
        return value
    if sub.has(f"{key}_file"):
        file = where.base / sub.text(f"{key}_file", "")
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            sub.diags.error(
                sub.mark(f"{key}_file"), f"cannot read the secret file: {exc.strerror}", sub.at(f"{key}_file")
            )
            return None
    return sub.text(key)


_EVENTS = re.compile(r"[a-z]+(,[a-z]+)*\Z")
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]+\Z")


def _supervisor(f: Fields, diags: Diagnostics, where: _Where) -> SupervisorSettings:
    sub = _sub(f, "supervisor", ("enabled", "host", "port", "users", "userevents", "userevent_interval"))
    if sub is None:
        return SupervisorSettings()
    users: list[UserSettings] = []
    node = sub.value("users")
    for item, path in (
        expect_list(node, sub.at("users"), diags, "a list of users") if node is not None else None
    ) or []:
        mapping = expect_map(item, path, diags, "{username, secret, permission}")
        if mapping is None:
            continue
        u = Fields(
            mapping,
            path,
            diags,
            where="user",
            allowed=("username", "secret", "secret_env", "secret_file", "permission"),
            required=("username",),
        )
        name = u.text("username", "", what="a user name (letters, digits, . _ @ -)", pattern=_USERNAME)
        secret = _secret(u, "secret", where)
        if not secret:
            diags.error(mapping.mark, "user needs a secret (secret, secret_env or secret_file)", path)
            continue
        users.append(UserSettings(name, secret, u.choice("permission", ("read", "control"), "read")))
    return SupervisorSettings(
        enabled=sub.boolean("enabled", True),
        host=sub.text("host", LOOPBACK),
        port=sub.integer("port", 5039, minimum=0, maximum=65535),
        users=tuple(users),
        userevents=sub.boolean("userevents", True),
        userevent_interval=sub.number("userevent_interval", 30.0, minimum=1, maximum=3600),
    )


def _mqtt(f: Fields, diags: Diagnostics, where: _Where) -> MqttSettings:
    sub = _sub(
        f,
        "mqtt",
        (
            "enabled",
            "host",
            "port",
            "username",
            "password",
            "password_env",
            "password_file",
            "client_id",
            "prefix",
            "qos",
            "stats_interval",
            "stats_min_interval",
            "queue_size",
            "keepalive",
        ),
    )
    if sub is None:
        return MqttSettings()
    return MqttSettings(
        enabled=sub.boolean("enabled", False),
        host=sub.text("host", LOOPBACK),
        port=sub.integer("port", 1883, minimum=1, maximum=65535),
        username=sub.text("username"),
        password=_secret(sub, "password", where),
        client_id=sub.text("client_id", "ivr-acd"),
        prefix=sub.text("prefix", "ivr-acd"),
        qos=sub.integer("qos", 1, minimum=0, maximum=2),
        stats_interval=sub.number("stats_interval", 15.0, minimum=1, maximum=3600),
        stats_min_interval=sub.number("stats_min_interval", 1.0, minimum=0.1, maximum=3600),
        queue_size=sub.integer("queue_size", 10_000, minimum=10, maximum=1_000_000),
        keepalive=sub.integer("keepalive", 30, minimum=5, maximum=3600),
    )


def _numbers(sub: Fields | None, diags: Diagnostics) -> dict[str, str]:
    if sub is None or not sub.has("numbers"):
        return {}
    node = sub.value("numbers")
    mapping = (
        expect_map(node, sub.at("numbers"), diags, "a mapping of dialled numbers to dialplans")
        if node is not None
        else None
    )
    numbers: dict[str, str] = {}
    if isinstance(mapping, MapNode):
        for entry in mapping:
            if isinstance(entry.value, ScalarNode) and isinstance(entry.value.value, str):
                numbers[entry.key] = entry.value.value
            else:
                diags.error(
                    entry.value.mark,
                    f"{entry.key}: expected a dialplan name",
                    sub.at("numbers").key(entry.key),
                )
    return numbers


def _pause_reasons(sub: Fields | None, diags: Diagnostics) -> dict[str, str]:
    """``agent_features.pause_reasons``: code (1-3 digits) -> reason (a short word or phrase)."""
    if sub is None or not sub.has("pause_reasons"):
        return dict(DEFAULT_PAUSE_REASONS)
    node = sub.value("pause_reasons")
    mapping = (
        expect_map(node, sub.at("pause_reasons"), diags, "a mapping of pause codes to reasons")
        if node is not None
        else None
    )
    reasons: dict[str, str] = {}
    for entry in mapping or []:
        path = sub.at("pause_reasons").key(entry.key)
        value = entry.value.value if isinstance(entry.value, ScalarNode) else None
        if not PAUSE_CODE.match(entry.key):
            diags.error(entry.key_mark, f"pause code {entry.key!r}: expected 1 to 3 digits (quote it)", path)
        elif not isinstance(value, str) or not PAUSE_REASON.match(value):
            diags.error(entry.value.mark, f"{entry.key}: expected a reason such as lunch or training", path)
        else:
            reasons[entry.key] = value
    return reasons
