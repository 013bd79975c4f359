"""Plain-Python feedback, QA, automatic QA and call KPIs over generated facts
(voice_factories.py), by their definitions in docs/kpis.md. Shares no code with kpi_svc."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from tests.oracle import matches

SERVICE_LEVEL = timedelta(seconds=20)
FIXED = (
    "complaints", "complaint_per_100_closed", "praise_pct", "complaint_resolution_avg_seconds", "qa_score_avg",
    "qa_fail_pct", "autoqa_score_avg", "calls_offered", "call_answer_pct", "call_abandon_pct", "asa_seconds",
    "call_service_level_pct",
)


def pct(numerator: int, denominator: int) -> float | None:
    return float(Fraction(100 * numerator, denominator)) if denominator else None


def mean(values: list) -> float | None:
    return float(sum(values, Fraction(0)) / len(values)) if values else None


def exact(score: float) -> Fraction:
    return Fraction(Decimal(repr(score)))


def voice_kpis(history, start: datetime, end: datetime, closures: int, *, checks_listed=True, **filters) -> tuple[dict, dict]:
    """``(values, counts)`` of every voice KPI over ``[start, end)``; ``closures`` is the number of
    ticket closures of the same window and filters. ``compliance_pct.<check>`` for every check
    with a check in the window (``checks_listed``: as the summary lists them)."""
    def kept(facts):
        return [f for f in facts if start <= f.at < end and matches(f, **filters)]

    opinions = kept(history.opinions)
    complaints = sum(1 for o in opinions if o.kind == "complaint")
    praise = len(opinions) - complaints
    resolutions = kept(history.resolutions)
    reviews = kept(history.reviews)
    scored = [r for r in reviews if r.score is not None]
    autoqa = kept(history.autoqa)
    calls = kept(history.calls)
    answered = [c for c in calls if c.wait is not None]
    values = {
        "complaints": complaints,
        "complaint_per_100_closed": pct(complaints, closures),
        "praise_pct": pct(praise, praise + complaints),
        "complaint_resolution_avg_seconds": mean([Fraction(r.took // timedelta(microseconds=1), 10**6) for r in resolutions]),
        "qa_score_avg": mean([exact(r.score) for r in scored]),
        "qa_fail_pct": pct(sum(r.failed for r in reviews), len(reviews)),
        "autoqa_score_avg": mean([exact(a.score) for a in autoqa]),
        "calls_offered": len(calls),
        "call_answer_pct": pct(len(answered), len(calls)),
        "call_abandon_pct": pct(len(calls) - len(answered), len(calls)),
        "asa_seconds": mean([Fraction(c.wait // timedelta(microseconds=1), 10**6) for c in answered]),
        "call_service_level_pct": pct(sum(c.wait <= SERVICE_LEVEL for c in answered), len(calls)),
    }
    counts = {
        "complaints": complaints,
        "complaint_per_100_closed": closures,
        "praise_pct": praise + complaints,
        "complaint_resolution_avg_seconds": len(resolutions),
        "qa_score_avg": len(scored),
        "qa_fail_pct": len(reviews),
        "autoqa_score_avg": len(autoqa),
        "calls_offered": len(calls),
        "call_answer_pct": len(calls),
        "call_abandon_pct": len(calls),
        "asa_seconds": len(answered),
        "call_service_level_pct": len(calls),
    }
    per_check: dict[str, list[bool]] = {}
    for score in autoqa:
        for name, passed in score.checks:
            per_check.setdefault(name, []).append(passed)
    if checks_listed:
        for name in sorted(per_check):
            values[f"compliance_pct.{name}"] = pct(sum(per_check[name]), len(per_check[name]))
            counts[f"compliance_pct.{name}"] = len(per_check[name])
    return values, counts


def compliance(history, check: str, start: datetime, end: datetime, **filters) -> tuple[float | None, int]:
    """``compliance_pct.<check>`` and its count."""
    results = [
        passed for a in history.autoqa if start <= a.at < end and matches(a, **filters) for name, passed in a.checks if name == check
    ]
    return pct(sum(results), len(results)), len(results)
