"""Plain-Python survey KPI definitions over generated facts (docs/architecture.md "KPI definitions")."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from tests.oracle import matches


def pct(numerator: int, denominator: int) -> float | None:
    return float(Fraction(100 * numerator, denominator)) if denominator else None


def survey_kpis(history, start: datetime, end: datetime, dimension: str | None = None, **filters) -> tuple[dict, dict]:
    answers = [
        a for a in history.answers
        if start <= a.at < end and matches(a, **filters) and (dimension is None or a.dimension == dimension)
    ]
    csat = [a.value for a in answers if a.type == "csat"]
    nps = [a.value for a in answers if a.type == "nps"]
    ces = [a.value for a in answers if a.type == "ces"]
    promoters = sum(1 for v in nps if v >= 9)
    detractors = sum(1 for v in nps if v <= 6)
    values = {
        "csat_pct": pct(sum(1 for v in csat if v in (4, 5)), len(csat)),
        "nps": pct(promoters - detractors, len(nps)),
        "ces_avg": float(Fraction(sum(ces), len(ces))) if ces else None,
    }
    counts = {"csat_pct": len(csat), "nps": len(nps), "ces_avg": len(ces)}
    if dimension is None:
        invited = [i for i in history.invitations if start <= i.invited_at < end and matches(i, **filters)]
        credited = [c for c in history.credits if start <= c.at < end and matches(c, **filters)]
        values["survey_response_pct"] = pct(len(credited), len(invited))
        counts["survey_response_pct"] = len(invited)
    return values, counts
