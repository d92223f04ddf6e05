"""Structured log lines, and a last line of defence against logging secrets.

Every module logs ``event key=value …`` messages through ``logging.getLogger(__name__)``;
this module only decides how lines look. :class:`SecretRedactor` replaces any configured
secret (AMI secrets, supervisor passwords, agent PINs) that would still reach a log line,
so a careless ``%r`` of a config object cannot leak one. Code must not log secrets in the
first place; the redactor is belt and braces.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable

REDACTED = "***"


class SecretRedactor(logging.Filter):
    """Replaces known secret strings in every record that passes through a handler."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Replace the set of strings to hide (short strings are ignored: they would mangle logs)."""
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        if not self._secrets:
            return True
        message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
        # Keep the formatted text: the formatter then does not format the arguments again.
        record.msg = message
        record.args = None
        return True


class LineFormatter(logging.Formatter):
    """``2026-11-22T13:05:01.123Z INFO logger message`` (UTC, millisecond precision)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging API)
        """ISO 8601 in UTC with milliseconds."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        """One line; a traceback, if any, follows indented."""
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


REDACTOR = SecretRedactor()
"""The process-wide redactor; the daemon feeds it the secrets it loads."""


def setup(level: str = "INFO", stream: object = None) -> None:
    """Send log lines to ``stream`` (stderr by default) through the redactor."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(LineFormatter())
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
