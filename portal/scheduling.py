"""Scheduled jobs of the worker: each runs at most once per period, however many workers run.

A part of the app registers its job (`register_job`, from its ``init_app``); every worker
calls `run_due_jobs` between batches of mail. A job's row in ``scheduled_jobs`` holds when it
is next due; a worker claims a run by moving that time on with a conditional UPDATE
(``WHERE next_run_at <= now``) committed at once, so that of several workers asking at the same
moment exactly one wins, and the others see the job as not due. The job then runs in its own
transaction and commits; if it fails, its next run comes after `RETRY_AFTER` instead of a
whole period later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import UTCDateTime
from portal.extensions import db
from portal.timeutil import now_utc

logger = logging.getLogger(__name__)

#: A failed run is tried again this much later, not a whole period later.
RETRY_AFTER = timedelta(hours=1)


class ScheduledJob(db.Model):
    """When a job is next due, and when it last ran."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    #: Does the work (flushing, not committing) and returns what it did, for the log.
    run: Callable[[], object]


_jobs: dict[str, Job] = {}


def register_job(name: str, every: timedelta, run: Callable[[], object]) -> None:
    """Have the workers run `run` once every `every`."""
    _jobs[name] = Job(name, every, run)


def registered_jobs() -> list[Job]:
    return list(_jobs.values())


def claim(name: str, every: timedelta, now: datetime | None = None) -> bool:
    """Take the run of job `name` due at `now`, if no worker took it; commits.

    True for exactly one of the workers that ask while the job is due: the others find its
    next run already moved on.
    """
    now = now or now_utc()
    due = db.session.scalar(select(ScheduledJob.next_run_at).where(ScheduledJob.name == name))
    if due is None:
        try:
            db.session.add(ScheduledJob(name=name, next_run_at=now))
            db.session.commit()
        except IntegrityError:  # another worker created it first
            db.session.rollback()
    elif due > now:
        db.session.commit()  # ends the read's transaction
        return False
    claimed = db.session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.name == name, ScheduledJob.next_run_at <= now)
        .values(next_run_at=now + every, last_run_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def run_due_jobs(now: datetime | None = None) -> list[tuple[str, object]]:
    """Run every registered job that is due and that this worker claims; commits each.

    Returns (name, what the job returned) for each job run. A job that fails is logged, its
    transaction rolled back, and its next run set `RETRY_AFTER` from now; the error of a
    database that does not answer is raised, for the worker to wait and try again.
    """
    done = []
    for job in registered_jobs():
        moment = now or now_utc()
        if not claim(job.name, job.every, moment):
            continue
        try:
            result = job.run()
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("Scheduled job %s failed; again in %s", job.name, RETRY_AFTER)
            try:
                _postpone(job.name, moment + RETRY_AFTER)
            except SQLAlchemyError:
                db.session.rollback()
                raise
            continue
        logger.info("Scheduled job %s: %s", job.name, result)
        done.append((job.name, result))
    return done


def _postpone(name: str, moment: datetime) -> None:
    db.session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.name == name)
        .values(next_run_at=moment)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
