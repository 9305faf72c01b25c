"""Livestreams: which player a stream's address allows, which stream a reader watches, who may
see it, and whether the broadcast is upcoming, live or over.

A stream marked `registrants_only` (and its recording) is shown only to people with a
confirmed registration, on their own page and in their mail and personal invitation; every
public page, file and answer leaves its addresses out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from portal.events.services import STREAM_LANGUAGES

if TYPE_CHECKING:
    from portal.events.models import Stream

#: Where embedded players may come from (the live page's CSP frame-src).
YOUTUBE_EMBED_ORIGIN = "https://www.youtube-nocookie.com"
KALTURA_ORIGIN = "https://cdnapisec.kaltura.com"
FRAME_ORIGINS = (YOUTUBE_EMBED_ORIGIN, KALTURA_ORIGIN)

_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "www.youtube-nocookie.com"}
)
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATH = re.compile(r"/(?:live|embed)/([^/]+)/?")
#: Kaltura's iframe embeds: /p/<partner>/sp/<partner>00/embedIframeJs/… or …/embedPlaykitJs/….
_KALTURA_PATH = re.compile(r"/p/\d+/(?:[^?#]*/)?(?:embedIframeJs|embedPlaykitJs)(?:/[^?#]*)?")


class PlayerKind(enum.StrEnum):
    IFRAME = "iframe"
    HLS = "hls"
    LINK = "link"


@dataclass(frozen=True)
class Player:
    """How the page shows a stream: `src` is the iframe's or the video's address."""

    kind: PlayerKind
    src: str = ""


class BroadcastStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


def player_for(url: str) -> Player:
    """The player a stream address allows; anything unrecognised is only linked to."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed host or port
        return Player(PlayerKind.LINK)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return Player(PlayerKind.LINK)
    video_id = _youtube_id(host, parts.path, parts.query)
    if video_id:
        return Player(PlayerKind.IFRAME, f"{YOUTUBE_EMBED_ORIGIN}/embed/{video_id}")
    if parts.scheme != "https":
        # An http player or playlist would be blocked as mixed content on an https page.
        return Player(PlayerKind.LINK)
    if (
        host == "cdnapisec.kaltura.com"
        and port in (None, 443)
        and _KALTURA_PATH.fullmatch(parts.path)
    ):
        return Player(PlayerKind.IFRAME, parts._replace(fragment="").geturl())
    if parts.path.lower().endswith(".m3u8"):
        return Player(PlayerKind.HLS, parts._replace(fragment="").geturl())
    return Player(PlayerKind.LINK)


def _youtube_id(host: str, path: str, query: str) -> str | None:
    if host == "youtu.be":
        candidate = path.strip("/")
    elif host in _YOUTUBE_HOSTS and path in ("/watch", "/watch/"):
        candidate = next(iter(parse_qs(query).get("v", [])), "")
    elif host in _YOUTUBE_HOSTS and (match := _YOUTUBE_PATH.fullmatch(path)):
        candidate = match.group(1)
    else:
        return None
    return candidate if _YOUTUBE_ID.fullmatch(candidate) else None


def hls_origins(urls: Iterable[str]) -> list[str]:
    """The origins (scheme://host[:port]) of the HLS playlists among `urls`, each once."""
    origins: list[str] = []
    for url in urls:
        player = player_for(url)
        if player.kind is PlayerKind.HLS:
            parts = urlsplit(player.src)
            origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"
            if origin not in origins:
                origins.append(origin)
    return origins


def broadcast_status(
    starts_at: datetime, ends_at: datetime, moment: datetime, *, cancelled: bool = False
) -> BroadcastStatus:
    """Upcoming before the start, live from the start (included) to the end (excluded)."""
    if cancelled:
        return BroadcastStatus.CANCELLED
    if moment < starts_at:
        return BroadcastStatus.UPCOMING
    if moment < ends_at:
        return BroadcastStatus.LIVE
    return BroadcastStatus.ENDED


def ordered_streams(streams: Iterable[Stream]) -> list[Stream]:
    """The streams a reader may pick from, in the order of `STREAM_LANGUAGES`."""
    allowed = [stream for stream in streams if stream.language in STREAM_LANGUAGES]
    return sorted(allowed, key=lambda stream: STREAM_LANGUAGES.index(stream.language))


def choose_stream(streams: list[Stream], requested: str | None, reader: str) -> Stream | None:
    """The requested stream if it exists, else the reader's language, else the first."""
    by_language = {stream.language: stream for stream in streams}
    for language in (requested, reader):
        if language in by_language:
            return by_language[language]
    return streams[0] if streams else None


def public_streams(streams: Iterable[Stream]) -> list[Stream]:
    """The streams anyone may see: all but those for registered participants only."""
    return [stream for stream in streams if not stream.registrants_only]


def private_streams(streams: Iterable[Stream]) -> list[Stream]:
    """The streams reserved for registered participants."""
    return [stream for stream in streams if stream.registrants_only]
