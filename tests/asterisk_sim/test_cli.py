"""``python -m asterisk_sim`` with a YAML scenario, and the scenario format itself."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from asterisk_sim import scenario_file
from asterisk_sim.devices import Mode
from asterisk_sim.scenario import Press

REPO = Path(__file__).resolve().parents[2]
DIALPLAN = """
[ivr-acd-inbound]
exten => _X.,1,Answer()
 same => n,Wait(1)
 same => n,Hangup()
"""

SCENARIO: dict[str, Any] = {
    "speed": 0.01,
    "seed": 7,
    "devices": [{"match": "PJSIP/10XX", "mode": "answer", "answer_after": 1, "talk": 5}],
    "traffic": [{"rate": 2.0, "count": 4, "caller": {"number": "555XXXX", "dnis": "5000"}}],
    "calls": [
        {"at": 0.5, "caller": {"number": "5551234", "name": "Alice", "presses": ["1", {"digits": "2#"}]}}
    ],
}


def test_scenario_parsing_and_callers() -> None:
    scenario = scenario_file.parse(SCENARIO)
    assert scenario.speed == 0.01
    assert scenario.seed == 7
    assert scenario.devices[0][0] == "PJSIP/10XX"
    assert scenario.devices[0][1].mode is Mode.ANSWER
    caller = scenario_file.make_caller(SCENARIO["traffic"][0]["caller"], random.Random(1))
    assert caller.number.startswith("555")
    assert caller.number[3:].isdigit()
    assert len(caller.number) == 7
    explicit = scenario_file.make_caller(SCENARIO["calls"][0]["caller"], random.Random(1))
    assert explicit.presses == ("1", Press("2#"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"trafic": []}, "unknown keys"),
        ({"devices": [{"mode": "answer"}]}, "'match' is required"),
        ({"devices": [{"match": "PJSIP/1", "mode": "sometimes"}]}, "sometimes"),
        ({"traffic": [{"rate": 0, "caller": {}}]}, "positive"),
        ({"calls": [{"caller": {"numbr": "1"}}]}, "unknown keys"),
    ],
)
def test_scenario_errors(data: object, message: str) -> None:
    with pytest.raises(scenario_file.ScenarioError, match=message):
        scenario_file.parse(data)


async def test_cli_runs_a_scenario_and_reports(tmp_path: Path) -> None:
    plan = tmp_path / "extensions.conf"
    scenario = tmp_path / "scenario.yaml"
    await asyncio.to_thread(plan.write_text, DIALPLAN, encoding="utf-8")
    await asyncio.to_thread(scenario.write_text, yaml.safe_dump(SCENARIO), encoding="utf-8")
    report = tmp_path / "report.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asterisk_sim",
        "--ami-port",
        "0",
        "--dialplan",
        str(plan),
        "--scenario",
        str(scenario),
        "--report",
        str(report),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    started = json.loads(out.decode().splitlines()[0])
    assert started["ami_port"] > 0
    assert started["speed"] == 0.01
    result = json.loads(await asyncio.to_thread(report.read_text, encoding="utf-8"))
    assert len(result["calls"]) == 5
    assert all(call["hangup_cause"] == 16 and call["answered_at"] is not None for call in result["calls"])
    assert result["stats"]["calls_placed"] == 5


async def test_cli_rejects_a_bad_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    await asyncio.to_thread(scenario.write_text, "speed: 1\nnope: 2\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "asterisk_sim",
        "--scenario",
        str(scenario),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    async with asyncio.timeout(30):
        _, err = await process.communicate()
    assert process.returncode == 2
    assert b"unknown keys" in err
