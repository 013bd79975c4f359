"""ticket KPI aggregates (counters and sketch blobs) and dedup tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DIMENSIONS = ("resolution", "team_id", "agent_id", "channel")
# Agent filters read only full-dimension rows: index those, not the wildcard grouping sets.
FULL_ROWS = sa.text("agent_id <> '*'")


def _dimension_columns() -> list[sa.Column]:
    return [
        sa.Column("resolution", sa.String(8), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
    ]


def upgrade() -> None:
    counters = (
        "closures",
        "resolution_count",
        "resolution_sum_ms",
        "aht_count",
        "aht_sum_ms",
        "fcr_count",
        "reopens",
        "frt_count",
        "frt_sum_ms",
    )
    op.create_table(
        "kpi_ticket_aggregates",
        *_dimension_columns(),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in counters],
        # merged DDSketch bins of the row (kpi_svc.aggregates.sketch: sorted int32 key/int64 count pairs)
        sa.Column("frt_sketch", sa.LargeBinary(), nullable=False),
        sa.Column("resolution_sketch", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(*DIMENSIONS, "bucket_start", name="pk_kpi_ticket_aggregates"),
    )
    op.create_index(
        "ix_kpi_ticket_aggregates_agent",
        "kpi_ticket_aggregates",
        ["agent_id", "resolution", "bucket_start"],
        postgresql_where=FULL_ROWS,
        sqlite_where=FULL_ROWS,
    )
    op.create_table(
        "kpi_counted_closures",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "closed_at", name="pk_kpi_counted_closures"),
    )
    op.create_table(
        "kpi_counted_first_responses",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_kpi_counted_first_responses"),
    )
    op.create_table(
        "kpi_counted_reopens",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "occurred_at", name="pk_kpi_counted_reopens"),
    )


def downgrade() -> None:
    op.drop_table("kpi_counted_reopens")
    op.drop_table("kpi_counted_first_responses")
    op.drop_table("kpi_counted_closures")
    op.drop_index("ix_kpi_ticket_aggregates_agent", table_name="kpi_ticket_aggregates")
    op.drop_table("kpi_ticket_aggregates")
