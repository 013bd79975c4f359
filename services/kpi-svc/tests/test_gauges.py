from datetime import datetime, timedelta

from prometheus_client import REGISTRY

from csq_common.db import utcnow
from csq_common.events import TicketClosed, TicketFirstResponded, TicketReopened
from csq_testing import wait_until
from kpi_svc.consumers import handle_events
from kpi_svc.gauges import GaugeRefresher
from tests.factories import event, snapshot
from tests.survey_factories import answered

T = datetime.fromisoformat


def gauge(metric: str, team: str):
    return REGISTRY.get_sample_value(f"csq_kpi_today_{metric}", {"team_id": team})


async def apply(sessions, events):
    async with sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def test_gauges_show_today_per_team_and_drop_metrics_without_data(sessions):
    now = T("2026-11-21T12:00:00+00:00")
    created = now - timedelta(hours=3)
    closed = snapshot("T-1", "billing", "A-1", "chat", created, closed_at=now - timedelta(hours=1), handle_seconds=120.0)
    responded = snapshot("T-2", "tech", "A-3", "chat", created, first_response_at=created + timedelta(minutes=10))
    await apply(sessions, [
        event(TicketClosed, closed, now - timedelta(hours=1)),
        event(TicketFirstResponded, responded, created + timedelta(minutes=10)),
        event(TicketReopened, snapshot("T-9", "billing", "A-1", "chat", created), now - timedelta(days=1)),  # yesterday
    ])
    refresher = GaugeRefresher(sessions, interval=60)
    try:
        await refresher.refresh(now=now)
        assert gauge("tickets_closed", "billing") == 1
        assert gauge("aht_seconds", "billing") == 120.0
        assert gauge("fcr_pct", "billing") == 100.0
        assert gauge("reopen_pct", "billing") == 0.0  # yesterday's reopen is not today's
        assert gauge("frt_avg_seconds", "billing") is None  # no first response today: not exported
        assert gauge("frt_avg_seconds", "tech") == 600.0
        assert gauge("tickets_closed", "tech") == 0
        assert gauge("aht_seconds", "tech") is None and gauge("fcr_pct", "tech") is None
        assert gauge("tickets_closed", "*") == 1 and gauge("frt_avg_seconds", "*") == 600.0

        await refresher.refresh(now=now + timedelta(days=1))  # a new UTC day without data
        assert gauge("aht_seconds", "billing") is None and gauge("frt_avg_seconds", "tech") is None
        assert gauge("tickets_closed", "billing") is None
        assert gauge("tickets_closed", "*") == 0 and gauge("fcr_pct", "*") is None
    finally:
        refresher.clear()
    assert gauge("tickets_closed", "*") is None


async def test_the_app_refreshes_gauges_in_the_background(client):
    now = utcnow()
    created = now - timedelta(minutes=1)
    snap = snapshot("T-1", "billing", "A-1", "chat", created, first_response_at=created, closed_at=now, contact_count=2)
    await apply(client.app.state.sessions, [event(TicketClosed, snap, now)])

    async def exported():
        text = (await client.get("/metrics")).text
        return 'csq_kpi_today_tickets_closed{team_id="billing"} 1.0' in text and text

    text = await wait_until(exported, timeout=10, message="gauge exported")
    assert 'csq_kpi_today_fcr_pct{team_id="billing"} 0.0' in text
    assert 'csq_kpi_today_frt_avg_seconds{team_id="billing"}' not in text  # no data, not 0


async def test_gauges_show_todays_csat_and_nps_per_team(sessions):
    now = T("2026-11-21T12:00:00+00:00")
    earlier = now - timedelta(hours=2)
    await apply(sessions, [
        event(TicketClosed, snapshot("T-1", "billing", "A-1", "chat", earlier, closed_at=earlier), earlier),
        answered("R-1", earlier, [("csat", "overall", 5), ("csat", "attitude", 2), ("nps", "overall", 10)], "billing"),
        # a team with survey answers but no ticket today still gets its gauges
        answered("R-2", earlier, [("nps", "overall", 3)], "quality"),
        answered("R-3", now - timedelta(days=1), [("csat", "overall", 1)], "quality"),  # yesterday
    ])
    refresher = GaugeRefresher(sessions, interval=60)
    try:
        await refresher.refresh(now=now)
        assert gauge("csat_pct", "billing") == 50.0 and gauge("nps", "billing") == 100.0
        assert gauge("nps", "quality") == -100.0
        assert gauge("csat_pct", "quality") is None  # only yesterday's CSAT: not exported
        assert gauge("tickets_closed", "quality") == 0 and gauge("tickets_closed", "billing") == 1
        assert gauge("csat_pct", "*") == 50.0 and gauge("nps", "*") == 0.0
        await refresher.refresh(now=now + timedelta(days=1))
        assert gauge("nps", "billing") is None and gauge("nps", "quality") is None and gauge("nps", "*") is None
    finally:
        refresher.clear()
