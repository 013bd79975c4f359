"""ticket aggregates per resolution: 15-minute cells as full rows only, hours without full rows,
days and months also per (team, agent); a partial index on the 15-minute rows' bucket_start

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Upgrade: the (team, agent, *) rows of days and months are summed from their full rows (sketch
bins added), then the 15-minute coarse rows and the hour full rows are deleted (reads now sum the
15-minute full rows instead). Downgrade rebuilds those from the 15-minute full rows and deletes
the (team, agent, *) rows. Bucket starts are carried as the driver returns them, so the same code
serves SQLite (text) and PostgreSQL (timestamptz).
"""
import struct
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
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
Key = tuple


def _bins(blob: bytes | None, into: dict[int, int]) -> None:
    for key, count in PAIR.iter_unpack(bytes(blob or b"")):
        into[key] = into.get(key, 0) + count


def _blob(bins: dict[int, int]) -> bytes:
    return b"".join(PAIR.pack(key, count) for key, count in sorted(bins.items()) if count)


def _select(where: str) -> sa.TextClause:
    return sa.text(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE {where}")


def _summed(rows: Iterable, keys_of: Callable[[tuple], Iterable[Key]]) -> list[dict]:
    """The rows of every key ``keys_of`` gives for each source row: counters summed, bins added."""
    sums: dict[Key, tuple[list[int], list[dict[int, int]]]] = {}
    width = len(KEYS)
    for row in rows:
        for key in keys_of(row):
            counters, bins = sums.setdefault(key, ([0] * len(COUNTERS), [{} for _ in SKETCHES]))
            for index, value in enumerate(row[width : width + len(COUNTERS)]):
                counters[index] += value
            for index, blob in enumerate(row[width + len(COUNTERS) :]):
                _bins(blob, bins[index])
    return [
        dict(zip(COLUMNS, (*key, *counters, *(_blob(metric) for metric in bins)))) for key, (counters, bins) in sums.items()
    ]


def _insert(rows: list[dict]) -> None:
    statement = sa.text(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + name for name in COLUMNS)})")
    bind = op.get_bind()
    for start in range(0, len(rows), CHUNK):
        bind.execute(statement, rows[start : start + CHUNK])


def upgrade() -> None:
    bind = op.get_bind()
    full = bind.execute(_select("resolution IN ('day', 'month') AND agent_id <> '*' AND channel <> '*'")).all()
    _insert(_summed(full, lambda row: [(row[0], row[1], row[2], row[3], "*")]))
    bind.execute(sa.text(f"DELETE FROM {TABLE} WHERE resolution = 'q15' AND (team_id = '*' OR agent_id = '*' OR channel = '*')"))
    bind.execute(sa.text(f"DELETE FROM {TABLE} WHERE resolution = 'hour' AND agent_id <> '*'"))
    op.create_index(
        "ix_kpi_ticket_aggregates_q15", TABLE, ["bucket_start"],
        postgresql_where=sa.text("resolution = 'q15'"), sqlite_where=sa.text("resolution = 'q15'"),
    )


def _hour(bucket_start):
    """The hour holding a 15-minute bucket start, in the driver's form (SQLite text or datetime)."""
    if isinstance(bucket_start, str):  # 'YYYY-MM-DD HH:MM:SS.ffffff'
        return bucket_start[:14] + "00:00.000000"
    return bucket_start.replace(minute=0)


COARSE = ((True, False, False), (False, False, False), (False, False, True), (True, False, True))


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_kpi_ticket_aggregates_q15", table_name=TABLE)
    bind.execute(sa.text(f"DELETE FROM {TABLE} WHERE resolution IN ('day', 'month') AND agent_id <> '*' AND channel = '*'"))
    quarters = bind.execute(_select("resolution = 'q15'")).all()
    _insert(_summed(quarters, lambda row: [("hour", _hour(row[1]), row[2], row[3], row[4])]))
    _insert(
        _summed(
            quarters,
            lambda row: [
                ("q15", row[1], row[2] if t else "*", row[3] if a else "*", row[4] if c else "*") for t, a, c in COARSE
            ],
        )
    )
