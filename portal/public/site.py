"""Public pages under `/<lang>/`."""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, abort, make_response, render_template, request, url_for

from portal.calendar import links
from portal.events import services
from portal.events import streams as live_streams
from portal.i18n import current_language
from portal.public.pagecache import cached_for_visitors
from portal.registration import services as registration_services
from portal.timeutil import now_utc
from portal.web.locale import language_prefixed
from portal.web.security import content_security_policy

bp = language_prefixed(Blueprint("public", __name__, url_prefix="/<lang>"))


@bp.get("/")
def index():
    upcoming, past = services.list_public_events()
    return render_template("events/index.html", upcoming=upcoming, past=past)


@bp.get("/events/<slug>/")
@cached_for_visitors
def event(slug: str):
    found = services.get_public_event(slug) or abort(404)
    lang = current_language()
    public = live_streams.public_streams(found.streams)
    streams = sorted(public, key=lambda stream: stream.language != lang)
    ended = now_utc() >= found.ends_at
    page_url = url_for("public.event", slug=found.slug, _external=True)
    return render_template(
        "events/event.html",
        event=found,
        streams=streams,
        recordings=[stream for stream in streams if stream.replay_url] if ended else [],
        ended=ended,
        private_streams=live_streams.ordered_streams(live_streams.private_streams(found.streams)),
        availability=(availability := registration_services.availability(found)),
        seats=registration_services.seat_statuses(found)
        if availability is registration_services.Availability.OPEN
        else {},
        google_link=links.google_calendar_link(found, lang, page_url),
        outlook_link=links.outlook_calendar_link(found, lang, page_url),
        webcal_feed=links.webcal_link(url_for("calendar.feed", lang=lang, _external=True)),
    )


@bp.get("/events/<slug>/live")
@cached_for_visitors
def live(slug: str):
    # Only the streams are shown: the speakers and programme stay unloaded.
    found = services.get_public_event(slug, with_details=False) or abort(404)
    lang = current_language()
    everything = live_streams.ordered_streams(found.streams)
    status = live_streams.broadcast_status(
        found.starts_at, found.ends_at, now_utc(), cancelled=found.is_cancelled
    )
    ended = status is live_streams.BroadcastStatus.ENDED
    streams = live_streams.public_streams(everything)
    # Once the event is over, only its recordings are offered, never the live address.
    if ended:
        streams = [stream for stream in streams if stream.replay_url]
    chosen = live_streams.choose_stream(streams, request.args.get("stream"), lang)
    private = live_streams.private_streams(everything)
    shown = chosen and (chosen.replay_url if ended else chosen.url)
    response = make_response(
        render_template(
            "events/live.html",
            event=found,
            streams=streams,
            private_streams=private,
            chosen=chosen,
            chosen_language=chosen and Locale.parse(chosen.language).get_display_name(lang),
            shown_url=shown,
            player=shown and live_streams.player_for(shown),
            status=status,
            # Counting seats costs a query: only for the invitation to register.
            availability=private and registration_services.availability(found),
        )
    )
    media = live_streams.hls_origins([*(stream.url for stream in streams), *filter(None, [shown])])
    response.headers["Content-Security-Policy"] = content_security_policy(
        {
            "frame-src": live_streams.FRAME_ORIGINS,
            "media-src": ["'self'", "blob:", *media],
            "connect-src": ["'self'", *media],
        }
    )
    return response
