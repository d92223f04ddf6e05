"""Reader for the byte-exact Asterisk 22 transcripts in ``tests/traces/asterisk22``.

The files are a copy of ../shared/asterisk-traces (ground truth recorded from a real
Asterisk 22), kept in the repository so CI on a clean checkout has them.

Line format: ``SECONDS DIRECTION PAYLOAD`` where DIRECTION is ``AGI<`` (Asterisk wrote it on
the FastAGI socket), ``AGI>`` (the AGI server wrote it), ``AMI<`` / ``AMI>`` likewise on AMI
(CRLF stripped; an empty payload is the blank line ending a message), or ``MARK``.

Two abbreviations of the recording are expanded here, and only here:

* ``AGI< (env) key=value …`` stands for a whole environment block; we rebuild one with
  Asterisk 22's keys in Asterisk's order, filling the given values.
* ``misc.txt`` omits its one environment block entirely; a session whose first AGI line is
  a command gets a rebuilt block too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TRACE_DIR = Path(__file__).parent / "asterisk22"
TRACE_FILES = ("agi_basic.txt", "connect_moh.txt", "misc.txt", "abandon_redirect.txt")

_LINE = re.compile(r"\s*(\d+\.\d+) (AGI<|AGI>|AMI<|AMI>|MARK)(?: (.*))?")

# agi_basic.txt's full block, as Asterisk 22 sends it (order matters for byte equality).
ENV_TEMPLATE: tuple[tuple[str, str], ...] = (
    ("agi_network", "yes"),
    ("agi_network_script", "ivr?lang=en"),
    ("agi_request", "agi://127.0.0.1:4573/ivr?lang=en"),
    ("agi_channel", "Local/s@agi-test-00000000;2"),
    ("agi_language", "en"),
    ("agi_type", "Local"),
    ("agi_uniqueid", "1795351544.1"),
    ("agi_version", "GIT-22-22.0.0-pre1-541-g69535d4837"),
    ("agi_callerid", "unknown"),
    ("agi_calleridname", "unknown"),
    ("agi_callingpres", "0"),
    ("agi_callingani2", "0"),
    ("agi_callington", "0"),
    ("agi_callingtns", "0"),
    ("agi_dnid", "unknown"),
    ("agi_rdnis", "unknown"),
    ("agi_context", "agi-test"),
    ("agi_extension", "s"),
    ("agi_priority", "2"),
    ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""),
    ("agi_threadid", "140515352893120"),
)


@dataclass(frozen=True)
class Entry:
    """One transcript line."""

    time: float
    direction: str
    payload: str
    lineno: int


@dataclass
class AgiSession:
    """One FastAGI session of a transcript."""

    env: list[tuple[str, str]]
    steps: list[tuple[str, str]] = field(default_factory=list)
    """In order: ``("cmd", line)`` sent by the AGI server, ``("reply", line)`` from Asterisk."""
    abbreviated: bool = False

    @property
    def commands(self) -> list[str]:
        """Command lines the AGI server sent."""
        return [text for kind, text in self.steps if kind == "cmd"]

    @property
    def replies(self) -> list[str]:
        """Lines Asterisk sent after the environment (replies and HANGUP)."""
        return [text for kind, text in self.steps if kind == "reply"]

    def asterisk_bytes(self) -> bytes:
        """Everything Asterisk wrote on this socket."""
        env = "".join(f"{key}: {value}\n" for key, value in self.env) + "\n"
        return (env + "".join(f"{line}\n" for line in self.replies)).encode()

    def env_dict(self) -> dict[str, str]:
        """The environment as a mapping."""
        return dict(self.env)


@dataclass
class Trace:
    """A parsed transcript."""

    name: str
    entries: list[Entry]

    def ami(self, direction: str) -> list[Entry]:
        """AMI lines in one direction: ``<`` from Asterisk, ``>`` from the client."""
        return [e for e in self.entries if e.direction == f"AMI{direction}"]

    def ami_bytes(self, direction: str) -> bytes:
        """The AMI byte stream in one direction, CRLF restored."""
        return "".join(f"{e.payload}\r\n" for e in self.ami(direction)).encode()

    def ami_messages(self, direction: str) -> list[list[tuple[str, str]]]:
        """Messages in one direction as ordered (key, value) lists; the banner is skipped."""
        messages: list[list[tuple[str, str]]] = []
        current: list[tuple[str, str]] = []
        entries = self.ami(direction)
        if direction == "<":
            entries = entries[1:]  # the banner
        for e in entries:
            if e.payload == "":
                if current:
                    messages.append(current)
                    current = []
                continue
            key, _, value = e.payload.partition(":")
            current.append((key, value.lstrip(" ")))
        assert not current, f"{self.name}: unterminated AMI message"
        return messages

    def banner(self) -> str:
        """The manager's greeting line."""
        return self.ami("<")[0].payload

    def agi_sessions(self) -> list[AgiSession]:
        """The FastAGI sessions, in order, with abbreviated environments rebuilt."""
        sessions: list[AgiSession] = []
        current: AgiSession | None = None
        in_env = False
        for e in self.entries:
            if e.direction not in ("AGI<", "AGI>"):
                continue
            text = e.payload
            if e.direction == "AGI<" and text.startswith("(env)"):
                current = AgiSession(env=_expand_env(text[len("(env)") :]), abbreviated=True)
                sessions.append(current)
                in_env = False
                continue
            if e.direction == "AGI<" and text == "agi_network: yes":
                current = AgiSession(env=[])
                sessions.append(current)
                in_env = True
            if current is None:
                current = AgiSession(env=_expand_env(""), abbreviated=True)
                sessions.append(current)
            if in_env:
                if text == "":
                    in_env = False
                else:
                    key, _, value = text.partition(": ")
                    current.env.append((key, value))
                continue
            current.steps.append(("cmd" if e.direction == "AGI>" else "reply", text))
        return sessions


def _expand_env(spec: str) -> list[tuple[str, str]]:
    given = dict(item.split("=", 1) for item in spec.split())
    env = dict(ENV_TEMPLATE)
    if "script" in given:
        env["agi_network_script"] = given["script"]
        env["agi_request"] = f"agi://127.0.0.1:4573/{given['script']}"
    if "channel" in given:
        env["agi_channel"] = given["channel"]
    if "callerid" in given:
        env["agi_callerid"] = given["callerid"]
    return list(env.items())


def load(name: str) -> Trace:
    """Parse one transcript file of ``tests/traces/asterisk22``."""
    entries: list[Entry] = []
    for lineno, raw in enumerate((TRACE_DIR / name).read_text(encoding="utf-8").split("\n"), 1):
        if not raw.strip():
            continue
        match = _LINE.fullmatch(raw)
        assert match, f"{name}:{lineno}: unreadable transcript line {raw!r}"
        entries.append(Entry(float(match.group(1)), match.group(2), match.group(3) or "", lineno))
    return Trace(name, entries)


def load_all() -> list[Trace]:
    """Every transcript."""
    return [load(name) for name in TRACE_FILES]
