"""A queue's routing policy: strategy, relaxation schedule, occupancy window."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from acd.errors import RoutingConfigError
from acd.relaxation import NO_RELAXATION, Relaxation
from acd.strategies import Strategy, parse_strategy

DEFAULT_OCCUPANCY_WINDOW = 3600.0
"""Seconds of history ``least_occupancy`` looks at: an hour smooths one long call away."""


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How one queue routes: immutable, validated at construction."""

    name: str
    strategy: Strategy
    relaxation: Relaxation = NO_RELAXATION
    occupancy_window: float = DEFAULT_OCCUPANCY_WINDOW

    def __post_init__(self) -> None:
        if not self.name:
            raise RoutingConfigError("a queue policy needs a name")
        if not (math.isfinite(self.occupancy_window) and self.occupancy_window > 0):
            raise RoutingConfigError(f"queue {self.name!r}: occupancy_window must be > 0")

    @classmethod
    def from_config(
        cls,
        name: str,
        strategy: str,
        relaxation: Iterable[tuple[float, int]] = (),
        occupancy_window: float = DEFAULT_OCCUPANCY_WINDOW,
    ) -> QueuePolicy:
        """Build from config values; an unknown strategy name raises ``RoutingConfigError``."""
        return cls(name, parse_strategy(strategy), Relaxation.from_pairs(relaxation), occupancy_window)
