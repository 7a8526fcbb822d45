"""The one percentile every benchmark reports, so their p50 / p95 figures mean the same thing."""

from __future__ import annotations

from collections.abc import Iterable


def pct(values: Iterable[float], q: float) -> float:
    """The `q` quantile (0-1) of `values`: the sorted values' element at index floor(q * n),
    never interpolated (a latency reported is one that happened). At or above the nearest-rank
    percentile: p95 of 100 values is the 96th smallest. NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
