"""Log lines: one line per record, UTC timestamps, and secrets never written."""

from __future__ import annotations

import io
import logging
import re

from ivr_acd.logs import REDACTED, LineFormatter, SecretRedactor


def _line(redactor: SecretRedactor, msg: str, *args: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LineFormatter())
    handler.addFilter(redactor)
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning(msg, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_secret_in_the_arguments_is_replaced() -> None:
    redactor = SecretRedactor()
    redactor.set_secrets(["hunter2-long-secret", "abc"])  # "abc" is too short to hide safely
    line = _line(redactor, "login user=%s secret=%s code=%s", "alice", "hunter2-long-secret", "abc")
    assert "hunter2" not in line
    assert f"secret={REDACTED}" in line and "code=abc" in line
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING test-logs-\d+ login user=alice", line)


def test_a_message_is_formatted_once_and_kept_formatted() -> None:
    redactor = SecretRedactor()
    redactor.set_secrets(["a-secret-value"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "value=%d", (5,), None)
    assert redactor.filter(record)
    assert (record.msg, record.args) == ("value=5", None)


def test_without_secrets_records_pass_untouched() -> None:
    line = _line(SecretRedactor(), "calls=%d queue=%s", 3, "support")
    assert line.endswith("calls=3 queue=support\n")
