"""scorecards, reviews, disputes and calibration sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
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

    op.create_table(
        "reviews",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("scorecard_id", sa.String(36), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(200), nullable=True),
        sa.Column("method", sa.String(30), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("reviewer_id", sa.String(200), nullable=False),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("failed_critical", sa.Boolean(), nullable=False),
        sa.Column("counts_for_agent", sa.Boolean(), nullable=False),
        sa.Column("calibration_id", sa.String(36), nullable=True),
        sa.Column("calibration_role", sa.String(20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("reviewed_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_created_at_id", "reviews", ["created_at", "id"])
    op.create_index("ix_reviews_agent_id_created_at", "reviews", ["agent_id", "created_at"])
    op.create_index("ix_reviews_reviewer_id_created_at", "reviews", ["reviewer_id", "created_at"])
    op.create_index("ix_reviews_calibration_id", "reviews", ["calibration_id"])
    op.create_table(
        "review_answers",
        sa.Column("review_id", sa.String(36), nullable=False),
        sa.Column("category_key", sa.String(50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section_key", sa.String(50), nullable=False),
        sa.Column("answer", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("bonus", sa.Boolean(), nullable=False),
        sa.Column("root_causes", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name="fk_review_answers_review_id_reviews"),
        sa.PrimaryKeyConstraint("review_id", "category_key", name="pk_review_answers"),
    )
    op.create_table(
        "calibration_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("scorecard_id", sa.String(36), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("benchmark", sa.String(20), nullable=False),
        sa.Column("expert_id", sa.String(200), nullable=True),
        sa.Column("deadline", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_sessions"),
    )
    op.create_index("ix_calibration_sessions_created_at_id", "calibration_sessions", ["created_at", "id"])
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("review_id", sa.String(36), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("reviewer_id", sa.String(200), nullable=False),
        sa.Column("arbitrator_id", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolution_comment", sa.Text(), nullable=True),
        sa.Column("review_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name="fk_disputes_review_id_reviews"),
        sa.PrimaryKeyConstraint("id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_created_at_id", "disputes", ["created_at", "id"])
    op.create_index("ix_disputes_review_id", "disputes", ["review_id"])
    op.create_table(
        "dispute_items",
        sa.Column("dispute_id", sa.String(36), nullable=False),
        sa.Column("category_key", sa.String(50), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("proposed_answer", sa.JSON(), nullable=True),
        sa.Column("original_score", sa.Float(), nullable=True),
        sa.Column("final_score", sa.Float(), nullable=True),
        sa.Column("changed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["dispute_id"], ["disputes.id"], name="fk_dispute_items_dispute_id_disputes"),
        sa.PrimaryKeyConstraint("dispute_id", "category_key", name="pk_dispute_items"),
    )


def downgrade() -> None:
    op.drop_table("dispute_items")
    op.drop_index("ix_disputes_review_id", table_name="disputes")
    op.drop_index("ix_disputes_created_at_id", table_name="disputes")
    op.drop_table("disputes")
    op.drop_index("ix_calibration_sessions_created_at_id", table_name="calibration_sessions")
    op.drop_table("calibration_sessions")
    op.drop_table("review_answers")
    op.drop_index("ix_reviews_calibration_id", table_name="reviews")
    op.drop_index("ix_reviews_reviewer_id_created_at", table_name="reviews")
    op.drop_index("ix_reviews_agent_id_created_at", table_name="reviews")
    op.drop_index("ix_reviews_created_at_id", table_name="reviews")
    op.drop_table("reviews")
    op.drop_table("scorecard_versions")
    op.drop_index("ix_scorecards_created_at_id", table_name="scorecards")
    op.drop_table("scorecards")
