from datetime import datetime, timedelta

import pytest

from csq_common.errors import InvalidInput
from kpi_svc.kpis.service import TICKET_METRICS, KpiFilters, effective_window, ticket_summary

T = datetime.fromisoformat


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (T("2026-11-21T00:00:00"), T("2026-11-22T00:00:00+00:00"), "from"),
        (T("2026-11-21T00:00:00+00:00"), T("2026-11-22T00:00:00"), "to"),
        (T("2026-11-21T00:00:00+00:00"), T("2026-11-21T00:00:00+00:00"), "to"),
        (T("2026-11-21T00:00:00+00:00"), T("2026-11-20T00:00:00+00:00"), "to"),
        (T("2025-01-01T00:00:00+00:00"), T("2026-11-20T00:00:00+00:00"), "to"),
        (T("9999-12-31T23:50:00+00:00"), T("9999-12-31T23:59:00+00:00"), "to"),
    ],
)
def test_bad_windows_name_the_field(start, end, field):
    with pytest.raises(InvalidInput) as error:
        effective_window(start, end)
    assert error.value.extensions["errors"][0]["field"] == field


def test_windows_widen_to_quarter_hours_in_utc():
    start, end = effective_window(T("2026-11-21T08:07:00+08:00"), T("2026-11-21T08:31:00+08:00"))
    assert (start, end) == (T("2026-11-21T00:00:00+00:00"), T("2026-11-21T00:45:00+00:00"))


async def test_an_empty_window_has_null_metrics_and_zero_counts(sessions):
    async with sessions() as session:
        got = await ticket_summary(
            session, start=T("2026-11-21T00:00:00+00:00"), end=T("2026-11-22T00:00:00+00:00"),
            filters=KpiFilters(agent_id="A-1"),
        )
    assert set(got.values) == set(TICKET_METRICS) == set(got.counts)
    assert got.values.pop("tickets_closed") == 0
    assert set(got.values.values()) == {None}
    assert set(got.counts.values()) == {0}
    assert got.end - got.start == timedelta(days=1)
