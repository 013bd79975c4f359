"""tickets as last reported, webhook receipts

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


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("customer_name", sa.String(200), nullable=True),
        sa.Column("customer_locale", sa.String(35), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("priority", sa.String(50), nullable=True),
        sa.Column("subject", sa.String(1000), nullable=True),
        sa.Column("status", sa.String(50), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("first_response_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("handle_seconds", sa.Float(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("contact_count", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("last_event_at", UtcDateTime(), nullable=False),
        sa.Column("last_event_type", sa.String(50), nullable=False),
        sa.Column("first_response_published", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    op.create_table(
        "webhook_receipts",
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(50), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_webhook_receipts"),
    )


def downgrade() -> None:
    op.drop_table("webhook_receipts")
    op.drop_table("tickets")
