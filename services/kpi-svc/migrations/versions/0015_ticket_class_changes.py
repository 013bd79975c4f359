"""the SLA clocks keep each ticket's changes of priority and tags, so that an answered customer
wait is matched to the policy of the ticket as it stood at the reply

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

``kpi_sla_tickets.class_changes``: ``[[instant, priority, tags], …]`` in time order. Null for
tickets stored before: they start from their class as it is now.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kpi_sla_tickets") as batch:
        batch.add_column(sa.Column("class_changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kpi_sla_tickets") as batch:
        batch.drop_column("class_changes")
