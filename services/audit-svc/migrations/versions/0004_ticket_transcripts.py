"""ticket transcripts (ticket.message_added) and each ticket's customer (hashed) for erasures

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
        "transcript_messages",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("author_role", sa.String(20), nullable=False),
        sa.Column("author_id", sa.String(200), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", "message_id", name="pk_transcript_messages"),
    )
    op.create_index("ix_transcript_messages_sent_at", "transcript_messages", ["sent_at"])
    op.create_table(
        "transcript_customers",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("customer_key", sa.String(64), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_transcript_customers"),
    )
    op.create_index("ix_transcript_customers_customer_key", "transcript_customers", ["customer_key"])
    op.create_index("ix_transcript_customers_seen_at", "transcript_customers", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_transcript_customers_seen_at", table_name="transcript_customers")
    op.drop_index("ix_transcript_customers_customer_key", table_name="transcript_customers")
    op.drop_table("transcript_customers")
    op.drop_index("ix_transcript_messages_sent_at", table_name="transcript_messages")
    op.drop_table("transcript_messages")
