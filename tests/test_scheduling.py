"""Scheduled jobs: each run is claimed by one worker only, once per period, and a failed run
comes back soon rather than a period later."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from portal import create_app, scheduling
from portal.extensions import db
from portal.scheduling import RETRY_AFTER, ScheduledJob, claim, run_due_jobs
from tests.helpers import NOW, app_config

DAY = timedelta(days=1)


@pytest.fixture
def counting_job():
    """A job registered for the test only, counting its runs."""
    runs: list[int] = []
    scheduling.register_job("test_counter", DAY, lambda: runs.append(1) or len(runs))
    yield runs
    scheduling._jobs.pop("test_counter")


def test_a_job_runs_once_a_day_however_often_workers_ask(app, counting_job):
    with time_machine.travel(NOW, tick=False):
        run_due_jobs()
        run_due_jobs()
    assert len(counting_job) == 1
    with time_machine.travel(NOW + DAY - timedelta(seconds=1), tick=False):
        run_due_jobs()
    assert len(counting_job) == 1
    with time_machine.travel(NOW + DAY, tick=False):
        done = run_due_jobs()
    assert len(counting_job) == 2
    assert ("test_counter", 2) in done


def test_a_failed_run_is_tried_again_an_hour_later(app, caplog):
    attempts: list[int] = []

    def failing() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("disk full")

    scheduling.register_job("test_failing", DAY, failing)
    try:
        with time_machine.travel(NOW, tick=False):
            assert ("test_failing", None) not in run_due_jobs()
        assert "Scheduled job test_failing failed" in caplog.text
        with time_machine.travel(NOW + RETRY_AFTER - timedelta(seconds=1), tick=False):
            run_due_jobs()
        assert len(attempts) == 1
        with time_machine.travel(NOW + RETRY_AFTER, tick=False):
            assert ("test_failing", None) in run_due_jobs()
        assert len(attempts) == 2
    finally:
        scheduling._jobs.pop("test_failing")


def test_two_workers_racing_for_a_due_job_run_it_once(app, migrated_database, tmp_path):
    """Two apps (two workers, each with its own connections) claim the same due run at the
    same moment, many times over: exactly one wins each time."""
    workers = []
    for index in range(2):
        worker: Flask = create_app(app_config(migrated_database), str(tmp_path / f"worker{index}"))
        workers.append(worker)
    wins: list[int] = []
    rounds = 20
    barrier = threading.Barrier(2)

    def work(worker: Flask) -> None:
        with worker.app_context():
            for round_number in range(rounds):
                moment = NOW + DAY * round_number
                barrier.wait()
                if claim("test_race", DAY, moment):
                    wins.append(round_number)
            db.session.remove()
            db.engine.dispose()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(wins) == list(range(rounds))
    job = db.session.scalar(select(ScheduledJob).where(ScheduledJob.name == "test_race"))
    assert job.next_run_at == NOW + DAY * rounds
