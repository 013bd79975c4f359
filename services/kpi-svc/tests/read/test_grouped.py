"""read.grouped on SQLite and PostgreSQL: a grouped one-bucket read, which the database sums per
group (counters summed, sketch blobs concatenated), gives the same cells as the same window read
bucket by bucket, row by row, and added up in Python: same counters, same merged sketch bins,
same values, for every grouping and some filters, with part of the deltas still pending. Over
several local days of a zone with a 45-minute offset (so the window's ends are partial days read
from hour and 15-minute rows), and over windows that a one-bucket read takes as a coarser bucket
minus the rest of it (a day minus an hour, a month minus eight days and a half: rows subtracted
that hold data)."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kpi_svc.aggregates import sketch
from kpi_svc.read import zones
from kpi_svc.read.grouped import TICKETS, Cell, Selection, read_cells, values_of
from tests.factories import generate
from tests.read.test_breakdown import apply

T = datetime.fromisoformat
ZONE = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
START, END = T("2026-11-21T00:00:00+05:45"), T("2026-11-24T00:00:00+05:45")
SKETCHES = ("frt_sketch", "resolution_sketch")
SELECTIONS = [
    Selection("agent_id"),
    Selection("team_id"),
    Selection("channel"),
    Selection("agent_id", team_id="billing"),
    Selection("team_id", channel="chat"),
    Selection("channel", agent_id="A-1"),
]


def folded(cells) -> dict:
    """The cells of every bucket added up per group."""
    out: dict = {}
    for (key, _), cell in cells.items():
        if key not in out:
            out[key] = Cell(len(cell.counters), len(cell.blobs))
        out[key].add(cell)
    return out


#: (start, end, buckets it is compared with and their zone, whether rows with data are subtracted)
WINDOWS = {
    "Kathmandu days": (START, END, zones.DAY, ZONE, False),
    "a day less an hour": (T("2026-11-21T00:00:00+00:00"), T("2026-11-22T23:00:00+00:00"), zones.HOUR, ZoneInfo("UTC"), True),
    "a month less 8.5 days": (T("2026-11-01T00:00:00+00:00"), T("2026-11-22T12:00:00+00:00"), zones.HOUR, ZoneInfo("UTC"), True),
}


@pytest.mark.parametrize("window", list(WINDOWS))
@pytest.mark.parametrize("sketches", [SKETCHES, ("resolution_sketch",), ()], ids=["both", "one", "none"])
async def test_a_window_summed_by_the_database_equals_it_added_up_day_by_day(sessions, sketches, window):
    start, end, interval, zone, subtracts = WINDOWS[window]
    rng = random.Random(45)
    tickets = generate(rng, 400, origin=T("2026-11-20T20:00:00+00:00"))
    await apply(sessions, rng, tickets.events)
    days = zones.boundaries(start, end, interval, zone, max_buckets=600)
    if zone == ZONE:
        assert len(days) == 4 and all(day.minute == 15 for day in days)  # local midnights: 18:15 UTC
    subtracted = 0

    for selection in SELECTIONS:
        async with sessions() as session:
            whole = await read_cells(session, TICKETS, selection, [start, end], sketches)
            by_day = folded(await read_cells(session, TICKETS, selection, days, sketches))
        assert {key for key, _ in whole} == set(by_day) and len(by_day) > 1, selection
        for (key, bucket), cell in whole.items():
            want = by_day[key]
            assert bucket == 0 and cell.counters == want.counters, (selection, key)
            assert all(len(blobs) <= 1 for blobs in (*cell.blobs, *cell.minus))  # one concatenated blob per sketch
            subtracted += any(cell.minus)
            for index, name in enumerate(sketches):
                got_keys, got_counts = cell.merged(index)
                want_keys, want_counts = want.merged(index)
                assert got_keys.tolist() == want_keys.tolist() and got_counts.tolist() == want_counts.tolist(), (selection, key, name)
            assert values_of(TICKETS, cell, sketches) == values_of(TICKETS, want, sketches), (selection, key)
        if sketches and selection == Selection("agent_id"):
            assert any(len(blobs) > 1 for cell in by_day.values() for blobs in cell.blobs)  # the days did merge blobs
    assert bool(subtracted) == (subtracts and bool(sketches))
