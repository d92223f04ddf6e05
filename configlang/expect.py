"""A small toolkit to check the shape of positioned YAML against what a schema expects.

Every check records a diagnostic that says what was expected and what was found, at the exact
position, and returns None (or the default) so that the caller goes on and finds the next
problem too. Messages name the key they are about:
`timeout: expected a number of seconds between 1 and 60, got "abc"`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterable, Sequence
from typing import overload

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.mark import Mark
from configlang.source import BOOL_TAG, TIMESTAMP_TAG, MapNode, Node, ScalarNode, SeqNode


def describe(node: Node) -> str:
    """How a value reads in an error message: `"abc"`, `12`, `true`, `a list`, `a mapping`."""
    if isinstance(node, SeqNode):
        return "a list"
    if isinstance(node, MapNode):
        return "a mapping"
    value = node.value
    if value is None:
        return "nothing (null)" if not node.raw or node.raw == "~" else node.raw
    if isinstance(value, bool):
        text = "true" if value else "false"
        if node.raw.lower() not in ("true", "false"):
            # YAML 1.1 reads yes/no/on/off as booleans: say so, it is a classic trap.
            return f'{node.raw} (YAML reads it as {text}; quote it to mean the text "{node.raw}")'
        return text
    if isinstance(value, int | float) or node.tag == TIMESTAMP_TAG:
        return node.raw
    return f'"{value}"'


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word`, if one is close enough to be a plausible typo."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean "x"?` when a close candidate exists, else the empty string."""
    match = closest(word, candidates)
    return f'; did you mean "{match}"?' if match is not None else ""


def _fail(diags: Diagnostics, node: Node, path: DocPath, what: str) -> None:
    diags.error(node.mark, f"{path.last}: expected {what}, got {describe(node)}", path)


def expect_map(node: Node, path: DocPath, diags: Diagnostics, what: str = "a mapping") -> MapNode | None:
    """The node as a mapping, or None after reporting that it is not one."""
    if isinstance(node, MapNode):
        return node
    _fail(diags, node, path, what)
    return None


def expect_list(
    node: Node, path: DocPath, diags: Diagnostics, what: str = "a list", *, allow_single: bool = False
) -> list[tuple[Node, DocPath]] | None:
    """The items of a list with their paths; with `allow_single`, a lone value is a list of one."""
    if isinstance(node, SeqNode):
        return [(item, path.index(i)) for i, item in enumerate(node.items)]
    if allow_single and not (isinstance(node, ScalarNode) and node.value is None):
        return [(node, path)]
    _fail(diags, node, path, what)
    return None


def check_keys(
    node: MapNode,
    path: DocPath,
    diags: Diagnostics,
    *,
    allowed: Collection[str],
    required: Iterable[str] = (),
    where: str,
) -> bool:
    """Report unknown keys (with the closest allowed one) and missing required keys.

    Returns True when the mapping had neither.
    """
    ok = True
    for entry in node.entries:
        if entry.key not in allowed:
            ok = False
            listing = ", ".join(sorted(allowed))
            diags.error(
                entry.key_mark,
                f'unknown key "{entry.key}" in {where}{did_you_mean(entry.key, allowed)}'
                f" (allowed: {listing})",
                path.key(entry.key),
            )
    for key in required:
        if key not in node:
            ok = False
            diags.error(node.mark, f'{where}: missing required key "{key}"', path)
    return ok


def expect_text(
    node: Node,
    path: DocPath,
    diags: Diagnostics,
    what: str = "text",
    *,
    pattern: re.Pattern[str] | None = None,
    allow_empty: bool = False,
) -> str | None:
    """A text value. Plain numbers count as text as written (`0800` stays `0800`); booleans do not."""
    if isinstance(node, ScalarNode) and node.tag != BOOL_TAG and node.value is not None:
        text = node.raw
        if (text or allow_empty) and (pattern is None or pattern.fullmatch(text)):
            return text
    _fail(diags, node, path, what)
    return None


def expect_int(
    node: Node,
    path: DocPath,
    diags: Diagnostics,
    what: str | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """A whole number, optionally within [minimum, maximum]."""
    if (
        isinstance(node, ScalarNode)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and _in_range(node.value, minimum, maximum)
    ):
        return node.value
    _fail(diags, node, path, what or _range_text("a whole number", minimum, maximum))
    return None


def expect_number(
    node: Node,
    path: DocPath,
    diags: Diagnostics,
    what: str | None = None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    """A finite number (whole or decimal), optionally within [minimum, maximum]."""
    if (
        isinstance(node, ScalarNode)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and math.isfinite(node.value)
        and _in_range(node.value, minimum, maximum)
    ):
        return float(node.value)
    _fail(diags, node, path, what or _range_text("a number", minimum, maximum))
    return None


def expect_bool(node: Node, path: DocPath, diags: Diagnostics, what: str = "true or false") -> bool | None:
    """A boolean."""
    if isinstance(node, ScalarNode) and isinstance(node.value, bool):
        return node.value
    _fail(diags, node, path, what)
    return None


def expect_choice(node: Node, path: DocPath, diags: Diagnostics, choices: Sequence[str]) -> str | None:
    """One of a fixed set of words; a near miss gets a suggestion."""
    listing = ", ".join(choices)
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        if node.value in choices:
            return node.value
        diags.error(
            node.mark,
            f"{path.last}: expected one of {listing}, got {describe(node)}"
            + did_you_mean(node.value, choices),
            path,
        )
        return None
    _fail(diags, node, path, f"one of {listing}")
    return None


def is_null(node: Node | None) -> bool:
    """Whether the node is absent or an explicit null (`key:` with nothing after it)."""
    return node is None or (isinstance(node, ScalarNode) and node.value is None)


def _in_range(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def _range_text(noun: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{noun} between {_num(minimum)} and {_num(maximum)}"
    if minimum is not None:
        return f"{noun} of at least {_num(minimum)}"
    if maximum is not None:
        return f"{noun} of at most {_num(maximum)}"
    return noun


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Fields:
    """Reads the keys of one mapping, checking the key set once and each value on request.

    Getters return the default (or None) when a key is absent or its value is wrong; the
    problem has then been recorded, so callers never need to report it again.
    """

    def __init__(
        self,
        node: MapNode,
        path: DocPath,
        diags: Diagnostics,
        *,
        where: str,
        allowed: Collection[str],
        required: Iterable[str] = (),
    ) -> None:
        self.node = node
        self.path = path
        self.diags = diags
        self.where = where
        self.ok = check_keys(node, path, diags, allowed=allowed, required=required, where=where)

    def has(self, key: str) -> bool:
        """Whether `key` is present (even with a null value)."""
        return key in self.node

    def value(self, key: str) -> Node | None:
        """The raw node under `key`."""
        return self.node.get(key)

    def at(self, key: str) -> DocPath:
        """The document path of `key`."""
        return self.path.key(key)

    def mark(self, key: str) -> Mark:
        """Where the value of `key` starts, or where the mapping starts when `key` is absent."""
        value = self.node.get(key)
        return value.mark if value is not None else self.node.mark

    @overload
    def text(self, key: str, *, what: str = ..., pattern: re.Pattern[str] | None = ...) -> str | None: ...
    @overload
    def text(
        self, key: str, default: str, *, what: str = ..., pattern: re.Pattern[str] | None = ...
    ) -> str: ...

    def text(
        self,
        key: str,
        default: str | None = None,
        *,
        what: str = "text",
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        """A text value under `key`."""
        node = self.node.get(key)
        if node is None:
            return default
        result = expect_text(node, self.at(key), self.diags, what, pattern=pattern)
        return default if result is None else result

    @overload
    def integer(
        self, key: str, *, minimum: int | None = ..., maximum: int | None = ..., what: str | None = ...
    ) -> int | None: ...
    @overload
    def integer(
        self,
        key: str,
        default: int,
        *,
        minimum: int | None = ...,
        maximum: int | None = ...,
        what: str | None = ...,
    ) -> int: ...

    def integer(
        self,
        key: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        what: str | None = None,
    ) -> int | None:
        """A whole number under `key`."""
        node = self.node.get(key)
        if node is None:
            return default
        result = expect_int(node, self.at(key), self.diags, what, minimum=minimum, maximum=maximum)
        return default if result is None else result

    def number(
        self,
        key: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        what: str | None = None,
    ) -> float:
        """A number under `key`."""
        node = self.node.get(key)
        if node is None:
            return default
        result = expect_number(node, self.at(key), self.diags, what, minimum=minimum, maximum=maximum)
        return default if result is None else result

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean under `key`."""
        node = self.node.get(key)
        if node is None:
            return default
        result = expect_bool(node, self.at(key), self.diags)
        return default if result is None else result

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        """One of `choices` under `key`."""
        node = self.node.get(key)
        if node is None:
            return default
        result = expect_choice(node, self.at(key), self.diags, choices)
        return default if result is None else result
