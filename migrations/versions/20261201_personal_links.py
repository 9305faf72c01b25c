"""personal links of a registration in a table of their own: several may work at once

Revision ID: 3f9a7c1e5b28
Revises: 8e4b1f6c2d90
Create Date: 2026-12-01 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3f9a7c1e5b28"
down_revision = "8e4b1f6c2d90"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "personal_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_personal_links_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_personal_links_token_hash")),
    )
    with op.batch_alter_table("personal_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_personal_links_registration_id"), ["registration_id"], unique=False
        )
    # Each registration's one link so far becomes its first row here, and keeps working.
    op.execute(
        "INSERT INTO personal_links (registration_id, token_hash, created_at)"
        " SELECT id, token_hash, created_at FROM registrations"
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_registrations_token_hash", type_="unique")
        batch_op.drop_column("token_hash")


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    # The newest working link of each registration is the one it keeps.
    op.execute(
        "UPDATE registrations SET token_hash = (SELECT token_hash FROM personal_links"
        " WHERE personal_links.registration_id = registrations.id AND revoked_at IS NULL"
        " ORDER BY id DESC LIMIT 1)"
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_registrations_token_hash", ["token_hash"])
    with op.batch_alter_table("personal_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_links_registration_id"))
    op.drop_table("personal_links")
