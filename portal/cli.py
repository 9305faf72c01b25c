"""The `portal` command: the app's Flask command group plus the portal's own commands."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from portal.resources import resource_dir


def main() -> None:
    """Entry point of the `portal` console script (the same as `flask --app portal`)."""
    from portal import create_app

    FlaskGroup(create_app=create_app, help="The event portal.").main()


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(translate)
    app.cli.add_command(create_organizer_command)
    app.cli.add_command(create_api_token_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(erase_command)


@click.command("create-organizer")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
@click.option("--name", default="", help="Name shown in the back office.")
@click.option("--admin", is_flag=True, help="May manage organizers and every event.")
@with_appcontext
def create_organizer_command(email: str, password: str | None, name: str, admin: bool) -> None:
    """Create an organizer account."""
    from portal.extensions import db
    from portal.organizers.services import create_organizer
    from portal.validation import InvalidField

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        organizer = create_organizer(email, password, name=name, is_admin=admin)
    except InvalidField as error:
        raise click.BadParameter(str(error.message), param_hint=error.field) from None
    db.session.commit()
    role = "admin" if organizer.is_admin else "organizer"
    click.echo(f"Created {role} {organizer.email}.")


@click.command("create-api-token")
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
@with_appcontext
def create_api_token_command(email: str, label: str) -> None:
    """Print a new bearer token for the organizer EMAIL (shown only this once)."""
    from portal.extensions import db
    from portal.organizers.services import create_api_token, find_organizer
    from portal.validation import InvalidField

    organizer = find_organizer(email)
    if organizer is None or not organizer.is_active:
        raise click.BadParameter(f"no active organizer {email!r}", param_hint="EMAIL")
    try:
        _, secret = create_api_token(organizer, label or "command line")
    except InvalidField as error:
        raise click.BadParameter(str(error.message), param_hint="--label") from None
    db.session.commit()
    click.echo(secret)


_INTERVAL = click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait whenever nothing is due.",
)
_LIMIT = click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Messages claimed per batch.",
)


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep delivering until SIGTERM or Ctrl+C (a worker).")
@_INTERVAL
@_LIMIT
@with_appcontext
def send_mail_command(loop: bool, interval: float, limit: int) -> None:
    """Deliver the mail outbox: everything due now, or with --loop, until stopped."""
    _work(until_stopped=loop, interval=interval, limit=limit)


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
@_INTERVAL
@_LIMIT
@with_appcontext
def worker_command(once: bool, interval: float, limit: int) -> None:
    """The background worker: deliver the mail outbox, queue the reminders that are due and
    run the scheduled jobs (the daily retention purge), until SIGTERM or Ctrl+C.

    Any number may run, on any hosts: each message is held by one worker at a time, each
    reminder is queued once per person, and each scheduled run is claimed by one worker only.
    """
    _work(until_stopped=not once, interval=interval, limit=limit, with_jobs=True)


def _work(*, until_stopped: bool, interval: float, limit: int, with_jobs: bool = False) -> None:
    """Deliver what is due, reporting each batch, and with `with_jobs` queue the reminders
    and run the scheduled jobs that are due; until a signal if `until_stopped`."""
    from portal.mail.delivery import DeliveryReport, deliver_until
    from portal.registration.reminders import send_due_reminders
    from portal.scheduling import run_due_jobs

    stop = threading.Event()
    batches: list[DeliveryReport] = []

    def on_batch(report: DeliveryReport) -> None:
        batches.append(report)
        click.echo(str(report))

    def run_jobs() -> None:
        for _, result in run_due_jobs():
            click.echo(str(result))

    jobs = [send_due_reminders, run_jobs] if with_jobs else []
    if not until_stopped:
        deliver_until(stop, limit=limit, interval=None, on_batch=on_batch, jobs=jobs)
        if not batches:
            click.echo("No mail due.")
        return
    # A signal only asks to stop: the batch in progress is finished and recorded first.
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        deliver_until(stop, limit=limit, interval=interval, on_batch=on_batch, jobs=jobs)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("Stopped.")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup_command(file: Path, force: bool) -> None:
    """Write a complete, consistent copy of the database to FILE, while the site runs.

    SQLite: a SQLite database file. PostgreSQL: a pg_dump archive (custom format).
    """
    from portal.backup import BackupError, back_up, describe_database

    try:
        revision = back_up(file, overwrite=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {describe_database()} to {file} (migration {revision}).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the whole database with the backup in FILE (made by `portal backup`)."""
    from portal.backup import BackupError, describe_database, inspect_backup, restore

    try:
        backup = inspect_backup(file)
        if not yes:
            click.confirm(
                f"Replace everything in {describe_database()} with the backup {file} "
                f"(migration {backup.revision})?",
                abort=True,
            )
        restore(backup)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {describe_database()} from {file} (migration {backup.revision}).")
    if not backup.is_current:
        click.echo("The backup is from an earlier version: run `portal db upgrade` now.")
@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Erase the personal data of registrations whose event's retention period has passed,
    keeping anonymous counts (the worker does it once a day)."""
    from portal.extensions import db
    from portal.registration.erasure import purge_expired

    report = purge_expired()
    db.session.commit()
    click.echo(str(report))


@click.command("erase")
@click.argument("email")
@click.option("--event", "slug", help="Only the registration at this event (its slug).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(email: str, slug: str | None, yes: bool) -> None:
    """Erase every registration of EMAIL (or only at one event): their seat goes to the
    waiting list, and their personal data is deleted for good."""
    from portal.events.services import get_event
    from portal.extensions import db
    from portal.organizers import audit
    from portal.registration.erasure import erase_registration, registrations_of

    event = None
    if slug is not None:
        event = get_event(slug)
        if event is None:
            raise click.BadParameter(f"no event {slug!r}", param_hint="--event")
    found = registrations_of(email, event)
    if not found:
        raise click.ClickException(f"No registration of {email!r} to erase.")
    click.echo(f"Registrations of {email}:")
    for registration in found:
        click.echo(
            f"  #{registration.id} {registration.event.slug}: {registration.full_name}, "
            f"{registration.state.value}"
        )
    if not yes:
        click.confirm(f"Erase these {len(found)} registrations for good?", abort=True)
    erased = 0
    for registration in found:
        # Each erasure decides about its event's seats: a transaction of its own.
        erased += erase_registration(registration, audit.SYSTEM)
        db.session.commit()
    click.echo(f"Erased {erased} registrations.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo events (idempotent)."""
    from portal.demo import seed_demo

    events = seed_demo()
    click.echo(f"Demo data loaded: {len(events)} events.")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(host: str, port: int) -> None:
    """Create or upgrade the database, load the demo data and serve it."""
    from flask_migrate import upgrade

    from portal.demo import reset_demo_organizer, seed_demo

    upgrade()
    seed_demo()
    email, password = reset_demo_organizer()
    # The demo is served over plain http, where browsers would drop a Secure cookie.
    current_app.config["SESSION_COOKIE_SECURE"] = False
    click.echo(f"Demo ready: http://{host}:{port}/  (Ctrl+C to stop)")
    click.echo(f"Back office: http://{host}:{port}/manage/ as {email}, password {password}")
    app = current_app._get_current_object()
    # Web requests never send mail: a worker beside the server delivers it (as .eml files
    # under the instance folder, with no mail server configured) within a second.
    stop = threading.Event()
    worker = threading.Thread(target=_demo_worker, args=(app, stop), name="demo-mail-worker")
    worker.start()
    try:
        # Flask's app.run() refuses to serve from inside a CLI command; call its server.
        run_simple(host, port, app, threaded=True)
    finally:
        stop.set()
        worker.join()


def _demo_worker(app: Flask, stop: threading.Event) -> None:
    from portal.mail.delivery import deliver_until

    with app.app_context():
        deliver_until(stop, limit=100, interval=1.0, on_batch=lambda report: None)


@click.group()
def translate() -> None:
    """Maintain the catalogs of the languages other than English (wraps pybabel)."""


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


@translate.command("update")
def translate_update() -> None:
    """Extract messages from the code and templates and merge them into the catalogs."""
    root = resource_dir("translations").parent
    pot = root / "translations" / "messages.pot"
    _pybabel(
        "extract",
        "-F",
        str(root / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "lazy_pgettext:1c,2",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        str(root / "portal"),
        str(root / "templates"),
    )
    _pybabel(
        "update",
        "-i",
        str(pot),
        "-d",
        str(root / "translations"),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    pot.unlink()


@translate.command("compile")
def translate_compile() -> None:
    """Compile the catalogs (the build does this too)."""
    _pybabel("compile", "-d", str(resource_dir("translations")), "--statistics")
