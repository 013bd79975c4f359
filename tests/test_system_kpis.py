"""A CRM's ticket events through feedback-svc, Kafka and kpi-svc: every KPI exactly right,
overall and per team, agent and channel, compared with an independent computation."""

from datetime import datetime, timedelta, timezone


from system import kpi_summary, post_webhooks, wait_for_closures
from ticketgen import TEAMS, CHANNELS, assert_kpis_match, expected_kpis, generate

UTC = timezone.utc


async def test_generated_ticket_histories_give_exact_kpis(stack):
    start = datetime(2025, 3, 1, tzinfo=UTC)
    hooks, truth = generate(seed=1, tickets=120, start=start, days=10)
    end = start + timedelta(days=20)  # reopen-and-close-again can land after the 10 days

    statuses = await post_webhooks(stack.url("feedback"), hooks)
    unique = len({hook.event_id for hook in hooks})
    assert statuses == {202: unique, 200: len(hooks) - unique}  # CRM retries are duplicates

    await wait_for_closures(stack.url("kpi"), start, end, len(truth.closures))
    windows = [(start, end), (start + timedelta(days=3, hours=5, minutes=15), start + timedelta(days=6, hours=1, minutes=45))]
    for window_start, window_end in windows:
        summary = await kpi_summary(stack.url("kpi"), window_start, window_end)
        values, counts = expected_kpis(truth, window_start, window_end)
        assert_kpis_match(summary["values"], values, f"overall {window_start:%d %H:%M}")
        assert {k: summary["counts"][k] for k in counts} == counts
        for team in TEAMS:
            summary = await kpi_summary(stack.url("kpi"), window_start, window_end, team=team)
            assert_kpis_match(summary["values"], expected_kpis(truth, window_start, window_end, team=team)[0], f"team {team}")
    for channel in CHANNELS:
        summary = await kpi_summary(stack.url("kpi"), start, end, channel=channel)
        assert_kpis_match(summary["values"], expected_kpis(truth, start, end, channel=channel)[0], f"channel {channel}")
    summary = await kpi_summary(stack.url("kpi"), start, end, team="billing", agent="A-2", channel="email")
    assert_kpis_match(summary["values"], expected_kpis(truth, start, end, team="billing", agent="A-2", channel="email")[0], "A-2 email")
