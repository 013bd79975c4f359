"""campaigns, invitations and the throttling ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("survey_id", sa.String(36), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("delivery", sa.String(10), nullable=False),
        sa.Column("delay_seconds", sa.Integer(), nullable=False),
        sa.Column("sampling_rate", sa.Numeric(5, 4), nullable=False),
        sa.Column("throttle_days", sa.Integer(), nullable=False),
        sa.Column("expiry_seconds", sa.Integer(), nullable=False),
        sa.Column("reminder_after_seconds", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name="fk_campaigns_survey_id_surveys"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_index("ix_campaigns_created_at_id", "campaigns", ["created_at", "id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("campaign_id", sa.String(36), nullable=False),
        sa.Column("survey_id", sa.String(36), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("delivery", sa.String(10), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("ticket_closed_at", UtcDateTime(), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("customer_name", sa.String(200), nullable=True),
        sa.Column("sealed_message", sa.Text(), nullable=True),
        sa.Column("send_at", UtcDateTime(), nullable=False),
        sa.Column("invited_at", UtcDateTime(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("reminder_due_at", UtcDateTime(), nullable=True),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_invitations_campaign_id_campaigns"),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.UniqueConstraint("campaign_id", "ticket_id", "ticket_closed_at", name="uq_invitations_closure"),
        sa.UniqueConstraint("campaign_id", "external_id", name="uq_invitations_external_id"),
    )
    for name, columns in (
        ("ix_invitations_due", ["status", "send_at"]),
        ("ix_invitations_expiry", ["status", "expires_at"]),
        ("ix_invitations_reminder", ["status", "reminder_due_at"]),
        ("ix_invitations_ticket", ["ticket_id", "status"]),
        ("ix_invitations_campaign_invited", ["campaign_id", "invited_at"]),
        ("ix_invitations_survey_invited", ["survey_id", "invited_at"]),
        ("ix_invitations_created_at_id", ["created_at", "id"]),
    ):
        op.create_index(name, "invitations", columns)
    op.create_table(
        "customer_contacts",
        sa.Column("customer_key", sa.String(64), nullable=False),
        sa.Column("last_invited_at", UtcDateTime(), nullable=True),
        sa.Column("reserved_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("customer_key", name="pk_customer_contacts"),
    )


def downgrade() -> None:
    op.drop_table("customer_contacts")
    op.drop_table("invitations")
    op.drop_index("ix_campaigns_created_at_id", table_name="campaigns")
    op.drop_table("campaigns")
