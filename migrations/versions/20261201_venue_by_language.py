"""the venue is written per language, like the event's other texts (issue 14)

Revision ID: 6c2e9a4d7b13
Revises: 6c2e8a4d1f37
Create Date: 2026-12-01 15:00:00.000000

Existing venues were one string for every language; they become the English text, which
readers of the other languages see until an organizer translates it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6c2e9a4d7b13"
down_revision = "6c2e8a4d1f37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("venue_by_language", sa.JSON(), nullable=True))
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("venue", sa.String),
        sa.column("venue_by_language", sa.JSON),
    )
    connection = op.get_bind()
    for event_id, venue in connection.execute(sa.select(events.c.id, events.c.venue)).all():
        texts = {"en": venue.strip()} if venue and venue.strip() else {}
        connection.execute(
            events.update().where(events.c.id == event_id).values(venue_by_language=texts)
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("venue")
        batch_op.alter_column(
            "venue_by_language", new_column_name="venue", existing_type=sa.JSON(), nullable=False
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("venue_text", sa.String(length=300), nullable=True))
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("venue", sa.JSON),
        sa.column("venue_text", sa.String),
    )
    connection = op.get_bind()
    for event_id, texts in connection.execute(sa.select(events.c.id, events.c.venue)).all():
        texts = texts or {}
        text = texts.get("en") or next((value for value in texts.values() if value), "")
        connection.execute(
            events.update().where(events.c.id == event_id).values(venue_text=text[:300])
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("venue")
        batch_op.alter_column(
            "venue_text",
            new_column_name="venue",
            existing_type=sa.String(length=300),
            nullable=False,
        )
