"""SLA counters: kpi_sla_aggregates, and what each timer adds to it (counted_at, counted_met)

Timers stored before this revision are counted as of the upgrade (kpi_svc.sla.counting): met ones
at their response or resolution, missed ones and those fallen due by now at their due time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime
from kpi_svc.aggregates.buckets import bucket_starts
from kpi_svc.aggregates.dimensions import grouping_keys, stored

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FULL_ROWS = sa.text("agent_id <> '*'")
PREFIX = {"first_response": "frt", "next_response": "next_response", "resolution": "resolution"}
COUNTERS = tuple(f"{prefix}_{column}" for prefix in PREFIX.values() for column in ("measured", "met"))


def upgrade() -> None:
    op.add_column("kpi_sla_timers", sa.Column("counted_at", UtcDateTime(), nullable=True))
    op.add_column("kpi_sla_timers", sa.Column("counted_met", sa.Boolean(), nullable=True))
    aggregates = op.create_table(
        "kpi_sla_aggregates",
        sa.Column("resolution", sa.String(8), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS],
        sa.PrimaryKeyConstraint("resolution", "team_id", "agent_id", "channel", "bucket_start", name="pk_kpi_sla_aggregates"),
    )
    op.create_index(
        "ix_kpi_sla_aggregates_agent", "kpi_sla_aggregates", ["agent_id", "resolution", "bucket_start"],
        postgresql_where=FULL_ROWS, sqlite_where=FULL_ROWS,
    )
    _count_existing_timers(aggregates)


def _count_existing_timers(aggregates: sa.Table) -> None:
    """Count the timers already stored, as the service would have (see the module's docstring)."""
    timers = sa.table(
        "kpi_sla_timers", sa.column("ticket_id", sa.String()), sa.column("metric", sa.String()),
        sa.column("started_at", UtcDateTime()), sa.column("team_id", sa.String()), sa.column("agent_id", sa.String()),
        sa.column("channel", sa.String()), sa.column("state", sa.String()), sa.column("due_at", UtcDateTime()),
        sa.column("stopped_at", UtcDateTime()), sa.column("counted_at", UtcDateTime()), sa.column("counted_met", sa.Boolean()),
    )
    now = datetime.now(timezone.utc)
    bind = op.get_bind()
    cells: dict[tuple, list[int]] = {}
    updates = []
    for row in bind.execute(sa.select(timers).where(timers.c.metric.in_(tuple(PREFIX)))).all():
        if row.state == "met" and row.stopped_at is not None:
            at, met = row.stopped_at, True
        elif row.state in ("missed", "running", "paused") and row.due_at is not None and (row.state == "missed" or row.due_at <= now):
            at, met = row.due_at, False
        else:
            continue
        updates.append({"k_ticket": row.ticket_id, "k_metric": row.metric, "k_started": row.started_at, "at": at, "met": met})
        prefix = PREFIX[row.metric]
        for resolution, start in bucket_starts(at):
            for dims in grouping_keys(stored(row.team_id), stored(row.agent_id), stored(row.channel)):
                counters = cells.setdefault((resolution, *dims, start), [0] * len(COUNTERS))
                counters[COUNTERS.index(f"{prefix}_measured")] += 1
                counters[COUNTERS.index(f"{prefix}_met")] += int(met)
    if updates:
        bind.execute(
            timers.update()
            .where(
                timers.c.ticket_id == sa.bindparam("k_ticket"), timers.c.metric == sa.bindparam("k_metric"),
                timers.c.started_at == sa.bindparam("k_started"),
            )
            .values(counted_at=sa.bindparam("at"), counted_met=sa.bindparam("met")),
            updates,
        )
    if cells:
        keys = ("resolution", "team_id", "agent_id", "channel", "bucket_start")
        bind.execute(aggregates.insert(), [{**dict(zip(keys, key)), **dict(zip(COUNTERS, values))} for key, values in cells.items()])


def downgrade() -> None:
    op.drop_index("ix_kpi_sla_aggregates_agent", table_name="kpi_sla_aggregates")
    op.drop_table("kpi_sla_aggregates")
    op.drop_column("kpi_sla_timers", "counted_met")
    op.drop_column("kpi_sla_timers", "counted_at")
