"""The back office under /manage/: organizers sign in to manage their events."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, Flask, abort, flash, request
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.events import services as event_services
from portal.events.models import Event
from portal.extensions import db, login_manager
from portal.i18n import _, _l
from portal.organizers.models import Organizer
from portal.organizers.services import load_session_organizer

bp = Blueprint("manage", __name__, url_prefix="/manage")

#: A row that belongs to one event (it has ``event_id``).
Item = TypeVar("Item")

#: Endpoints that need no signed-in organizer.
PUBLIC_ENDPOINTS = frozenset({"manage.login"})



def init_app(app: Flask) -> None:
    """Sign organizers in through the back office's login page."""
    login_manager.init_app(app)
    login_manager.login_view = "manage.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_organizer)
    app.register_blueprint(bp)


@bp.before_request
def _require_organizer():
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def _never_cache(response):
    # Organizer pages hold personal data: no shared or back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def current_organizer() -> Organizer:
    return current_user._get_current_object()


def load_managed_event(slug: str) -> Event:
    """The event at `slug` if the signed-in organizer manages it; 404 or 403 otherwise."""
    event = event_services.get_event(slug)
    if event is None:
        abort(404)
    if not event_services.can_manage(current_organizer(), event):
        abort(403)
    return event


def find_event_item(model: type[Item], event: Event, item_id: int | None) -> Item | None:
    """The speaker, question or registration `item_id` if it belongs to `event`, else None."""
    item = db.session.get(model, item_id) if item_id else None
    return item if item is not None and item.event_id == event.id else None


def load_event_item(model: type[Item], event: Event, item_id: int) -> Item:
    """The speaker, question or registration `item_id` of `event`; 404 otherwise (also when
    it belongs to another event, so that ids cannot be probed across events)."""
    return find_event_item(model, event, item_id) or abort(404)


def require_admin() -> None:
    if not current_organizer().is_admin:
        abort(403)


def submitted(form: FlaskForm) -> bool:
    """Whether this POST came from `form`, when a page holds several forms with prefixes."""
    return request.method == "POST" and any(key.startswith(form._prefix) for key in request.form)


def flash_saved(message: str | None = None) -> None:
    flash(message or _("Your changes have been saved."), "success")


from portal.manage import (  # noqa: E402,F401  (routes)
    account,
    checkin,
    events,
    imports,
    messages,
    organizers,
    overview,
    registrations,
)
