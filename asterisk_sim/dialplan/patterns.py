"""Extension patterns as Asterisk matches and orders them (pbx.c ``ext_cmp``).

``_X.`` style patterns: ``X`` is 0-9, ``Z`` 1-9, ``N`` 2-9, ``[1-5]`` a set, ``.`` one or
more of anything, ``!`` zero or more; ``-`` outside a set is decoration and ignored; any
other character is literal. A name without a leading ``_`` matches only itself.

When several patterns match, Asterisk takes the most specific one: patterns are compared
element by element, an element matching fewer characters sorts first, and ``.``/``!``
sort after everything. :func:`sort_key` reproduces that ordering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SETS = {"X": "0-9", "Z": "1-9", "N": "2-9"}


class PatternError(ValueError):
    """A malformed extension pattern (an unterminated ``[``)."""


@dataclass(frozen=True)
class Pattern:
    """A compiled ``_…`` pattern."""

    text: str
    regex: re.Pattern[str]
    key: tuple[int, ...]

    def matches(self, exten: str) -> bool:
        """True when ``exten`` matches the whole pattern."""
        return self.regex.fullmatch(exten) is not None


def is_pattern(name: str) -> bool:
    """True for ``_…`` names."""
    return name.startswith("_")


def compile_pattern(name: str) -> Pattern:
    """Compile an ``_…`` pattern into a regex and its specificity key."""
    if not is_pattern(name):
        raise PatternError(f"not a pattern: {name!r}")
    body = name[1:]
    parts: list[str] = []
    key: list[int] = []
    i = 0
    while i < len(body):
        ch = body[i]
        upper = ch.upper()
        if upper in _SETS:
            parts.append(f"[{_SETS[upper]}]")
            key.append(_set_size(_SETS[upper]))
        elif ch == "[":
            end = body.find("]", i + 1)
            if end < 0:
                raise PatternError(f"unterminated '[' in pattern {name!r}")
            content = body[i + 1 : end]
            parts.append("[" + "".join(re.escape(c) if c != "-" else "-" for c in content) + "]")
            key.append(_set_size(content))
            i = end
        elif ch == ".":
            parts.append(".+")
            key.append(1000)
        elif ch == "!":
            parts.append(".*")
            key.append(2000)
        elif ch == "-":
            pass
        else:
            parts.append(re.escape(ch))
            key.append(1)
        i += 1
    return Pattern(name, re.compile("".join(parts), re.DOTALL), tuple(key))


def _set_size(content: str) -> int:
    size = 0
    i = 0
    while i < len(content):
        if i + 2 < len(content) and content[i + 1] == "-":
            size += max(0, ord(content[i + 2]) - ord(content[i]) + 1)
            i += 3
        else:
            size += 1
            i += 1
    return max(size, 1)


def sort_key(pattern: Pattern) -> tuple[tuple[int, ...], str]:
    """Most specific first; ties broken by the text so the order is stable."""
    return pattern.key, pattern.text


def matches(name: str, exten: str) -> bool:
    """Match one extension name (literal or ``_`` pattern) against a dialled extension."""
    if is_pattern(name):
        return compile_pattern(name).matches(exten)
    return name == exten
