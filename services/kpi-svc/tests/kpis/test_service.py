from datetime import datetime, timedelta

import pytest

from csq_common.errors import InvalidInput
from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.models import COUNTER_COLUMNS
from kpi_svc.kpis.service import TICKET_METRICS, KpiFilters, effective_window, merge_rows, ticket_summary

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


def test_merge_rows_sums_counters_and_merges_sketches_of_every_row():
    width = len(COUNTER_COLUMNS)
    rows = [
        (*range(1, width + 1), sketch.encode({3: 2, sketch.ZERO_KEY: 1}), sketch.EMPTY),
        (*(2**40,) * width, sketch.encode({3: 2**33, -5: 1}), sketch.encode({7: 4})),
        (*(0,) * width, sketch.EMPTY, sketch.EMPTY),
    ]
    counters, frt, resolution = merge_rows(rows)
    assert counters == {name: n + 2**40 for n, name in enumerate(COUNTER_COLUMNS, 1)}
    assert (frt[0].tolist(), frt[1].tolist()) == ([sketch.ZERO_KEY, -5, 3], [1, 1, 2**33 + 2])
    assert (resolution[0].tolist(), resolution[1].tolist()) == ([7], [4])

    counters, frt, resolution = merge_rows([])
    assert counters == dict.fromkeys(COUNTER_COLUMNS, 0)
    assert len(frt[0]) == len(resolution[0]) == 0
