"""Dimension values and the precomputed grouping sets (pure).

Survey and voice aggregates count every observation in five rows per bucket (GROUPING_SETS): the
full (team, agent, channel) row and the sets where some dimensions are the wildcard ``*``. Ticket
aggregates store per resolution only the sets their reads need (TICKET_SETS): the 15-minute cells,
days and months in these five and per (team, agent), so that a per-agent read takes one row per
agent and bucket (the 15-minute cells packed per day once the day is over, see quarters.py, so a
sparse cell costs a few bytes, not a row), and no hours (an hour is read from its four 15-minute
cells). A read
takes, per tile, the coarsest stored set that holds its filters and grouping (``source``), at the
tile's resolution or else a finer one over the same span.
"""

from __future__ import annotations

from functools import lru_cache

from kpi_svc.aggregates.buckets import DAY, HOUR, MONTH, Q15, RESOLUTIONS

WILDCARD = "*"

GroupingSet = tuple[bool, bool, bool]  # (keep team, keep agent, keep channel); False: the wildcard
FULL: GroupingSet = (True, True, True)
TEAM_AGENT: GroupingSet = (True, True, False)
COARSE_SETS: tuple[GroupingSet, ...] = ((True, False, False), (False, False, False), (False, False, True), (True, False, True))
GROUPING_SETS: tuple[GroupingSet, ...] = (FULL, *COARSE_SETS)
#: The uniform layout (survey and voice aggregates): every set at every resolution.
UNIFORM = {resolution: GROUPING_SETS for resolution in RESOLUTIONS}
#: The ticket aggregates' layout: the sets stored per resolution.
_TICKET_SETS = (FULL, TEAM_AGENT, *COARSE_SETS)
TICKET_SETS: dict[str, tuple[GroupingSet, ...]] = {Q15: _TICKET_SETS, HOUR: (), DAY: _TICKET_SETS, MONTH: _TICKET_SETS}


@lru_cache(maxsize=65_536)  # a handful of teams, agents and channels, looked up per event
def stored(value: str | None) -> str:
    """A dimension as stored: missing is ``""``; a CRM value that would read as the wildcard
    (``*``, ``\\*``, ``\\\\*`` …) gets one more leading backslash, so the mapping stays injective."""
    if not value:
        return ""
    if value.lstrip("\\") == WILDCARD:
        return "\\" + value
    return value


def original(value: str) -> str:
    """Inverse of :func:`stored` for a non-wildcard stored value."""
    if value != WILDCARD and value.lstrip("\\") == WILDCARD:
        return value[1:]
    return value


@lru_cache(maxsize=65_536)
def grouping_keys(team: str, agent: str, channel: str) -> tuple[tuple[str, str, str], ...]:
    """The five (team, agent, channel) rows one observation with these stored dims increments."""
    return keys_of(GROUPING_SETS, team, agent, channel)


def keys_of(sets: tuple[GroupingSet, ...], team: str, agent: str, channel: str) -> tuple[tuple[str, str, str], ...]:
    """The (team, agent, channel) rows of ``sets`` one observation with these stored dims increments."""
    return tuple(
        (team if t else WILDCARD, agent if a else WILDCARD, channel if c else WILDCARD) for t, a, c in sets
    )


def source(layout: dict[str, tuple[GroupingSet, ...]], resolution: str, needed: GroupingSet) -> tuple[str, GroupingSet]:
    """``(resolution, set)`` to read a tile of ``resolution`` from: the set with the fewest kept
    dimensions among those keeping every ``needed`` one (filtered or grouped), at ``resolution``
    or else the next finer resolution storing one (its buckets tile the same span)."""
    finer = RESOLUTIONS[: RESOLUTIONS.index(resolution) + 1][::-1]
    for candidate in finer:
        fitting = [kept for kept in layout[candidate] if all(k or not n for k, n in zip(kept, needed))]
        if fitting:
            return candidate, min(fitting, key=sum)
    raise ValueError(f"no stored grouping set holds {needed} at {resolution} or finer")
