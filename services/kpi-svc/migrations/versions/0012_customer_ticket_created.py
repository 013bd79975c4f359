"""kpi_customer_tickets: an index on (customer_hash, created_at) for the repeat-contact probe

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

A closure counts as a repeat contact when its customer opened another ticket in the 7 days
before it; that question is now one range probe of this index per closure instead of reading
all of the customer's recent tickets.
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_kpi_customer_tickets_customer_created", "kpi_customer_tickets", ["customer_hash", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_kpi_customer_tickets_customer_created", table_name="kpi_customer_tickets")
