"""Stateful property test: the indexed router against the reference router, tick by tick.

Each tick applies a batch of random changes (calls arriving, leaving, put back; agents freed,
paused, reconfigured, removed), lets time pass, and assigns. At every assign the router must give
exactly the reference's assignments, and the assignments must respect the routing rules on
their own: one call per agent and one agent per call, the requirement met at the relaxation level
in force, FIFO inside a group, nothing eligible left over, and the same answer from a router
built from scratch with its inputs in another order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from acd.eligibility import is_eligible
from acd.model import Agent, Assignment, Call, call_order_key
from acd.policy import QueuePolicy
from acd.reference_router import reference_assign
from acd.relaxation import Relaxation
from acd.requirement import Requirement, satisfies
from acd.router import Router
from acd.strategies import Strategy
from tests.acd.generators import AGENT_IDS, QUEUES, agent_skill_levels, requirements

SCHEDULES = (
    (),
    ((10.0, 3),),
    ((5.0, 4), (20.0, 2), (40.0, 1)),
    ((0.0, 3), (30.0, 1)),
)
HORIZON = 100.0

policies_for_queues = st.tuples(
    *(
        st.builds(
            QueuePolicy,
            name=st.just(queue),
            strategy=st.sampled_from(Strategy),
            relaxation=st.sampled_from(SCHEDULES).map(Relaxation.from_pairs),
            occupancy_window=st.sampled_from((30.0, HORIZON)),
        )
        for queue in QUEUES
    )
)
queue_sets = st.frozensets(st.sampled_from(QUEUES), min_size=1)


# ---------------------------------------------------------------------- changes within a tick
# Agents and calls are picked by index modulo the current population: cheap to draw, and the
# examples shrink towards "the first one".


@dataclass(frozen=True)
class AddCall:
    queue: str
    priority: int
    age: float
    requirement: Requirement


@dataclass(frozen=True)
class RemoveCall:
    pick: int


@dataclass(frozen=True)
class PutBack:
    """A call withdrawn and queued again (reservation not confirmed): it keeps its place."""

    pick: int


@dataclass(frozen=True)
class FreeAgent:
    """A reserved agent ends its call, or a paused one comes back."""

    pick: int
    talk: float


@dataclass(frozen=True)
class PauseAgent:
    pick: int


@dataclass(frozen=True)
class Reconfigure:
    agent_id: str
    skills: dict[str, int]
    queues: frozenset[str]
    ready: bool


@dataclass(frozen=True)
class RemoveAgent:
    pick: int


Change = AddCall | RemoveCall | PutBack | FreeAgent | PauseAgent | Reconfigure | RemoveAgent

picks = st.integers(0, 7)
add_call = st.builds(
    AddCall,
    st.sampled_from(QUEUES),
    st.integers(0, 2),
    st.sampled_from((0.0, 0.0, 7.0, 25.0, 60.0)),
    requirements,
)
free_agent = st.builds(FreeAgent, picks, st.sampled_from((0.0, 3.0, 12.0)))
# Arrivals and freed agents are listed several times: they are what makes pairs form.
changes: st.SearchStrategy[Change] = st.one_of(
    add_call,
    add_call,
    add_call,
    free_agent,
    free_agent,
    st.builds(RemoveCall, picks),
    st.builds(PutBack, picks),
    st.builds(PauseAgent, picks),
    st.builds(Reconfigure, st.sampled_from(AGENT_IDS), agent_skill_levels, queue_sets, st.booleans()),
    st.builds(RemoveAgent, picks),
)


class RouterMachine(RuleBasedStateMachine):
    """The model (plain dicts) is the reference's input; the router is driven alongside."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0
        self.day_start = 0.0
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        self.last_chosen: dict[str, str] = {}
        self.next_seq = 0
        self.policies: dict[str, QueuePolicy] = {}
        self.router = Router({})

    @initialize(
        policies=policies_for_queues,
        staff=st.lists(st.tuples(agent_skill_levels, queue_sets), min_size=1, max_size=len(AGENT_IDS)),
        backlog=st.lists(add_call, max_size=8),
    )
    def configure(
        self,
        policies: tuple[QueuePolicy, ...],
        staff: list[tuple[dict[str, int], frozenset[str]]],
        backlog: list[AddCall],
    ) -> None:
        # Every agent on a call and calls waiting, already seen by one assign: the ticks then
        # free agents into a backlog the router must scan through each agent's frontier.
        self.policies = {p.name: p for p in policies}
        self.router = Router(self.policies)
        for agent_id, (skills, queues) in zip(AGENT_IDS, staff):
            agent = Agent(agent_id, skills, queues, ready=True, reserved=True, idle_since=self.now)
            self.agents[agent_id] = agent
            self.router.upsert_agent(agent)
        for change in backlog:
            self.apply_change(change)
        self.assign()

    @rule(
        batch=st.lists(changes, min_size=1, max_size=6),
        dt=st.sampled_from((0.0, 1.0, 5.0, 10.0, 20.0)),
        new_day=st.booleans(),
    )
    def tick(self, batch: list[Change], dt: float, new_day: bool) -> None:
        for change in batch:
            self.apply_change(change)
        self.now += dt
        if new_day:
            self.day_start = self.now
        self.assign()

    # ------------------------------------------------------------------ applying changes

    def apply_change(self, change: Change) -> None:
        match change:
            case AddCall(queue, priority, age, requirement):
                call = Call(f"c{self.next_seq}", queue, priority, self.now - age, self.next_seq, requirement)
                self.next_seq += 1
                self.calls[call.id] = call
                self.router.add_call(call)
            case RemoveCall(pick) if self.calls:
                call_id = sorted(self.calls)[pick % len(self.calls)]
                assert self.router.remove_call(call_id) == self.calls.pop(call_id)
            case PutBack(pick) if self.calls:
                call_id = sorted(self.calls)[pick % len(self.calls)]
                self.router.remove_call(call_id)
                self.router.add_call(self.calls[call_id])
            case FreeAgent(pick, talk):
                busy = sorted(a.id for a in self.agents.values() if not a.available)
                if busy:
                    self.free(busy[pick % len(busy)], talk)
            case PauseAgent(pick) if self.agents:
                agent_id = sorted(self.agents)[pick % len(self.agents)]
                self.agents[agent_id] = replace(self.agents[agent_id], ready=False)
                self.router.set_available(agent_id, False, self.now)
            case Reconfigure(agent_id, skills, queues, ready):
                agent = Agent(agent_id, skills, queues, ready=ready, idle_since=self.now)
                old = self.agents.get(agent_id)
                if old is not None:
                    agent = replace(agent, busy=old.busy, handled=old.handled, idle_since=old.idle_since)
                self.agents[agent_id] = agent
                self.router.upsert_agent(agent)
            case RemoveAgent(pick) if self.agents:
                agent_id = sorted(self.agents)[pick % len(self.agents)]
                assert self.router.remove_agent(agent_id) == self.agents.pop(agent_id)
            case _:
                pass  # nothing to pick from

    def free(self, agent_id: str, talk: float) -> None:
        agent = self.agents[agent_id]
        if agent.reserved:
            # The engine's path: the call ended, workload recorded, agent ready again.
            agent = replace(
                agent,
                ready=True,
                reserved=False,
                idle_since=self.now,
                busy=agent.busy.record(self.now - talk, self.now, HORIZON),
                handled=agent.handled.record(self.day_start),
            )
            self.router.upsert_agent(agent)
        else:
            # The shortcut's documented meaning.
            agent = replace(agent, ready=True, reserved=False, active_calls=0, idle_since=self.now)
            self.router.set_available(agent_id, True, self.now)
        self.agents[agent_id] = agent

    # ------------------------------------------------------------------ assign and its checks

    def assign(self) -> None:
        expected = reference_assign(
            self.calls.values(),
            self.agents.values(),
            self.policies,
            self.now,
            day_start=self.day_start,
            last_chosen=self.last_chosen,
        )
        # (5) determinism: a router built from scratch, fed in another order, agrees.
        scratch = Router(self.policies, last_chosen=self.last_chosen)
        for agent in reversed(list(self.agents.values())):
            scratch.upsert_agent(agent)
        for call in reversed(list(self.calls.values())):
            scratch.add_call(call)
        assert scratch.assign(self.now, day_start=self.day_start) == expected

        got = self.router.assign(self.now, day_start=self.day_start)
        assert got == expected  # (1)
        self.check_rules(got)
        for assignment in got:
            del self.calls[assignment.call_id]
            self.agents[assignment.agent_id] = replace(self.agents[assignment.agent_id], reserved=True)
            self.last_chosen[assignment.queue] = assignment.agent_id
        # The invariant the incremental router relies on: no eligible pair survives an assign.
        for call in self.calls.values():
            for agent in self.agents.values():
                assert not is_eligible(agent, call, self.policies[call.queue], self.now)
        # The daemon's timer: the first relaxation step still to come.
        due = [
            self.policies[c.queue].relaxation.due_time(c.enqueue_time, i)
            for c in self.calls.values()
            for i in range(len(self.policies[c.queue].relaxation.steps))
        ]
        upcoming = [t for t in due if t > self.now]
        assert self.router.next_relaxation_at() == (min(upcoming) if upcoming else None)

    def check_rules(self, got: list[Assignment]) -> None:
        # (2) one call per agent, one agent per call
        assert len({a.agent_id for a in got}) == len(got)
        assert len({a.call_id for a in got}) == len(got)
        for assignment in got:
            call = self.calls[assignment.call_id]
            agent = self.agents[assignment.agent_id]
            # (3) eligible, with the requirement as relaxed at this moment
            cap = self.policies[call.queue].relaxation.cap_at(call.enqueue_time, self.now)
            assert agent.available and call.queue in agent.queues
            assert satisfies(agent.skills, call.requirement, cap)
        # (4) FIFO within equal queue, requirement and priority: nobody left who was ahead
        taken = {a.call_id for a in got}
        for call_id in taken:
            call = self.calls[call_id]
            for other in self.calls.values():
                same_group = (other.queue, other.requirement, other.priority) == (
                    call.queue,
                    call.requirement,
                    call.priority,
                )
                if same_group and other.id not in taken:
                    assert call_order_key(other) > call_order_key(call)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def same_state(self) -> None:
        assert sorted(c.id for c in self.router.waiting_calls()) == sorted(self.calls)
        assert dict(self.router.agents) == self.agents
        assert dict(self.router.last_chosen) == self.last_chosen

    @invariant()
    def positions(self) -> None:
        for call in self.calls.values():
            ahead = sum(
                1
                for other in self.calls.values()
                if other.queue == call.queue and call_order_key(other) < call_order_key(call)
            )
            assert self.router.queue_position(call.id) == ahead + 1


RouterMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRouterAgainstReference = RouterMachine.TestCase
