"""audit programme: closed tickets and survey answers kept for sampling, audit plans,
sampling cycles and their assigned samples

Revision ID: auditb_0002_audit_programme
Revises: 0001
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "auditb_0002_audit_programme"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closed_tickets",
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("priority", sa.String(50), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("complaint", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("first_response_at", UtcDateTime(), nullable=True),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=False),
        sa.Column("handle_seconds", sa.Float(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("contact_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_closed_tickets"),
    )
    op.create_index("ix_closed_tickets_closed_at", "closed_tickets", ["closed_at"])
    op.create_index("ix_closed_tickets_team_closed_at", "closed_tickets", ["team_id", "closed_at"])
    op.create_table(
        "ticket_survey_answers",
        sa.Column("response_id", sa.String(200), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", name="pk_ticket_survey_answers"),
    )
    op.create_index("ix_ticket_survey_answers_ticket", "ticket_survey_answers", ["ticket_id"])
    op.create_table(
        "audit_plans",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("scorecard_id", sa.String(200), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("preset", sa.String(40), nullable=True),
        sa.Column("sampling", sa.JSON(), nullable=False),
        sa.Column("reviewers", sa.JSON(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_plans"),
    )
    op.create_index("ix_audit_plans_created_at_id", "audit_plans", ["created_at", "id"])
    op.create_index("ix_audit_plans_status", "audit_plans", ["status"])

    op.create_table(
        "audit_cycles",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("period_start", UtcDateTime(), nullable=False),
        sa.Column("period_end", UtcDateTime(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["audit_plans.id"], name="fk_audit_cycles_plan_id_audit_plans"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_cycles"),
        sa.UniqueConstraint("plan_id", "period_start", name="uq_audit_cycles_plan_period"),
    )
    op.create_table(
        "audit_samples",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("cycle_id", sa.String(36), nullable=False),
        sa.Column("plan_id", sa.String(36), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reviewer_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("review_id", sa.String(200), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("reassigned_from", sa.String(200), nullable=True),
        sa.Column("reassigned_at", UtcDateTime(), nullable=True),
        sa.Column("reassign_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["audit_cycles.id"], name="fk_audit_samples_cycle_id_audit_cycles"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_samples"),
        sa.UniqueConstraint("plan_id", "ticket_id", name="uq_audit_samples_plan_ticket"),
    )
    op.create_index("ix_audit_samples_cycle", "audit_samples", ["cycle_id", "ticket_id"])
    op.create_index("ix_audit_samples_plan_reviewer", "audit_samples", ["plan_id", "reviewer_id"])
    op.create_index("ix_audit_samples_created_at_id", "audit_samples", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("audit_samples")
    op.drop_table("audit_cycles")
    op.drop_table("audit_plans")
    op.drop_table("ticket_survey_answers")
    op.drop_table("closed_tickets")
