"""campaigns.max_ticket_age_seconds: closures older than this are not invited

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing campaigns get the default (7 days), so a replay of old events invites no one.
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("max_ticket_age_seconds", sa.Integer(), nullable=False, server_default="604800"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("max_ticket_age_seconds")
