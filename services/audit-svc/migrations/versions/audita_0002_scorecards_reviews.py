"""scorecards, reviews, disputes and calibration sessions

Revision ID: audita_0002
Revises: 0001
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "audita_0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecards",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_scorecards"),
    )
    op.create_index("ix_scorecards_created_at_id", "scorecards", ["created_at", "id"])
    op.create_table(
        "scorecard_versions",
        sa.Column("scorecard_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=True),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["scorecard_id"], ["scorecards.id"], name="fk_scorecard_versions_scorecard_id_scorecards"),
        sa.PrimaryKeyConstraint("scorecard_id", "version", name="pk_scorecard_versions"),
    )


def downgrade() -> None:
    op.drop_table("scorecard_versions")
    op.drop_index("ix_scorecards_created_at_id", table_name="scorecards")
    op.drop_table("scorecards")
