"""feedback items, classification rule sets and corrections

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("customer_name", sa.String(200), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("customer_phone", sa.String(50), nullable=True),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("kind_given", sa.Boolean(), nullable=False),
        sa.Column("predicted_kind", sa.String(20), nullable=False),
        sa.Column("predicted_category", sa.String(50), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("fired_rules", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("assignee_id", sa.String(200), nullable=True),
        sa.Column("triaged_at", UtcDateTime(), nullable=True),
        sa.Column("response_due_at", UtcDateTime(), nullable=True),
        sa.Column("resolution_due_at", UtcDateTime(), nullable=True),
        sa.Column("replied_at", UtcDateTime(), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("customer_confirmed", sa.Boolean(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("customer_comment", sa.String(2000), nullable=True),
        sa.Column("confirmation_token_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("confirmation_expires_at", UtcDateTime(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("source", "external_id", name="uq_feedback_items_source_external_id"),
    )
    op.create_index("ix_feedback_items_received_at", "feedback_items", ["received_at", "id"])
    op.create_index("ix_feedback_items_customer", "feedback_items", ["customer_id", "kind", "received_at"])
    op.create_table(
        "feedback_rule_sets",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "feedback_corrections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("feedback_id", sa.String(36), sa.ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("previous_kind", sa.String(20), nullable=False),
        sa.Column("previous_category", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("reviewer_id", sa.String(200), nullable=False),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.Column("corrected_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_feedback_corrections_feedback_id", "feedback_corrections", ["feedback_id"])


def downgrade() -> None:
    op.drop_table("feedback_corrections")
    op.drop_table("feedback_rule_sets")
    op.drop_table("feedback_items")
