"""business calendars, SLA policies, the tickets' SLA clocks, timers and notices

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
        "kpi_calendars",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("extra_working_days", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(8), nullable=True),
        sa.Column("team_ids", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "kpi_calendar_teams",
        sa.Column("team_id", sa.String(200), primary_key=True),
        sa.Column("calendar_id", sa.String(36), sa.ForeignKey("kpi_calendars.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_kpi_calendar_teams_calendar_id", "kpi_calendar_teams", ["calendar_id"])
    op.create_table(
        "kpi_sla_policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("priorities", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("first_response_seconds", sa.BigInteger(), nullable=False),
        sa.Column("next_response_seconds", sa.BigInteger(), nullable=True),
        sa.Column("resolution_seconds", sa.BigInteger(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("paused_statuses", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "kpi_sla_tickets",
        sa.Column("ticket_id", sa.String(200), primary_key=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("priority", sa.String(50), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("first_response_at", UtcDateTime(), nullable=True),
        sa.Column("resolution_started_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_kpi_sla_tickets_active", "kpi_sla_tickets", ["active", "updated_at"])
    op.create_table(
        "kpi_sla_timers",
        sa.Column("ticket_id", sa.String(200), primary_key=True),
        sa.Column("metric", sa.String(20), primary_key=True),
        sa.Column("started_at", UtcDateTime(), primary_key=True),
        sa.Column("policy_id", sa.String(36), nullable=True),
        sa.Column("priority", sa.String(50), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("target_seconds", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_kpi_sla_timers_due", "kpi_sla_timers", ["state", "due_at"])
    op.create_index("ix_kpi_sla_timers_stopped", "kpi_sla_timers", ["metric", "stopped_at"])
    op.create_table(
        "kpi_sla_notices",
        sa.Column("notice_key", sa.String(400), primary_key=True),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_kpi_sla_notices_timer", "kpi_sla_notices", ["ticket_id", "metric", "due_at", "kind"])
    op.create_index("ix_kpi_sla_notices_published_at", "kpi_sla_notices", ["published_at"])


def downgrade() -> None:
    for table in ("kpi_sla_notices", "kpi_sla_timers", "kpi_sla_tickets", "kpi_sla_policies", "kpi_calendar_teams", "kpi_calendars"):
        op.drop_table(table)
