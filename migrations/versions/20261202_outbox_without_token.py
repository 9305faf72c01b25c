"""outbox rows no longer hold a personal link's token: every message that carries a new
link gets it from the mail worker when it is written

A message still waiting with a token gets a new link instead when it is delivered; the link
issued with the old token stays valid, unused, until it is revoked or the data is erased.

Revision ID: 8a5c3e1f9b27
Revises: 7e3b9d2a5c41
Create Date: 2026-12-02 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8a5c3e1f9b27"
down_revision = "7e3b9d2a5c41"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("token")


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=100), nullable=True))
