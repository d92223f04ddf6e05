"""The vocabulary between the interpreter and the runner that owns the channel.

The machine returns a list of actions from each `feed`. Notices (`PathEvent`, `Hangup`,
`Finished`) need no reply. Every other action is a command: it comes last in the list, the
runner carries it out on the channel and feeds back the matching reply:

| command        | reply                                   |
|----------------|-----------------------------------------|
| `Play`         | `PlayDone(digit)` (the escape key, or None)    |
| `WaitDigit`    | `DigitResult(digit)` (None: timeout)    |
| `SetLanguage`  | `Done()`                                |
| `SetVariable`  | `Done()`                                |
| `HttpRequest`  | `HttpResult(status, body, error)`       |
| `Enqueue`      | `QueueResult(outcome, next_step)`       |
| `BookCallback` | `CallbackResult(outcome)`               |
| `Dial`         | `DialResult(status)`                    |
| `Record`       | `RecordResult(ok, seconds)`             |

`CallerHungUp()` may be fed instead of any reply; the first input is always `Start`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from configlang.values import Value

# ---------------------------------------------------------------- what Play plays


@dataclass(frozen=True, slots=True)
class Sound:
    """An Asterisk sound file, by name without extension (`custom/welcome`)."""

    name: str


@dataclass(frozen=True, slots=True)
class SayNumber:
    """SAY NUMBER."""

    value: int


@dataclass(frozen=True, slots=True)
class SayDigits:
    """SAY DIGITS (only 0-9)."""

    digits: str


@dataclass(frozen=True, slots=True)
class SayDateTime:
    """SAY DATETIME of an instant, in a time zone."""

    epoch: int
    tz: str


PlayItem = Sound | SayNumber | SayDigits | SayDateTime

# ---------------------------------------------------------------- commands (need a reply)


@dataclass(frozen=True, slots=True)
class Play:
    """Play items in order; any key in `escape_digits` stops the playback and is returned."""

    items: tuple[PlayItem, ...]
    escape_digits: str


@dataclass(frozen=True, slots=True)
class WaitDigit:
    """Wait up to `timeout` seconds for one key."""

    timeout: float


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """Set CHANNEL(language)."""

    language: str


@dataclass(frozen=True, slots=True)
class SetVariable:
    """Set a channel variable."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request whose reply is JSON. Treat `url` and `json_body` as sensitive: they may
    hold what the caller typed; log them through `Machine.redact`."""

    method: Literal["GET", "POST"]
    url: str
    json_body: Value
    timeout: float


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Hand the call to an ACD queue; `data` is the screen pop for the agent."""

    queue: str
    skills: Mapping[str, int]
    priority: int
    data: Mapping[str, Value]


@dataclass(frozen=True, slots=True)
class BookCallback:
    """Let the caller book a callback from `queue`: the runner's service confirms or reads the
    number, offers a time when the queue allows it, stores the request, then tells the caller."""

    queue: str


@dataclass(frozen=True, slots=True)
class Dial:
    """Dial an Asterisk dial string (interpolated values are already reduced to safe characters)."""

    target: str
    timeout: float


@dataclass(frozen=True, slots=True)
class Record:
    """Record the caller into `folder/name.fmt`; `tag` is the category for whoever listens later."""

    folder: str
    name: str
    fmt: str
    max_seconds: int
    beep: bool
    silence: int
    tag: str
    metadata: Mapping[str, str]


Command = Play | WaitDigit | SetLanguage | SetVariable | HttpRequest | Enqueue | BookCallback | Dial | Record

# ---------------------------------------------------------------- notices (no reply)

PathKind = Literal[
    "step",  # a step was entered
    "key",  # a key was pressed (menu, survey, confirmation, barge-in)
    "input",  # digits collected (masked when sensitive)
    "timeout",  # the caller said nothing in time
    "invalid_key",  # a key that the menu does not offer
    "validation_failed",  # collected digits were rejected
    "reenter",  # the caller chose to type collected digits again
    "survey_score",
    "hours",  # the hours step decided open or closed
    "split",  # the A/B split chose a target
    "lookup_failed",
    "queue_outcome",
    "callback_outcome",
    "transfer_failed",
    "record_failed",
    "call",  # entered a sub-dialplan
    "return",  # came back from one
    "end",  # fell off the end of a dialplan
    "error",  # an expression failed or a loop was stopped
    "hangup",  # the caller hung up
]


@dataclass(frozen=True, slots=True)
class PathEvent:
    """One entry of the call's path, for analytics and the call record."""

    kind: PathKind
    step: str
    detail: str = ""
    dialplan: str = ""


@dataclass(frozen=True, slots=True)
class Hangup:
    """Hang the channel up. Always followed by `Finished`."""


Outcome = Literal["ivr_only", "queued", "answered", "transfer", "hangup_by_caller", "error"]


@dataclass(frozen=True, slots=True)
class Finished:
    """The run is over. `variables` are masked where sensitive; `last_step` is `dialplan:step`
    for a step of a called dialplan."""

    outcome: Outcome
    last_step: str
    variables: Mapping[str, Value]


Notice = PathEvent | Hangup | Finished
Action = Command | Notice

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Start:
    """The first input: who calls, which number, the channel, and the FastAGI `?query`."""

    caller_number: str = ""
    caller_name: str = ""
    dnis: str = ""
    uniqueid: str = ""
    channel: str = ""
    language: str = ""
    request: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlayDone:
    """Reply to Play: the escape key pressed, or None when the playback ran to its end."""

    digit: str | None = None


@dataclass(frozen=True, slots=True)
class DigitResult:
    """Reply to WaitDigit: the key, or None on timeout."""

    digit: str | None = None


@dataclass(frozen=True, slots=True)
class Done:
    """Reply to SetLanguage and SetVariable."""


@dataclass(frozen=True, slots=True)
class HttpResult:
    """Reply to HttpRequest: the status and decoded JSON, or an error (timeout, bad JSON...)."""

    status: int | None = None
    body: object = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class QueueResult:
    """Reply to Enqueue: `answered`, `exit_key`, `timeout`, `overflow`, `no_agents` or `callback`;
    `next_step` may name a step of the current dialplan chosen by the queue's configuration."""

    outcome: str
    next_step: str | None = None


CallbackOutcome = Literal["booked", "duplicate", "failed"]


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """Reply to BookCallback: `booked` (stored, and the caller heard so), `duplicate` (an earlier
    request for that number is kept; the caller heard so) or `failed` (nothing stored; the
    caller heard that the callback could not be booked)."""

    outcome: CallbackOutcome


@dataclass(frozen=True, slots=True)
class DialResult:
    """Reply to Dial: ANSWER, BUSY, NOANSWER, CHANUNAVAIL, CONGESTION..."""

    status: str


@dataclass(frozen=True, slots=True)
class RecordResult:
    """Reply to Record."""

    ok: bool
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    """The caller hung up (may replace any reply)."""


Reply = PlayDone | DigitResult | Done | HttpResult | QueueResult | CallbackResult | DialResult | RecordResult
Input = Start | Reply | CallerHungUp

REPLY_FOR: dict[type[Command], type[Reply]] = {
    Play: PlayDone,
    WaitDigit: DigitResult,
    SetLanguage: Done,
    SetVariable: Done,
    HttpRequest: HttpResult,
    Enqueue: QueueResult,
    BookCallback: CallbackResult,
    Dial: DialResult,
    Record: RecordResult,
}
