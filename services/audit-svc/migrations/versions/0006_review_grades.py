"""reviews of reviews (grading the grader)

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
        "review_grades",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("review_id", sa.String(36), nullable=False),
        sa.Column("review_version", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.String(200), nullable=False),
        sa.Column("grader_id", sa.String(200), nullable=False),
        sa.Column("scorecard_id", sa.String(36), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("failed_critical", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("corrections", sa.JSON(), nullable=False),
        sa.Column("compared", sa.JSON(), nullable=False),
        sa.Column("review_score", sa.Float(), nullable=True),
        sa.Column("benchmark_score", sa.Float(), nullable=True),
        sa.Column("alignment", sa.Float(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name="fk_review_grades_review_id_reviews"),
        sa.PrimaryKeyConstraint("id", name="pk_review_grades"),
    )
    op.create_index("ix_review_grades_created_at_id", "review_grades", ["created_at", "id"])
    op.create_index("ix_review_grades_reviewer_id_created_at", "review_grades", ["reviewer_id", "created_at"])
    op.create_index("ix_review_grades_review_id", "review_grades", ["review_id"])


def downgrade() -> None:
    op.drop_index("ix_review_grades_review_id", table_name="review_grades")
    op.drop_index("ix_review_grades_reviewer_id_created_at", table_name="review_grades")
    op.drop_index("ix_review_grades_created_at_id", table_name="review_grades")
    op.drop_table("review_grades")
