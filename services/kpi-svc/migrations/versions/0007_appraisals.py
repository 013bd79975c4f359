"""appraisal rules and the kept appraisal results (with their corrections)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_appraisal_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("min_sample", sa.Integer(), nullable=False),
        sa.Column("sample_metric", sa.String(100), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "kpi_appraisal_results",
        sa.Column("rule_id", sa.String(36), sa.ForeignKey("kpi_appraisal_rules.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("subject_type", sa.String(10), primary_key=True),
        sa.Column("subject_id", sa.String(200), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("sample", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("grade", sa.String(20), nullable=True),
        sa.Column("coaching_suggested", sa.Boolean(), nullable=False),
        sa.Column("service_star", sa.Boolean(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=True),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_kpi_appraisal_results_period", "kpi_appraisal_results", ["rule_id", "period", "team_id"])


def downgrade() -> None:
    op.drop_index("ix_kpi_appraisal_results_period", "kpi_appraisal_results")
    op.drop_table("kpi_appraisal_results")
    op.drop_table("kpi_appraisal_rules")
