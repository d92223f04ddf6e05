"""queue_log lines have app_queue's field order."""

from __future__ import annotations

from pathlib import Path

from acd import queue_log as ql
from ivr_acd.queue_log_file import QueueLogFile


def test_lines_follow_app_queue_field_order() -> None:
    assert (
        ql.enter_queue(1700000000.9, "1.5", "support", "5551234", 3)
        == "1700000000|1.5|support|NONE|ENTERQUEUE||5551234|3"
    )
    assert (
        ql.connect(10, "1.5", "support", "Agent One", 12.4, "1.7", 3.0)
        == "10|1.5|support|Agent One|CONNECT|12|1.7|3"
    )
    assert ql.abandon(10, "1.5", "support", 2, 3, 40.0) == "10|1.5|support|NONE|ABANDON|2|3|40"
    assert ql.exit_with_key(10, "1.5", "s", "0", 1, 2, 5) == "10|1.5|s|NONE|EXITWITHKEY|0|1|2|5"
    assert ql.exit_with_timeout(10, "1.5", "s", 1, 4, 300) == "10|1.5|s|NONE|EXITWITHTIMEOUT|1|4|300"
    assert ql.exit_empty(10, "1.5", "s", 1, 1, 0) == "10|1.5|s|NONE|EXITEMPTY|1|1|0"
    assert ql.complete(10, "1.5", "s", "A", True, 12, 60, 3) == "10|1.5|s|A|COMPLETECALLER|12|60|3"
    assert ql.complete(10, "1.5", "s", "A", False, 12, 60, 3) == "10|1.5|s|A|COMPLETEAGENT|12|60|3"
    assert ql.ring_no_answer(10, "1.5", "s", "A", 15000) == "10|1.5|s|A|RINGNOANSWER|15000"
    assert ql.agent_login(10, "A", "PJSIP/1001") == "10|NONE|NONE|A|AGENTLOGIN|PJSIP/1001"
    assert ql.agent_logoff(10, "A", "PJSIP/1001", 3600.2) == "10|NONE|NONE|A|AGENTLOGOFF|PJSIP/1001|3600"
    assert ql.pause(10, "s", "A", "lunch") == "10|NONE|s|A|PAUSE|lunch"
    assert ql.unpause(10, "s", "A") == "10|NONE|s|A|UNPAUSE|"
    assert ql.queue_start(10) == "10|NONE|NONE|NONE|QUEUESTART|"


def test_separators_inside_values_cannot_shift_fields() -> None:
    assert ql.enter_queue(1, "c", "q", "Evil|Name\n", 1) == "1|c|q|NONE|ENTERQUEUE||Evil/Name |1"


def test_file_appends_and_flushes(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "queue_log"
    writer = QueueLogFile(path)
    writer.open()
    writer.write(ql.queue_start(1))
    assert path.read_text() == "1|NONE|NONE|NONE|QUEUESTART|\n"  # flushed before close
    writer.close()
