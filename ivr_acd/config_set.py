"""Everything an engineer edits, loaded and checked together: queues, the roster, dialplans.

Used at start-up, on every reload and by ``ivr-acd lint``. A set with any error is never
returned: the daemon keeps the set in force and logs every error with its file:line:col.
Cross-file checks: dialplans may only queue into configured queues; a queue's post-call
dialplan must exist; an agent's queue list may only name configured queues; a queue's
destinations (``on_exit: some-step``) must be steps of every dialplan that queues into it; a
``callback`` step may only name a queue that takes callbacks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from acd.queue_config import QueueConfig, load_queues
from acd.roster import AgentConfig, load_roster
from configlang.diagnostics import Diagnostic, Diagnostics
from configlang.docpath import DocPath
from configlang.mark import Mark
from ivr.compiler import compile_paths
from ivr.model import CallbackStep, Dialplan, QueueStep
from ivr_acd.settings import Settings


@dataclass(frozen=True)
class ConfigSet:
    """A consistent set of queues, agents and compiled dialplans."""

    queues: dict[str, QueueConfig]
    agents: list[AgentConfig]
    dialplans: dict[str, Dialplan]
    numbers: dict[str, str] = field(default_factory=dict)
    """Dialled number → dialplan, from the dialplans and the settings."""

    @property
    def roster(self) -> dict[str, AgentConfig]:
        """Agents by id."""
        return {a.agent_id: a for a in self.agents}


def display(path: Path) -> str:
    """A path as error messages show it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def load_config_set(settings: Settings) -> tuple[ConfigSet | None, list[Diagnostic]]:
    """Load and cross-check; the set is None when any error was found."""
    diags = Diagnostics()
    queues = load_queues(settings.queues, diags, display(settings.queues))
    agents = load_roster(settings.agents, diags)
    compiled = compile_paths([settings.dialplans], known_queues=set(queues), sounds_dir=settings.sounds)
    diags.extend(compiled.diagnostics)
    dialplans = dict(compiled.dialplans)
    _cross_check(settings, queues, agents, dialplans, diags)
    numbers = {**compiled.numbers, **settings.numbers}
    for number, name in settings.numbers.items():
        if name not in dialplans and not diags.has_errors:
            diags.error(
                Mark(display(settings.source), 1, 1),
                f"dialplans.numbers: {number} routes to unknown dialplan {name!r}",
            )
    if settings.default_dialplan not in dialplans and not diags.has_errors:
        diags.error(
            Mark(display(settings.source), 1, 1),
            f"dialplans.default: no dialplan named {settings.default_dialplan!r} (known: {', '.join(sorted(dialplans)) or 'none'})",
        )
    result = list(diags)
    if diags.has_errors:
        return None, result
    return ConfigSet(queues, agents, dialplans, numbers), result


def _cross_check(
    settings: Settings,
    queues: dict[str, QueueConfig],
    agents: list[AgentConfig],
    dialplans: dict[str, Dialplan],
    diags: Diagnostics,
) -> None:
    queues_file = display(settings.queues)
    for queue in queues.values():
        if queue.after_call is not None and dialplans and queue.after_call not in dialplans:
            diags.error(
                Mark(queues_file, 1, 1),
                f"queue {queue.name!r}: after_call names unknown dialplan {queue.after_call!r}",
                None,
            )
    for agent in agents:
        for name in agent.queues or ():
            if name not in queues:
                diags.error(
                    agent.mark or Mark("agents", 1, 1), f"agent {agent.agent_id}: unknown queue {name!r}"
                )
    check_callback_steps(queues, dialplans, diags, queues_file)
    for plan in dialplans.values():
        for step_name, step in plan.steps.items():
            if not isinstance(step, QueueStep) or step.queue not in queues:
                continue
            queue = queues[step.queue]
            for key, destination in (
                ("on_exit", queue.on_exit),
                ("on_max_wait", queue.on_max_wait),
                ("on_no_agents", queue.on_no_agents),
                ("on_full", queue.on_full),
            ):
                if destination.kind == "step" and destination.step not in plan.steps:
                    diags.error(
                        step.mark,
                        f"step {step_name!r} queues into {queue.name!r}, whose {key} is step "
                        f"{destination.step!r}, which dialplan {plan.name!r} does not have",
                    )


def check_callback_steps(
    queues: dict[str, QueueConfig], dialplans: dict[str, Dialplan], diags: Diagnostics, queues_file: str
) -> None:
    """A ``callback`` step naming a queue whose callbacks are off (``offer: never``, the default
    without a ``callback:`` block) could never book anything: every caller would hear the
    failure. It is an error, not a warning."""
    for plan in dialplans.values():
        for step_name, step in plan.steps.items():
            if not isinstance(step, CallbackStep) or step.queue not in queues:
                continue
            if not queues[step.queue].callback.enabled:
                diags.error(
                    step.mark,
                    f"step {step_name!r} books callbacks from queue {step.queue!r}, which takes none "
                    f"(its callback offer is never): give it a callback: block in {queues_file}",
                    DocPath(("steps", step_name)),
                )
