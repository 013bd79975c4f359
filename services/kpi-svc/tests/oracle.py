"""Plain-Python KPI definitions over generated facts (docs/architecture.md "KPI definitions")."""

from __future__ import annotations

import math
from datetime import datetime
from fractions import Fraction


def matches(fact, team=None, agent=None, channel=None) -> bool:
    return (
        (team is None or fact.team == team)
        and (agent is None or fact.agent == agent)
        and (channel is None or fact.channel == channel)
    )


def exact_quantile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    return sorted(values)[math.floor(q * (len(values) - 1))] / 1000


def kpis(history, start: datetime, end: datetime, **filters) -> tuple[dict, dict]:
    closures = [c for c in history.closures if start <= c.closed_at < end and matches(c, **filters)]
    firsts = [f for f in history.first_responses if start <= f.at < end and matches(f, **filters)]
    reopens = [r for r in history.reopens if start <= r.at < end and matches(r, **filters)]
    waits = [w.wait_ms for w in history.next_responses if start <= w.at < end and matches(w, **filters)]
    frt_bh = [f.frt_bh_ms for f in firsts if f.frt_bh_ms is not None]
    resolution_bh = [c.resolution_bh_ms for c in closures if c.resolution_bh_ms is not None]
    handled = [c.handle_seconds for c in closures if c.handle_seconds is not None]
    n = len(closures)

    def mean_ms(values):
        return float(Fraction(sum(values), len(values) * 1000)) if values else None

    values = {
        "tickets_closed": n,
        "frt_avg_seconds": mean_ms([f.frt_ms for f in firsts]),
        "frt_p50_seconds": exact_quantile([f.frt_ms for f in firsts], 0.5),
        "frt_p90_seconds": exact_quantile([f.frt_ms for f in firsts], 0.9),
        "resolution_avg_seconds": mean_ms([c.resolution_ms for c in closures]),
        "resolution_p90_seconds": exact_quantile([c.resolution_ms for c in closures], 0.9),
        "aht_seconds": float(Fraction(sum(Fraction(h) for h in handled), len(handled))) if handled else None,
        "fcr_pct": float(Fraction(100 * sum(c.fcr for c in closures), n)) if n else None,
        "reopen_pct": float(Fraction(100 * len(reopens), n)) if n else None,
        "frt_bh_avg_seconds": mean_ms(frt_bh),
        "resolution_bh_avg_seconds": mean_ms(resolution_bh),
        "next_response_avg_seconds": mean_ms(waits),
        "repeat_contact_pct": float(Fraction(100 * sum(c.repeat for c in closures), n)) if n else None,
    }
    counts = {
        "tickets_closed": n,
        "frt_avg_seconds": len(firsts),
        "frt_p50_seconds": len(firsts),
        "frt_p90_seconds": len(firsts),
        "resolution_avg_seconds": n,
        "resolution_p90_seconds": n,
        "aht_seconds": len(handled),
        "fcr_pct": n,
        "reopen_pct": n,
        "frt_bh_avg_seconds": len(frt_bh),
        "resolution_bh_avg_seconds": len(resolution_bh),
        "next_response_avg_seconds": len(waits),
        "repeat_contact_pct": n,
    }
    return values, counts


PERCENTILES = {"frt_p50_seconds", "frt_p90_seconds", "resolution_p90_seconds"}


def assert_same(actual: dict, expected: dict, context: str = "") -> None:
    """Exact equality, except percentiles: within 1 % relative error of the exact value."""
    assert actual.keys() == expected.keys(), context
    for name, want in expected.items():
        got = actual[name]
        if want is None or name not in PERCENTILES:
            assert got == want, f"{context} {name}: got {got!r}, want {want!r}"
        else:
            assert got is not None and abs(got - want) <= 0.01 * want + 1e-9, f"{context} {name}: got {got!r}, want {want!r}"
