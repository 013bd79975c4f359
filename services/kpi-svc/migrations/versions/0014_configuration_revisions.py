"""calendars and SLA policies can be changed and deleted: a revision per calendar and policy, and
the policy revision each timer was read under; the ticket's class when each SLA clock stopped

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A calendar's clock is kept in memory per (id, revision), so every replica sees a change at its
next batch. A measured timer is corrected by a late event only under the policy revision it was
measured by: ``kpi_sla_timers.policy_revision``. Rows stored before are revision 1.

Also ``kpi_sla_tickets.first_response_class`` and ``resolution_class``: the priority and tags of
the event that first showed each clock's stop, so a clock is matched to a policy as the ticket
stood then, however the consumer's batches cut the stream (null for tickets stored before: they
are matched as the ticket stands now, as before).
"""
import sqlalchemy as sa
from alembic import op

from csq_common.db import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("kpi_calendars", "kpi_sla_policies"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
            batch.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("kpi_sla_timers") as batch:
        batch.add_column(sa.Column("policy_revision", sa.Integer(), nullable=True))
    op.execute("UPDATE kpi_sla_timers SET policy_revision = 1 WHERE policy_id IS NOT NULL")
    with op.batch_alter_table("kpi_sla_tickets") as batch:
        batch.add_column(sa.Column("first_response_class", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("resolution_class", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kpi_sla_tickets") as batch:
        batch.drop_column("resolution_class")
        batch.drop_column("first_response_class")
    with op.batch_alter_table("kpi_sla_timers") as batch:
        batch.drop_column("policy_revision")
    for table in ("kpi_calendars", "kpi_sla_policies"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("updated_at")
            batch.drop_column("revision")
