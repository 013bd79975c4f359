"""audit programme: closed tickets and survey answers kept for sampling, audit plans,
sampling cycles and their assigned samples, findings, corrective actions, overdue notices, coaching

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
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

    op.create_table(
        "findings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("review_id", sa.String(200), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("plan_id", sa.String(200), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("raised_by", sa.String(200), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
    )
    op.create_index("ix_findings_created_at_id", "findings", ["created_at", "id"])
    op.create_index("ix_findings_agent", "findings", ["agent_id", "status"])
    op.create_index("ix_findings_team", "findings", ["team_id", "status"])
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("finding_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.Column("verifier_id", sa.String(200), nullable=True),
        sa.Column("verified_at", UtcDateTime(), nullable=True),
        sa.Column("effective", sa.Boolean(), nullable=True),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.Column("kpi", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], name="fk_corrective_actions_finding_id_findings"),
        sa.PrimaryKeyConstraint("id", name="pk_corrective_actions"),
    )
    op.create_index("ix_corrective_actions_finding", "corrective_actions", ["finding_id", "created_at"])
    op.create_index("ix_corrective_actions_due", "corrective_actions", ["status", "due_at"])
    op.create_table(
        "action_overdue_notices",
        sa.Column("notice_key", sa.String(100), nullable=False),
        sa.Column("action_id", sa.String(36), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("notified_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notice_key", name="pk_action_overdue_notices"),
        sa.UniqueConstraint("action_id", "due_at", name="uq_action_overdue_notices_action_due"),
    )
    op.create_table(
        "coaching_items",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("finding_id", sa.String(36), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("coach_id", sa.String(200), nullable=True),
        sa.Column("topic", sa.String(500), nullable=False),
        sa.Column("review_ids", sa.JSON(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("follow_up_review_id", sa.String(200), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"], name="fk_coaching_items_finding_id_findings"),
        sa.PrimaryKeyConstraint("id", name="pk_coaching_items"),
    )
    op.create_index("ix_coaching_items_created_at_id", "coaching_items", ["created_at", "id"])
    op.create_index("ix_coaching_items_agent", "coaching_items", ["agent_id", "status"])


def downgrade() -> None:
    op.drop_table("coaching_items")
    op.drop_table("action_overdue_notices")
    op.drop_table("corrective_actions")
    op.drop_table("findings")
    op.drop_table("audit_samples")
    op.drop_table("audit_cycles")
    op.drop_table("audit_plans")
    op.drop_table("ticket_survey_answers")
    op.drop_table("closed_tickets")
