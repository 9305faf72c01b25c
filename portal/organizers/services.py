"""Organizer accounts: creation, sign-in, passwords and API tokens.

Signing in, loading a session and checking a token only read: a request that reads stays a
read-only transaction. The one thing noted on the way, a token's time of last use, is written
apart (`note_token_use`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.i18n import LANGUAGES, _l
from portal.organizers.models import ApiToken, Organizer, TokenScope
from portal.timeutil import now_utc
from portal.validation import InvalidField, clean_email, clean_text

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
TOKEN_PREFIX = "ptk_"
#: How long a token may work, in days, as organizers choose it; and by default.
TOKEN_DAYS = (30, 90, 180, 365)
DEFAULT_TOKEN_DAYS = 90
#: What a new token may do unless said otherwise: everything but reading personal data.
DEFAULT_SCOPES = frozenset({TokenScope.READ_EVENTS, TokenScope.WRITE_EVENTS})
#: A token's time of last use is kept to this precision: at most one write a minute per token.
TOKEN_USE_PRECISION = timedelta(minutes=1)

# Checked against when the address is unknown, so that a wrong address and a wrong
# password take the same time.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidField(
            "password",
            _l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidField(
            "password",
            _l("Use at most %(count)d characters.", count=MAX_PASSWORD_LENGTH),
        )


def find_organizer(email: str) -> Organizer | None:
    """The organizer with this address as typed (any case), or None."""
    try:
        address = clean_text(email, "email", max_length=254, required=True).lower()
    except InvalidField:
        # No organizer's address holds control characters (and PostgreSQL refuses a NUL in
        # a query, which was a 500 at sign-in).
        return None
    return db.session.scalar(select(Organizer).where(Organizer.email == address))


def create_organizer(
    email: str, password: str, *, name: str = "", is_admin: bool = False, language: str = "en"
) -> Organizer:
    """Create an organizer; raise `InvalidField` for a bad or already used address."""
    email = clean_email(email)
    if find_organizer(email) is not None:
        raise InvalidField("email", _l("An organizer with this address already exists."))
    check_password_rules(password)
    organizer = Organizer(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        is_admin=is_admin,
        language=language if language in LANGUAGES else "en",
    )
    db.session.add(organizer)
    db.session.flush()
    return organizer


def authenticate(email: str, password: str) -> Organizer | None:
    """The active organizer with this address and password, or None (same cost either way)."""
    organizer = find_organizer(email)
    if organizer is None or not organizer.is_active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(organizer.password_hash, password):
        return None
    return organizer


def change_password(organizer: Organizer, current: str, new: str) -> None:
    if not check_password_hash(organizer.password_hash, current):
        raise InvalidField("current_password", _l("This is not your current password."))
    set_password(organizer, new)


def set_password(organizer: Organizer, new: str) -> None:
    """Set a new password and end the organizer's other sessions."""
    check_password_rules(new)
    organizer.password_hash = generate_password_hash(new)
    end_sessions(organizer)


def end_sessions(organizer: Organizer) -> None:
    """End every session of the organizer, on every server: a session cookie carries the
    version it was opened with, and one of another version no longer signs anyone in (so a
    cookie copied before signing out is worth nothing after it)."""
    organizer.session_version += 1


def load_session_organizer(session_id: str) -> Organizer | None:
    """The organizer behind a session id of `Organizer.get_id`, if that session is still valid."""
    organizer_id, _, version = session_id.partition(":")
    if not organizer_id.isdigit() or not version.isdigit():
        return None
    organizer = db.session.get(Organizer, int(organizer_id))
    if organizer is None or not organizer.is_active or organizer.session_version != int(version):
        return None
    return organizer


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    organizer: Organizer,
    label: str = "",
    *,
    scopes: Collection[TokenScope] = DEFAULT_SCOPES,
    days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """Create a token for `days` days; return it with its secret, which is shown once and
    never stored."""
    if not scopes:
        raise InvalidField("scopes", _l("Choose at least one thing the token may do."))
    if days not in TOKEN_DAYS:
        raise InvalidField("days", _l("Choose one of the durations offered."))
    # Cleaned like every other text: a NUL would fail PostgreSQL, a bidi override disguise it.
    label = clean_text(label, "label", max_length=100)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organizer=organizer,
        token_hash=_hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        label=label,
        scope=" ".join(sorted(TokenScope(scope).value for scope in scopes)),
        expires_at=now_utc() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def find_api_token(secret: str) -> ApiToken | None:
    """The token with this secret if it is valid, not revoked, and its organizer active."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(secret)))
    if token is None or token.is_revoked or token.is_expired(now_utc()):
        return None
    if not token.organizer.is_active:
        return None
    return token


def extend_api_token(token: ApiToken, days: int = DEFAULT_TOKEN_DAYS) -> None:
    """Let a valid token work for `days` days from now (an expired one must be replaced)."""
    if days not in TOKEN_DAYS:
        raise InvalidField("days", _l("Choose one of the durations offered."))
    token.expires_at = now_utc() + timedelta(days=days)


def note_token_use(token: ApiToken) -> None:
    """Keep the token's time of last use, to the minute, outside the session's transaction.

    A short transaction of its own on another connection does it, so that a request that only
    reads writes nothing in its own transaction (and one that writes may still take the write
    lock first). The conditional UPDATE writes at most once a minute per token, however many
    requests race.
    """
    now = now_utc()
    stale = now - TOKEN_USE_PRECISION
    if token.last_used_at is not None and token.last_used_at >= stale:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale),
            )
            .values(last_used_at=now)
        )
    # What the database now holds, without marking the session's copy as changed.
    set_committed_value(token, "last_used_at", now)


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = now_utc()
