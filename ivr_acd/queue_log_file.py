"""Appends ``queue_log`` lines (formatted by :mod:`acd.queue_log`) to a file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)


class QueueLogFile:
    """An append-only queue_log file; each line is flushed so a killed daemon loses none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None

    def open(self) -> None:
        """Open for appending (creating folders)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, line: str) -> None:
        """Append one line. Contact-centre event rates are low, so one write per line is cheap."""
        if self._file is None:
            return
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as exc:
            log.error("queue_log write failed path=%s error=%s", self.path, exc)

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
