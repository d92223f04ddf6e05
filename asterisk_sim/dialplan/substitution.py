"""``${VAR}``, ``${FUNC(args)}``, ``${VAR:offset:length}`` and ``$[expr]`` substitution.

Follows pbx.c ``pbx_substitute_variables_helper``: left to right, the matching ``}`` or
``]`` is found by counting brackets, the inside is substituted first, then looked up
(a name ending in ``)`` is a function) or evaluated. Unknown variables are empty.
"""

from __future__ import annotations

import logging
from typing import Protocol

from asterisk_sim.dialplan.expr import evaluate, truthy

log = logging.getLogger(__name__)


class Scope(Protocol):
    """Where names are looked up: a channel (then globals), or globals alone."""

    def get_variable(self, name: str) -> str | None:
        """A variable's value (built-ins such as EXTEN included), or None."""
        ...

    def call_function(self, name: str, args: str) -> str | None:
        """A dialplan function's value, or None when the function is unknown."""
        ...


def substitute(text: str, scope: Scope) -> str:
    """Expand every ``${…}`` and ``$[…]`` in ``text``."""
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "$" and i + 1 < n and text[i + 1] in "{[":
            opener = text[i + 1]
            closer = "}" if opener == "{" else "]"
            depth = 1
            j = i + 2
            while j < n and depth:
                if text[j] == opener:
                    depth += 1
                elif text[j] == closer:
                    depth -= 1
                j += 1
            if depth:
                # Unterminated: Asterisk warns and copies the rest through.
                out.append(text[i:])
                break
            inner = substitute(text[i + 2 : j - 1], scope)
            out.append(_variable(inner, scope) if opener == "{" else evaluate(inner))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _variable(spec: str, scope: Scope) -> str:
    name, offset, length = _split_substring(spec)
    if name.endswith(")") and "(" in name:
        func, _, args = name.partition("(")
        value = call_function(func.strip(), args[:-1], scope)
    else:
        value = scope.get_variable(name) or ""
    if offset is None:
        return value
    return _substring(value, offset, length)


def _split_substring(spec: str) -> tuple[str, int | None, int | None]:
    # ${VAR:offset:length}; a ':' inside a function's parentheses is not a substring spec.
    depth = 0
    for idx, ch in enumerate(spec):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == ":" and depth == 0:
            parts = spec[idx + 1 :].split(":")
            try:
                offset = int(parts[0]) if parts[0] else 0
                length = int(parts[1]) if len(parts) > 1 and parts[1] else None
            except ValueError:
                return spec, None, None
            return spec[:idx], offset, length
    return spec, None, None


def _substring(value: str, offset: int, length: int | None) -> str:
    start = offset if offset >= 0 else max(0, len(value) + offset)
    sliced = value[start:]
    if length is None:
        return sliced
    return sliced[:length]


def call_function(name: str, args: str, scope: Scope) -> str:
    """Built-in functions that need no channel, then the scope's own (CALLERID, DB, …)."""
    upper = name.upper()
    if upper == "IF":
        cond, _, branches = args.partition("?")
        yes, _, no = branches.partition(":")
        return yes if truthy(cond.strip()) else no
    if upper == "LEN":
        return str(len(args))
    if upper == "ISNULL":
        return "1" if args == "" else "0"
    if upper == "EXISTS":
        return "0" if args == "" else "1"
    if upper in ("TOUPPER", "UPPER"):
        return args.upper()
    if upper in ("TOLOWER", "LOWER"):
        return args.lower()
    value = scope.call_function(upper, args)
    if value is None:
        log.warning("dialplan function %s() is not simulated; substituting ''", name)
        return ""
    return value


def split_args(text: str) -> list[str]:
    """Split application arguments on commas outside parentheses and quotes (app.c rules)."""
    args: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]" and depth:
            depth -= 1
        elif ch == "," and depth == 0 and not quoted:
            args.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    args.append("".join(current))
    return args


def strip_quotes(value: str) -> str:
    """Drop one pair of surrounding double quotes."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
