"""feedback, QA review, automatic QA and call KPI aggregates, their claim and replacement tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FULL_ROWS = sa.text("agent_id <> '*'")
FAMILIES = {  # table → (extra key columns, counters)
    "kpi_feedback_aggregates": ((), ("complaints", "praise", "complaints_resolved", "complaint_resolution_sum_us")),
    "kpi_qa_aggregates": ((), ("reviews", "reviews_failed", "reviews_scored", "review_score_sum_micro")),
    "kpi_autoqa_aggregates": (("check_name",), ("scored", "score_sum_micro", "checked", "passed")),
    "kpi_call_aggregates": ((), ("offered", "answered", "abandoned", "answer_wait_sum_us", "answered_in_level")),
}


def upgrade() -> None:
    for table, (extra, counters) in FAMILIES.items():
        op.create_table(
            table,
            sa.Column("resolution", sa.String(8), nullable=False),
            sa.Column("team_id", sa.String(200), nullable=False),
            sa.Column("agent_id", sa.String(200), nullable=False),
            sa.Column("channel", sa.String(50), nullable=False),
            sa.Column("bucket_start", UtcDateTime(), nullable=False),
            *[sa.Column(name, sa.String(50), nullable=False) for name in extra],
            *[sa.Column(name, sa.BigInteger(), nullable=False) for name in counters],
            sa.PrimaryKeyConstraint(
                "resolution", "team_id", "agent_id", "channel", "bucket_start", *extra, name=f"pk_{table}"
            ),
        )
        op.create_index(
            f"ix_{table}_agent", table, ["agent_id", *extra, "resolution", "bucket_start"],
            postgresql_where=FULL_ROWS, sqlite_where=FULL_ROWS,
        )
    op.create_table(
        "kpi_counted_feedback",
        sa.Column("feedback_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id", name="pk_kpi_counted_feedback"),
    )
    op.create_table(
        "kpi_counted_calls",
        sa.Column("call_id", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("call_id", name="pk_kpi_counted_calls"),
    )
    op.create_table(
        "kpi_voice_replaced",
        sa.Column("family", sa.String(16), nullable=False),
        sa.Column("fact_id", sa.String(200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.String(200), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("amounts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("family", "fact_id", name="pk_kpi_voice_replaced"),
    )


def downgrade() -> None:
    for table in ("kpi_voice_replaced", "kpi_counted_calls", "kpi_counted_feedback"):
        op.drop_table(table)
    for table in reversed(FAMILIES):
        op.drop_index(f"ix_{table}_agent", table_name=table)
        op.drop_table(table)
