"""Exact satisfaction figures from answer counts (pure: no I/O).

Every figure is computed from integer counts as a ``Fraction`` and rounded once, at the end, to
2 decimals, half away from zero (:func:`round2`): no float is ever accumulated. A figure with no
answers behind it is ``None`` (null in JSON), never 0.

- ``csat_pct``: 100 × answers of 4 or 5 / answers (CSAT 1-5)
- ``nps``: % promoters (9-10) − % detractors (0-6) of NPS answers (0-10), −100…100
- ``ces_avg``: mean CES answer (1-7)
- ``mean``: mean answer of any numeric question
- ``rating_pct`` (dimensions only): mean of 100 × (answer − 1) / (max − 1) over rating answers,
  so ratings on different scales (1-5, 1-10) add up on one 0-100 scale
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

Counts = Mapping[int, int]  # answer value -> how many gave it


def round2(value: Fraction | None) -> Decimal | None:
    """``value`` rounded to 2 decimals, half away from zero; None stays None."""
    if value is None:
        return None
    scaled = abs(value) * 100
    hundredths = int((scaled + Fraction(1, 2)) // 1)
    return Decimal(hundredths if value >= 0 else -hundredths).scaleb(-2)


def answers(counts: Counts) -> int:
    return sum(counts.values())


def mean(counts: Counts) -> Fraction | None:
    n = answers(counts)
    return Fraction(sum(value * count for value, count in counts.items()), n) if n else None


def csat_pct(counts: Counts) -> Fraction | None:
    n = answers(counts)
    return Fraction(100 * (counts.get(4, 0) + counts.get(5, 0)), n) if n else None


def nps(counts: Counts) -> Fraction | None:
    n = answers(counts)
    if not n:
        return None
    promoters = counts.get(9, 0) + counts.get(10, 0)
    detractors = sum(count for value, count in counts.items() if 0 <= value <= 6)
    return Fraction(100 * (promoters - detractors), n)


ces_avg = mean


def rating_points(counts: Counts, scale_max: int) -> Fraction:
    """Σ 100 × (answer − 1) / (max − 1) over the answers (add several, then divide by n)."""
    return sum((Fraction(100 * (value - 1) * count, scale_max - 1) for value, count in counts.items()), Fraction(0))


class TypeTally:
    """Counts per standard type (csat, nps, ces) and rating points, for a dimension or a bucket."""

    def __init__(self) -> None:
        self.by_type: dict[str, Counter[int]] = {"csat": Counter(), "nps": Counter(), "ces": Counter()}
        self.rating_answers = 0
        self.rating_sum = Fraction(0)

    def add(self, question_type: str, value: int, count: int = 1) -> None:
        if question_type in self.by_type:
            self.by_type[question_type][value] += count

    def add_rating(self, counts: Counts, scale_max: int) -> None:
        self.rating_answers += answers(counts)
        self.rating_sum += rating_points(counts, scale_max)

    def figures(self) -> dict[str, Decimal | int | None]:
        return {
            "csat_answers": answers(self.by_type["csat"]),
            "csat_pct": round2(csat_pct(self.by_type["csat"])),
            "nps_answers": answers(self.by_type["nps"]),
            "nps": round2(nps(self.by_type["nps"])),
            "ces_answers": answers(self.by_type["ces"]),
            "ces_avg": round2(ces_avg(self.by_type["ces"])),
            "rating_answers": self.rating_answers,
            "rating_pct": round2(self.rating_sum / self.rating_answers) if self.rating_answers else None,
        }
