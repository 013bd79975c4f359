"""invitations hold no readable contact; customer ids indexed for erasure

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The email and name stored in clear go, with whatever they held: the contact travels sealed.
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("customer_email")
        batch.drop_column("customer_name")
    op.create_index("ix_invitations_customer_id", "invitations", ["customer_id"])
    op.create_index("ix_responses_customer_id", "responses", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_responses_customer_id", table_name="responses")
    op.drop_index("ix_invitations_customer_id", table_name="invitations")
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("customer_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("customer_email", sa.String(320), nullable=True))
