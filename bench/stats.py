"""Percentiles, and the median and spread of repeated measurements."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def spread(values: Sequence[float]) -> float:
    """Half the range, as a fraction of the median: 0.05 reads "±5 %"."""
    if len(values) < 2:
        return 0.0
    middle = median(values)
    return (max(values) - min(values)) / 2 / middle if middle else 0.0
