"""The parts of the statements that read the aggregates, shared by the summary (kpis.service)
and the grouped reads (read.grouped): the rows of a window's tiles (for tickets, each from the
grouping set and resolution that answers the filters), signed where a tile is subtracted
(buckets.signed_tile), the pending deltas, and the packed 15-minute days (aggregates.pack)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import LargeBinary, and_, bindparam, case, cast, literal_column, null, or_, select

from kpi_svc.aggregates import quarters
from kpi_svc.aggregates.buckets import Q15
from kpi_svc.aggregates.dimensions import TICKET_SETS, WILDCARD, GroupingSet, source
from kpi_svc.aggregates.models import COUNTER_COLUMNS, TicketAggregate, TicketQuarters


def window_branches(table, resolutions: tuple[str, ...]) -> list:
    """The rows of each tile, one condition per tile (one per resolution in ``resolutions``, in
    order): bind parameters ``s<i>``/``e<i>`` hold each tile's start and end."""
    return [
        and_(
            table.c.resolution == resolution,
            table.c.bucket_start >= bindparam(f"s{index}"),
            table.c.bucket_start < bindparam(f"e{index}"),
        )
        for index, resolution in enumerate(resolutions)
    ]


def signed(columns, branches: list, negative: tuple[int, ...]) -> list:
    """``columns`` as they are or, with subtracted tiles (their positions ``negative`` among the
    tiles' ``branches``, see buckets.signed_tile), negated on the rows of those tiles."""
    if not negative:
        return list(columns)
    sign = case((or_(*(branches[index] for index in negative)), -1), else_=1)
    return [(column * sign).label(column.name) for column in columns]


def minus_name(sketch_column: str) -> str:
    """The column of a read that holds the blobs of a sketch's subtracted rows."""
    return f"{sketch_column}_minus"


def ticket_tiles_select(
    resolutions: tuple[str, ...], by: str | None, filters: tuple[bool, bool, bool], negative: tuple[int, ...],
    sketches: tuple[str, ...], *, before: tuple[str, ...] = (), after: tuple[str, ...] = (),
):
    """The ticket aggregate rows of the tiles (see ticket_tile_branches): the columns ``before``,
    the counters, the ``sketches`` and ``after``; with subtracted tiles (``negative``), the
    counters signed, and after the sketches the subtracted rows' blobs, a column per sketch
    (minus_name), so that a merge can take them away."""
    table = TicketAggregate.__table__
    branches = ticket_tile_branches(table, resolutions, by, *filters)
    counters = signed([table.c[name] for name in COUNTER_COLUMNS], branches, negative)
    blobs = [table.c[name] for name in sketches]
    if negative:
        subtracted = or_(*(branches[index] for index in negative))
        blobs = [case((subtracted, null()), else_=blob).label(blob.name) for blob in blobs] + [
            case((subtracted, blob)).label(minus_name(blob.name)) for blob in blobs
        ]
    return select(
        *(table.c[name] for name in before), *counters, *blobs, *(table.c[name] for name in after)
    ).where(or_(*branches))


def set_clause(table, kept: GroupingSet, team: bool, agent: bool, channel: bool):
    """The rows of the grouping set ``kept`` matching the filters given (bind parameters ``team``,
    ``agent``, ``channel``): a kept dimension equals its filter or, unfiltered, is any value but
    the wildcard (a stored value never is ``*``); a dimension not kept is the wildcard."""
    clauses = []
    for name, param, keep, given in (("team_id", "team", kept[0], team), ("agent_id", "agent", kept[1], agent), ("channel", "channel", kept[2], channel)):
        if keep and given:
            clauses.append(table.c[name] == bindparam(param))
        if keep and (not given or name == "agent_id"):  # spelt out for agents: the partial agent index
            clauses.append(table.c[name] != WILDCARD)
        if not keep:
            clauses.append(table.c[name] == WILDCARD)
    return and_(*clauses)


def ticket_tile_branches(table, resolutions: tuple[str, ...], by: str | None, team: bool, agent: bool, channel: bool) -> list:
    """The ticket aggregate rows of each tile, one condition per tile (bind parameters
    ``s<i>``/``e<i>``, one tile per resolution in ``resolutions``), each tile read from the set
    and resolution that ``dimensions.source`` picks for the filters given and the grouping ``by``;
    resolutions are literals, so that the planners can use the partial index of the 15-minute
    rows."""
    needed = _needed(by, team, agent, channel)
    branches = []
    for index, resolution in enumerate(resolutions):
        stored_at, kept = source(TICKET_SETS, resolution, needed)
        branches.append(
            and_(
                table.c.resolution == literal_column(f"'{stored_at}'"),
                table.c.bucket_start >= bindparam(f"s{index}"),
                table.c.bucket_start < bindparam(f"e{index}"),
                set_clause(table, kept, team, agent, channel),
            )
        )
    return branches


@lru_cache(maxsize=512)
def quarter_ranges(resolutions: tuple[str, ...], by: str | None, team: bool, agent: bool, channel: bool) -> tuple[int, ...]:
    """The positions of the tiles (one per resolution in ``resolutions``) that ticket_tile_branches
    reads from the 15-minute level: their cells of days already packed are in kpi_ticket_quarters
    (see packed_clause)."""
    needed = _needed(by, team, agent, channel)
    return tuple(index for index, resolution in enumerate(resolutions) if source(TICKET_SETS, resolution, needed)[0] == Q15)


def _needed(by: str | None, team: bool, agent: bool, channel: bool) -> GroupingSet:
    return team or by == "team_id", agent or by == "agent_id", channel or by == "channel"


def packed_clause(positions: tuple[int, ...], by: str | None, team: bool, agent: bool, channel: bool):
    """The packed days (kpi_ticket_quarters, see aggregates.pack) of the tiles at ``positions``
    (bind parameters ``d<i>``, the UTC day of the tile's start, and ``e<i>``), in the grouping set
    the 15-minute tiles are read from, for the filters given."""
    table = TicketQuarters.__table__
    _, kept = source(TICKET_SETS, Q15, _needed(by, team, agent, channel))
    return and_(
        or_(*(and_(table.c.bucket_start >= bindparam(f"d{i}"), table.c.bucket_start < bindparam(f"e{i}")) for i in positions)),
        set_clause(table, kept, team, agent, channel),
    )


def packed_part(
    positions: tuple[int, ...], by: str | None, filters: tuple[bool, bool, bool], columns: tuple[str, ...], *,
    before: tuple[str, ...] = (), after: tuple[str, ...] = (),
):
    """The packed days of the tiles at ``positions`` shaped like the other parts of a ticket read
    (the columns named ``*before, columns…, *after``, with zero counters and no sketches), their
    ``quarters`` last (the other parts add a NULL ``quarters``: see :func:`add_quarters`)."""
    table = TicketQuarters.__table__
    empty = [literal_column("0") if name in COUNTER_COLUMNS else null() for name in columns]
    return select(
        *(table.c[name] for name in before), *empty, *(table.c[name] for name in after), table.c.quarters
    ).where(packed_clause(positions, by, *filters))


def add_quarters(part):
    """``part`` with a NULL ``quarters`` column last, to stand beside a :func:`packed_part`."""
    return part.add_columns(cast(null(), LargeBinary).label("quarters"))


def packed_cells(rows: Sequence[Sequence], day_at: int, runs_of):
    """``(row, start, counters, sketch blobs)`` per run of packed cells in the rows of a read with a
    packed part (``quarters`` last, ``row[day_at]`` the day), the runs being ``runs_of(day)``
    (quarters.spans, computed once per day)."""
    runs: dict[datetime, list] = {}
    width = len(COUNTER_COLUMNS)
    for row in rows:
        blob = row[-1]
        if not blob:
            continue
        day = row[day_at]
        day_runs = runs.get(day)
        if day_runs is None:
            day_runs = runs[day] = runs_of(day)
        for start, sums, blobs in quarters.unpacked(blob, day_runs, width):
            yield row, start, sums, blobs


def dimension_clause(table, team: bool, agent: bool, channel: bool):
    """The rows of the one grouping set answering filters on ``team``/``agent``/``channel`` (which
    are given): a precomputed wildcard set (``team_row``/``channel_row`` hold a value or ``*``), or
    the full rows of the agent."""
    if not agent:
        return and_(
            table.c.team_id == bindparam("team_row"), table.c.agent_id == WILDCARD, table.c.channel == bindparam("channel_row")
        )
    # ``<> '*'`` is implied by the equality; spelt out so the planners pick the partial agent index.
    clauses = [table.c.agent_id == bindparam("agent"), table.c.agent_id != WILDCARD]
    if team:
        clauses.append(table.c.team_id == bindparam("team"))
    if channel:
        clauses.append(table.c.channel == bindparam("channel"))
    return and_(*clauses)


def delta_clause(table, team: bool, agent: bool, channel: bool):
    """Pending deltas of the window (``start``, ``end``) matching the filters given (deltas carry
    real dimensions only)."""
    clauses = [table.c.bucket_start >= bindparam("start"), table.c.bucket_start < bindparam("end")]
    for name, given in (("team_id", team), ("agent_id", agent), ("channel", channel)):
        if given:
            clauses.append(table.c[name] == bindparam(name.removesuffix("_id")))
    return and_(*clauses)


def signed_run(start: datetime, sums: Sequence[int], blobs: Sequence[bytes], subtracted: Sequence[tuple[datetime, datetime]]) -> tuple:
    """A run of packed cells as a row of a read with subtracted tiles: its counters, then its
    blobs to add and to take away; negated, and its blobs taken away, when it starts in one of the
    ``subtracted`` ranges."""
    if any(low <= start < high for low, high in subtracted):
        return (*(-amount for amount in sums), *(None for _ in blobs), *blobs)
    return (*sums, *blobs, *(None for _ in blobs))
