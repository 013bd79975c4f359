"""ticket aggregates: 15-minute cells in every grouping set, packable into their day rows
(``quarters``); no hour rows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Every 15-minute cell used to be a row of its own, and on sparse data those rows outnumbered the
closures. Now the packer moves the cells of a day that is over into the new ``quarters`` column
of that day's row of the same grouping set (kpi_svc.aggregates.quarters), so the 15-minute level
can hold the other sets too (a team's or the organisation's edges read one packed day, an
agent's one, not one per agent and channel), and the hour rows go: an hour is read from its four 15-minute cells. A partial
index on the (team, agent) rows serves per-agent breakdowns.

Upgrade: the 15-minute rows of the other sets (coarse, and per team and agent) are summed from
the full 15-minute rows (sketch bins added), the hour rows are deleted, the column and a partial index on the packed day rows are
added; the running service packs the past days. Downgrade (only while nothing is packed): the
hour rows of the coarse sets are summed from the full 15-minute rows, and the other 15-minute
rows are deleted.
Bucket starts are carried as the driver returns them, so the same code serves SQLite (text) and
PostgreSQL (timestamptz).
"""
import struct
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from alembic import op

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
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("quarters", sa.LargeBinary(), nullable=True))
    op.create_index(
        "ix_kpi_ticket_aggregates_packed", TABLE, ["bucket_start"],
        postgresql_where=sa.text("quarters IS NOT NULL"), sqlite_where=sa.text("quarters IS NOT NULL"),
    )
    op.create_index(
        "ix_kpi_ticket_aggregates_team_agent", TABLE, ["resolution", "bucket_start"],
        postgresql_where=sa.text(TEAM_AGENT_ROWS), sqlite_where=sa.text(TEAM_AGENT_ROWS),
    )


def downgrade() -> None:
    bind = op.get_bind()
    packed = bind.execute(sa.text(f"SELECT count(*) FROM {TABLE} WHERE quarters IS NOT NULL")).scalar()
    if packed:  # the packed cells would be lost with the column: refuse rather than lose KPIs
        raise RuntimeError(f"{packed} day rows hold packed 15-minute cells: a downgrade would lose them")
    op.drop_index("ix_kpi_ticket_aggregates_team_agent", table_name=TABLE)
    op.drop_index("ix_kpi_ticket_aggregates_packed", table_name=TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("quarters")
    full = bind.execute(_select(f"resolution = 'q15' AND {FULL_ROWS}")).all()
    _insert(_summed(full, _keys_of(COARSE, "hour", _hour)))
    bind.execute(sa.text(f"DELETE FROM {TABLE} WHERE resolution = 'q15' AND NOT ({FULL_ROWS})"))
