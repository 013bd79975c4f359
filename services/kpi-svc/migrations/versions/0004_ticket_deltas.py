"""pending ticket deltas: what the consumer counted and the roll-up has not folded yet

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from csq_common.bus.models import BigId
from csq_common.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNTERS = (
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


def upgrade() -> None:
    op.create_table(
        "kpi_ticket_deltas",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS],
        sa.Column("frt_sketch", sa.LargeBinary(), nullable=False),
        sa.Column("resolution_sketch", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_kpi_ticket_deltas_bucket_start", "kpi_ticket_deltas", ["bucket_start"])


def downgrade() -> None:
    op.drop_index("ix_kpi_ticket_deltas_bucket_start", table_name="kpi_ticket_deltas")
    op.drop_table("kpi_ticket_deltas")
