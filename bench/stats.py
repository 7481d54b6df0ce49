"""Summaries of samples: percentiles by nearest rank, so every reported value was observed."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_samples: Sequence[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of samples already sorted ascending."""
    if not sorted_samples:
        return math.nan
    rank = max(math.ceil(pct / 100 * len(sorted_samples)), 1)
    return sorted_samples[rank - 1]


def summary(samples: Sequence[float], digits: int = 3) -> dict[str, float]:
    """Count, p50, p95, p99, mean and max of ``samples`` (rounded to ``digits``)."""
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "p99": math.nan, "mean": math.nan}
    values = {
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "mean": sum(ordered) / len(ordered),
        "max": ordered[-1],
    }
    return {"n": len(ordered), **{k: round(v, digits) for k, v in values.items()}}
