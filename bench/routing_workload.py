"""B2's workload: a router in steady state under load, and the two events that drive it.

A grid point is (agents, skills, waiting calls). Ten queues use the five strategies in turn,
two thirds of them with a relaxation schedule. Each agent has four skills (levels 1-5) and
serves three queues; each call needs one skill (70 %) or two (30 %) at level 1-3, one call in
seven at a higher priority. The state is built by filing every agent as available, queueing
more calls than agents, routing, and topping the waiting calls up to the point's count: agents
are then busy, except those no waiting call suits.

Two events then alternate, each one decision of the router, timed from the router's first call
to the end of ``assign``:

* **agent ready** — a busy agent finishes: ``upsert_agent`` (ready, workload updated) + ``assign``;
  it usually takes the best waiting call it may serve;
* **call arrives** — ``add_call`` + ``assign``; it waits, or takes an idle agent that suits it.

Simulated time moves 50 ms per event, so relaxation steps fall due as they would. Nothing reads
the clock or the global random generator: a seed makes the run repeatable.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from acd.model import Agent, Assignment, Call
from acd.policy import QueuePolicy
from acd.reference_router import reference_assign
from acd.relaxation import Relaxation
from acd.requirement import AllOf, Need, Requirement
from acd.router import Router
from acd.strategies import Strategy

QUEUES = 10
SKILLS_PER_AGENT = 4
QUEUES_PER_AGENT = 3
STEP = 0.05
"""Simulated seconds between two events."""
DAY_START = 0.0
SCHEDULES = ((), ((20.0, 3), (60.0, 1)), ((45.0, 2),))
BUILD_BATCH = 20
"""Agents filed per ``assign`` while building the state (see :func:`batch_assign_seconds`)."""


@dataclass(frozen=True)
class GridPoint:
    """One configuration of the routing benchmark."""

    agents: int
    skills: int
    waiting: int

    @property
    def label(self) -> str:
        """``A=1000 S=100 W=10000``."""
        return f"A={self.agents} S={self.skills} W={self.waiting}"


@dataclass(frozen=True)
class Decision:
    """One timed event: its kind, the router's time, and what it decided."""

    kind: str  # "ready" or "arrival"
    seconds: float
    assignments: list[Assignment]
    reference: Callable[[], list[Assignment]] | None
    """Recomputes the same decision with the reference router (when sampled)."""


class Workload:
    """A router at one grid point, in steady state, and its event generator."""

    def __init__(self, point: GridPoint, seed: int = 1) -> None:
        self.point = point
        self.rng = random.Random(seed)
        self.skills = [f"s{i:03d}" for i in range(point.skills)]
        strategies = list(Strategy)
        self.policies = {
            f"q{i}": QueuePolicy(
                f"q{i}", strategies[i % len(strategies)], Relaxation.from_pairs(SCHEDULES[i % len(SCHEDULES)])
            )
            for i in range(QUEUES)
        }
        self.router = Router(self.policies)
        self.now = 10_000.0
        self.seq = 0
        self.busy: list[str] = []
        self.waiting: set[str] = set()
        self.agents: dict[str, Agent] = {}
        self.talk_started: dict[str, float] = {}
        self._build()

    # ---------------------------------------------------------------- state

    def _agent(self, index: int) -> Agent:
        rng = self.rng
        skills = rng.sample(self.skills, min(SKILLS_PER_AGENT, len(self.skills)))
        return Agent(
            id=f"a{index:05d}",
            skills={skill: rng.randint(1, 5) for skill in skills},
            queues=frozenset(rng.sample(sorted(self.policies), QUEUES_PER_AGENT)),
            ready=True,
            idle_since=self.now - rng.uniform(0, 600),
        )

    def _requirement(self) -> Requirement:
        rng = self.rng
        if rng.random() < 0.7 or len(self.skills) < 2:
            return Need(rng.choice(self.skills), rng.randint(1, 3))
        first, second = sorted(rng.sample(self.skills, 2))
        return AllOf((Need(first, rng.randint(1, 3)), Need(second, rng.randint(1, 3))))

    def new_call(self, enqueue_time: float) -> Call:
        """A call arriving at ``enqueue_time``."""
        self.seq += 1
        return Call(
            id=f"c{self.seq:07d}",
            queue=self.rng.choice(sorted(self.policies)),
            priority=5 if self.rng.random() < 1 / 7 else 0,
            enqueue_time=enqueue_time,
            seq=self.seq,
            requirement=self._requirement(),
        )

    def _apply(self, assignments: list[Assignment]) -> None:
        for assignment in assignments:
            self.waiting.discard(assignment.call_id)
            self.busy.append(assignment.agent_id)
            self.talk_started[assignment.agent_id] = self.now

    def _build(self) -> None:
        point = self.point
        for _ in range(point.waiting + point.agents):
            self._queue_call(self.now - self.rng.uniform(0, 120))
        # Agents come in a few at a time, as they log in: one assign per batch of logins.
        for index in range(point.agents):
            agent = self._agent(index)
            self.agents[agent.id] = agent
            self.router.upsert_agent(agent)
            if index % BUILD_BATCH == BUILD_BATCH - 1 or index == point.agents - 1:
                self._apply(self.router.assign(self.now, day_start=DAY_START))
        for _ in range(5):  # top up until the waiting calls are back at the point's count
            missing = point.waiting - len(self.waiting)
            if missing <= 0:
                break
            for _ in range(missing):
                self._queue_call(self.now - self.rng.uniform(0, 120))
            self._apply(self.router.assign(self.now, day_start=DAY_START))

    def _queue_call(self, enqueue_time: float) -> None:
        call = self.new_call(enqueue_time)
        self.router.add_call(call)
        self.waiting.add(call.id)

    @property
    def idle(self) -> int:
        """Agents available right now."""
        return len(self.agents) - len(self.busy)

    # ---------------------------------------------------------------- events

    def _reference(self) -> Callable[[], list[Assignment]]:
        """The reference router on a snapshot of the current state (taken now, run later)."""
        calls = list(self.router.waiting_calls())
        agents = list(self.router.agents.values())
        last = dict(self.router.last_chosen)
        now = self.now

        def decide() -> list[Assignment]:
            return reference_assign(calls, agents, self.policies, now, day_start=DAY_START, last_chosen=last)

        return decide

    def agent_ready(self, sample: bool) -> Decision:
        """A busy agent finishes its call and is ready again."""
        self.now += STEP
        index = self.rng.randrange(len(self.busy))
        self.busy[index], self.busy[-1] = self.busy[-1], self.busy[index]
        agent_id = self.busy.pop()
        current = self.router.agent(agent_id)
        started = self.talk_started.pop(agent_id, self.now)
        fresh = replace(
            current,
            ready=True,
            reserved=False,
            active_calls=0,
            idle_since=self.now,
            busy=current.busy.record(started, self.now, 3600.0),
            handled=current.handled.record(DAY_START),
        )
        begin = time.perf_counter()
        self.router.upsert_agent(fresh)
        middle = time.perf_counter()
        reference = self._reference() if sample else None
        resume = time.perf_counter()
        assignments = self.router.assign(self.now, day_start=DAY_START)
        end = time.perf_counter()
        self._apply(assignments)
        return Decision("ready", (middle - begin) + (end - resume), assignments, reference)

    def call_arrives(self, sample: bool) -> Decision:
        """A caller joins a queue."""
        self.now += STEP
        call = self.new_call(self.now)
        self.waiting.add(call.id)
        begin = time.perf_counter()
        self.router.add_call(call)
        middle = time.perf_counter()
        reference = self._reference() if sample else None
        resume = time.perf_counter()
        assignments = self.router.assign(self.now, day_start=DAY_START)
        end = time.perf_counter()
        self._apply(assignments)
        return Decision("arrival", (middle - begin) + (end - resume), assignments, reference)
