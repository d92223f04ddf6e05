"""``ivr-acd stats`` against our listener backed by a fake engine with known figures."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from ivr_acd.stats_cli import SECRET_ENV, parse_queue_status, stats_main
from ivr_acd.supervisor import AmiListener
from telephony.ami.message import AmiMessage
from tests import traces
from tests.supervisor.conftest import READER


def argv(listener: AmiListener, *more: str, secret: str | None = READER[1]) -> list[str]:
    args = ["--ami", f"127.0.0.1:{listener.port}", "--user", READER[0], "--timeout", "2", *more]
    return [*args, "--secret", secret] if secret is not None else args


def row(output: str, first_cell: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.split()[:1] == [first_cell])
    return re.split(r"\s{2,}", line.strip())


async def test_once_prints_the_right_figures(
    listener: AmiListener, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(stats_main, argv(listener, "--once")) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # --once does not clear the screen
    header = row(out, "QUEUE")
    assert header == [
        "QUEUE",
        "WAITING",
        "LONGEST",
        "STAFFED",
        "READY",
        "ON CALL",
        "PAUSED",
        "SL %",
        "ABAND %",
        "ASA",
    ]
    assert row(out, "support") == ["support", "2", "1:35", "3", "1", "1", "1", "60.0", "15.0", "18.4s"]
    assert row(out, "sales") == ["sales", "1", "0:12", "2", "0", "1", "1", "-", "-", "-"]
    assert row(out, "AGENT") == ["AGENT", "NAME", "STATE", "IN STATE", "CALLS", "QUEUES"]
    assert row(out, "a1") == ["a1", "Agent One", "ready", "1:05", "7", "support"]
    assert row(out, "a2") == ["a2", "Agent Two", "on_call", "2:05", "12", "support,sales"]
    assert row(out, "a3") == ["a3", "Agent Three", "paused", "5:00", "3", "support,sales"]
    assert "a4" not in out.split()  # logged out: not a member of any queue


async def test_json(listener: AmiListener, capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(stats_main, argv(listener, "--once", "--json")) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["queues"][0] == {
        "name": "support",
        "waiting": 2,
        "longest_wait": 95,
        "staffed": 3,
        "ready": 1,
        "on_call": 1,
        "paused": 1,
        "service_level": 60.0,
        "abandon_rate": 15.0,
        "asa": 18.4,
    }
    assert document["queues"][1]["service_level"] is None
    assert document["agents"][2] == {
        "agent_id": "a3",
        "name": "Agent Three",
        "device": "PJSIP/1003",
        "state": "paused",
        "seconds_in_state": 300,
        "calls": 3,
        "queues": ["support", "sales"],
    }


async def test_secret_from_the_environment_and_md5(
    listener: AmiListener, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, READER[1])
    assert await asyncio.to_thread(stats_main, argv(listener, "--once", "--auth", "md5", secret=None)) == 0
    assert "support" in capsys.readouterr().out


async def test_live_mode_refreshes_in_place(
    listener: AmiListener, capsys: pytest.CaptureFixture[str]
) -> None:
    # Live mode runs until interrupted; stop it from its own loop after two refreshes.
    import ivr_acd.stats_cli as cli

    refreshes: list[str] = []
    real = cli.render_text

    def counting(*args: object, **kwargs: object) -> str:
        text = real(*args, **kwargs)  # type: ignore[arg-type]
        refreshes.append(text)
        if len(refreshes) == 2:
            raise KeyboardInterrupt
        return text

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "render_text", counting)
        assert await asyncio.to_thread(stats_main, argv(listener, "--interval", "0.05")) == 0
    out = capsys.readouterr().out
    assert out.startswith(cli.CLEAR_SCREEN)
    assert out.count(cli.CLEAR_SCREEN) == 1


async def test_failures_are_reported_without_the_secret(
    listener: AmiListener, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(stats_main, argv(listener, "--once", secret="wrong-s3cret")) == 1
    err = capsys.readouterr().err
    assert "login refused" in err
    assert "wrong-s3cret" not in err
    unused = listener.port + 1 if listener.port < 65535 else 1
    closed = ["--ami", f"127.0.0.1:{unused}", "--secret", "x", "--once", "--timeout", "0.3"]
    assert await asyncio.to_thread(stats_main, closed) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_bad_arguments(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert stats_main(["--once"]) == 2
    assert SECRET_ENV in capsys.readouterr().err
    assert stats_main(["--ami", "nowhere", "--secret", "x"]) == 2
    assert stats_main(["--interval", "0", "--secret", "x"]) == 2
    assert stats_main(["--help"]) == 0


def test_plain_app_queue_answers_are_read_too() -> None:
    # misc.txt's QueueStatus from a real Asterisk: no Acd fields at all.
    recorded = [
        AmiMessage(tuple(m))
        for m in traces.load("misc.txt").ami_messages("<")
        if ("ActionID", "QST") in m and m[0][0] == "Event"
    ]
    stats = parse_queue_status(recorded)
    [support] = stats.queues
    assert (support.waiting, support.staffed, support.ready, support.on_call, support.paused) == (
        0,
        2,
        2,
        0,
        0,
    )
    assert (support.service_level, support.abandon_rate, support.asa) == (0.0, None, 0.0)
    assert [(a.name, a.state, a.calls, a.seconds_in_state) for a in stats.agents] == [
        ("Agent One", "ready", 0, None),
        ("Agent Two", "ready", 0, None),
    ]
