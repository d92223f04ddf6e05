"""Diagnostics: what is wrong with a file, where, and how bad it is.

A `Diagnostics` collector gathers every problem of a run so that an engineer sees all of them
at once instead of fixing one error per run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from configlang.docpath import DocPath
from configlang.mark import Mark

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a file; `line` and `col` are 1-based, `path` is the place in the document."""

    file: str
    line: int
    col: int
    severity: Severity
    message: str
    path: str = ""

    def format(self) -> str:
        """The `file:line:col: severity: message (at path)` line that editors and CI understand."""
        where = f" (at {self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}{where}"

    def __str__(self) -> str:
        return self.format()


class Diagnostics:
    """Collects diagnostics in the order they are found; reading them back sorts by position."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def error(self, mark: Mark, message: str, path: DocPath | None = None) -> None:
        """Record an error at `mark`."""
        self._add(mark, "error", message, path)

    def warning(self, mark: Mark, message: str, path: DocPath | None = None) -> None:
        """Record a warning at `mark`."""
        self._add(mark, "warning", message, path)

    def add(self, diagnostic: Diagnostic) -> None:
        """Record an already built diagnostic."""
        self._items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record several already built diagnostics."""
        self._items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        """Whether at least one error (not only warnings) was recorded."""
        return any(item.severity == "error" for item in self._items)

    def error_count(self) -> int:
        """How many errors were recorded."""
        return sum(1 for item in self._items if item.severity == "error")

    def sorted(self) -> list[Diagnostic]:
        """All diagnostics by file, line and column; ties keep the order they were found in."""
        return sorted(self._items, key=lambda item: (item.file, item.line, item.col))

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def _add(self, mark: Mark, severity: Severity, message: str, path: DocPath | None) -> None:
        self._items.append(
            Diagnostic(mark.file, mark.line, mark.col, severity, message, str(path) if path else "")
        )
