"""Where a value sits inside a document, written the way an engineer would point at it.

`steps.main-menu.menu.options."1"`: plain keys are joined with dots, keys that are not plain
names (digits, symbols, dots) are quoted, sequence items are written `[index]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True, slots=True)
class DocPath:
    """An immutable path from the document root to one node."""

    parts: tuple[str | int, ...] = ()

    def key(self, name: str) -> DocPath:
        """The path of the mapping entry `name` below this one."""
        return DocPath((*self.parts, name))

    def index(self, position: int) -> DocPath:
        """The path of the sequence item at `position` (0-based) below this one."""
        return DocPath((*self.parts, position))

    @property
    def last(self) -> str:
        """The last key as written in messages (`timeout`, `"1"`, `play[0]`), or `document`."""
        if not self.parts:
            return "document"
        # A list item is named with its list: `play[0]`, not a bare `[0]`.
        start = len(self.parts) - 1
        while start > 0 and isinstance(self.parts[start], int):
            start -= 1
        return "".join(_render_part(part) for part in self.parts[start:])

    def __str__(self) -> str:
        text = ""
        for part in self.parts:
            rendered = _render_part(part)
            if isinstance(part, int) or not text:
                text += rendered
            else:
                text += "." + rendered
        return text


def _render_part(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    if _PLAIN_KEY.match(part):
        return part
    escaped = part.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
