"""The agent roster: ``agents/*.yaml`` files, one or more, merged.

Each agent: an id, a name, the device the daemon rings (``PJSIP/1001``,
``Local/1001@agents``, …), a PIN for logging in from the phone, skills with levels,
teams, the queues they may serve (default: every queue their skills qualify them for),
max concurrent calls (1 for voice) and whether they are logged in at start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from acd.requirement import MAX_LEVEL, MIN_LEVEL
from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import Fields, expect_list, expect_map
from configlang.mark import Mark
from configlang.source import MapNode, Node, ScalarNode, load_yaml_file

AGENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
DEVICE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*/\S+\Z")
PIN = re.compile(r"[0-9]{3,12}\Z")
SKILL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class AgentConfig:
    """One agent of the roster."""

    agent_id: str
    name: str
    device: str
    pin: str = ""
    skills: dict[str, int] = field(default_factory=dict)
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] | None = None
    """Queues the agent may serve; None: every queue their skills qualify them for."""
    max_calls: int = 1
    login_at_start: bool = False
    mark: Mark | None = None
    """Where the agent is defined, for error messages."""


_AGENT_KEYS = ("id", "name", "device", "pin", "skills", "teams", "queues", "max_calls", "login_at_start")


def parse_agents(
    root: Node | None, diags: Diagnostics, seen: dict[str, Mark] | None = None
) -> list[AgentConfig]:
    """Parse one roster document (``agents: [...]``); ``seen`` catches ids repeated across files."""
    seen = {} if seen is None else seen
    agents: list[AgentConfig] = []
    if root is None:
        return agents
    doc = expect_map(root, DocPath(), diags, "a mapping with an `agents:` list")
    if doc is None:
        return agents
    top = Fields(doc, DocPath(), diags, where="roster", allowed=("agents", "$schema"), required=("agents",))
    node = top.value("agents")
    items = expect_list(node, top.at("agents"), diags, "a list of agents") if node is not None else None
    devices: dict[str, str] = {}
    for item, path in items or []:
        agent_id = _raw_id(item)
        if agent_id is not None and agent_id in seen:
            diags.error(
                item.mark, f"agent id {agent_id!r} is already defined at {seen[agent_id]}", path.key("id")
            )
            continue
        if agent_id is not None:
            seen[agent_id] = item.mark
        agent = _parse_agent(item, path, diags)
        if agent is None:
            continue
        if agent.device in devices:
            diags.warning(
                item.mark,
                f"device {agent.device} is also agent {devices[agent.device]!r}'s",
                path.key("device"),
            )
        devices[agent.device] = agent.agent_id
        agents.append(agent)
    return agents


def load_roster(paths: Iterable[Path], diags: Diagnostics, base: Path | None = None) -> list[AgentConfig]:
    """Read every roster file (a directory means its ``*.yaml`` files, sorted)."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    seen: dict[str, Mark] = {}
    agents: list[AgentConfig] = []
    for file in files:
        display = str(file.relative_to(base)) if base is not None and file.is_relative_to(base) else str(file)
        agents.extend(parse_agents(load_yaml_file(file, diags, display), diags, seen))
    return agents


def _parse_agent(node: Node, path: DocPath, diags: Diagnostics) -> AgentConfig | None:
    mapping = expect_map(node, path, diags, "an agent (a mapping with id, name, device, …)")
    if mapping is None:
        return None
    f = Fields(mapping, path, diags, where="agent", allowed=_AGENT_KEYS, required=("id", "name", "device"))
    errors_before = diags.error_count()
    agent_id = _id(f)
    name = f.text("name", "")
    device = f.text("device", "", what="a device dial string such as PJSIP/1001", pattern=DEVICE)
    pin = f.text("pin", "", what="a PIN of 3 to 12 digits (quote it)", pattern=PIN)
    skills = _skills(f, diags)
    teams = _names(f, "teams", diags)
    queues = _names(f, "queues", diags) if f.has("queues") else None
    agent = AgentConfig(
        agent_id=agent_id,
        name=name,
        device=device,
        pin=pin,
        skills=skills,
        teams=teams,
        queues=queues,
        max_calls=f.integer("max_calls", 1, minimum=1, maximum=10),
        login_at_start=f.boolean("login_at_start", False),
        mark=mapping.mark,
    )
    return agent if diags.error_count() == errors_before else None


def _raw_id(node: Node) -> str | None:
    """The id as written, before validation (to catch duplicates even in broken entries)."""
    if isinstance(node, MapNode):
        value = node.get("id")
        if isinstance(value, ScalarNode) and value.raw:
            return value.raw
    return None


def _id(f: Fields) -> str:
    node = f.value("id")
    # Ids are usually extensions ("1001"); accept them unquoted too.
    if isinstance(node, ScalarNode) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.raw
    return f.text("id", "", what="an agent id (letters, digits, '-', '_', '.')", pattern=AGENT_ID)


def _skills(f: Fields, diags: Diagnostics) -> dict[str, int]:
    node = f.value("skills")
    if node is None:
        return {}
    mapping = expect_map(node, f.at("skills"), diags, "skills with levels, e.g. {english: 4, billing: 2}")
    if mapping is None:
        return {}
    skills: dict[str, int] = {}
    for entry in mapping:
        value = entry.value
        path = f.at("skills").key(entry.key)
        if not SKILL_NAME.match(entry.key):
            diags.error(entry.key_mark, f"skill name {entry.key!r}: use letters, digits, '-' or '_'", path)
        elif (
            isinstance(value, ScalarNode)
            and isinstance(value.value, int)
            and not isinstance(value.value, bool)
            and MIN_LEVEL <= value.value <= MAX_LEVEL
        ):
            skills[entry.key] = value.value
        else:
            diags.error(
                value.mark, f"{entry.key}: expected a skill level between {MIN_LEVEL} and {MAX_LEVEL}", path
            )
    return skills


def _names(f: Fields, key: str, diags: Diagnostics) -> tuple[str, ...]:
    node = f.value(key)
    if node is None:
        return ()
    items = expect_list(node, f.at(key), diags, "a list of names", allow_single=True)
    names: list[str] = []
    for item, path in items or []:
        if isinstance(item, ScalarNode) and isinstance(item.value, str) and item.value:
            names.append(item.value)
        else:
            diags.error(item.mark, f"{path.last}: expected a name", path)
    return tuple(names)
