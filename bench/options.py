"""What a benchmark run was asked for (``python -m bench`` options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RESULTS_DIR = Path(__file__).with_name("results")
"""``bench/results/``, git-ignored."""


@dataclass(frozen=True)
class Options:
    """Shared by every benchmark."""

    quick: bool = False
    """A shorter run with fewer points, for development; figures are rougher."""
    results_dir: Path = RESULTS_DIR
    profile: bool = False
    """B1 also runs the daemon under cProfile and writes the top functions to results/."""
    work_dir: Path | None = None
    """Where temporary files go (None: the system's temporary folder)."""
