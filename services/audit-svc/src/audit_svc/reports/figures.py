"""Exact tallies of review scores: counts and sums in integers and Fractions, rounded once when
shown (``round(x, 2)``, half to even), never averaged along the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

DECIMALS = 2


def shown(value: Fraction | None) -> float | None:
    """A figure as the report shows it: rounded once, to two decimals."""
    return None if value is None else float(round(value, DECIMALS))


def percent(part: int, whole: int) -> float | None:
    return shown(Fraction(100 * part, whole)) if whole else None


@dataclass
class ScoreTally:
    """Reviews (or answers) and their scores: a null score (all N/A) counts as a review but not
    in the mean. A stored score is a double; ``Fraction`` takes its exact value."""

    count: int = 0
    scored: int = 0
    total: Fraction = field(default_factory=Fraction)
    critical_fails: int = 0

    def add(self, score: float | None, *, failed_critical: bool = False) -> None:
        self.count += 1
        if score is not None:
            self.scored += 1
            self.total += Fraction(score)
        if failed_critical:
            self.critical_fails += 1

    def mean(self) -> Fraction | None:
        return self.total / self.scored if self.scored else None

    def review_figures(self) -> dict:
        return {
            "reviews": self.count,
            "scored_reviews": self.scored,
            "mean_score": shown(self.mean()),
            "critical_fails": self.critical_fails,
            "critical_fail_pct": percent(self.critical_fails, self.count),
        }
