"""The reference router: the assignment semantics, written to be obviously right, not fast.

It is the oracle the real router (``acd.router``) is tested against. Semantics:

1. Scan waiting calls in the global order (``call_order_key``: priority, longest waiting, seq).
2. For each call, collect by brute force the agents still available and eligible at ``now``.
3. If any, the queue's strategy key picks one; that agent is no longer available; continue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from acd.eligibility import is_eligible
from acd.errors import RoutingConfigError
from acd.model import Agent, Assignment, Call, call_order_key
from acd.policy import QueuePolicy
from acd.strategies import KeyContext, agent_key


def reference_assign(
    calls: Iterable[Call],
    agents: Iterable[Agent],
    queue_policies: Mapping[str, QueuePolicy],
    now: float,
    *,
    day_start: float = -math.inf,
    last_chosen: Mapping[str, str] | None = None,
) -> list[Assignment]:
    """Assign waiting calls to available agents at ``now``, in the global call order.

    ``day_start`` is the start of "today" for ``fewest_calls``; ``last_chosen`` maps a queue to
    the agent it chose last, for ``round_robin`` (updated here as the scan assigns).
    """
    free = {agent.id: agent for agent in agents if agent.available}
    pointers = dict(last_chosen or {})
    assignments: list[Assignment] = []
    for call in sorted(calls, key=call_order_key):
        policy = queue_policies.get(call.queue)
        if policy is None:
            raise RoutingConfigError(f"call {call.id!r} waits in unknown queue {call.queue!r}")
        ctx = KeyContext(now, day_start, policy.occupancy_window, pointers.get(call.queue))
        keys = [
            agent_key(policy.strategy, agent, call, ctx)
            for agent in free.values()
            if is_eligible(agent, call, policy, now)
        ]
        if not keys:
            continue
        chosen = min(keys)[-1]  # every key ends with the agent id
        del free[chosen]
        pointers[call.queue] = chosen
        assignments.append(Assignment(call.id, chosen, call.queue, now))
    return assignments
