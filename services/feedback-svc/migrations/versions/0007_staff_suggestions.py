"""staff suggestions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_suggestions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("author_id", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("effect", sa.Text(), nullable=True),
        sa.Column("reward", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("follow_up_code_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_staff_suggestions_submitted_on", "staff_suggestions", ["submitted_on"])


def downgrade() -> None:
    op.drop_table("staff_suggestions")
