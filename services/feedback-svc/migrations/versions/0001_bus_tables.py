"""outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from csq_common.bus.migration import create_bus_tables, drop_bus_tables
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_bus_tables(op)


def downgrade() -> None:
    drop_bus_tables(op)
