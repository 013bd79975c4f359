"""Compare the KPIs of two kpi-svc databases (the live one and a rebuilt one).

Two views, each read from one snapshot of each database (``csq_common.sql.snapshot_reads``):

- every KPI of ``read.service.METRICS`` over the data's whole window, for the organisation and per
  team, agent and channel (the breakdown's own reads, pending deltas included), and the SLA
  percentages' counts per team: what a user would see;
- a canonical dump of the aggregates: every row of ``kpi_ticket_aggregates`` (packed 15-minute
  cells as the rows they were) with the pending
  ``kpi_ticket_deltas`` folded in (in memory, as the roll-up would fold them), sketches as bin
  counts, and every row of ``kpi_survey_aggregates``; rows holding only zeros left out. Read a UTC
  month at a time, so memory holds one month of rows. It finds what the window's totals hide: a
  count in the wrong bucket or the wrong resolution.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.sql import snapshot_reads
from kpi_svc.aggregates import quarters, sketch
from kpi_svc.aggregates.buckets import DAY, MONTH, Q15, floor_to, next_start
from kpi_svc.aggregates.models import (
    COUNTER_COLUMNS,
    SKETCH_COLUMNS,
    SURVEY_COUNTER_COLUMNS,
    SurveyAggregate,
    TicketAggregate,
    TicketDelta,
    TicketQuarters,
)
from kpi_svc.aggregates.rollup import FRT, RESOLUTION, BatchAggregate
from kpi_svc.read.grouped import Selection
from kpi_svc.read.service import METRICS, grouped_values
from kpi_svc.sla.team_counts import sla_counts_by_team

GROUPINGS = (None, "team_id", "agent_id", "channel")


@dataclass(frozen=True)
class Difference:
    what: str
    live: object
    rebuilt: object

    def __str__(self) -> str:
        return f"{self.what}: live {self.live!r}, rebuilt {self.rebuilt!r}"


async def data_window(session: AsyncSession) -> tuple[datetime, datetime] | None:
    """``(first, last)`` bucket start of any aggregate or pending delta; None without data."""
    parts = [
        select(func.min(table.c.bucket_start).label("first"), func.max(table.c.bucket_start).label("last"))
        for table in (TicketAggregate.__table__, TicketDelta.__table__, SurveyAggregate.__table__)
    ]
    rows = (await session.execute(union_all(*parts))).all()
    firsts = [row[0] for row in rows if row[0] is not None]
    lasts = [row[1] for row in rows if row[1] is not None]
    return (min(firsts), max(lasts)) if firsts else None


def whole_days(windows: list[tuple[datetime, datetime] | None]) -> tuple[datetime, datetime] | None:
    """The UTC days covering every window given."""
    known = [w for w in windows if w is not None]
    if not known:
        return None
    first = min(start for start, _ in known)
    last = max(end for _, end in known)
    return floor_to(first, DAY), floor_to(last, DAY) + timedelta(days=1)


def _label(by: str | None, key: str | None) -> str:
    return "organisation" if by is None else f"{by}={key if key is not None else '(none)'}"


async def kpi_values(session: AsyncSession, start: datetime, end: datetime, now: datetime) -> dict[str, object]:
    """label → value of every KPI over ``[start, end)``, organisation and per group, and the SLA
    counts per team (timers measured, timers met) as of ``now``."""
    values: dict[str, object] = {}
    for by in GROUPINGS:
        rows = await grouped_values(session, start=start, end=end, selection=Selection(by), metrics=METRICS)
        for key, row in rows.items():
            for metric in METRICS:
                values[f"{_label(by, key)} {metric}"] = row.values[metric]
                values[f"{_label(by, key)} {metric} count"] = row.counts[metric]
    sla = await sla_counts_by_team(session, start=start, end=end)
    for team, per_metric in sla.items():
        for metric, (measured, met) in per_metric.items():
            values[f"{_label('team_id', team)} {metric} (measured, met)"] = (measured, met)
    return values


def compare_values(live: dict[str, object], rebuilt: dict[str, object]) -> list[Difference]:
    """Labels whose values differ (a label present on one side only included)."""
    return [
        Difference(label, live.get(label), rebuilt.get(label))
        for label in sorted(live.keys() | rebuilt.keys())
        if live.get(label) != rebuilt.get(label)
    ]


# ---- canonical dump -------------------------------------------------------------------------------

Canonical = dict[tuple, tuple]


async def pending_folded(session: AsyncSession) -> BatchAggregate:
    """Every pending delta added to the rows it will be folded into (nothing written)."""
    table = TicketDelta.__table__
    batch = BatchAggregate()
    columns = (table.c.bucket_start, table.c.team_id, table.c.agent_id, table.c.channel)
    width = len(COUNTER_COLUMNS)
    statement = select(*columns, *(table.c[name] for name in (*COUNTER_COLUMNS, *SKETCH_COLUMNS)))
    for row in (await session.execute(statement)).all():
        batch.add_cell(row[0], row[1], row[2], row[3], row[4 : 4 + width], sketch.decode(row[4 + width]), sketch.decode(row[5 + width]))
    return batch


def _canonical_bins(bins: dict[int, int]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted((key, count) for key, count in bins.items() if count))


async def ticket_rows(session: AsyncSession, start: datetime, end: datetime, pending: BatchAggregate) -> Canonical:
    """(resolution, bucket_start, team, agent, channel) → (counters, FRT bins, resolution bins)
    of the ticket aggregates starting in ``[start, end)``, pending deltas included."""
    table = TicketAggregate.__table__
    keys = ("resolution", "bucket_start", "team_id", "agent_id", "channel")
    statement = select(*(table.c[name] for name in (*keys, *COUNTER_COLUMNS, *SKETCH_COLUMNS))).where(
        table.c.bucket_start >= start, table.c.bucket_start < end
    )
    rows: dict[tuple, list] = {}
    width = len(COUNTER_COLUMNS)
    for row in (await session.execute(statement)).all():
        rows[tuple(row[:5])] = [list(row[5 : 5 + width]), sketch.decode(row[5 + width]), sketch.decode(row[6 + width])]
    packed = TicketQuarters.__table__
    days = select(packed.c.bucket_start, packed.c.team_id, packed.c.agent_id, packed.c.channel, packed.c.quarters).where(
        packed.c.bucket_start >= start, packed.c.bucket_start < end
    )
    for day, *dims, blob in (await session.execute(days)).all():  # packed cells as the rows they were (added to a late event's)
        for slot, counters, blobs in quarters.decode(blob).cells(width) if blob else ():
            row = rows.setdefault((Q15, day + quarters.SLOT * slot, *dims), [[0] * width, {}, {}])
            row[0] = [a + b for a, b in zip(row[0], counters)]
            for index, blob_of_slot in enumerate(blobs, 1):
                sketch.merge_into(row[index], blob_of_slot)
    for key, counters in pending.counters.items():
        if not start <= key[1] < end:
            continue
        row = rows.setdefault(key, [[0] * width, {}, {}])
        row[0] = [a + b for a, b in zip(row[0], counters)]
        for index, metric in ((1, FRT), (2, RESOLUTION)):
            for bin_key, count in pending.bins.get((key, metric), {}).items():
                row[index][bin_key] = row[index].get(bin_key, 0) + count
    canonical: Canonical = {}
    for key, (counters, frt, resolution) in rows.items():
        value = (tuple(counters), _canonical_bins(frt), _canonical_bins(resolution))
        if any(counters) or value[1] or value[2]:
            canonical[key] = value
    return canonical


async def survey_rows(session: AsyncSession, start: datetime, end: datetime) -> Canonical:
    table = SurveyAggregate.__table__
    keys = ("resolution", "bucket_start", "team_id", "agent_id", "channel", "dimension")
    statement = select(*(table.c[name] for name in (*keys, *SURVEY_COUNTER_COLUMNS))).where(
        table.c.bucket_start >= start, table.c.bucket_start < end
    )
    return {tuple(row[:6]): tuple(row[6:]) for row in (await session.execute(statement)).all() if any(row[6:])}


def months(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    month = floor_to(start, MONTH)
    while month < end:
        following = next_start(month, MONTH)
        yield month, following
        month = following


def _row_label(table: str, key: tuple) -> str:
    resolution, bucket, *dims = key
    return f"{table} {resolution} {bucket.isoformat()} " + "/".join(dims)


def compare_rows(table: str, columns: tuple[str, ...], live: Canonical, rebuilt: Canonical) -> list[Difference]:
    """Per differing row: the columns that differ (a row on one side only: the whole row)."""
    differences = []
    for key in sorted(live.keys() | rebuilt.keys(), key=repr):
        mine, theirs = live.get(key), rebuilt.get(key)
        if mine == theirs:
            continue
        if mine is None or theirs is None:
            differences.append(Difference(_row_label(table, key), mine, theirs))
            continue
        for name, a, b in zip(columns, mine, theirs):
            if a != b:
                differences.append(Difference(f"{_row_label(table, key)} {name}", a, b))
    return differences


TICKET_COLUMNS = (*COUNTER_COLUMNS, *SKETCH_COLUMNS)


def _spread(canonical: Canonical) -> Canonical:
    """Ticket rows with their counters spread into columns, so a difference names the column."""
    return {key: (*counters, frt, resolution) for key, (counters, frt, resolution) in canonical.items()}


@dataclass
class Comparison:
    window: tuple[datetime, datetime] | None
    kpis: int  # KPI values compared (each side's labels, counted once)
    rows: int  # aggregate rows compared
    differences: list[Difference]


async def compare(live: AsyncSession, rebuilt: AsyncSession, now: datetime) -> Comparison:
    """Every KPI and every aggregate row of ``live`` against ``rebuilt`` (sessions not yet used:
    each is put on one snapshot first)."""
    await snapshot_reads(live)
    await snapshot_reads(rebuilt)
    window = whole_days([await data_window(live), await data_window(rebuilt)])
    if window is None:
        return Comparison(None, 0, 0, [])
    start, end = window
    live_values = await kpi_values(live, start, end, now)
    rebuilt_values = await kpi_values(rebuilt, start, end, now)
    differences = compare_values(live_values, rebuilt_values)
    live_pending, rebuilt_pending = await pending_folded(live), await pending_folded(rebuilt)
    rows = 0
    for low, high in months(start, end):
        mine, theirs = await ticket_rows(live, low, high, live_pending), await ticket_rows(rebuilt, low, high, rebuilt_pending)
        rows += len(mine.keys() | theirs.keys())
        differences += compare_rows("kpi_ticket_aggregates", TICKET_COLUMNS, _spread(mine), _spread(theirs))
        mine, theirs = await survey_rows(live, low, high), await survey_rows(rebuilt, low, high)
        rows += len(mine.keys() | theirs.keys())
        differences += compare_rows("kpi_survey_aggregates", SURVEY_COUNTER_COLUMNS, mine, theirs)
    return Comparison(window, len(live_values.keys() | rebuilt_values.keys()), rows, differences)
