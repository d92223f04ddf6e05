"""Variables the interpreter itself sets, so that the linter knows they are not typos."""

from __future__ import annotations

# Set from the call at start (`caller.number`, `call.dnis`, `request.<key>`...) and from the
# clock at every input (`time.hour`...).
BUILTIN_PREFIXES = ("caller.", "call.", "request.", "time.")

# Set by steps as they run.
RUNTIME_VARIABLES = frozenset(
    {
        "lookup.status",  # HTTP status of the last lookup, null when it failed without one
        "queue.outcome",  # how the last queue step ended
        "callback.outcome",  # booked, duplicate or failed: how the last callback step ended
        "transfer.status",  # Dial status of the last transfer
        "transfer.number",  # the number a number+trunk transfer dialled
        "record.ok",
        "record.seconds",
        "record.name",
        "menu.key",  # the last key chosen in a menu
        "split.choice",  # the target the last split chose
    }
)


def is_builtin(name: str) -> bool:
    """Whether the interpreter provides `name` without any step setting it."""
    return name in RUNTIME_VARIABLES or name.startswith(BUILTIN_PREFIXES)
