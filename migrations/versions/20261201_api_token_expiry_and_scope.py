"""api tokens expire and carry a scope

Revision ID: 8b4f2d6e1a93
Revises: 5d1e8c2a9f47
Create Date: 2026-12-01 13:00:00.000000

"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8b4f2d6e1a93"
down_revision = "5d1e8c2a9f47"
branch_labels = None
depends_on = None

#: Tokens made before scopes existed could do everything: they keep doing it until they expire.
_EVERY_SCOPE = "events:read events:write registrations:read"


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("scope", sa.String(length=200), nullable=True))
    # Existing tokens keep working for the default lifetime of a new one, from today.
    expiry = (datetime.now(UTC) + timedelta(days=90)).replace(tzinfo=None)
    tokens = sa.table("api_tokens", sa.column("expires_at"), sa.column("scope"))
    op.execute(tokens.update().values(expires_at=expiry, scope=_EVERY_SCOPE))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column("scope", existing_type=sa.String(length=200), nullable=False)


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("scope")
        batch_op.drop_column("expires_at")
