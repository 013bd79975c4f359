"""ticket aggregates: 15-minute cells in every grouping set, packed per day into
kpi_ticket_quarters; no hour rows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Every 15-minute cell used to be a row of its own, and on sparse data those rows outnumbered the
closures. Now the packer moves the cells of a day that is over into one blob per row of a
grouping set, in the new table kpi_ticket_quarters (kpi_svc.aggregates.quarters). So the
15-minute level can hold the other sets too (a team's or the organisation's window edges read
one packed day, an agent's one, not one per agent and channel), and the hour rows go: an hour is
read from its four 15-minute cells. A partial index on the (team, agent) rows serves per-agent
breakdowns.

Upgrade: the 15-minute rows of the other sets (coarse, and per team and agent) are summed from
the full 15-minute rows (sketch bins added), the hour rows are deleted, the table and the index
are created; the running service packs the past days. Downgrade (only while nothing is packed):
the hour rows of the coarse sets are summed from the full 15-minute rows, and the other
15-minute rows are deleted.
Bucket starts are carried as the driver returns them, so the same code serves SQLite (text) and
PostgreSQL (timestamptz).
"""
import struct
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "kpi_ticket_aggregates"
KEYS = ("resolution", "bucket_start", "team_id", "agent_id", "channel")
COUNTERS = (
    "closures", "resolution_count", "resolution_sum_ms", "aht_count", "aht_sum_ms", "fcr_count", "reopens", "frt_count",
    "frt_sum_ms", "frt_bh_count", "frt_bh_sum_ms", "resolution_bh_count", "resolution_bh_sum_ms", "next_response_count",
    "next_response_sum_ms", "repeat_contacts",
)
SKETCHES = ("frt_sketch", "resolution_sketch")
COLUMNS = (*KEYS, *COUNTERS, *SKETCHES)
PAIR = struct.Struct(">iq")  # one sketch bin as stored: (int32 key, int64 count), big-endian, keys ascending
CHUNK = 5000
#: (keep team, keep agent, keep channel) of the coarse sets: team; organisation; channel; team × channel
COARSE = ((True, False, False), (False, False, False), (False, False, True), (True, False, True))
TEAM_AGENT = (True, True, False)
FULL_ROWS = "team_id <> '*' AND agent_id <> '*' AND channel <> '*'"
TEAM_AGENT_ROWS = "channel = '*' AND agent_id <> '*'"


def _bins(blob: bytes | None, into: dict[int, int]) -> None:
    for key, count in PAIR.iter_unpack(bytes(blob or b"")):
        into[key] = into.get(key, 0) + count


def _blob(bins: dict[int, int]) -> bytes:
    return b"".join(PAIR.pack(key, count) for key, count in sorted(bins.items()) if count)


def _summed(rows: Iterable, keys_of: Callable[[tuple], Iterable[tuple]]) -> list[dict]:
    """The rows of every key ``keys_of`` gives for each source row: counters summed, bins added."""
    sums: dict[tuple, tuple[list[int], list[dict[int, int]]]] = {}
    width = len(KEYS)
    for row in rows:
        for key in keys_of(row):
            counters, bins = sums.setdefault(key, ([0] * len(COUNTERS), [{} for _ in SKETCHES]))
            for index, value in enumerate(row[width : width + len(COUNTERS)]):
                counters[index] += value
            for index, blob in enumerate(row[width + len(COUNTERS) :]):
                _bins(blob, bins[index])
    return [dict(zip(COLUMNS, (*key, *counters, *(_blob(metric) for metric in bins)))) for key, (counters, bins) in sums.items()]


def _insert(rows: list[dict]) -> None:
    statement = sa.text(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + name for name in COLUMNS)})")
    bind = op.get_bind()
    for start in range(0, len(rows), CHUNK):
        bind.execute(statement, rows[start : start + CHUNK])


def _select(where: str) -> sa.TextClause:
    return sa.text(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE {where}")


def _keys_of(sets: tuple, resolution: str, bucket_of: Callable) -> Callable[[tuple], list[tuple]]:
    return lambda row: [
        (resolution, bucket_of(row[1]), row[2] if t else "*", row[3] if a else "*", row[4] if c else "*") for t, a, c in sets
    ]


def _hour(bucket_start):
    """The hour holding a 15-minute bucket start, in the driver's form (SQLite text or datetime)."""
    if isinstance(bucket_start, str):  # 'YYYY-MM-DD HH:MM:SS.ffffff'
        return bucket_start[:14] + "00:00.000000"
    return bucket_start.replace(minute=0)


def upgrade() -> None:
    bind = op.get_bind()
    full = bind.execute(_select(f"resolution = 'q15' AND {FULL_ROWS}")).all()
    _insert(_summed(full, _keys_of((TEAM_AGENT, *COARSE), "q15", lambda bucket: bucket)))
    bind.execute(sa.text(f"DELETE FROM {TABLE} WHERE resolution = 'hour'"))
    op.create_table(
        "kpi_ticket_quarters",
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("quarters", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_start", "team_id", "agent_id", "channel", name="pk_kpi_ticket_quarters"),
    )
    op.create_index(
        "ix_kpi_ticket_aggregates_team_agent", TABLE, ["resolution", "bucket_start"],
        postgresql_where=sa.text(TEAM_AGENT_ROWS), sqlite_where=sa.text(TEAM_AGENT_ROWS),
    )


def downgrade() -> None:
    bind = op.get_bind()
    packed = bind.execute(sa.text("SELECT count(*) FROM kpi_ticket_quarters")).scalar()
    if packed:  # the packed cells would be lost with the table: refuse rather than lose KPIs
        raise RuntimeError(f"{packed} rows of packed 15-minute cells: a downgrade would lose them")
    op.drop_table("kpi_ticket_quarters")
    op.drop_index("ix_kpi_ticket_aggregates_team_agent", table_name=TABLE)
    full = bind.execute(_select(f"resolution = 'q15' AND {FULL_ROWS}")).all()
    _insert(_summed(full, _keys_of(COARSE, "hour", _hour)))
    bind.execute(sa.text(f"DELETE FROM {TABLE} WHERE resolution = 'q15' AND NOT ({FULL_ROWS})"))
