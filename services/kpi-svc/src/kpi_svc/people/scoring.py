"""An appraisal rule's arithmetic, exact (Fractions) and free of I/O.

Each weighted metric is normalised to 0-100 between its declared bounds: for
``higher_is_better`` 100 × (value − lower) / (upper − lower), for ``lower_is_better``
100 × (upper − value) / (upper − lower), clamped to 0-100. The total is the weighted mean of the
scores of the metrics that have a value (a metric without observations is shown with a null score
and left out of the mean, its weight with it). The grade is the first band, best first, whose
``min_score`` the total reaches. A subject is eligible (graded) when it has a total and its count
of the rule's sample metric reaches the minimum sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)


@dataclass(frozen=True)
class Weight:
    metric: str
    weight: Fraction
    lower: Fraction
    upper: Fraction
    direction: str

    @classmethod
    def of(cls, stored: dict[str, Any]) -> "Weight":
        return cls(
            stored["metric"], Fraction(stored["weight"]), Fraction(stored["lower"]), Fraction(stored["upper"]), stored["direction"]
        )

    def score(self, value: float | int) -> Fraction:
        position = (Fraction(value) - self.lower) / (self.upper - self.lower)
        if self.direction == LOWER_IS_BETTER:
            position = 1 - position
        return 100 * min(max(position, Fraction(0)), Fraction(1))


@dataclass(frozen=True)
class Band:
    grade: str
    min_score: Fraction

    @classmethod
    def of(cls, stored: dict[str, Any]) -> "Band":
        return cls(stored["grade"], Fraction(stored["min_score"]))


@dataclass(frozen=True)
class Rule:
    weights: tuple[Weight, ...]
    bands: tuple[Band, ...]  # best first, min_score strictly decreasing, the last 0
    min_sample: int
    sample_metric: str

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(w.metric for w in self.weights), self.sample_metric]))

    @property
    def bottom_grade(self) -> str:
        return self.bands[-1].grade


@dataclass(frozen=True)
class Evaluation:
    sample: int
    inputs: dict[str, dict[str, Any]]  # metric → {value, count, score, weight}
    total: Fraction | None
    grade: str | None
    eligible: bool


def evaluate(rule: Rule, values: dict[str, Any], counts: dict[str, int]) -> Evaluation:
    """The rule applied to one subject's metric ``values`` and ``counts`` (missing: no data)."""
    inputs: dict[str, dict[str, Any]] = {}
    weighted, weights = Fraction(0), Fraction(0)
    for w in rule.weights:
        value = values.get(w.metric)
        score = None if value is None else w.score(value)
        if score is not None:
            weighted += w.weight * score
            weights += w.weight
        inputs[w.metric] = {
            "value": value, "count": counts.get(w.metric, 0), "score": None if score is None else float(score),
            "weight": float(w.weight),
        }
    total = weighted / weights if weights else None
    sample = counts.get(rule.sample_metric, 0)
    eligible = total is not None and sample >= rule.min_sample
    grade = next((band.grade for band in rule.bands if total >= band.min_score), None) if eligible else None
    return Evaluation(sample, inputs, total, grade, eligible)


def star_order(total: Fraction, sample: int, agent_id: str) -> tuple:
    """Sort key of the service star (smallest first): the highest total; on equal totals the larger
    sample; then the agent id in code-point order."""
    return (-total, -sample, agent_id)
