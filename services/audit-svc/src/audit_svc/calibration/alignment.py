"""Alignment with the benchmark exactly as docs/architecture.md "Audit scoring" defines it (pure: no I/O).

Per category: 1 − |score − benchmark| / 100, and 0 for a critical category on the other side of
50 from the benchmark. Per review: the weight-weighted mean over the categories both answered
(neither N/A); None if there are none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from audit_svc.reviews.scoring import CRITICAL_PASS


@dataclass(frozen=True)
class CategoryAnswer:
    score: float | None  # None: N/A
    weight: float
    critical: bool


def category_alignment(score: float, benchmark: float, *, critical: bool) -> float:
    if critical and (score < CRITICAL_PASS) != (benchmark < CRITICAL_PASS):
        return 0.0
    return 1 - abs(score - benchmark) / 100


def compared_categories(review: Mapping[str, CategoryAnswer], benchmark: Mapping[str, CategoryAnswer]) -> dict[str, float]:
    """category key → alignment, over the categories both answered."""
    return {
        key: category_alignment(mine.score, benchmark[key].score, critical=benchmark[key].critical)
        for key, mine in review.items()
        if mine.score is not None and key in benchmark and benchmark[key].score is not None
    }


def review_alignment(review: Mapping[str, CategoryAnswer], benchmark: Mapping[str, CategoryAnswer]) -> float | None:
    per_category = compared_categories(review, benchmark)
    weights = sum(benchmark[key].weight for key in per_category)
    if not per_category or weights == 0:
        return None
    return sum(alignment * benchmark[key].weight for key, alignment in per_category.items()) / weights
