"""The state of one call while its dialplan runs: variables, the frame stack, the path, and
what the current input brought (the time, the random draw)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from configlang.values import Value, to_text
from ivr.interpreter.actions import Action, PathEvent, PathKind, Start
from ivr.model import Dialplan
from ivr.schedule import WEEKDAYS
from ivr.validation import mask

Draw = Callable[[], float]


class InterpreterUsageError(Exception):
    """The runner broke the protocol (a wrong reply, a missing draw, feeding a finished call)."""


def _no_draw() -> float:
    raise InterpreterUsageError("a split step needs a random draw: pass draw= to feed()")


@dataclass
class Frame:
    """One running dialplan: which, and the step it is at (None: past its last step)."""

    dialplan: Dialplan
    step: str | None


class Runtime:
    """Mutable per-call state. Only the machine and the step runners touch it."""

    def __init__(self, dialplans: Mapping[str, Dialplan], entry: Dialplan, now: datetime) -> None:
        self.dialplans = dialplans
        self.entry = entry
        self.frames: list[Frame] = [Frame(entry, entry.start)]
        self.variables: dict[str, Value] = {}
        self.sensitive: set[str] = set()
        self.path: list[PathEvent] = []
        self.outbox: list[Action] = []
        self.now = now
        self.draw: Draw = _no_draw
        self.pending_digit: str | None = None
        self.callback_requested = False
        self.steps_since_input = 0

    # ------------------------------------------------------------ start and clock

    def start(self, start: Start) -> None:
        """Initial variables: the entry dialplan's, then the call's (the call wins)."""
        self.variables.update(self.entry.variables)
        self.variables.update(
            {
                "caller.number": start.caller_number,
                "caller.name": start.caller_name,
                "call.dnis": start.dnis,
                "call.uniqueid": start.uniqueid,
                "call.channel": start.channel,
                "call.language": start.language or self.entry.language or "",
                "call.dialplan": self.entry.name,
            }
        )
        for key, value in start.request.items():
            self.variables[f"request.{key}"] = value
        self.variables.update(start.variables)
        self.refresh_time()

    def refresh_time(self) -> None:
        """Derive `time.*` from `now` in the current dialplan's time zone."""
        local = self.now.astimezone(self.frame.dialplan.zone)
        self.variables.update(
            {
                "time.hour": local.hour,
                "time.minute": local.minute,
                "time.weekday": WEEKDAYS[local.weekday()],
                "time.date": local.date().isoformat(),
                "time.epoch": int(self.now.timestamp()),
            }
        )

    # ------------------------------------------------------------ frames

    @property
    def frame(self) -> Frame:
        """The innermost running dialplan."""
        return self.frames[-1]

    def qualified(self, step: str | None) -> str:
        """`step` in the entry dialplan, `dialplan:step` in a called one."""
        name = step or ""
        dialplan = self.frame.dialplan
        return name if dialplan is self.entry else f"{dialplan.name}:{name}"

    # ------------------------------------------------------------ variables

    def set(self, name: str, value: Value) -> None:
        """Assign a dialplan variable."""
        self.variables[name] = value

    def masked(self, name: str, value: Value) -> Value:
        """`value` as it may appear in records: sensitive variables are masked."""
        if name in self.sensitive and value not in (None, ""):
            return mask(to_text(value))
        return value

    def masked_variables(self) -> dict[str, Value]:
        """Every variable, masked where sensitive."""
        return {name: self.masked(name, value) for name, value in self.variables.items()}

    def redact(self, text: str) -> str:
        """`text` with every sensitive value replaced by its mask."""
        for name in self.sensitive:
            value = to_text(self.variables.get(name))
            if len(value) >= 4:
                text = text.replace(value, mask(value))
        return text

    # ------------------------------------------------------------ path

    def event(self, kind: PathKind, detail: str = "") -> None:
        """Record a path event at the current step."""
        frame = self.frame
        record = PathEvent(kind, frame.step or "", detail, frame.dialplan.name)
        self.path.append(record)
        self.outbox.append(record)

    def take_outbox(self) -> list[Action]:
        """The notices gathered since the last call, emptied."""
        taken, self.outbox = self.outbox, []
        return taken

    def take_pending_digit(self) -> str | None:
        """The key pressed during a barge-in play just before, if any (used once)."""
        digit, self.pending_digit = self.pending_digit, None
        return digit
