"""Hand-run timing of router decisions; not a test (nothing here asserts on wall-clock time).

    .venv/bin/python -m tests.acd.time_router [agents skills waiting ...]

Times are this thread's CPU time (``ROUTER_TIMING_CLOCK=wall`` for wall-clock).

Builds a router in steady state (every agent busy except those no waiting call suits, the given
number of calls waiting), then alternates two events, each one decision:

* agent ready: ``upsert_agent`` (free, workload updated) + ``assign``;
* call arrives: ``add_call`` + ``assign``.

Prints p50/p99/max per event. Queues cycle through the five strategies, two thirds relax;
agents have 4 skills and serve 3 of 10 queues; calls need one skill (70 %) or two, level 1-3.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import time
from dataclasses import replace

from acd.model import Agent, Call
from acd.policy import QueuePolicy
from acd.relaxation import Relaxation
from acd.requirement import AllOf, Need, Requirement
from acd.router import Router
from acd.strategies import Strategy

SCHEDULES = ((), ((20.0, 3), (60.0, 1)), ((45.0, 2),))
# CPU time of this thread: on a shared machine, wall-clock tails measure the neighbours.
# Set ROUTER_TIMING_CLOCK=wall for perf_counter.
CLOCK = time.perf_counter if os.environ.get("ROUTER_TIMING_CLOCK") == "wall" else time.thread_time


class Scenario:
    """A router in steady state plus the two events, all driven by one seeded generator."""

    def __init__(self, agents: int, skills: int, waiting: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.skills = [f"s{i}" for i in range(skills)]
        strategies = list(Strategy)
        self.policies = {
            f"q{i}": QueuePolicy(f"q{i}", strategies[i % 5], Relaxation.from_pairs(SCHEDULES[i % 3]))
            for i in range(10)
        }
        self.router = Router(self.policies)
        self.now = 10_000.0
        self.seq = 0
        self.busy: list[str] = []
        for _ in range(waiting + agents):
            self.router.add_call(self.call(self.now - self.rng.uniform(0, 120)))
        for i in range(agents):
            skill_names = self.rng.sample(self.skills, min(4, skills))
            self.router.upsert_agent(
                Agent(
                    f"a{i:05d}",
                    {s: self.rng.randint(1, 5) for s in skill_names},
                    frozenset(self.rng.sample(sorted(self.policies), 3)),
                    ready=True,
                    idle_since=self.now - self.rng.uniform(0, 600),
                )
            )
            if i % 20 == 19:
                self.busy += [a.agent_id for a in self.router.assign(self.now)]
        self.busy += [a.agent_id for a in self.router.assign(self.now)]
        self.waiting = waiting

    def requirement(self) -> Requirement:
        if self.rng.random() < 0.7:
            return Need(self.rng.choice(self.skills), self.rng.randint(1, 3))
        a, b = sorted(self.rng.sample(self.skills, 2))
        return AllOf((Need(a, self.rng.randint(1, 3)), Need(b, self.rng.randint(1, 3))))

    def call(self, enqueue_time: float) -> Call:
        self.seq += 1
        priority = 5 if self.rng.random() < 1 / 7 else 0
        queue = self.rng.choice(sorted(self.policies))
        return Call(f"c{self.seq}", queue, priority, enqueue_time, self.seq, self.requirement())

    def agent_ready(self) -> float:
        self.now += 0.05
        agent_id = self.busy.pop(self.rng.randrange(len(self.busy)))
        agent = self.router.agent(agent_id)
        freed = replace(
            agent,
            reserved=False,
            idle_since=self.now,
            busy=agent.busy.record(self.now - 180, self.now, 3600.0),
            handled=agent.handled.record(0.0),
        )
        start = CLOCK()
        self.router.upsert_agent(freed)
        taken = self.router.assign(self.now)
        elapsed = CLOCK() - start
        self.busy += [a.agent_id for a in taken]
        return elapsed

    def call_arrives(self) -> float:
        self.now += 0.05
        call = self.call(self.now)
        start = CLOCK()
        self.router.add_call(call)
        taken = self.router.assign(self.now)
        elapsed = CLOCK() - start
        self.busy += [a.agent_id for a in taken]
        return elapsed


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(agents: int, skills: int, waiting: int, events: int = 4000) -> None:
    scenario = Scenario(agents, skills, waiting)
    gc.collect()
    gc.freeze()  # the long-lived state is not what we time
    timings: dict[str, list[float]] = {"ready": [], "arrival": []}
    for i in range(events):
        # Keep the backlog near its size: an arrival for every agent freed, on average.
        if scenario.busy and i % 2 == 0:
            timings["ready"].append(scenario.agent_ready())
        else:
            timings["arrival"].append(scenario.call_arrives())
    gc.unfreeze()
    idle = agents - len(scenario.busy)
    print(
        f"A={agents} S={skills} W={waiting} (waiting now {sum(1 for _ in scenario.router.waiting_calls())}, idle {idle})"
    )
    for kind, samples in timings.items():
        us = [s * 1e6 for s in samples]
        print(
            f"  {kind:8} n={len(us):5}  p50={percentile(us, 0.5):7.1f} us  "
            f"p99={percentile(us, 0.99):7.1f} us  max={max(us):8.1f} us"
        )


def main(argv: list[str]) -> None:
    points = [int(x) for x in argv] or [1000, 100, 10_000]
    for i in range(0, len(points), 3):
        run(*points[i : i + 3])


if __name__ == "__main__":
    main(sys.argv[1:])
