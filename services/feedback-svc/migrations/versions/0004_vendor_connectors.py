"""CRM connectors: per-field event times of vendor tickets, rejected vendor payloads

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vendor_ticket_fields",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("field_times", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_vendor_ticket_fields"),
    )
    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_rejections"),
    )
    op.create_index("ix_webhook_rejections_created_at", "webhook_rejections", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_rejections_created_at", table_name="webhook_rejections")
    op.drop_table("webhook_rejections")
    op.drop_table("vendor_ticket_fields")
