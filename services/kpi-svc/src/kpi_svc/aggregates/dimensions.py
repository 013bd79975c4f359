"""Dimension values and the precomputed grouping sets (pure).

Every observation is counted in five rows per bucket: the full (team, agent, channel) row and the
grouping sets where some dimensions are the wildcard ``*``. A read whose filters match a set reads
only that set's rows; one filtering by agent reads the full rows.
"""

from __future__ import annotations

from functools import lru_cache

WILDCARD = "*"

#: (keep team, keep agent, keep channel); False means the dimension is the wildcard.
GROUPING_SETS: tuple[tuple[bool, bool, bool], ...] = (
    (True, True, True),
    (True, False, False),
    (False, False, False),
    (False, False, True),
    (True, False, True),
)


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


def grouping_keys(team: str, agent: str, channel: str) -> tuple[tuple[str, str, str], ...]:
    """The five (team, agent, channel) rows one observation with these stored dims increments."""
    return tuple(
        (team if t else WILDCARD, agent if a else WILDCARD, channel if c else WILDCARD) for t, a, c in GROUPING_SETS
    )
