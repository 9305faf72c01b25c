"""programme items end as well as start

Revision ID: 6c2e9a4d7b15
Revises: 3f9a7c1e5b28
Create Date: 2026-12-01 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c2e9a4d7b15"
down_revision = "3f9a7c1e5b28"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ends_at", sa.DateTime(), nullable=True))
    # A timed item so far ran until the next timed item started, or until the event ended.
    op.execute(
        "UPDATE programme_items SET ends_at = COALESCE("
        " (SELECT MIN(later.starts_at) FROM programme_items AS later"
        "  WHERE later.event_id = programme_items.event_id"
        "  AND later.starts_at > programme_items.starts_at),"
        " (SELECT events.ends_at FROM events WHERE events.id = programme_items.event_id))"
        " WHERE starts_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.drop_column("ends_at")
