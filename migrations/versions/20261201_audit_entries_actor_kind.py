"""audit entries say how the change came: back office, API, registrant or system

Revision ID: 5d1e8c2a9f47
Revises: b3b94f5e4315
Create Date: 2026-12-01 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1e8c2a9f47"
down_revision = "b3b94f5e4315"
branch_labels = None
depends_on = None

_KINDS = ("organizer", "api", "registrant", "system")


def upgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "actor_kind",
                sa.Enum(*_KINDS, name="actorkind", native_enum=False, length=20),
                nullable=False,
                server_default="system",
            )
        )
    # Until now every entry with an organizer came from the back office (or the API, which
    # the old entries cannot tell apart); entries without one were the system's.
    entries = sa.table("audit_entries", sa.column("organizer_id"), sa.column("actor_kind"))
    op.execute(
        entries.update().where(entries.c.organizer_id.is_not(None)).values(actor_kind="organizer")
    )


def downgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("actor_kind")
