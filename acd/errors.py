"""Typed errors of the ACD core.

A configuration mistake (an unknown strategy, relaxation steps that do not relax) must stop
start-up or a reload with a message naming the culprit; it must never degrade into a silent
default, because a wrong routing policy looks like a working one until the callers complain.
"""


class RoutingConfigError(ValueError):
    """A queue policy, strategy name or relaxation schedule is not valid."""
