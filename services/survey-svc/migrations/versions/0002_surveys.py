"""surveys and their published versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
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
        "surveys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=True),
        sa.Column("has_unpublished_changes", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
    )
    op.create_index("ix_surveys_created_at_id", "surveys", ["created_at", "id"])
    op.create_table(
        "survey_versions",
        sa.Column("survey_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name="fk_survey_versions_survey_id_surveys"),
        sa.PrimaryKeyConstraint("survey_id", "version", name="pk_survey_versions"),
    )


def downgrade() -> None:
    op.drop_table("survey_versions")
    op.drop_index("ix_surveys_created_at_id", table_name="surveys")
    op.drop_table("surveys")
