"""responses and their answers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "responses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("invitation_id", sa.String(36), nullable=True),
        sa.Column("survey_id", sa.String(36), nullable=False),
        sa.Column("survey_version", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(36), nullable=True),
        sa.Column("ticket_id", sa.String(200), nullable=True),
        sa.Column("team_id", sa.String(200), nullable=True),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(50), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("response_channel", sa.String(10), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("invited_at", UtcDateTime(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_responses"),
        sa.UniqueConstraint("invitation_id", name="uq_responses_invitation_id"),
    )
    op.create_index("ix_responses_survey_answered", "responses", ["survey_id", "answered_at"])
    op.create_index("ix_responses_campaign_answered", "responses", ["campaign_id", "answered_at"])
    op.create_table(
        "response_answers",
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("question_id", sa.String(50), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("dimension", sa.String(50), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name="fk_response_answers_response_id_responses"),
        sa.PrimaryKeyConstraint("response_id", "question_id", name="pk_response_answers"),
    )


def downgrade() -> None:
    op.drop_table("response_answers")
    op.drop_index("ix_responses_campaign_answered", table_name="responses")
    op.drop_index("ix_responses_survey_answered", table_name="responses")
    op.drop_table("responses")
