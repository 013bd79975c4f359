"""business-hours, next-response and repeat-contact counters; next-response state; customer tickets

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COUNTERS = (
    "frt_bh_count",
    "frt_bh_sum_ms",
    "resolution_bh_count",
    "resolution_bh_sum_ms",
    "next_response_count",
    "next_response_sum_ms",
    "repeat_contacts",
)
TABLES = ("kpi_ticket_aggregates", "kpi_ticket_deltas")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for name in COUNTERS:
                batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "kpi_next_response_state",
        sa.Column("ticket_id", sa.String(200), primary_key=True),
        sa.Column("waiting_since", UtcDateTime(), nullable=True),
        sa.Column("last_reply_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_kpi_next_response_state_updated_at", "kpi_next_response_state", ["updated_at"])
    op.create_table(
        "kpi_customer_tickets",
        sa.Column("customer_hash", sa.String(64), primary_key=True),
        sa.Column("ticket_id", sa.String(200), primary_key=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_kpi_customer_tickets_recorded_at", "kpi_customer_tickets", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_kpi_customer_tickets_recorded_at", table_name="kpi_customer_tickets")
    op.drop_table("kpi_customer_tickets")
    op.drop_index("ix_kpi_next_response_state_updated_at", table_name="kpi_next_response_state")
    op.drop_table("kpi_next_response_state")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for name in reversed(COUNTERS):
                batch.drop_column(name)
