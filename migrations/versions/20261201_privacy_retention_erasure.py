"""privacy: consent with the notice's version and language, retention per event, erased
registrations (no address), scheduled jobs of the worker

Revision ID: 5b7e2d9c4a16
Revises: 6c2e9a4d7b15
Create Date: 2026-12-01 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b7e2d9c4a16"
down_revision = "6c2e9a4d7b15"
branch_labels = None
depends_on = None

#: The privacy notice's version when this migration was written: the one every registration
#: made before it accepted (`portal.registration.privacy.NOTICE_VERSION` then).
NOTICE_VERSION = "2026-12-01"


def upgrade():
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_jobs")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_events_retention_days_in_range"),
            "retention_days IS NULL OR retention_days BETWEEN 1 AND 3650",
        )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_version", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("consent_language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_registrations_erased_at"), ["erased_at"])
    # Registrations made so far accepted today's notice, in the page's language, which was
    # their preferred language unless they changed it: the closest record there is.
    op.execute(
        sa.text(
            "UPDATE registrations SET consent_version = :version, consent_language = language"
        ).bindparams(version=NOTICE_VERSION)
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.alter_column("consent_version", existing_type=sa.String(20), nullable=False)
        batch_op.alter_column("consent_language", existing_type=sa.String(8), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=True)
        batch_op.alter_column("email_normalized", existing_type=sa.String(254), nullable=True)


def downgrade():
    # Erased registrations have no address to go back to: they cannot outlive the downgrade.
    op.execute("DELETE FROM registrations WHERE erased_at IS NOT NULL")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.alter_column("email_normalized", existing_type=sa.String(254), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=False)
        batch_op.drop_index(batch_op.f("ix_registrations_erased_at"))
        batch_op.drop_column("erased_at")
        batch_op.drop_column("consent_language")
        batch_op.drop_column("consent_version")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_retention_days_in_range"), type_="check")
        batch_op.drop_column("retention_days")
    op.drop_table("scheduled_jobs")
