"""Registrations: capacity and waiting list, moderation, personal links, check-in at the door."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from portal.events.signals import event_cancelled, event_rescheduled, seats_changed


def init_app(app: Flask) -> None:
    """Write to registrants when their event moves or is cancelled, give seats an event gains
    to the people waiting for them, let the mail worker render what is written, have the
    worker erase, once a day, the data of events past their retention period, and keep the
    registrations' search columns filled."""
    from portal import scheduling
    from portal.registration import erasure, notifications, queries, services

    event_rescheduled.connect(services.notify_event_rescheduled, weak=False)
    event_cancelled.connect(services.notify_event_cancelled, weak=False)
    seats_changed.connect(services.fill_free_seats, weak=False)
    notifications.register_renderers()
    scheduling.register_job("retention_purge", timedelta(days=1), erasure.purge_expired)
    queries.init_search_columns()
