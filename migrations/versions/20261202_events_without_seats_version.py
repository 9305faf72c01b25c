"""events.seats_version is gone: the seats' lock is a SELECT … FOR NO KEY UPDATE, which
writes no new version of the event's row, and cached pages follow the seat counters

Revision ID: 9b6d4f2a8c53
Revises: 8a5c3e1f9b27
Create Date: 2026-12-02 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9b6d4f2a8c53"
down_revision = "8a5c3e1f9b27"
branch_labels = None
depends_on = None


def upgrade():
    # Not in batch mode: rebuilding `events` on SQLite fails on the triggers that update it
    # (see 7e3b9d2a5c41); SQLite drops a plain column in place.
    op.drop_column("events", "seats_version")


def downgrade():
    op.add_column(
        "events", sa.Column("seats_version", sa.Integer(), nullable=False, server_default="0")
    )
