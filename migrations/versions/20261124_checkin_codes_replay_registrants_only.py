"""check-in codes, replay links and registrants-only streams

Revision ID: b3b94f5e4315
Revises: 2972d4fd732d
Create Date: 2026-11-24 04:10:34.097701

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3b94f5e4315"
down_revision = "2972d4fd732d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("checked_in_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("checked_in_by_id", sa.Integer(), nullable=True))

    # Registrations made before check-in existed get their code now.
    registrations = sa.table("registrations", sa.column("id"), sa.column("checkin_code"))
    connection = op.get_bind()
    for (registration_id,) in connection.execute(sa.select(registrations.c.id)).all():
        connection.execute(
            registrations.update()
            .where(registrations.c.id == registration_id)
            .values(checkin_code=secrets.token_hex(8).upper())
        )

    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.alter_column("checkin_code", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_registrations_checkin_code"), ["checkin_code"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_registrations_checked_in_by_id_organizers"),
            "organizers",
            ["checked_in_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replay_url", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("registrants_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.drop_column("registrants_only")
        batch_op.drop_column("replay_url")

    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_registrations_checked_in_by_id_organizers"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_registrations_checkin_code"), type_="unique")
        batch_op.drop_column("checked_in_by_id")
        batch_op.drop_column("checked_in_at")
        batch_op.drop_column("checkin_code")
