"""The knobs of the metrics: short-abandon threshold, service-level thresholds and target."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ABANDON_BANDS: tuple[float, ...] = (10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)


@dataclass(frozen=True)
class MetricsConfig:
    """How calls are judged. Every threshold is in seconds."""

    short_abandon_threshold: float = 5.0
    """An abandon with a wait *below* this is a short abandon (not offered, not abandoned)."""
    service_level_thresholds: tuple[float, ...] = (20.0, 30.0, 60.0)
    """Service level is computed for each; the first is the headline one (KPIs, charts)."""
    service_level_target: float = 0.8
    """The goal for the headline service level, as a fraction (drawn on the charts)."""
    abandon_bands: tuple[float, ...] = DEFAULT_ABANDON_BANDS
    """Upper edges of the abandon-time profile's bands (after the short-abandon band)."""

    def __post_init__(self) -> None:
        if self.short_abandon_threshold < 0:
            raise ValueError("short_abandon_threshold must be >= 0")
        if not self.service_level_thresholds:
            raise ValueError("at least one service level threshold is needed")
        if any(t < 0 for t in self.service_level_thresholds):
            raise ValueError("service level thresholds must be >= 0")
        if not 0.0 <= self.service_level_target <= 1.0:
            raise ValueError("service_level_target is a fraction between 0 and 1")
        if list(self.abandon_bands) != sorted(set(self.abandon_bands)):
            raise ValueError("abandon_bands must be strictly increasing")

    @property
    def headline_threshold(self) -> float:
        """The service-level threshold shown in KPIs and charts (the first one)."""
        return self.service_level_thresholds[0]
