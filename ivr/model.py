"""The compiled form of a dialplan: what the compiler produces and the interpreter runs.

Everything here is immutable and already checked: targets exist, expressions parsed, numbers in
range. Each step's `next` is resolved at compile time: the explicit `next:` or else the step
that follows in document order, or None after the last step (the end of the dialplan).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from configlang.expressions import Expression, Template, Value
from configlang.mark import Mark
from ivr.schedule import Schedule

# ---------------------------------------------------------------- prompts


@dataclass(frozen=True, slots=True)
class SoundItem:
    """An Asterisk sound name (no extension), possibly with `${...}` inside."""

    name: Template
    mark: Mark


@dataclass(frozen=True, slots=True)
class SayNumberItem:
    """Say a whole number."""

    value: Expression


@dataclass(frozen=True, slots=True)
class SayDigitsItem:
    """Say digits one by one."""

    value: Expression


@dataclass(frozen=True, slots=True)
class SayDateTimeItem:
    """Say a date and time: the value is epoch seconds or ISO 8601 text."""

    value: Expression
    timezone: str | None


@dataclass(frozen=True, slots=True)
class SayAmountItem:
    """Say an amount without currency: integer part, the `point_sound`, then each decimal digit."""

    value: Expression
    decimals: int
    point_sound: str


PromptItem = SoundItem | SayNumberItem | SayDigitsItem | SayDateTimeItem | SayAmountItem
Prompt = tuple[PromptItem, ...]


@dataclass(frozen=True, slots=True)
class Escalation:
    """A retry counter with escalating prompts (the last prompt repeats when they run out)."""

    prompts: tuple[Prompt, ...]
    max: int

    def prompt_for(self, count: int) -> Prompt:
        """The prompt for the `count`-th occurrence (1-based)."""
        if not self.prompts:
            return ()
        return self.prompts[min(count, len(self.prompts)) - 1]


# ---------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True, kw_only=True)
class StepBase:
    """What every step has: its id, where it is written, and where it goes when done."""

    id: str
    mark: Mark
    next: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayStep(StepBase):
    """Play prompt items; with `barge_in` a key stops the playback and is kept for what follows."""

    prompt: Prompt
    barge_in: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuStep(StepBase):
    """One key chooses the next step."""

    prompt: Prompt
    options: Mapping[str, str]
    timeout: float
    no_input: Escalation
    no_match: Escalation
    on_failure: str | None


@dataclass(frozen=True, slots=True)
class PhoneRule:
    """A phone number typed on the keypad: digits only, within a length range."""

    min_length: int
    max_length: int


@dataclass(frozen=True, slots=True)
class Validation:
    """What collected digits must satisfy; every rule given must hold."""

    regex: re.Pattern[str] | None = None
    luhn: bool = False
    phone: PhoneRule | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectStep(StepBase):
    """Read several digits into a variable, with validation, read-back and confirmation."""

    variable: str
    prompt: Prompt
    min_length: int
    max_length: int
    terminator: str
    timeout: float
    inter_digit_timeout: float
    validation: Validation
    read_back: bool
    read_back_prompt: Prompt
    confirm_prompt: Prompt | None
    attempts: int
    no_input_prompt: Prompt
    invalid_prompt: Prompt
    on_failure: str | None
    sensitive: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStep(StepBase):
    """Assign variables from expressions, in order; `channel.X` also sets channel variable X."""

    assignments: tuple[tuple[str, Expression], ...]


@dataclass(frozen=True, slots=True)
class BranchCase:
    """One `if` of a branch."""

    condition: Expression
    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchStep(StepBase):
    """The first case whose condition is true chooses the next step; else `otherwise`/`next`."""

    cases: tuple[BranchCase, ...]
    otherwise: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HoursStep(StepBase):
    """Go to `open` or `closed` according to a business-hours schedule."""

    schedule: Schedule
    open: str
    closed: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageStep(StepBase):
    """Set the channel language so that later prompts use that sound set."""

    language: Template


JsonTemplate = None | bool | int | float | Template | list["JsonTemplate"] | dict[str, "JsonTemplate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupStep(StepBase):
    """Call an HTTP JSON service and copy parts of its reply into variables."""

    method: Literal["GET", "POST"]
    url: Template
    body: JsonTemplate
    timeout: float
    assign: tuple[tuple[str, tuple[str, ...]], ...]
    on_failure: str | None


QUEUE_EXITS = ("exit_key", "timeout", "overflow", "no_agents", "callback")


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStep(StepBase):
    """Hand the call to an ACD queue; the ACD reports how it ended."""

    queue: str
    skills: Mapping[str, int]
    priority: Expression | int
    data: tuple[str, ...]
    on: Mapping[str, str]


CALLBACK_OUTCOMES = ("booked", "duplicate", "failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackStep(StepBase):
    """Book a callback from a queue without joining it: the caller confirms or keys a number
    (and maybe picks a time), and the ACD stores the request before the caller is told."""

    queue: str
    on: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferStep(StepBase):
    """Dial somewhere else. With `number`, the number is rendered first, reduced to dialable
    characters and stored as `transfer.number`, which the `target` (the trunk) then uses."""

    target: Template
    number: Template | None
    timeout: float
    on_failure: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordStep(StepBase):
    """Record the caller (voicemail, suggestion line)."""

    prompt: Prompt
    folder: str
    name: Template
    format: str
    max_seconds: int
    beep: bool
    silence: int
    tag: Template | None
    on_failure: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyStep(StepBase):
    """Ask for a 0-10 score, stored as `survey.<name>`."""

    name: str
    prompt: Prompt
    timeout: float
    inter_digit_timeout: float
    attempts: int
    invalid_prompt: Prompt
    thanks: Prompt
    on_failure: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupStep(StepBase):
    """End the call."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GotoStep(StepBase):
    """Continue at another step."""

    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStep(StepBase):
    """Run another dialplan from its start; when it returns, continue at `next`."""

    dialplan: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnStep(StepBase):
    """Return from a called dialplan (in the entry dialplan: end the IVR)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitStep(StepBase):
    """Send a share of calls to each target (A/B tests); the random draw is injected."""

    shares: tuple[tuple[str, int], ...]


Step = (
    PlayStep
    | MenuStep
    | CollectStep
    | SetStep
    | BranchStep
    | HoursStep
    | LanguageStep
    | LookupStep
    | QueueStep
    | CallbackStep
    | TransferStep
    | RecordStep
    | SurveyStep
    | HangupStep
    | GotoStep
    | CallStep
    | ReturnStep
    | SplitStep
)


@dataclass(frozen=True, slots=True)
class Dialplan:
    """One compiled dialplan file. `steps` keeps document order."""

    name: str
    file: str
    mark: Mark
    description: str
    numbers: tuple[str, ...]
    language: str | None
    timezone: str
    zone: ZoneInfo
    variables: Mapping[str, Value]
    start: str
    on_error: str | None
    steps: Mapping[str, Step]
