"""audit plans name an arbitrator for disputes of their reviews

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
    with op.batch_alter_table("audit_plans") as batch:
        batch.add_column(sa.Column("arbitrator_id", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_plans") as batch:
        batch.drop_column("arbitrator_id")
