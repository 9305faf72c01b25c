"""messages to registrants, and reminder rules of events

Revision ID: 9d3c5a7e2f61
Revises: 4d8b2e7f1a63
Create Date: 2026-12-01 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9d3c5a7e2f61"
down_revision = "4d8b2e7f1a63"
branch_labels = None
depends_on = None


def upgrade():
    # Events that exist keep sending no reminder: only new events get the configured default.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    op.create_table(
        "registrant_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registrant_messages_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organizer_id"],
            ["organizers.id"],
            name=op.f("fk_registrant_messages_organizer_id_organizers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_messages")),
    )
    with op.batch_alter_table("registrant_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_messages_event_id"), ["event_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("registrant_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_messages_event_id"))
    op.drop_table("registrant_messages")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("reminders")
