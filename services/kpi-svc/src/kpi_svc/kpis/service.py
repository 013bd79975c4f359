"""Reads: ticket and survey KPIs over a window from the aggregates (never from per-event rows).

The window is widened to 15-minute boundaries and tiled with the fewest rows
(aggregates.buckets.signed_tile: months, days, hours, quarters, and an edge that is most of a month
or day read as that bucket minus the rest, the subtracted rows negated). One query reads the
tiles' rows (OR'ed), each from the one grouping set that matches the filters (for tickets, per
tile: see kpis.clauses.ticket_tile_branches and dimensions.TICKET_SETS), a few dozen rows for 90
days, plus, in the same statement (one snapshot), the window's pending deltas that the roll-up
has not folded in yet (aggregates.rollup; a handful while it keeps up) and the packed 15-minute
cells of the window's edges on days already over (aggregates.pack). The counters are summed in
Python and the sketch blobs merged (bin counts added, subtracted ones taken away) all at once with
numpy (see merge_rows). Survey KPIs are read the same way from the survey aggregates (see
kpis.surveys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache

from sqlalchemy import LargeBinary, cast, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.sql import fetch_prepared
from kpi_svc.aggregates import quarters, sketch
from kpi_svc.aggregates.buckets import DAY, Tile, floor_to, signed_tile, widen
from kpi_svc.aggregates.dimensions import WILDCARD, stored
from kpi_svc.aggregates.models import COUNTER_COLUMNS, SKETCH_COLUMNS, SURVEY_COUNTER_COLUMNS, SurveyAggregate, TicketDelta
from kpi_svc.kpis.clauses import (
    add_quarters,
    delta_clause,
    dimension_clause,
    minus_name,
    packed_cells,
    packed_part,
    quarter_ranges,
    signed,
    signed_run,
    ticket_tiles_select,
    window_branches,
)
from kpi_svc.kpis.surveys import check_dimension, survey_statement, survey_values
from kpi_svc.sla.kpis import SLA, SLA_KIND, sla_values_of
from kpi_svc.voice import kpis as voice

MAX_WINDOW = timedelta(days=400)

TICKET_METRICS = (
    "tickets_closed",
    "frt_avg_seconds",
    "frt_p50_seconds",
    "frt_p90_seconds",
    "resolution_avg_seconds",
    "resolution_p90_seconds",
    "aht_seconds",
    "fcr_pct",
    "reopen_pct",
    "frt_bh_avg_seconds",
    "resolution_bh_avg_seconds",
    "next_response_avg_seconds",
    "repeat_contact_pct",
)


@dataclass(frozen=True)
class KpiFilters:
    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None
    #: Question dimension: restricts the answer KPIs (csat_pct, nps, ces_avg) to questions tagged
    #: with it; a summary with a dimension holds only those three (see kpi_summary).
    dimension: str | None = None


@dataclass(frozen=True)
class Summary:
    start: datetime  # effective window, aligned to 15 minutes
    end: datetime
    filters: KpiFilters
    values: dict[str, float | int | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def effective_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Validate ``[start, end)`` (errors name ``from`` / ``to``) and widen it to 15 minutes."""
    if start.tzinfo is None:
        raise InvalidInput("from", "must be an RFC 3339 timestamp with an offset")
    if end.tzinfo is None:
        raise InvalidInput("to", "must be an RFC 3339 timestamp with an offset")
    if end <= start:
        raise InvalidInput("to", "must be after from")
    if end - start > MAX_WINDOW:
        raise InvalidInput("to", f"the window may span at most {MAX_WINDOW.days} days")
    try:
        return widen(start, end)
    except OverflowError:
        raise InvalidInput("to", "is out of range") from None


#: tile resolutions; team, agent, channel filtered; the positions of the subtracted tiles
Shape = tuple[tuple[str, ...], bool, bool, bool, tuple[int, ...]]


def _shape(tiles: list[Tile], filters: KpiFilters) -> Shape:
    negative = tuple(index for index, t in enumerate(tiles) if t.sign < 0)
    return tuple(t.resolution for t in tiles), bool(filters.team_id), bool(filters.agent_id), bool(filters.channel), negative


def _params(start: datetime, end: datetime, tiles: list[Tile], filters: KpiFilters) -> dict:
    """The bind parameters of a summary statement of ``_shape(tiles, filters)``."""
    team = stored(filters.team_id) if filters.team_id else None
    channel = stored(filters.channel) if filters.channel else None
    params = {"start": start, "end": end, "team_row": team or WILDCARD, "channel_row": channel or WILDCARD}
    params.update(team=team, channel=channel, agent=stored(filters.agent_id) if filters.agent_id else None)
    for index, t in enumerate(tiles):
        params[f"s{index}"], params[f"e{index}"], params[f"d{index}"] = t.start, t.end, floor_to(t.start, DAY)
    return params


@lru_cache(maxsize=512)
def _survey_statement(shape: Shape):
    resolutions, team, agent, channel, negative = shape
    surveys = SurveyAggregate.__table__
    branches = window_branches(surveys, resolutions)
    counters = signed([surveys.c[name] for name in SURVEY_COUNTER_COLUMNS], branches, negative)
    return survey_statement((dimension_clause(surveys, team, agent, channel), or_(*branches)), counters)


@lru_cache(maxsize=512)
def _ticket_statement(shape: Shape):
    """The ticket summary's statement for one shape of window and filters, built once (its values
    are bind parameters): a read neither builds a statement nor computes its cache key again."""
    resolutions, team, agent, channel, negative = shape
    deltas = TicketDelta.__table__
    columns = (*COUNTER_COLUMNS, *SKETCH_COLUMNS)
    minus = tuple(minus_name(name) for name in SKETCH_COLUMNS) if negative else ()
    positions = quarter_ranges(resolutions, None, team, agent, channel)
    # with packed days to read, each row also carries its day (bucket_start) and packed cells
    day = ("bucket_start",) if positions else ()
    parts = [
        ticket_tiles_select(resolutions, None, (team, agent, channel), negative, SKETCH_COLUMNS, after=day),
        select(
            *(deltas.c[name] for name in columns), *(cast(null(), LargeBinary).label(name) for name in minus),
            *(deltas.c[name] for name in day),
        ).where(delta_clause(deltas, team, agent, channel)),
    ]
    if positions:
        packed = packed_part(positions, None, (team, agent, channel), (*columns, *minus), after=day)
        parts = [*map(add_quarters, parts), packed]
    return union_all(*parts)


@lru_cache(maxsize=512)
def _counter_statement(shape: Shape, kind: str):
    """The counters of one counter kind's rows (a kpi_svc.voice family, or SLA) for a summary of
    ``shape`` (the automatic QA rows with their check name first: ``""`` for the score rows)."""
    resolutions, team, agent, channel, negative = shape
    counter_kind = SLA_KIND if kind == SLA else voice.KINDS[kind]
    table = counter_kind.table
    branches = window_branches(table, resolutions)
    return select(
        *([table.c.check_name] if counter_kind.checked else []),
        *signed([table.c[name] for name in counter_kind.columns], branches, negative),
    ).where(dimension_clause(table, team, agent, channel), or_(*branches))


async def _voice_values(session: AsyncSession, shape: Shape, params: dict, counts: dict) -> tuple[dict, dict]:
    """The feedback, QA, automatic QA (``compliance_pct.<check>`` for every check counted in the
    window) and call KPIs, and the complaints per 100 ticket closures (``counts`` holds the ticket
    closures)."""
    rows = {kind: await fetch_prepared(session, _counter_statement(shape, kind), params) for kind in voice.KINDS}
    return voice.summary_values(rows, counts)


async def _sla_values(session: AsyncSession, shape: Shape, params: dict) -> tuple[dict, dict]:
    """The SLA KPIs (kpi_svc.sla.kpis) from the same counter rows the series and breakdowns read."""
    rows = await fetch_prepared(session, _counter_statement(shape, SLA), params)
    sums = [sum(column) for column in zip(*rows)] if rows else None
    return sla_values_of(sums)


def _ratio(numerator: int, denominator: int, scale: int = 1) -> float | None:
    """``scale × numerator / denominator`` rounded once to a float; None without observations."""
    return None if denominator == 0 else float(Fraction(numerator * scale, denominator))


def _seconds(sum_ms: int, count: int) -> float | None:
    return None if count == 0 else float(Fraction(sum_ms, count * 1000))


async def ticket_summary(
    session: AsyncSession, *, start: datetime, end: datetime, filters: KpiFilters = KpiFilters()
) -> Summary:
    """Ticket KPIs over ``[start, end)`` widened to 15-minute boundaries, for ``filters`` (team,
    agent, channel; ticket KPIs have no question dimension)."""
    start, end = effective_window(start, end)
    tiles = signed_tile(start, end)
    values, counts = await _ticket_values(session, _shape(tiles, filters), _params(start, end, tiles, filters))
    return Summary(start=start, end=end, filters=filters, values=values, counts=counts)


async def kpi_summary(
    session: AsyncSession, *, start: datetime, end: datetime, filters: KpiFilters = KpiFilters()
) -> Summary:
    """Every KPI of ``GET /v1/kpis/summary`` over ``[start, end)`` widened to 15 minutes.

    Without ``filters.dimension``: the ticket KPIs, the SLA KPIs, the survey KPIs (``csat_pct``,
    ``nps``, ``ces_avg``, ``survey_response_pct``) and the feedback, QA, automatic QA and call KPIs
    (kpi_svc.voice.kpis; ``compliance_pct.<check>`` for each check counted in the window). With it: only ``csat_pct``, ``nps`` and ``ces_avg`` over
    the answers to questions of that dimension — every metric returned honours every filter, and
    the metrics a dimension cannot apply to are left out rather than shown unfiltered.
    """
    dimension = check_dimension(filters.dimension)
    start, end = effective_window(start, end)
    tiles = signed_tile(start, end)
    filters = KpiFilters(team_id=filters.team_id, agent_id=filters.agent_id, channel=filters.channel, dimension=dimension)
    shape, params = _shape(tiles, filters), _params(start, end, tiles, filters)
    survey, survey_counts = await survey_values(session, _survey_statement(shape), params, dimension)
    if dimension is not None:
        return Summary(start=start, end=end, filters=filters, values=dict(survey), counts=survey_counts)
    values, counts = await _ticket_values(session, shape, params)
    voice_values, voice_counts = await _voice_values(session, shape, params, counts)
    sla, sla_counts = await _sla_values(session, shape, params)
    return Summary(
        start=start, end=end, filters=filters, values={**values, **sla, **survey, **voice_values},
        counts={**counts, **sla_counts, **survey_counts, **voice_counts},
    )


def merge_rows(rows: Sequence[Sequence], *, subtracted: bool = False) -> tuple[dict[str, int], sketch.Bins, sketch.Bins]:
    """The counters of ``rows`` summed (``{name: int}``, COUNTER_COLUMNS) and their FRT and
    resolution sketches merged (``sketch.merge_blobs``); each row is its COUNTER_COLUMNS then its
    SKETCH_COLUMNS (then, ``subtracted``, the blobs to take away, a column per sketch), so rows
    from any table of that shape can be merged together."""
    width, sketches = len(COUNTER_COLUMNS), len(SKETCH_COLUMNS)
    columns = list(zip(*rows)) or [()] * (width + 2 * sketches)
    counters = {name: sum(column) for name, column in zip(COUNTER_COLUMNS, columns)}
    merged = [
        sketch.merge_blobs(columns[width + index], minus=columns[width + sketches + index] if subtracted else ())
        for index in range(sketches)
    ]
    return counters, merged[0], merged[1]


async def _ticket_values(
    session: AsyncSession, shape: Shape, params: dict
) -> tuple[dict[str, float | int | None], dict[str, int]]:
    rows = await fetch_prepared(session, _ticket_statement(shape), params)
    resolutions, team, agent, channel, negative = shape
    positions = quarter_ranges(resolutions, None, team, agent, channel)
    if positions:  # the packed runs as rows of their own
        ranges = [(params[f"s{i}"], params[f"e{i}"]) for i in positions]
        subtracted = [(params[f"s{i}"], params[f"e{i}"]) for i in positions if i in negative]
        packed = [
            signed_run(start, sums, blobs, subtracted) if negative else (*sums, *blobs)
            for _, start, sums, blobs in packed_cells(rows, -2, lambda day: quarters.spans(day, ranges))
        ]
        rows = [row for row in rows if row[-1] is None] + packed
    return ticket_values(*merge_rows(rows, subtracted=bool(negative)))


def ticket_values(
    c: dict[str, int], frt_bins: sketch.Bins, resolution_bins: sketch.Bins
) -> tuple[dict[str, float | int | None], dict[str, int]]:
    """``(values, counts)`` of the ticket KPIs from summed counters (``{name: int}``,
    COUNTER_COLUMNS) and merged FRT and resolution bins (``sketch.merge_blobs``)."""
    frt_p50, frt_p90 = sketch.merged_quantiles(frt_bins, (0.5, 0.9))
    (resolution_p90,) = sketch.merged_quantiles(resolution_bins, (0.9,))
    closures = c["closures"]
    values: dict[str, float | int | None] = {
        "tickets_closed": closures,
        "frt_avg_seconds": _seconds(c["frt_sum_ms"], c["frt_count"]),
        "frt_p50_seconds": frt_p50,
        "frt_p90_seconds": frt_p90,
        "resolution_avg_seconds": _seconds(c["resolution_sum_ms"], c["resolution_count"]),
        "resolution_p90_seconds": resolution_p90,
        "aht_seconds": _seconds(c["aht_sum_ms"], c["aht_count"]),
        "fcr_pct": _ratio(c["fcr_count"], closures, 100),
        "reopen_pct": _ratio(c["reopens"], closures, 100),
        "frt_bh_avg_seconds": _seconds(c["frt_bh_sum_ms"], c["frt_bh_count"]),
        "resolution_bh_avg_seconds": _seconds(c["resolution_bh_sum_ms"], c["resolution_bh_count"]),
        "next_response_avg_seconds": _seconds(c["next_response_sum_ms"], c["next_response_count"]),
        "repeat_contact_pct": _ratio(c["repeat_contacts"], closures, 100),
    }
    counts = {
        "tickets_closed": closures,
        "frt_avg_seconds": c["frt_count"],
        "frt_p50_seconds": c["frt_count"],
        "frt_p90_seconds": c["frt_count"],
        "resolution_avg_seconds": c["resolution_count"],
        "resolution_p90_seconds": c["resolution_count"],
        "aht_seconds": c["aht_count"],
        "fcr_pct": closures,
        "reopen_pct": closures,
        "frt_bh_avg_seconds": c["frt_bh_count"],
        "resolution_bh_avg_seconds": c["resolution_bh_count"],
        "next_response_avg_seconds": c["next_response_count"],
        "repeat_contact_pct": closures,
    }
    return values, counts
