"""Generated CRM ticket histories and an independent, plain-Python computation of the KPIs.

Nothing here imports CSQ code: the expected numbers come from the generated truth alone, so the
whole-system tests compare the running system with a second, much simpler implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
TEAMS = {"billing": ["A-1", "A-2", "A-3"], "tech": ["A-4", "A-5"], "sales": ["A-6"]}
CHANNELS = ["email", "chat", "phone"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Webhook:
    event_id: str
    type: str
    occurred_at: datetime
    ticket: dict

    def body(self) -> bytes:
        return json.dumps(
            {"event_id": self.event_id, "type": self.type, "occurred_at": iso(self.occurred_at), "ticket": self.ticket},
            ensure_ascii=False,
        ).encode()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-CSQ-Timestamp": str(timestamp), "X-CSQ-Signature": f"v1={digest}", "Content-Type": "application/json"}


@dataclass
class Truth:
    """What really happened, from which the KPIs are computed independently."""

    closures: list[dict] = field(default_factory=list)  # one per distinct (ticket, closed_at)
    first_responses: list[dict] = field(default_factory=list)  # one per ticket
    reopens: list[dict] = field(default_factory=list)


def generate(seed: int, tickets: int, start: datetime, days: int) -> tuple[list[Webhook], Truth]:
    rng = random.Random(seed)
    hooks: list[Webhook] = []
    truth = Truth()
    for n in range(tickets):
        team = rng.choice(list(TEAMS))
        agent = rng.choice(TEAMS[team])
        channel = rng.choice(CHANNELS)
        created = start + timedelta(seconds=rng.randrange(days * 86400))
        first_response = created + timedelta(seconds=rng.choice([0, rng.randrange(30, 4 * 3600)]))
        resolved = first_response + timedelta(seconds=rng.randrange(60, 2 * 86400))
        closed = resolved + timedelta(seconds=rng.randrange(0, 7200))
        handle = rng.choice([None, rng.randrange(30, 3000)])
        contacts = rng.choice([1, 1, 1, 2, 3])
        ticket_id = f"T-{seed}-{n}"
        base = {
            "id": ticket_id,
            "customer": {"id": f"C-{n}", "email": f"c{n}@example.com", "name": "李雷" if n % 2 else "Ann", "locale": "zh-CN" if n % 2 else "en"},
            "agent_id": agent, "team_id": team, "channel": channel, "priority": "normal",
            "subject": "退款进度", "created_at": iso(created), "tags": ["refund"],
        }

        def snapshot(status, reopen_count=0, **times):
            snap = dict(base, status=status, reopen_count=reopen_count, contact_count=contacts)
            if handle is not None:
                snap["handle_seconds"] = handle
            snap.update({k: iso(v) for k, v in times.items()})
            return snap

        history = [
            Webhook(f"{ticket_id}-c", "ticket.created", created, snapshot("new")),
            Webhook(f"{ticket_id}-a", "ticket.assigned", created + timedelta(seconds=5), snapshot("open")),
            Webhook(f"{ticket_id}-r", "ticket.resolved", resolved, snapshot("solved", first_response_at=first_response, resolved_at=resolved)),
            Webhook(f"{ticket_id}-x", "ticket.closed", closed, snapshot("closed", first_response_at=first_response, resolved_at=resolved, closed_at=closed)),
        ]
        truth.first_responses.append(dict(team=team, agent=agent, channel=channel, at=first_response, seconds=(first_response - created).total_seconds()))
        truth.closures.append(dict(team=team, agent=agent, channel=channel, at=closed, resolution=(resolved - created).total_seconds(), handle=handle, fcr=contacts == 1))
        if rng.random() < 0.15:  # reopened, then resolved and closed again: a second closure
            reopened = closed + timedelta(seconds=rng.randrange(600, 86400))
            closed_again = reopened + timedelta(seconds=rng.randrange(600, 86400))
            history += [
                Webhook(f"{ticket_id}-o", "ticket.reopened", reopened, snapshot("open", 1, first_response_at=first_response)),
                Webhook(f"{ticket_id}-x2", "ticket.closed", closed_again, snapshot("closed", 1, first_response_at=first_response, resolved_at=closed_again, closed_at=closed_again)),
            ]
            truth.reopens.append(dict(team=team, agent=agent, channel=channel, at=reopened))
            truth.closures.append(dict(team=team, agent=agent, channel=channel, at=closed_again, resolution=(closed_again - created).total_seconds(), handle=handle, fcr=False))
        hooks += history
    rng.shuffle(hooks)  # disorder across and within tickets
    retries = rng.sample(hooks, k=max(1, len(hooks) // 10))  # CRM retries: same event id again
    hooks += retries
    return hooks, truth


def _in(item: dict, start: datetime, end: datetime, filters: dict) -> bool:
    return start <= item["at"] < end and all(item[k] == v for k, v in filters.items())


def lower_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


def expected_kpis(truth: Truth, start: datetime, end: datetime, **filters) -> tuple[dict, dict]:
    """(values, counts) as docs/architecture.md "KPI definitions" defines them. ``filters`` use team/agent/channel keys."""
    closures = [c for c in truth.closures if _in(c, start, end, filters)]
    frts = [f["seconds"] for f in truth.first_responses if _in(f, start, end, filters)]
    reopens = [r for r in truth.reopens if _in(r, start, end, filters)]
    handles = [c["handle"] for c in closures if c["handle"] is not None]
    resolutions = [c["resolution"] for c in closures]
    n = len(closures)
    values = {
        "tickets_closed": n,
        "frt_avg_seconds": sum(frts) / len(frts) if frts else None,
        "frt_p50_seconds": lower_quantile(frts, 0.5) if frts else None,
        "frt_p90_seconds": lower_quantile(frts, 0.9) if frts else None,
        "resolution_avg_seconds": sum(resolutions) / n if n else None,
        "resolution_p90_seconds": lower_quantile(resolutions, 0.9) if n else None,
        "aht_seconds": sum(handles) / len(handles) if handles else None,
        "fcr_pct": 100 * sum(c["fcr"] for c in closures) / n if n else None,
        "reopen_pct": 100 * len(reopens) / n if n else None,
    }
    counts = {"tickets_closed": n, "frt_avg_seconds": len(frts), "aht_seconds": len(handles)}
    return values, counts


PERCENTILES = {"frt_p50_seconds", "frt_p90_seconds", "resolution_p90_seconds"}


def assert_kpis_match(actual: dict, expected: dict, label: str = "") -> None:
    """Exact for counts, means and rates (up to float rounding); ≤ 1 % relative for percentiles."""
    for name, want in expected.items():
        got = actual.get(name)
        if want is None:
            assert got is None, f"{label} {name}: expected null, got {got}"
        elif name in PERCENTILES:
            assert got is not None and abs(got - want) <= 0.01 * abs(want) + 1e-9, f"{label} {name}: {got} vs exact {want}"
        else:
            assert got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), f"{label} {name}: {got} vs {want}"
