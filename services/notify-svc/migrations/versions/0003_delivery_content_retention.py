"""a delivery's content may be cleared (retention, erasure); deliveries know their customer

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CLEARABLE = (("recipient_email", sa.String(320)), ("subject", sa.Text()), ("text_body", sa.Text()), ("html_body", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        for name, type_ in _CLEARABLE:
            batch.alter_column(name, existing_type=type_, nullable=True)
        batch.add_column(sa.Column("customer_id", sa.String(200), nullable=True))
    op.create_index("ix_deliveries_customer_id", "deliveries", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_customer_id", table_name="deliveries")
    op.execute("DELETE FROM deliveries WHERE recipient_email IS NULL OR text_body IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("customer_id")
        for name, type_ in _CLEARABLE:
            batch.alter_column(name, existing_type=type_, nullable=False)
