"""``config/queues.yaml``: what each queue is, checked with line-accurate errors.

Parsing is pure (positioned YAML nodes in, :class:`QueueConfig` and diagnostics out); only
:func:`load_queues` reads a file. Every problem of the file is reported in one run, each
with ``file:line:col`` and the path inside the document, and a file with an error never
produces a configuration (the daemon keeps the one in force).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from acd.callback_policy import CallbackPolicy, parse_callback_policy
from acd.errors import RoutingConfigError
from acd.policy import DEFAULT_OCCUPANCY_WINDOW, QueuePolicy
from acd.relaxation import Relaxation
from acd.requirement import ANYONE, MAX_LEVEL, MIN_LEVEL, Requirement, requirement_from_levels
from acd.skill_expr import SkillExpressionError, parse_skill_expression
from acd.strategies import parse_strategy
from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import Fields, expect_list, expect_map
from configlang.expr_ast import Expression
from configlang.expr_errors import ExpressionSyntaxError
from configlang.expr_parser import parse_expression
from configlang.source import Node, ScalarNode, load_yaml_file

QUEUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
DTMF_KEY = re.compile(r"[0-9*#]\Z")
STEP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
STRATEGIES = ("longest_idle", "least_occupancy", "fewest_calls", "best_skill", "round_robin")


@dataclass(frozen=True)
class Destination:
    """Where a caller goes when they leave a queue without an agent.

    ``continue``: back to the dialplan that queued them, which decides (its queue step's
    ``on:`` targets, else ``next``); ``hangup``; or the name of a step of that dialplan.
    """

    kind: str
    step: str | None = None

    @classmethod
    def parse(cls, text: str) -> Destination:
        """Parse ``continue``, ``hangup`` or a step name; raises ValueError otherwise."""
        if text in ("continue", "hangup"):
            return cls(text)
        if not STEP_NAME.match(text):
            raise ValueError("expected continue, hangup, or the name of a step of the queueing dialplan")
        return cls("step", text)

    def __str__(self) -> str:
        return self.step if self.kind == "step" and self.step else self.kind


CONTINUE = Destination("continue")


@dataclass(frozen=True)
class PriorityRule:
    """``if`` the expression holds for the call's variables, its priority is at least ``priority``."""

    condition: Expression
    priority: int


@dataclass(frozen=True)
class Announcements:
    """What a waiting caller is told, and how often."""

    frequency: float = 45.0
    """Seconds between announcements; 0 turns them off."""
    first_after: float = 0.0
    """Seconds after joining before the first one (0: at once)."""
    position: bool = True
    wait_time: bool = True
    min_wait_to_announce: float = 60.0
    """Below this estimate the caller hears "shortly" rather than a number of minutes."""


@dataclass(frozen=True)
class QueueConfig:
    """One queue, as configured."""

    name: str
    description: str = ""
    skills: Requirement = ANYONE
    skills_text: str = ""
    relaxation: Relaxation = field(default_factory=Relaxation)
    strategy: str = "longest_idle"
    occupancy_window: float = DEFAULT_OCCUPANCY_WINDOW
    base_priority: int = 0
    priority_rules: tuple[PriorityRule, ...] = ()
    service_levels: tuple[int, ...] = (20,)
    ring_timeout: float = 15.0
    wrap_up: float = 10.0
    max_size: int = 0
    """0: unlimited."""
    max_wait: float = 0.0
    """0: callers wait as long as they like."""
    on_max_wait: Destination = CONTINUE
    when_no_agents: str = "join"
    """``join``: wait anyway; ``leave``: go to ``on_no_agents`` when nobody is logged in."""
    on_no_agents: Destination = CONTINUE
    on_full: Destination = CONTINUE
    exit_key: str | None = None
    on_exit: Destination = CONTINUE
    announce: Announcements = field(default_factory=Announcements)
    music_class: str = "default"
    segment: float = 10.0
    """Seconds of music between two checks (keys, announcements, news from the ACD)."""
    after_no_answer: str = "paused"
    """Agent state after ringing out: ``paused`` (reason "no answer") or ``ready``."""
    busy_backoff: float = 15.0
    """An agent whose phone was busy is not offered calls for this long."""
    after_call: str | None = None
    """A dialplan (e.g. a survey) the caller runs once the agent hangs up; None: hang up."""
    callback: CallbackPolicy = field(default_factory=CallbackPolicy)
    """When callbacks are offered and how they are made (disabled by default)."""

    def policy(self) -> QueuePolicy:
        """The routing policy the router needs."""
        return QueuePolicy(self.name, parse_strategy(self.strategy), self.relaxation, self.occupancy_window)

    @property
    def service_level(self) -> int:
        """The primary service-level threshold (seconds)."""
        return self.service_levels[0]


_QUEUE_KEYS = (
    "description", "skills", "relax", "strategy", "occupancy_window", "priority", "service_level",
    "ring_timeout", "wrap_up", "max_size", "max_wait", "on_max_wait", "when_no_agents", "on_no_agents",
    "on_full", "exit_key", "on_exit", "announce", "music", "segment", "after_no_answer", "busy_backoff",
    "after_call", "callback",
)  # fmt: skip


def parse_queues(root: Node | None, diags: Diagnostics) -> dict[str, QueueConfig]:
    """Parse the document of ``queues.yaml``; problems go to ``diags``."""
    queues: dict[str, QueueConfig] = {}
    if root is None:
        return queues
    doc = expect_map(root, DocPath(), diags, "a mapping with a `queues:` key")
    if doc is None:
        return queues
    top = Fields(
        doc, DocPath(), diags, where="queues.yaml", allowed=("queues", "$schema"), required=("queues",)
    )
    node = top.value("queues")
    if node is None:
        return queues
    mapping = expect_map(node, top.at("queues"), diags, "a mapping of queue names to their settings")
    if mapping is None:
        return queues
    for entry in mapping:
        path = top.at("queues").key(entry.key)
        if not QUEUE_NAME.match(entry.key):
            diags.error(
                entry.key_mark, f"queue name {entry.key!r}: use letters, digits, '-', '_' or '.'", path
            )
            continue
        queue = _parse_queue(entry.key, entry.value, path, diags)
        if queue is not None:
            queues[entry.key] = queue
    return queues


def load_queues(path: Path, diags: Diagnostics, display_name: str | None = None) -> dict[str, QueueConfig]:
    """Read and parse a queues file."""
    return parse_queues(load_yaml_file(path, diags, display_name), diags)


def _parse_queue(name: str, node: Node, path: DocPath, diags: Diagnostics) -> QueueConfig | None:
    mapping = expect_map(node, path, diags, "the queue's settings (a mapping)")
    if mapping is None:
        return None
    f = Fields(mapping, path, diags, where=f"queue {name!r}", allowed=_QUEUE_KEYS)
    errors_before = diags.error_count()
    skills, skills_text = _skills(f, diags)
    relaxation = _relaxation(f, diags)
    strategy = f.choice("strategy", STRATEGIES, "longest_idle")
    base_priority, rules = _priority(f, diags)
    service_levels = _service_levels(f, diags)
    callback = CallbackPolicy()
    callback_node = f.value("callback")
    if callback_node is not None:
        callback_map = expect_map(callback_node, f.at("callback"), diags, "the callback policy (a mapping)")
        if callback_map is not None:
            callback = parse_callback_policy(callback_map, f.at("callback"), diags) or CallbackPolicy()
    queue = QueueConfig(
        name=name,
        description=f.text("description", ""),
        skills=skills,
        skills_text=skills_text,
        relaxation=relaxation,
        strategy=strategy,
        occupancy_window=f.number("occupancy_window", DEFAULT_OCCUPANCY_WINDOW, minimum=60, maximum=86400),
        base_priority=base_priority,
        priority_rules=rules,
        service_levels=service_levels,
        ring_timeout=f.number("ring_timeout", 15.0, minimum=3, maximum=300),
        wrap_up=f.number("wrap_up", 10.0, minimum=0, maximum=3600),
        max_size=f.integer("max_size", 0, minimum=0, maximum=100000),
        max_wait=f.number("max_wait", 0.0, minimum=0, maximum=86400),
        on_max_wait=_destination(f, "on_max_wait", diags),
        when_no_agents=f.choice("when_no_agents", ("join", "leave"), "join"),
        on_no_agents=_destination(f, "on_no_agents", diags),
        on_full=_destination(f, "on_full", diags),
        exit_key=f.text("exit_key", what="one key (0-9, * or #)", pattern=DTMF_KEY),
        on_exit=_destination(f, "on_exit", diags),
        announce=_announcements(f, diags),
        music_class=f.text("music", "default"),
        segment=f.number("segment", 10.0, minimum=1, maximum=120),
        after_no_answer=f.choice("after_no_answer", ("paused", "ready"), "paused"),
        busy_backoff=f.number("busy_backoff", 15.0, minimum=0, maximum=3600),
        after_call=f.text("after_call"),
        callback=callback,
    )
    if diags.error_count() > errors_before:
        return None
    try:
        queue.policy()
    except RoutingConfigError as exc:  # pragma: no cover - every field was checked above
        diags.error(mapping.mark, str(exc), path)
        return None
    return queue


def _skills(f: Fields, diags: Diagnostics) -> tuple[Requirement, str]:
    node = f.value("skills")
    if node is None:
        return ANYONE, ""
    path = f.at("skills")
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        try:
            return parse_skill_expression(node.value), node.value
        except SkillExpressionError as exc:
            diags.error(node.mark_at(exc.column - 1), f"skills: {exc.message}", path)
            return ANYONE, ""
    mapping = expect_map(node, path, diags, "skills with minimum levels ({english: 2}) or an expression")
    if mapping is None:
        return ANYONE, ""
    levels: dict[str, int] = {}
    for entry in mapping:
        value = entry.value
        if (
            not isinstance(value, ScalarNode)
            or isinstance(value.value, bool)
            or not isinstance(value.value, int)
            or not MIN_LEVEL <= value.value <= MAX_LEVEL
        ):
            diags.error(
                value.mark,
                f"{entry.key}: expected a skill level between {MIN_LEVEL} and {MAX_LEVEL}",
                path.key(entry.key),
            )
            continue
        levels[entry.key] = value.value
    text = " and ".join(f"{skill} >= {level}" for skill, level in sorted(levels.items()))
    return requirement_from_levels(levels), text


def _relaxation(f: Fields, diags: Diagnostics) -> Relaxation:
    node = f.value("relax")
    if node is None:
        return Relaxation()
    items = expect_list(node, f.at("relax"), diags, "a list of {after: seconds, to: level} steps")
    if items is None:
        return Relaxation()
    pairs: list[tuple[float, int]] = []
    for item, path in items:
        mapping = expect_map(item, path, diags, "{after: seconds, to: level}")
        if mapping is None:
            continue
        step = Fields(
            mapping, path, diags, where="relax step", allowed=("after", "to"), required=("after", "to")
        )
        after = step.number("after", -1.0, minimum=0, maximum=86400)
        level = step.integer("to", minimum=MIN_LEVEL, maximum=MAX_LEVEL)
        if after >= 0 and level is not None:
            pairs.append((after, level))
    try:
        return Relaxation.from_pairs(pairs)
    except RoutingConfigError as exc:
        diags.error(node.mark, f"relax: {exc}", f.at("relax"))
        return Relaxation()


def _priority(f: Fields, diags: Diagnostics) -> tuple[int, tuple[PriorityRule, ...]]:
    node = f.value("priority")
    if node is None:
        return 0, ()
    path = f.at("priority")
    if isinstance(node, ScalarNode):
        return f.integer("priority", 0, minimum=-100, maximum=100), ()
    mapping = expect_map(node, path, diags, "a priority (number) or {base: n, rules: [...]}")
    if mapping is None:
        return 0, ()
    p = Fields(mapping, path, diags, where="priority", allowed=("base", "rules"))
    base = p.integer("base", 0, minimum=-100, maximum=100)
    rules: list[PriorityRule] = []
    rules_node = p.value("rules")
    items = expect_list(rules_node, p.at("rules"), diags) if rules_node is not None else []
    for item, item_path in items or []:
        rule_map = expect_map(item, item_path, diags, "{if: expression, priority: n}")
        if rule_map is None:
            continue
        r = Fields(
            rule_map,
            item_path,
            diags,
            where="priority rule",
            allowed=("if", "priority"),
            required=("if", "priority"),
        )
        condition = _expression(r, "if", diags)
        level = r.integer("priority", minimum=-100, maximum=100)
        if condition is not None and level is not None:
            rules.append(PriorityRule(condition, level))
    return base, tuple(rules)


def _expression(f: Fields, key: str, diags: Diagnostics) -> Expression | None:
    node = f.value(key)
    if node is None:
        return None
    if not isinstance(node, ScalarNode) or not isinstance(node.value, str | bool):
        diags.error(node.mark, f"{key}: expected an expression", f.at(key))
        return None
    text = node.raw if isinstance(node.value, bool) else node.value
    try:
        return parse_expression(str(text))
    except ExpressionSyntaxError as exc:
        diags.error(node.mark_at(exc.column - 1), f"{key}: {exc.message}", f.at(key))
        return None


def _service_levels(f: Fields, diags: Diagnostics) -> tuple[int, ...]:
    node = f.value("service_level")
    if node is None:
        return (20,)
    items = expect_list(
        node, f.at("service_level"), diags, "seconds, or a list of thresholds", allow_single=True
    )
    levels: list[int] = []
    for item, path in items or []:
        if (
            isinstance(item, ScalarNode)
            and isinstance(item.value, int)
            and not isinstance(item.value, bool)
            and 1 <= item.value <= 3600
        ):
            levels.append(item.value)
        else:
            diags.error(item.mark, f"{path.last}: expected a threshold in seconds between 1 and 3600", path)
    return tuple(levels) or (20,)


def _destination(f: Fields, key: str, diags: Diagnostics) -> Destination:
    text = f.text(key)
    if text is None:
        return CONTINUE
    try:
        return Destination.parse(text)
    except ValueError as exc:
        diags.error(f.mark(key), f"{key}: {exc}, got {text!r}", f.at(key))
        return CONTINUE


def _announcements(f: Fields, diags: Diagnostics) -> Announcements:
    node = f.value("announce")
    if node is None:
        return Announcements()
    mapping = expect_map(node, f.at("announce"), diags)
    if mapping is None:
        return Announcements()
    a = Fields(
        mapping,
        f.at("announce"),
        diags,
        where="announce",
        allowed=("frequency", "first_after", "position", "wait_time", "min_wait_to_announce"),
    )
    return Announcements(
        frequency=a.number("frequency", 45.0, minimum=0, maximum=3600),
        first_after=a.number("first_after", 0.0, minimum=0, maximum=3600),
        position=a.boolean("position", True),
        wait_time=a.boolean("wait_time", True),
        min_wait_to_announce=a.number("min_wait_to_announce", 60.0, minimum=0, maximum=3600),
    )
