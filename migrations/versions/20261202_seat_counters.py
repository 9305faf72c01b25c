"""seat counters on the event: confirmed and waiting registrations per attendance mode,
kept by the database

The registration form reads them with the event (no count per page), and the seats' lock
returns them with the event's row, so that the decision under the lock needs no count.
Triggers on `registrations` keep them, whatever writes the rows: a registration, an
organizer's decision, a bulk action, an import, an erasure. A later migration that rebuilds
`registrations` on SQLite (batch mode) drops its triggers and must create them again
(`tests/registration/test_seat_counters.py` fails otherwise); one that rebuilds `events` must
drop them first (SQLite refuses to rename a table into place while a trigger names it).

Revision ID: 7e3b9d2a5c41
Revises: a4e7b2c9d318
Create Date: 2026-12-02 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7e3b9d2a5c41"
down_revision = "a4e7b2c9d318"
branch_labels = None
depends_on = None

#: Counter column: (state, attendance) it counts.
COUNTERS = {
    "confirmed_in_person": ("confirmed", "in_person"),
    "confirmed_online": ("confirmed", "online"),
    "waitlisted_in_person": ("waitlisted", "in_person"),
    "waitlisted_online": ("waitlisted", "online"),
}


def _changes(row: str, sign: str, cast: str) -> str:
    """The SET list adding (`+`) or taking away (`-`) the registration `row` (NEW or OLD)
    from the counters; `cast` turns a boolean into 0 or 1 in the dialect."""
    return ", ".join(
        f"{column} = {column} {sign} "
        + cast.format(f"({row}.state = '{state}' AND {row}.attendance = '{attendance}')")
        for column, (state, attendance) in COUNTERS.items()
    )


_COUNTED = "('confirmed', 'waitlisted')"


def _sqlite_triggers() -> list[str]:
    plain = "{}"
    return [
        f"""CREATE TRIGGER registrations_count_insert AFTER INSERT ON registrations
        WHEN NEW.state IN {_COUNTED}
        BEGIN
            UPDATE events SET {_changes("NEW", "+", plain)} WHERE id = NEW.event_id;
        END""",
        f"""CREATE TRIGGER registrations_count_delete AFTER DELETE ON registrations
        WHEN OLD.state IN {_COUNTED}
        BEGIN
            UPDATE events SET {_changes("OLD", "-", plain)} WHERE id = OLD.event_id;
        END""",
        f"""CREATE TRIGGER registrations_count_update
        AFTER UPDATE OF state, attendance, event_id ON registrations
        WHEN (OLD.state IN {_COUNTED} OR NEW.state IN {_COUNTED})
            AND (OLD.state IS NOT NEW.state OR OLD.attendance IS NOT NEW.attendance
                 OR OLD.event_id IS NOT NEW.event_id)
        BEGIN
            UPDATE events SET {_changes("OLD", "-", plain)} WHERE id = OLD.event_id;
            UPDATE events SET {_changes("NEW", "+", plain)} WHERE id = NEW.event_id;
        END""",
    ]


def _postgresql_triggers() -> list[str]:
    as_int = "({})::int"
    return [
        f"""CREATE FUNCTION registrations_count() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND OLD.state IN {_COUNTED} THEN
                UPDATE events SET {_changes("OLD", "-", as_int)} WHERE id = OLD.event_id;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.state IN {_COUNTED} THEN
                UPDATE events SET {_changes("NEW", "+", as_int)} WHERE id = NEW.event_id;
            END IF;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER registrations_count_insert_delete
        AFTER INSERT OR DELETE ON registrations
        FOR EACH ROW EXECUTE FUNCTION registrations_count()""",
        """CREATE TRIGGER registrations_count_update
        AFTER UPDATE OF state, attendance, event_id ON registrations
        FOR EACH ROW
        WHEN (OLD.state IS DISTINCT FROM NEW.state
              OR OLD.attendance IS DISTINCT FROM NEW.attendance
              OR OLD.event_id IS DISTINCT FROM NEW.event_id)
        EXECUTE FUNCTION registrations_count()""",
    ]


def upgrade():
    with op.batch_alter_table("events") as batch_op:
        for column in COUNTERS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    for column, (state, attendance) in COUNTERS.items():
        op.execute(
            f"UPDATE events SET {column} = (SELECT count(*) FROM registrations"
            f" WHERE registrations.event_id = events.id AND registrations.state = '{state}'"
            f" AND registrations.attendance = '{attendance}')"
        )
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER registrations_count_update ON registrations")
        op.execute("DROP TRIGGER registrations_count_insert_delete ON registrations")
        op.execute("DROP FUNCTION registrations_count()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER registrations_count_{name}")
    with op.batch_alter_table("events") as batch_op:
        for column in COUNTERS:
            batch_op.drop_column(column)
