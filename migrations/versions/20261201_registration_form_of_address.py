"""an optional form of address (Ms., Mr.) on each registration, for formal salutations

Revision ID: 6c2e8a4d1f37
Revises: 5b7e2d9c4a16
Create Date: 2026-12-01 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c2e8a4d1f37"
down_revision = "5b7e2d9c4a16"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "form_of_address",
                sa.Enum("ms", "mr", name="formofaddress", native_enum=False, length=20),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("form_of_address")
