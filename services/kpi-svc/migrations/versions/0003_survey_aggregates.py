"""survey KPI aggregates and survey dedup tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FULL_ROWS = sa.text("agent_id <> '*'")
COUNTERS = (
    "invited",
    "answered",
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    "ces_answers",
    "ces_sum",
)
CLAIMS = {
    "kpi_counted_invitations": "invitation_id",
    "kpi_counted_responses": "response_id",
    "kpi_counted_answered_invitations": "invitation_id",
}


def upgrade() -> None:
    op.create_table(
        "kpi_survey_aggregates",
        sa.Column("resolution", sa.String(8), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("dimension", sa.String(50), nullable=False),  # "" = every dimension
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS],
        sa.PrimaryKeyConstraint(
            "resolution", "team_id", "agent_id", "channel", "dimension", "bucket_start", name="pk_kpi_survey_aggregates"
        ),
    )
    op.create_index(
        "ix_kpi_survey_aggregates_agent",
        "kpi_survey_aggregates",
        ["agent_id", "dimension", "resolution", "bucket_start"],
        postgresql_where=FULL_ROWS,
        sqlite_where=FULL_ROWS,
    )
    for table, column in CLAIMS.items():
        op.create_table(
            table,
            sa.Column(column, sa.String(200), nullable=False),
            sa.PrimaryKeyConstraint(column, name=f"pk_{table}"),
        )


def downgrade() -> None:
    for table in reversed(CLAIMS):
        op.drop_table(table)
    op.drop_index("ix_kpi_survey_aggregates_agent", table_name="kpi_survey_aggregates")
    op.drop_table("kpi_survey_aggregates")
