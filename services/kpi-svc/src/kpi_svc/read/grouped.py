"""Grouped, bucketed reads of the stored aggregates: the engine under series, breakdowns, peak
hours and leaderboards.

A read names its buckets as UTC boundaries ``[b0, b1, …, bn]`` (any widths: local days, hours…)
and optionally a dimension to group by. Each bucket is tiled with the coarsest stored pieces that
cover it exactly (aggregates.buckets.tile: days and hours where the zone's boundaries allow, the
15-minute cells elsewhere); adjacent pieces of one resolution are read as one range. One
statement reads the ranges' rows of the grouping set that answers the grouping and filters
(dimensions.GROUPING_SETS; for tickets per range, from a finer resolution where the set is not
stored at the range's: kpis.clauses.ticket_tile_branches) and, for tickets, the pending deltas of the same buckets (one snapshot,
as in the summary); each row is added to its (group, bucket) by its ``bucket_start``. For
tickets the 15-minute cells of days already packed (aggregates.pack) come back in the same
statement, a row per day and row of a grouping set, and only the runs of slots inside the read's
15-minute ranges are unpacked, each into the bucket holding it. A grouped
read of one bucket (a breakdown, a leaderboard) is summed by the database instead: one row per
group, its counters summed and its sketch blobs concatenated (csq_common.sql.concat_blobs). A
one-bucket read is tiled with the fewest rows (aggregates.buckets.signed_tile: 1-29 October as
October minus two days), the rows of a subtracted tile counted negatively and, for tickets, their
sketch blobs gathered apart, to be subtracted when merged. A window of
more ranges than one statement should hold is read in chunks of whole buckets, each chunk with its
own deltas, so a roll-up between two chunks cannot count a delta twice or miss it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import BigInteger, LargeBinary, and_, bindparam, cast, func, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.sql import concat_blobs, fetch_prepared
from kpi_svc.aggregates import quarters, sketch
from kpi_svc.aggregates.buckets import DAY, HOUR, MONTH, Tile, append_joined, floor_to, signed_tile, tile
from kpi_svc.aggregates.dimensions import WILDCARD, original, stored
from kpi_svc.aggregates.models import (
    ALL_DIMENSIONS,
    COUNTER_COLUMNS,
    SKETCH_COLUMNS,
    SURVEY_COUNTER_COLUMNS,
    SurveyAggregate,
    TicketDelta,
)
from kpi_svc.kpis.clauses import (
    add_quarters,
    delta_clause,
    minus_name,
    packed_cells,
    packed_part,
    quarter_ranges,
    signed,
    signed_run,
    ticket_tiles_select,
    window_branches,
)
from kpi_svc.kpis.service import ticket_values
from kpi_svc.kpis.surveys import survey_values_of
from kpi_svc.sla.kpis import SLA, SLA_KIND, sla_values_of
from kpi_svc.voice import kpis as voice

TICKETS = "tickets"
SURVEYS = "surveys"
GROUP_BY = ("team_id", "agent_id", "channel")
#: Ranges OR'ed in one statement at most (SQLite parses an OR chain as a tree at most 1000 deep).
MAX_RANGES_PER_STATEMENT = 200
#: The levels whose buckets a one-bucket read may take whole and subtract from (see plan): the
#: ticket aggregates store no hours, the other counters every level.
TICKET_WHOLE = (MONTH, DAY)
STORED_WHOLE = (MONTH, DAY, HOUR)
#: Which sketch column each percentile reads.
SKETCH_OF = {"frt_p50_seconds": "frt_sketch", "frt_p90_seconds": "frt_sketch", "resolution_p90_seconds": "resolution_sketch"}


@dataclass(frozen=True)
class Selection:
    """What to group by (``None``: one group) and the filters (original values, ``None`` = all)."""

    by: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None


def output_key(value: str) -> str | None:
    """A stored dimension value as the API shows it (missing is ``None``)."""
    return original(value) if value else None


def _rows_clause(table, by: str | None, team: bool, agent: bool, channel: bool):
    """The rows of the grouping set that holds every group of ``by`` under the given filters:
    the full rows when agents are grouped or filtered, else the team/channel set (a grouped
    dimension is any value but the wildcard, an ungrouped unfiltered one is the wildcard)."""
    if by == "agent_id" or agent:
        clauses = [table.c.agent_id != WILDCARD]
        for name, param, given in (("team_id", "team", team), ("agent_id", "agent", agent), ("channel", "channel", channel)):
            if given:
                clauses.append(table.c[name] == bindparam(param))
        return and_(*clauses)
    clauses = [table.c.agent_id == WILDCARD]
    for name, param, given in (("team_id", "team", team), ("channel", "channel", channel)):
        if given:
            clauses.append(table.c[name] == bindparam(param))
        elif by == name:
            clauses.append(table.c[name] != WILDCARD)
        else:
            clauses.append(table.c[name] == WILDCARD)
    return and_(*clauses)


#: kind, range resolutions, group by, team/agent/channel filtered, sketches, summed, the positions
#: of the subtracted ranges
Shape = tuple[str, tuple[str, ...], str | None, bool, bool, bool, tuple[str, ...], bool, tuple[int, ...]]


@lru_cache(maxsize=256)
def _statement(shape: Shape):
    """``[group value,] bucket_start, counters…, sketches…`` of the ranges' rows (and, for
    tickets, of the pending deltas between the ``start`` and ``end`` parameters); built once per
    shape, its values all bind parameters. ``summed`` (a grouped one-bucket read): the database
    sums the counters per group and concatenates each sketch's blobs (a concatenation of blobs
    is the blob of all their bins, repeated keys and all: sketch.merge_blobs adds them), so one
    row per group comes back."""
    kind, resolutions, by, team, agent, channel, sketches, summed, negative = shape
    if kind in voice.KINDS or kind == SLA:  # a counter family of kpi_svc.voice or SLA; automatic QA rows of one ``check``
        counter_kind = SLA_KIND if kind == SLA else voice.KINDS[kind]
        table, counters = counter_kind.table, counter_kind.columns
        only = [table.c.check_name == bindparam("check")] if counter_kind.checked else []
    elif kind == SURVEYS:
        table, counters = SurveyAggregate.__table__, SURVEY_COUNTER_COLUMNS
        only = [table.c.dimension == ALL_DIMENSIONS]
    else:
        return _ticket_statement(shape)
    branches = window_branches(table, resolutions)
    values = signed([table.c[name] for name in counters], branches, negative)
    rows = select(*([table.c[by]] if by else []), table.c.bucket_start, *values).where(
        _rows_clause(table, by, team, agent, channel), or_(*branches), *only
    )
    if not summed:
        return rows
    inner = rows.subquery()
    key = [inner.c[by]] if by else []
    # CAST: PostgreSQL's sum of a bigint is a numeric; the counters stay integers
    return select(
        *key, func.min(inner.c.bucket_start), *(cast(func.sum(inner.c[name]), BigInteger) for name in counters)
    ).group_by(*key)


def _ticket_statement(shape: Shape):
    """The ticket form of :func:`_statement`: the tiles' rows, the pending deltas and, when a
    tile reads the 15-minute level, the packed days (``quarters`` last, NULL in the others;
    summed or not, they come back as they are: see read_cells). With subtracted ranges, the
    counters come signed and each sketch has a second column, after them, holding the blobs of
    the subtracted rows (see minus_name)."""
    kind, resolutions, by, team, agent, channel, sketches, summed, negative = shape
    deltas = TicketDelta.__table__
    minus = tuple(minus_name(name) for name in sketches) if negative else ()
    columns = (*COUNTER_COLUMNS, *sketches, *minus)
    tiles = ticket_tiles_select(resolutions, by, (team, agent, channel), negative, sketches, before=(*([by] if by else []), "bucket_start"))
    parts = [
        tiles,
        select(
            *([deltas.c[by]] if by else []),
            deltas.c.bucket_start,
            *(deltas.c[name] for name in (*COUNTER_COLUMNS, *sketches)),
            *(cast(null(), LargeBinary).label(name) for name in minus),
        ).where(delta_clause(deltas, team, agent, channel)),
    ]
    if summed:
        inner = union_all(*parts).subquery()
        key = [inner.c[by]] if by else []
        parts = [
            select(
                *key,
                func.min(inner.c.bucket_start),
                *(cast(func.sum(inner.c[name]), BigInteger) for name in COUNTER_COLUMNS),
                *(concat_blobs(inner.c[name]) for name in (*sketches, *minus)),
            ).group_by(*key)
        ]
    positions = quarter_ranges(resolutions, by, team, agent, channel)
    if not positions:
        return union_all(*parts) if len(parts) > 1 else parts[0]
    packed = packed_part(positions, by, (team, agent, channel), columns, before=(*([by] if by else []), "bucket_start"))
    return union_all(*map(add_quarters, parts), packed)


def plan(bounds: list[datetime], *, whole: tuple[str, ...] = ()) -> list[tuple[int, int, list[Tile]]]:
    """``(first bucket, end bucket, ranges)`` per statement: each bucket tiled, adjacent tiles of
    one resolution joined, at most MAX_RANGES_PER_STATEMENT ranges per chunk of whole buckets.
    With ``whole`` (the levels whose buckets the table stores), one bucket is tiled with the
    fewest rows, subtracted tiles included (buckets.signed_tile); a row then lies in the bucket
    even when it starts before the window."""
    if whole and len(bounds) == 2:
        return [(0, 1, signed_tile(bounds[0], bounds[1], whole=whole))]
    chunks: list[tuple[int, int, list[Tile]]] = []
    ranges: list[Tile] = []
    first = 0
    for index in range(len(bounds) - 1):
        pieces = tile(bounds[index], bounds[index + 1])
        if ranges and len(ranges) + len(pieces) > MAX_RANGES_PER_STATEMENT:
            chunks.append((first, index, ranges))
            ranges, first = [], index
        for piece in pieces:
            append_joined(ranges, piece)
    chunks.append((first, len(bounds) - 1, ranges))
    return chunks


class Cell:
    """Summed counters and the sketch blobs of one (group, bucket): ``blobs`` to add, ``minus``
    those of subtracted rows, per sketch."""

    __slots__ = ("counters", "blobs", "minus")

    def __init__(self, width: int, sketches: int) -> None:
        self.counters = [0] * width
        self.blobs: list[list[bytes]] = [[] for _ in range(sketches)]
        self.minus: list[list[bytes]] = [[] for _ in range(sketches)]

    def add(self, other: "Cell") -> None:
        for index, amount in enumerate(other.counters):
            self.counters[index] += amount
        for mine, theirs in zip(self.blobs, other.blobs):
            mine.extend(theirs)
        for mine, theirs in zip(self.minus, other.minus):
            mine.extend(theirs)

    def merged(self, index: int) -> sketch.Bins:
        """The bins of sketch ``index``: its blobs added, the subtracted ones taken away."""
        return sketch.merge_blobs(self.blobs[index], minus=self.minus[index])


Cells = dict[tuple[str | None, int], Cell]  # (group as shown, bucket index) → cell


async def read_cells(
    session: AsyncSession, kind: str, selection: Selection, bounds: list[datetime], sketches: tuple[str, ...] = ()
) -> Cells:
    """The cells of ``kind`` (TICKETS, SURVEYS, SLA or a kind of kpi_svc.voice) over the buckets
    ``bounds`` for ``selection``; ``sketches`` names the ticket sketch columns to merge (none for
    the other kinds)."""
    if kind in (TICKETS, SURVEYS):
        family, check = None, None
    else:
        family, check = (SLA_KIND, None) if kind == SLA else voice.split_kind(kind)
    counters = COUNTER_COLUMNS if kind == TICKETS else SURVEY_COUNTER_COLUMNS if kind == SURVEYS else family.columns
    statement_kind = voice.AUTOQA if family is voice.KINDS[voice.AUTOQA] else kind
    width, grouped = len(counters), selection.by is not None
    first_counter = 2 if grouped else 1
    filters = {
        "team": stored(selection.team_id) if selection.team_id else None,
        "agent": stored(selection.agent_id) if selection.agent_id else None,
        "channel": stored(selection.channel) if selection.channel else None,
    }
    given = (filters["team"] is not None, filters["agent"] is not None, filters["channel"] is not None)
    cells: Cells = {}
    keys: dict[str, str | None] = {}
    for first, end, ranges in plan(bounds, whole=TICKET_WHOLE if kind == TICKETS else STORED_WHOLE):
        single = end - first == 1
        sketched = sketches if kind == TICKETS else ()
        negative = tuple(index for index, r in enumerate(ranges) if r.sign < 0)
        shape = (statement_kind, tuple(r.resolution for r in ranges), selection.by, *given, sketched, grouped and single, negative)
        params = {"start": bounds[first], "end": bounds[end], **filters, **({"check": check} if check is not None else {})}
        for index, r in enumerate(ranges):
            params[f"s{index}"], params[f"e{index}"], params[f"d{index}"] = r.start, r.end, floor_to(r.start, DAY)
        rows = await fetch_prepared(session, _statement(shape), params)
        if kind == TICKETS and (positions := quarter_ranges(shape[1], selection.by, *given)):
            packed_ranges = [(ranges[i].start, ranges[i].end) for i in positions]
            subtracted = [(ranges[i].start, ranges[i].end) for i in positions if ranges[i].sign < 0] if negative else None
            rows = _with_packed_runs(rows, packed_ranges, bounds[first : end + 1], first_counter, sketches, subtracted)
        minus_at = first_counter + width + len(sketches) if negative else None
        for row in rows:
            if grouped:
                value = row[0]
                key = keys.get(value)
                if key is None and value not in keys:
                    key = keys[value] = output_key(value)
            else:
                key = None
            bucket = first if single else bisect_right(bounds, row[first_counter - 1], first, end) - 1
            cell = cells.get((key, bucket))
            if cell is None:
                cell = cells[(key, bucket)] = Cell(width, len(sketches))
            sums = cell.counters
            for index in range(width):
                sums[index] += row[first_counter + index]
            for index, blobs in enumerate(cell.blobs):
                blob = row[first_counter + width + index]
                if blob:
                    blobs.append(blob)
            if minus_at is not None:
                for index, blobs in enumerate(cell.minus):
                    blob = row[minus_at + index]
                    if blob:
                        blobs.append(blob)
    # A group is seen in a bucket when something was counted there: rows of a subtracted tile
    # cancel those of the coarser bucket they were taken from, and leave a cell of zeros.
    return {key: cell for key, cell in cells.items() if any(cell.counters)}


def _with_packed_runs(rows, ranges, cuts, first_counter: int, sketches: tuple[str, ...], subtracted=None) -> list:
    """The rows of a ticket read with a packed part, each packed day replaced by a row per
    run of its cells in ``ranges`` within one bucket (``cuts``: the buckets' boundaries), shaped
    like the others: ``[group,] run start, counters…, sketch blobs…`` (of ``sketches``); in a read
    with subtracted tiles (``subtracted``: those of its 15-minute ranges, maybe none), shaped as
    kpis.clauses.signed_run gives them."""
    plain = [row for row in rows if row[-1] is None]
    day_at = first_counter - 1
    metrics = [SKETCH_COLUMNS.index(name) for name in sketches]
    for row, start, sums, blobs in packed_cells(rows, day_at, lambda day: quarters.spans(day, ranges, cuts)):
        chosen = [blobs[metric] for metric in metrics]
        run = (*sums, *chosen) if subtracted is None else signed_run(start, sums, chosen, subtracted)
        plain.append((*row[:day_at], start, *run))
    return plain


def values_of(kind: str, cell: Cell | None, sketches: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """``(values, counts)`` of every metric of ``kind`` from one cell (``None``: no data), the
    way the summary computes them; percentiles only from the ``sketches`` read."""
    if kind == SLA:
        return sla_values_of(cell.counters if cell is not None else None)
    if kind not in (TICKETS, SURVEYS):
        return voice.values_of(kind, cell.counters if cell is not None else None)
    if kind == SURVEYS:
        sums = cell.counters if cell is not None else [0] * len(SURVEY_COUNTER_COLUMNS)
        return survey_values_of(dict(zip(SURVEY_COUNTER_COLUMNS, sums)))
    sums = cell.counters if cell is not None else [0] * len(COUNTER_COLUMNS)
    merged = {name: cell.merged(index) if cell is not None else sketch.merge_blobs(()) for index, name in enumerate(sketches)}
    empty = sketch.merge_blobs(())
    return ticket_values(
        dict(zip(COUNTER_COLUMNS, sums)), merged.get("frt_sketch", empty), merged.get("resolution_sketch", empty)
    )
