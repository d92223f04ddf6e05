"""B1's system under test: a bench configuration for ``ivr-acd run`` and its 6-step dialplan.

The dialplan is ordinary YAML compiled by the daemon at start: answer (the runner answers every
call), play a welcome, a menu answered with a key, six digits collected, a ``set`` that also sets
a channel variable, hang up. The caller's keys (:data:`CALLER_KEYS`) are "1" for the menu, then
"123456" for the collect (its prompt takes the first digit).
"""

from __future__ import annotations

from pathlib import Path

from bench.processes import AMI_SECRET

SCRIPT = "bench"
CALLER_KEYS = "1123456"
HOLD_AT = 3
"""Calls are held at their third command (the menu prompt) for the memory measurement."""

DIALPLAN = """\
dialplan: bench
description: The B1 benchmark's call, six steps
numbers: ["5000"]
steps:
  welcome:
    play: [custom/welcome]
  main-menu:
    menu:
      prompt: [custom/main-menu]
      options: {"1": account, "2": account}
      timeout: 5
  account:
    collect:
      variable: account
      prompt: [custom/enter-account-number]
      min_length: 6
      max_length: 6
  remember:
    set: {channel.BENCH_ACCOUNT: account}
  bye:
    hangup:
"""


def write_config(root: Path, ami_port: int, *, max_sessions: int, log_level: str) -> Path:
    """Write the settings, dialplan, queues and (empty) roster under ``root``; the settings path."""
    (root / "dialplans").mkdir(parents=True, exist_ok=True)
    (root / "agents").mkdir(exist_ok=True)
    (root / "dialplans" / "bench.yaml").write_text(DIALPLAN)
    (root / "queues.yaml").write_text("queues:\n  support: {}\n")
    (root / "agents" / "team.yaml").write_text("agents: []\n")
    settings = root / "ivr-acd.yaml"
    settings.write_text(
        f"""\
fastagi: {{host: 127.0.0.1, port: 0, max_sessions: {max_sessions}, header_timeout: 30}}
ami: {{host: 127.0.0.1, port: {ami_port}, username: ivr-acd, secret: {AMI_SECRET}, auth: md5}}
paths:
  dialplans: dialplans
  agents: agents
  queues: queues.yaml
  database: var/ivr-acd.sqlite
  queue_log: null
  recordings: {root / "recordings"}
dialplans: {{default: bench}}
timezone: UTC
supervisor: {{enabled: false, userevents: false}}
logging: {{level: {log_level}}}
drain_timeout: 5
"""
    )
    return settings
