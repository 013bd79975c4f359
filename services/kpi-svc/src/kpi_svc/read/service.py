"""Series, breakdowns, peak hours and leaderboards (DESIGN.md "KPI definitions"), from the stored
aggregates through read.grouped; each metric computed exactly as the summary computes it.

- series: one metric per bucket of an interval in a time zone, per group; every bucket listed,
  its value null where its count is 0.
- breakdown: every metric (or those asked) per group over one window, sorted and paginated.
- peak hours: one metric per local (ISO weekday, hour of day) over the window's local hours.
- leaderboard: agents ranked on one metric, only those with at least ``min_count`` observations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.pagination import decode_cursor, encode_cursor
from kpi_svc.kpis.service import MAX_WINDOW, TICKET_METRICS, effective_window
from kpi_svc.kpis.surveys import SURVEY_METRICS
from kpi_svc.read import zones
from kpi_svc.read.grouped import GROUP_BY, SKETCH_OF, SURVEYS, TICKETS, Cell, Cells, Selection, read_cells, values_of
from kpi_svc.sla.kpis import SLA, SLA_METRICS
from kpi_svc.voice import kpis as voice

#: The metrics with fixed names; ``compliance_pct.<check>`` (one per automatic QA check) are
#: taken by name too (kpi_svc.voice.kpis). The SLA percentages are higher-is-better.
METRICS = (*TICKET_METRICS, *SLA_METRICS, *SURVEY_METRICS, *voice.VOICE_METRICS)
#: A series holds at most this many buckets (422 naming ``to`` beyond).
MAX_BUCKETS = 1000
#: Metrics where a smaller value is better (leaderboards rank them ascending); the rest rank
#: descending. CES is read as agreement with "it was easy" (1-7), so higher is better.
LOWER_IS_BETTER = frozenset(
    {
        "frt_avg_seconds",
        "frt_p50_seconds",
        "frt_p90_seconds",
        "resolution_avg_seconds",
        "resolution_p90_seconds",
        "aht_seconds",
        "reopen_pct",
        "frt_bh_avg_seconds",
        "resolution_bh_avg_seconds",
        "next_response_avg_seconds",
        "repeat_contact_pct",
        *voice.LOWER_IS_BETTER,
    }
)
DEFAULT_MIN_COUNT = 20
WEEKDAYS = range(1, 8)  # ISO: 1 = Monday
HOURS = range(24)


def check_metric(metric: str, field_name: str = "metric") -> str:
    voice.check_metric_name(metric, field_name)
    if metric not in METRICS and voice.compliance_check(metric) is None:
        raise InvalidInput(field_name, f"must be one of {', '.join(METRICS)}")
    return metric


def check_group(by: str | None, field_name: str) -> str | None:
    if by and by not in GROUP_BY:
        raise InvalidInput(field_name, f"must be one of {', '.join(GROUP_BY)}")
    return by or None


def _kind(metric: str) -> str:
    if metric in TICKET_METRICS:
        return TICKETS
    if metric in SLA_METRICS:
        return SLA
    return SURVEYS if metric in SURVEY_METRICS else voice.kind_of(metric)


def _kinds(metric: str) -> tuple[str, ...]:
    """The kinds a metric is computed from: its own, or feedback and tickets for the complaints
    per 100 closures (a metric across two kinds)."""
    return (voice.FEEDBACK, TICKETS) if metric == voice.CROSS_METRIC else (_kind(metric),)


async def _read_kinds(
    session: AsyncSession, metrics, selection: Selection, bounds: list[datetime]
) -> dict[str, tuple[Cells, tuple[str, ...]]]:
    """``{kind: (cells, sketches read)}`` of every kind ``metrics`` need, one read each."""
    out = {}
    for metric in metrics:
        for kind in _kinds(metric):
            if kind not in out:
                sketches = _sketches([m for m in metrics if TICKETS in _kinds(m)]) if kind == TICKETS else ()
                out[kind] = (await read_cells(session, kind, selection, bounds, sketches), sketches)
    return out


def _values_at(per_kind: dict, key, index: int, metrics) -> tuple[dict, dict]:
    """``(values, counts)`` of ``metrics`` in one (group, bucket) from the cells of each kind."""
    values, counts = {}, {}
    for kind, (cells, sketches) in per_kind.items():
        cell = cells.get((key, index))
        kind_values, kind_counts = values_of(kind, cell, sketches) if cell is not None else _no_data(kind, sketches)
        values.update(kind_values)
        counts.update(kind_counts)
    if voice.CROSS_METRIC in metrics:
        cross, cross_counts = voice.cross_values(values, counts)
        values.update(cross)
        counts.update(cross_counts)
    return {m: values[m] for m in metrics}, {m: counts[m] for m in metrics}


@lru_cache(maxsize=256)
def _no_data(kind: str, sketches: tuple[str, ...]) -> tuple[dict, dict]:
    """``values_of`` a (group, bucket) without data of ``kind``, computed once: many groups of a
    breakdown have none of some kinds (no calls, no QA). Shared: callers copy, never change it."""
    return values_of(kind, None, sketches)


#: The kind (read.grouped: TICKETS, SURVEYS…) whose cells hold a metric; the gauges read it too.
kind_of = _kind


def _sketches(metrics) -> tuple[str, ...]:
    needed = {SKETCH_OF[m] for m in metrics if m in SKETCH_OF}
    return tuple(name for name in ("frt_sketch", "resolution_sketch") if name in needed)


def _check_window(start: datetime, end: datetime) -> None:
    effective_window(start, end)  # its checks: offsets, order, at most MAX_WINDOW


@dataclass(frozen=True)
class Point:
    start: datetime  # with the zone's offset
    value: float | int | None
    count: int


@dataclass(frozen=True)
class Series:
    metric: str
    interval: str
    tz: str
    start: datetime
    end: datetime
    groups: list[tuple[dict[str, str | None], list[Point]]]


def _point_value(values: dict, counts: dict, metric: str) -> tuple[float | int | None, int]:
    count = counts[metric]
    return (values[metric] if count else None), count


def _group_order(key: str | None) -> tuple[bool, str]:
    return key is not None, key or ""


async def series(
    session: AsyncSession, *, metric: str, start: datetime, end: datetime, interval: str, tz_name: str | None,
    selection: Selection,
) -> Series:
    check_metric(metric)
    check_group(selection.by, "group_by")
    zones.check_interval(interval)
    tz = zones.zone(tz_name)
    _check_window(start, end)
    bounds = zones.boundaries(start, end, interval, tz, max_buckets=MAX_BUCKETS)
    per_kind = await _read_kinds(session, (metric,), selection, bounds)
    keys = sorted({key for cells, _ in per_kind.values() for key, _ in cells}, key=_group_order) if selection.by else [None]
    groups = []
    for key in keys:
        points = []
        for index in range(len(bounds) - 1):
            values, counts = _values_at(per_kind, key, index, (metric,))
            value, count = _point_value(values, counts, metric)
            points.append(Point(zones.local_start(bounds[index], tz), value, count))
        groups.append(({selection.by: key} if selection.by else {}, points))
    return Series(metric, interval, str(tz), zones.local_start(start, tz), zones.local_start(end, tz), groups)


# ---- breakdown ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BreakdownRow:
    key: str | None
    values: dict[str, float | int | None]
    counts: dict[str, int]


@dataclass(frozen=True)
class Breakdown:
    start: datetime
    end: datetime
    by: str
    rows: list[BreakdownRow]
    next_cursor: str | None = None


def parse_metrics(text: str | None) -> tuple[str, ...]:
    """``metrics=a,b`` (every metric when not given); 422 naming ``metrics`` on an unknown one."""
    if not text:
        return METRICS
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",")))
    for name in names:
        check_metric(name, "metrics")
    return names


async def grouped_values(
    session: AsyncSession, *, start: datetime, end: datetime, selection: Selection, metrics: tuple[str, ...]
) -> dict[str | None, BreakdownRow]:
    """Per group: the ``metrics`` over ``[start, end)`` (already aligned to 15 minutes), one read
    of the ticket aggregates and one of the survey aggregates (each only if a metric needs it)."""
    per_kind = await _read_kinds(session, metrics, selection, [start, end])
    keys = {key for cells, _ in per_kind.values() for key, _ in cells}
    rows = {}
    for key in keys:
        values, counts = _values_at(per_kind, key, 0, metrics)
        rows[key] = BreakdownRow(key, values, counts)
    return rows


def _sort_key(value, key: str | None, descending: bool) -> tuple:
    """Nulls last in either order; ties by group key ascending (missing key first)."""
    if value is None:
        return (1, 0, *_group_order(key))
    return (0, -value if descending else value, *_group_order(key))


def _cursor_of(row: BreakdownRow, sort: str | None) -> str:
    value = row.values[sort] if sort else None
    return encode_cursor("null" if value is None else repr(float(value)), "key" if row.key is not None else "none", row.key or "-")


def _after_cursor(cursor: str) -> tuple[float | None, str | None]:
    value_text, kind, key = decode_cursor(cursor, parts=3)
    try:
        value = None if value_text == "null" else float(value_text)
    except ValueError:
        raise InvalidInput("cursor", "is not a cursor this API issued") from None
    if kind not in ("key", "none") or (value is not None and value != value):
        raise InvalidInput("cursor", "is not a cursor this API issued")
    return value, (key if kind == "key" else None)


async def breakdown(
    session: AsyncSession, *, start: datetime, end: datetime, by: str, metrics: str | None = None,
    sort: str | None = None, order: str | None = None, limit: int = 200, cursor: str | None = None,
    selection: Selection = Selection(),
) -> Breakdown:
    """Every asked metric per group of ``by`` over ``[start, end)`` widened to 15 minutes; rows
    sorted by ``sort`` (a metric asked; nulls last) in ``order`` (``desc`` by default) or by group
    key (``asc`` by default), ``limit`` per page after ``cursor``."""
    if not by:
        raise InvalidInput("by", f"is required: one of {', '.join(GROUP_BY)}")
    check_group(by, "by")
    names = parse_metrics(metrics)
    if sort and sort not in names:
        raise InvalidInput("sort", "must be one of the metrics asked")
    if order not in (None, "asc", "desc"):
        raise InvalidInput("order", "must be asc or desc")
    descending = (order or ("desc" if sort else "asc")) == "desc"
    start, end = effective_window(start, end)
    selection = Selection(by, selection.team_id, selection.agent_id, selection.channel)
    groups = await grouped_values(session, start=start, end=end, selection=selection, metrics=names)
    def position(value, key: str | None) -> tuple:
        return _sort_key(value, key, descending) if sort else _group_order(key)

    backwards = descending and not sort  # by key, descending: the key order reversed
    ordered = sorted(groups.values(), key=lambda row: position(row.values[sort] if sort else None, row.key), reverse=backwards)
    if cursor:
        after = position(*_after_cursor(cursor))
        ordered = [
            row for row in ordered
            if (position(row.values[sort] if sort else None, row.key) < after) == backwards
            and position(row.values[sort] if sort else None, row.key) != after
        ]
    page = ordered[:limit]
    next_cursor = _cursor_of(page[-1], sort) if len(ordered) > limit else None
    return Breakdown(start, end, by, page, next_cursor)


# ---- peak hours -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeakCell:
    weekday: int
    hour: int
    value: float | int | None
    count: int


@dataclass(frozen=True)
class PeakHours:
    metric: str
    tz: str
    start: datetime
    end: datetime
    cells: list[PeakCell] = field(default_factory=list)


async def peak_hours(
    session: AsyncSession, *, metric: str, start: datetime, end: datetime, tz_name: str | None, selection: Selection
) -> PeakHours:
    """``metric`` per local (weekday, hour) over the local hours of ``[start, end)`` (both local
    hour boundaries of the zone): a DST day's repeated hour counts in its hour, a skipped one
    holds nothing."""
    check_metric(metric)
    tz = zones.zone(tz_name)
    _check_window(start, end)
    hours = MAX_WINDOW // timedelta(hours=1) + 2
    bounds = zones.boundaries(start, end, zones.HOUR, tz, max_buckets=hours)
    per_kind = await _read_kinds(session, (metric,), Selection(None, selection.team_id, selection.agent_id, selection.channel), bounds)
    folded_kinds = {}
    for kind, (cells, sketches) in per_kind.items():
        folded: Cells = {}
        for (_, index), cell in cells.items():
            local = bounds[index].astimezone(tz)
            slot = (None, local.isoweekday() * 24 + local.hour)
            if slot not in folded:
                folded[slot] = Cell(len(cell.counters), len(cell.blobs))
            folded[slot].add(cell)
        folded_kinds[kind] = (folded, sketches)
    grid = []
    for weekday in WEEKDAYS:
        for hour in HOURS:
            values, counts = _values_at(folded_kinds, None, weekday * 24 + hour, (metric,))
            value, count = _point_value(values, counts, metric)
            grid.append(PeakCell(weekday, hour, value, count))
    return PeakHours(metric, str(tz), zones.local_start(start, tz), zones.local_start(end, tz), grid)


# ---- leaderboard ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranked:
    rank: int
    agent_id: str
    value: float | int
    count: int


@dataclass(frozen=True)
class Leaderboard:
    metric: str
    direction: str
    start: datetime
    end: datetime
    team_id: str | None
    min_count: int
    rows: list[Ranked]
    below_min_count: int


async def leaderboard(
    session: AsyncSession, *, metric: str, start: datetime, end: datetime, team_id: str | None = None,
    min_count: int = DEFAULT_MIN_COUNT, limit: int = 50,
) -> Leaderboard:
    """Agents (of ``team_id``, if given) ranked on ``metric`` over ``[start, end)`` widened to 15
    minutes, best first (LOWER_IS_BETTER ascending, the rest descending); agents with fewer than
    ``min_count`` observations behind the metric are left out (and counted in ``below_min_count``),
    so a lucky agent with three tickets does not top the list. Equal values share a rank (1, 1, 3)."""
    check_metric(metric)
    start, end = effective_window(start, end)
    groups = await grouped_values(
        session, start=start, end=end, selection=Selection("agent_id", team_id=team_id), metrics=(metric,)
    )
    lower = metric in LOWER_IS_BETTER
    eligible, below = [], 0
    for row in groups.values():
        if row.key is None or row.values[metric] is None:
            continue
        if row.counts[metric] < min_count:
            below += 1
            continue
        eligible.append(row)
    eligible.sort(key=lambda row: _sort_key(row.values[metric], row.key, not lower))
    ranked: list[Ranked] = []
    for position, row in enumerate(eligible[:limit], 1):
        value = row.values[metric]
        rank = ranked[-1].rank if ranked and ranked[-1].value == value else position
        ranked.append(Ranked(rank, row.key, value, row.counts[metric]))
    direction = "lower_is_better" if lower else "higher_is_better"
    return Leaderboard(metric, direction, start, end, team_id, min_count, ranked, below)
