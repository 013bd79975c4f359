"""Review scores exactly as docs/architecture.md "Audit scoring" defines them (pure: no I/O).

Category score = (answer − min) / (max − min) × 100. Review score = (Σ score × weight over the
answered standard categories + Σ score × weight over the answered bonus categories) / Σ weight
over the answered standard categories; N/A is left out of both sums; a critical category below
50 makes the score 0 and ``failed_critical`` true; no standard category answered: None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit_svc.scorecards.definitions import scale_bounds

CRITICAL_PASS = 50.0


@dataclass(frozen=True)
class ScoredCategory:
    key: str
    weight: float
    critical: bool
    bonus: bool
    score: float | None  # None: answered N/A


def category_score(answer: float, scale) -> float:
    low, high = scale_bounds(scale)
    return (answer - low) / (high - low) * 100


def review_score(categories: Iterable[ScoredCategory]) -> tuple[float | None, bool]:
    """(score, failed_critical) of a review's scored categories."""
    earned = 0.0
    standard_weight = 0.0
    failed_critical = False
    for category in categories:
        if category.score is None:
            continue
        earned += category.score * category.weight
        if not category.bonus:
            standard_weight += category.weight
        if category.critical and category.score < CRITICAL_PASS:
            failed_critical = True
    if failed_critical:
        return 0.0, True
    if standard_weight == 0:
        return None, False
    return earned / standard_weight, False
