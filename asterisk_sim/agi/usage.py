"""AGI command names, whether each may run on a dead channel, and their usage texts.

The ``dead`` column is res_agi.c's: only these still run after the channel left AGI
(``NOOP``, variables, ``VERBOSE``, ``DATABASE …``, ``EXEC``); everything else answers
``511 Command Not Permitted on a dead channel or intercept routine``.

Usage texts are the classic one-line syntaxes. Asterisk 22 sends its XML documentation's
description between ``520-Invalid command syntax.  Proper usage follows:`` and
``520 End of proper usage.``; the framing is exact here, the text inside is shorter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandSpec:
    """One AGI command: its words, whether it runs dead, its usage."""

    words: tuple[str, ...]
    dead: bool
    usage: str


_SPECS = [
    (("ANSWER",), False, "Usage: ANSWER\n\tAnswers channel if not already in answer state."),
    (("ASYNCAGI", "BREAK"), True, "Usage: ASYNCAGI BREAK\n\tInterrupts Async AGI."),
    (
        ("CHANNEL", "STATUS"),
        False,
        "Usage: CHANNEL STATUS [<channelname>]\n\tReturns the status of the channel.",
    ),
    (
        ("CONTROL", "STREAM", "FILE"),
        False,
        "Usage: CONTROL STREAM FILE <filename> <escape_digits> [skipms] [ffchar] [rewchr] [pausechr] [offsetms]",
    ),
    (
        ("DATABASE", "DEL"),
        True,
        "Usage: DATABASE DEL <family> <key>\n\tDeletes an entry in the Asterisk database.",
    ),
    (
        ("DATABASE", "DELTREE"),
        True,
        "Usage: DATABASE DELTREE <family> [keytree]\n\tDeletes a family or tree.",
    ),
    (
        ("DATABASE", "GET"),
        True,
        "Usage: DATABASE GET <family> <key>\n\tRetrieves an entry in the Asterisk database.",
    ),
    (("DATABASE", "PUT"), True, "Usage: DATABASE PUT <family> <key> <value>\n\tAdds or updates an entry."),
    (("EXEC",), True, "Usage: EXEC <application> <options>\n\tExecutes application with given options."),
    (("GET", "DATA"), False, "Usage: GET DATA <file to be streamed> [timeout] [max digits]"),
    (("GET", "FULL", "VARIABLE"), True, "Usage: GET FULL VARIABLE <variablename> [<channel name>]"),
    (("GET", "OPTION"), False, "Usage: GET OPTION <filename> <escape_digits> [timeout]"),
    (("GET", "VARIABLE"), True, "Usage: GET VARIABLE <variablename>"),
    (("HANGUP",), False, "Usage: HANGUP [<channelname>]\n\tHangs up the specified channel."),
    (("NOOP",), True, "Usage: NoOp\n\tDoes nothing."),
    (
        ("RECORD", "FILE"),
        False,
        "Usage: RECORD FILE <filename> <format> <escape digits> <timeout> [offset samples] [BEEP] [s=silence]",
    ),
    (("SAY", "ALPHA"), False, "Usage: SAY ALPHA <number> <escape digits>"),
    (("SAY", "DATETIME"), False, "Usage: SAY DATETIME <time> <escape digits> [format] [timezone]"),
    (("SAY", "DIGITS"), False, "Usage: SAY DIGITS <number> <escape digits>"),
    (("SAY", "NUMBER"), False, "Usage: SAY NUMBER <number> <escape digits> [gender]"),
    (("SET", "AUTOHANGUP"), False, "Usage: SET AUTOHANGUP <time>"),
    (("SET", "CALLERID"), False, "Usage: SET CALLERID <number>"),
    (("SET", "CONTEXT"), False, "Usage: SET CONTEXT <desired context>"),
    (("SET", "EXTENSION"), False, "Usage: SET EXTENSION <new extension>"),
    (("SET", "MUSIC"), False, "Usage: SET MUSIC <on|off> <class>"),
    (("SET", "PRIORITY"), False, "Usage: SET PRIORITY <priority>"),
    (("SET", "VARIABLE"), True, "Usage: SET VARIABLE <variablename> <value>"),
    (("STREAM", "FILE"), False, "Usage: STREAM FILE <filename> <escape digits> [sample offset]"),
    (("VERBOSE",), True, "Usage: VERBOSE <message> <level>"),
    (("WAIT", "FOR", "DIGIT"), False, "Usage: WAIT FOR DIGIT <timeout>"),
]

COMMANDS: dict[tuple[str, ...], CommandSpec] = {
    words: CommandSpec(words, dead, usage) for words, dead, usage in _SPECS
}
_MAX_WORDS = max(len(words) for words in COMMANDS)


def find(argv: tuple[str, ...]) -> CommandSpec | None:
    """The command named by the first words of ``argv`` (case-insensitive), if any."""
    upper = tuple(word.upper() for word in argv[:_MAX_WORDS])
    for size in range(len(upper), 0, -1):
        spec = COMMANDS.get(upper[:size])
        if spec is not None:
            return spec
    return None
