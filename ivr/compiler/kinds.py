"""The table of step kinds: which keys each accepts and which compiler reads it.

The JSON Schema and the documentation are checked against this table by the tests, so that the
editor's completion never drifts from what the compiler accepts.
"""

from __future__ import annotations

from ivr.compiler.flow_steps import (
    compile_branch,
    compile_call,
    compile_goto,
    compile_hangup,
    compile_language,
    compile_return,
    compile_set,
    compile_split,
)
from ivr.compiler.hours_step import HOURS_KEYS, compile_hours
from ivr.compiler.input_steps import (
    COLLECT_KEYS,
    MENU_KEYS,
    SURVEY_KEYS,
    compile_collect,
    compile_menu,
    compile_play,
    compile_survey,
)
from ivr.compiler.service_steps import (
    CALLBACK_KEYS,
    LOOKUP_KEYS,
    QUEUE_KEYS,
    RECORD_KEYS,
    TRANSFER_KEYS,
    compile_callback,
    compile_lookup,
    compile_queue,
    compile_record,
    compile_transfer,
)
from ivr.compiler.stepsource import StepKind

# Keys every step may carry besides its kind key.
COMMON_STEP_KEYS = ("note",)

STEP_KINDS: dict[str, StepKind] = {
    "play": StepKind(("barge_in", "next"), None, compile_play, "play prompts"),
    "menu": StepKind((), MENU_KEYS, compile_menu, "one key picks the next step"),
    "collect": StepKind(("next",), COLLECT_KEYS, compile_collect, "read digits into a variable"),
    "set": StepKind(("next",), None, compile_set, "assign variables"),
    "branch": StepKind((), None, compile_branch, "choose the next step by conditions"),
    "hours": StepKind((), HOURS_KEYS, compile_hours, "open or closed"),
    "language": StepKind(("next",), None, compile_language, "set the channel language"),
    "lookup": StepKind(("next",), LOOKUP_KEYS, compile_lookup, "HTTP JSON lookup"),
    "queue": StepKind(("next",), QUEUE_KEYS, compile_queue, "hand the call to an ACD queue"),
    "callback": StepKind(("next",), CALLBACK_KEYS, compile_callback, "book a callback from a queue"),
    "transfer": StepKind(("next",), TRANSFER_KEYS, compile_transfer, "dial another destination"),
    "record": StepKind(("next",), RECORD_KEYS, compile_record, "record a message"),
    "survey": StepKind(("next",), SURVEY_KEYS, compile_survey, "ask for a 0-10 score"),
    "hangup": StepKind((), None, compile_hangup, "end the call"),
    "goto": StepKind((), None, compile_goto, "continue at another step"),
    "call": StepKind(("next",), None, compile_call, "run another dialplan, then continue"),
    "return": StepKind((), None, compile_return, "go back to the calling dialplan"),
    "split": StepKind((), None, compile_split, "send shares of calls to different steps"),
}
