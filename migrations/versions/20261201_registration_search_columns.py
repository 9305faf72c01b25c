"""registrations: folded search and sort columns (filled for existing rows), list indexes

Revision ID: 4d8b2e7f1a63
Revises: 6c2e9a4d7b13
Create Date: 2026-12-01 16:00:00.000000

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d8b2e7f1a63"
down_revision = "6c2e9a4d7b13"
branch_labels = None
depends_on = None

#: Rows read and written at a time while filling the new columns.
BATCH = 1000


def _fold(text):
    """The same folding as `portal.registration.queries.fold`, frozen here as it was."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return unicodedata.normalize(
        "NFC", "".join(char for char in decomposed if not unicodedata.combining(char))
    )


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("sort_name", sa.String(length=201), nullable=False, server_default="")
        )
        batch_op.create_index(
            "ix_registrations_event_created", ["event_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_registrations_event_sort_name", ["event_id", "sort_name", "id"], unique=False
        )
    registrations = sa.table(
        "registrations",
        sa.column("id", sa.Integer),
        sa.column("given_name", sa.String),
        sa.column("family_name", sa.String),
        sa.column("email", sa.String),
        sa.column("organization", sa.String),
        sa.column("search_text", sa.Text),
        sa.column("sort_name", sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(
                registrations.c.id,
                registrations.c.given_name,
                registrations.c.family_name,
                registrations.c.email,
                registrations.c.organization,
            )
            .where(registrations.c.id > last_id)
            .order_by(registrations.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            registrations.update()
            .where(registrations.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("search"), sort_name=sa.bindparam("sort")),
            [
                {
                    "row_id": row.id,
                    "search": "\n".join(
                        _fold(part)
                        for part in (
                            f"{row.given_name} {row.family_name}",
                            f"{row.family_name} {row.given_name}",
                            row.email,
                            row.organization,
                        )
                    ),
                    "sort": _fold(f"{row.family_name} {row.given_name}")[:201],
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_event_sort_name")
        batch_op.drop_index("ix_registrations_event_created")
        batch_op.drop_column("sort_name")
        batch_op.drop_column("search_text")
