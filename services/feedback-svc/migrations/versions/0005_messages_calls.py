"""ticket messages (conversations) and call records

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_messages",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("author_role", sa.String(20), nullable=False),
        sa.Column("author_id", sa.String(200), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("crm_event_id", sa.String(200), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", "message_id"),
    )
    op.create_index("ix_ticket_messages_ticket_sent", "ticket_messages", ["ticket_id", "sent_at", "message_id"])
    op.create_index("ix_ticket_messages_sent_at", "ticket_messages", ["sent_at"])
    op.create_table(
        "call_records",
        sa.Column("call_id", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("offered_at", UtcDateTime(), nullable=False),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("talk_seconds", sa.Float(), nullable=False),
        sa.Column("hold_seconds", sa.Float(), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index("ix_call_records_offered", "call_records", ["offered_at", "call_id"])
    op.create_index("ix_call_records_ended_at", "call_records", ["ended_at"])
    op.create_index("ix_call_records_customer_id", "call_records", ["customer_id"])


def downgrade() -> None:
    op.drop_table("call_records")
    op.drop_table("ticket_messages")
