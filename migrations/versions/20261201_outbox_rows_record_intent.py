"""outbox rows record what to send; the worker renders the bodies

Revision ID: 8e4b1f6c2d90
Revises: 8b4f2d6e1a93
Create Date: 2026-12-01 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8e4b1f6c2d90"
down_revision = "8b4f2d6e1a93"
branch_labels = None
depends_on = None


def upgrade():
    # Rows already queued keep their bodies and no kind: they are delivered as written.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("registration_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("invite", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("token", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("details", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("html_body", existing_type=sa.Text(), nullable=True)


def downgrade():
    # A row not rendered yet cannot be sent by the older code: it gets empty bodies.
    outbox = sa.table(
        "outbox_messages",
        sa.column("subject", sa.String),
        sa.column("text_body", sa.Text),
        sa.column("html_body", sa.Text),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.subject.is_(None))
        .values(subject="", text_body="", html_body="")
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("html_body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("details")
        batch_op.drop_column("token")
        batch_op.drop_column("invite")
        batch_op.drop_column("registration_id")
        batch_op.drop_column("kind")
