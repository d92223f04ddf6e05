"""An AMI message: an ordered list of ``Key: Value`` fields.

Order is kept because supervisors' tools and our conformance tests compare field order,
and repeated keys are legal (``Variable:`` on Originate, ``Output:`` on Command).
Look-ups are case-insensitive, as Asterisk's ``astman_get_header()`` is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from telephony.errors import LocalProtocolError

Kind = Literal["response", "event", "action", "other"]

_KIND_KEYS: tuple[tuple[str, Kind], ...] = (
    ("response", "response"),
    ("event", "event"),
    ("action", "action"),
)


def _check(key: str, value: str) -> None:
    if not key or ":" in key or any(c in key for c in "\r\n") or key != key.strip():
        raise LocalProtocolError(f"invalid AMI field name {key!r}")
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(f"AMI field {key!r} has a line break in its value")


@dataclass(frozen=True)
class AmiMessage:
    """One AMI message (action, response or event)."""

    fields: tuple[tuple[str, str], ...]

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, object]] = (), /, **more: object) -> AmiMessage:
        """Build from ``(key, value)`` pairs then keyword fields; ``None`` values are left out."""
        items = [(k, v) for k, v in pairs if v is not None]
        items.extend((k, v) for k, v in more.items() if v is not None)
        return cls(tuple((k, _text(v)) for k, v in items))

    def get(self, key: str, default: str | None = None) -> str | None:
        """First value of ``key`` (case-insensitive), or ``default``."""
        lowered = key.lower()
        for name, value in self.fields:
            if name.lower() == lowered:
                return value
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.fields)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated key, in order."""
        lowered = key.lower()
        return [value for name, value in self.fields if name.lower() == lowered]

    @property
    def keys(self) -> tuple[str, ...]:
        """Field names in order, as sent."""
        return tuple(name for name, _ in self.fields)

    @property
    def kind(self) -> Kind:
        """Response, event or action, from the first field that says so."""
        for name, _ in self.fields:
            lowered = name.lower()
            for key, kind in _KIND_KEYS:
                if lowered == key:
                    return kind
        return "other"

    @property
    def name(self) -> str:
        """The event name, the response status or the action name."""
        kind = self.kind
        return "" if kind == "other" else (self.get(kind) or "")

    @property
    def action_id(self) -> str | None:
        """The ``ActionID`` correlating responses and list events with their action."""
        return self.get("ActionID")

    def as_dict(self) -> dict[str, str]:
        """The fields as a dict; the first value of a repeated key wins."""
        out: dict[str, str] = {}
        for name, value in self.fields:
            out.setdefault(name, value)
        return out

    def replace(self, updates: Mapping[str, object]) -> AmiMessage:
        """A copy with some fields' values replaced in place (or appended when new)."""
        pending = {k.lower(): (k, _text(v)) for k, v in updates.items()}
        fields: list[tuple[str, str]] = []
        for name, value in self.fields:
            hit = pending.pop(name.lower(), None)
            fields.append((name, hit[1]) if hit else (name, value))
        fields.extend(pending.values())
        return AmiMessage(tuple(fields))

    def encode(self) -> bytes:
        """Wire format: ``Key: Value\\r\\n`` lines and an empty line."""
        parts: list[str] = []
        for key, value in self.fields:
            _check(key, value)
            parts.append(f"{key}: {value}\r\n")
        parts.append("\r\n")
        return "".join(parts).encode("utf-8")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def action(name: str, pairs: Iterable[tuple[str, object]] = (), /, **fields: object) -> AmiMessage:
    """An action message: ``Action: <name>`` first."""
    return AmiMessage.build([("Action", name), *pairs], **fields)


def event(name: str, pairs: Iterable[tuple[str, object]] = (), /, **fields: object) -> AmiMessage:
    """An event message: ``Event: <name>`` first."""
    return AmiMessage.build([("Event", name), *pairs], **fields)


def response(status: str, pairs: Iterable[tuple[str, object]] = (), /, **fields: object) -> AmiMessage:
    """A response message: ``Response: <status>`` first."""
    return AmiMessage.build([("Response", status), *pairs], **fields)
