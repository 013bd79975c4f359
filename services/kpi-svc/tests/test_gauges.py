"""The Prometheus metrics of today's KPIs (kpi_svc.gauges) against the oracle over generated events:
today in the organisation's time zone, ratios 0-1, organisation-wide values under their own names,
the team cap, SLA breaches and the all-time closure counter."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from csq_common.db import transaction, utcnow
from csq_common.events import TicketClosed, TicketCreated, TicketFirstResponded
from csq_testing import wait_until
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.consumers import handle_events
from kpi_svc.gauges import GaugeConfig, GaugeRefresher, check_gauge_metrics
from kpi_svc.settings import Settings
from kpi_svc.sla.notices import count_fallen_due
from tests import oracle
from tests.factories import ORIGIN, event, generate, snapshot
from tests.sla.factories import add_policy, ticket_event
from tests.survey_factories import answered

T = datetime.fromisoformat
KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30: its midnight is not a UTC hour
HEADLINE = ("tickets_closed", "frt_avg_seconds", "aht_seconds", "fcr_pct", "reopen_pct", "csat_pct", "nps")
SLA = ("sla_frt_pct", "sla_resolution_pct")
TEAMS = ("billing", "sales", "tech")


def team(metric: str, team_id: str, **labels):
    return REGISTRY.get_sample_value(f"csq_kpi_today_{metric}", {"team_id": team_id, **labels})


def org(metric: str, **labels):
    return REGISTRY.get_sample_value(f"csq_kpi_org_today_{metric}", labels)


def config(tz="UTC", max_teams=100, metrics=HEADLINE + SLA) -> GaugeConfig:
    return GaugeConfig(metrics, ZoneInfo(tz), max_teams)


async def apply(sessions, events, batch=200):
    for first in range(0, len(events), batch):
        async with sessions() as session:
            await handle_events(session, events[first : first + batch])
            await session.commit()


def exported(values: dict) -> dict:
    """The oracle's KPIs under their exported names: percentages as ratios."""
    return {
        name.removesuffix("_pct") + "_ratio" if name.endswith("_pct") else name:
        value / 100 if name.endswith("_pct") and value is not None else value
        for name, value in values.items()
    }


def check(actual, want, context):
    if want is None:
        assert actual is None, context
    else:
        assert actual == pytest.approx(want, rel=1e-12, abs=0), context


async def test_gauges_follow_the_oracle_over_today_in_the_organisations_time_zone(sessions):
    rng = random.Random(1606)
    history = generate(rng, 300)
    events = list(history.events)
    rng.shuffle(events)
    await apply(sessions, events)
    now = T("2026-11-21T12:00:00+00:00")
    start = T("2026-11-20T18:30:00+00:00")  # midnight in Kolkata
    end = start + timedelta(days=1)
    utc_day, _ = oracle.kpis(history, T("2026-11-21T00:00:00+00:00"), T("2026-11-22T00:00:00+00:00"), team="billing")
    assert utc_day["tickets_closed"] != oracle.kpis(history, start, end, team="billing")[0]["tickets_closed"]  # the zone matters

    refresher = GaugeRefresher(sessions, 60, config("Asia/Kolkata", metrics=HEADLINE[:5]))
    try:
        for rolled_up in (False, True):
            if rolled_up:
                async with transaction(sessions) as session:
                    while await fold_pending(session, limit=5000):
                        pass
            await refresher.refresh(now=now)
            for team_id in TEAMS:
                values, _ = oracle.kpis(history, start, end, team=team_id)
                for name, want in exported(values).items():
                    if name in ("tickets_closed", "frt_avg_seconds", "aht_seconds", "fcr_ratio", "reopen_ratio"):
                        check(team(name, team_id), want, (team_id, name, rolled_up))
                ever = sum(1 for c in history.closures if c.team == team_id)
                assert REGISTRY.get_sample_value("csq_kpi_tickets_closed_total", {"team_id": team_id}) == ever
            values, _ = oracle.kpis(history, start, end)  # every ticket, with a team or without
            for name in ("tickets_closed", "frt_avg_seconds", "aht_seconds", "fcr_ratio", "reopen_ratio"):
                check(org(name), exported(values)[name], ("org", name, rolled_up))
            assert REGISTRY.get_sample_value("csq_kpi_org_tickets_closed_total", {}) == len(history.closures)
            # no "*" series: the team series add up to the tickets that have a team, never more
            teamless = sum(1 for c in history.closures if start <= c.closed_at < end and c.team is None)
            assert sum(team("tickets_closed", t) for t in TEAMS) == org("tickets_closed") - teamless
            assert team("tickets_closed", "*") is None and REGISTRY.get_sample_value("csq_kpi_today_fcr_pct", {"team_id": "billing"}) is None
            assert REGISTRY.get_sample_value("csq_kpi_teams_without_series", {}) == 0

        await refresher.refresh(now=ORIGIN + timedelta(days=30))  # a day without data
        assert team("tickets_closed", "billing") is None and org("fcr_ratio") is None
        assert org("tickets_closed") == 0
        assert REGISTRY.get_sample_value("csq_kpi_org_tickets_closed_total", {}) == len(history.closures)
    finally:
        refresher.clear()
    assert org("tickets_closed") is None


async def test_team_series_are_capped_and_the_teams_left_out_counted(sessions):
    now = T("2026-11-21T12:00:00+00:00")
    closed = now - timedelta(hours=1)
    await apply(sessions, [
        event(TicketClosed, snapshot(f"T-{t}", t, "A-1", "chat", closed - timedelta(hours=1), closed_at=closed), closed)
        for t in ("tech", "billing", "sales", "sales")
    ])
    refresher = GaugeRefresher(sessions, 60, config(max_teams=2))
    try:
        await refresher.refresh(now=now)
        assert team("tickets_closed", "billing") == 1 and team("tickets_closed", "sales") == 1
        assert team("tickets_closed", "tech") is None
        assert REGISTRY.get_sample_value("csq_kpi_tickets_closed_total", {"team_id": "tech"}) is None
        assert REGISTRY.get_sample_value("csq_kpi_teams_without_series", {}) == 1
        assert org("tickets_closed") == 3  # the organisation still counts every team
    finally:
        refresher.clear()


async def test_sla_breaches_and_rates_per_team_and_for_the_organisation(sessions):
    now = T("2026-11-21T12:00:00+00:00")
    await add_policy(sessions, now - timedelta(days=2), first_response_seconds=3600, resolution_seconds=8 * 3600)
    rng = random.Random(16)
    events, expected = [], {}
    for number in range(40):
        ticket_id, team_id = f"T-{number}", rng.choice(["billing", "tech", "售后一组"])
        created = now - timedelta(minutes=rng.randrange(70, 470))
        events.append(ticket_event(TicketCreated, ticket_id, created, created, status="new", team=team_id))
        answer = rng.choice([None, 10, 50, 59, 61, 120])
        if answer is not None:
            responded = created + timedelta(minutes=answer)
            events.append(ticket_event(TicketFirstResponded, ticket_id, responded, created, status="open", team=team_id,
                                       first_response_at=responded))
        # the target falls due 60 minutes after creation: met if answered by then, else breached
        met = answer is not None and answer <= 60
        moment = created + timedelta(minutes=answer) if met else created + timedelta(minutes=60)
        if moment >= T("2026-11-21T00:00:00+00:00") and moment <= now:
            due, breached = expected.get(team_id, (0, 0))
            expected[team_id] = (due + 1, breached + (not met))
    await apply(sessions, events, batch=17)
    async with sessions() as session:  # the notice worker's pass at ``now`` counts the targets fallen due
        await count_fallen_due(session, now=now, limit=1000)
        await session.commit()
    refresher = GaugeRefresher(sessions, 60, config())
    try:
        await refresher.refresh(now=now)
        for team_id, (due, breached) in expected.items():
            assert team("sla_due", team_id, sla="first_response") == due
            assert team("sla_breaches", team_id, sla="first_response") == breached
            assert team("sla_breach_ratio", team_id, sla="first_response") == breached / due
            assert team("sla_frt_ratio", team_id) == (due - breached) / due
            # resolution targets (8 h) have not fallen due yet and none was met
            assert team("sla_due", team_id, sla="resolution") == 0
            assert team("sla_breach_ratio", team_id, sla="resolution") is None
        due = sum(d for d, _ in expected.values())
        breached = sum(b for _, b in expected.values())
        assert org("sla_due", sla="first_response") == due and org("sla_breaches", sla="first_response") == breached
        assert org("sla_breach_ratio", sla="first_response") == breached / due
        assert org("sla_frt_ratio") == (due - breached) / due
    finally:
        refresher.clear()


async def test_todays_csat_and_nps_per_team(sessions):
    now = T("2026-11-21T12:00:00+00:00")
    earlier = now - timedelta(hours=2)
    await apply(sessions, [
        event(TicketClosed, snapshot("T-1", "billing", "A-1", "chat", earlier, closed_at=earlier), earlier),
        answered("R-1", earlier, [("csat", "overall", 5), ("csat", "attitude", 2), ("nps", "overall", 10)], "billing"),
        # a team with survey answers but no ticket today still gets its gauges
        answered("R-2", earlier, [("nps", "overall", 3)], "quality"),
        answered("R-3", now - timedelta(days=1), [("csat", "overall", 1)], "quality"),  # yesterday
    ])
    refresher = GaugeRefresher(sessions, 60, config())
    try:
        await refresher.refresh(now=now)
        assert team("csat_ratio", "billing") == 0.5 and team("nps", "billing") == 100.0
        assert team("nps", "quality") == -100.0
        assert team("csat_ratio", "quality") is None  # only yesterday's CSAT: not exported
        assert team("tickets_closed", "quality") == 0 and team("tickets_closed", "billing") == 1
        assert org("csat_ratio") == 0.5 and org("nps") == 0.0
        await refresher.refresh(now=now + timedelta(days=1))
        assert team("nps", "billing") is None and org("nps") is None
    finally:
        refresher.clear()


async def test_the_app_refreshes_the_metrics_in_the_background(client):
    now = utcnow()
    created = now - timedelta(minutes=1)
    snap = snapshot("T-1", "billing", "A-1", "chat", created, first_response_at=created, closed_at=now, contact_count=2)
    await apply(client.app.state.sessions, [event(TicketClosed, snap, now)])

    async def exported_text():
        text = (await client.get("/metrics")).text
        return 'csq_kpi_today_tickets_closed{team_id="billing"} 1.0' in text and text

    text = await wait_until(exported_text, timeout=10, message="gauge exported")
    assert 'csq_kpi_today_fcr_ratio{team_id="billing"} 0.0' in text
    assert "csq_kpi_org_today_tickets_closed 1.0" in text
    assert 'csq_kpi_tickets_closed_total{team_id="billing"} 1.0' in text
    assert "# TYPE csq_kpi_tickets_closed_total counter" in text or "# TYPE csq_kpi_tickets_closed counter" in text
    assert 'csq_kpi_today_frt_avg_seconds{team_id="billing"}' not in text  # no data, not 0
    assert 'team_id="*"' not in text


def test_the_metric_list_and_the_zone_are_checked():
    assert check_gauge_metrics("tickets_closed, csat_pct,sla_frt_pct") == ("tickets_closed", "csat_pct", "sla_frt_pct")
    with pytest.raises(ValidationError, match="nope_pct"):
        Settings(environment="development", gauge_metrics="tickets_closed,nope_pct")
    with pytest.raises(ValidationError, match="IANA"):
        Settings(environment="development", organisation_tz="Mars/Olympus")
    assert Settings(environment="development", organisation_tz="Asia/Shanghai").organisation_tz == "Asia/Shanghai"
