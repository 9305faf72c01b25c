"""the reminders sent: one row per registration, rule and start, unique

Revision ID: a4e7b2c9d318
Revises: 9d3c5a7e2f61
Create Date: 2026-12-01 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4e7b2c9d318"
down_revision = "9d3c5a7e2f61"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sent_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_sent_reminders_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_reminders")),
        sa.UniqueConstraint(
            "registration_id",
            "rule",
            "starts_at",
            name=op.f("uq_sent_reminders_registration_id"),
        ),
    )


def downgrade():
    op.drop_table("sent_reminders")
