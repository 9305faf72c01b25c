"""Organizer accounts: passwords, sessions, API tokens, and the CLI that creates them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event as sqlalchemy_event

from portal.extensions import db
from portal.organizers import services
from portal.organizers.models import ApiToken, Organizer
from portal.validation import InvalidField
from tests.factories import create_organizer
from tests.helpers import NOW


def test_passwords_are_hashed_and_checked(app):
    organizer = create_organizer("Ana@Example.org ", password="a long passphrase")
    assert organizer.email == "ana@example.org"
    assert "a long passphrase" not in organizer.password_hash
    assert organizer.password_hash.startswith("scrypt:")
    assert services.authenticate("ANA@example.org", "a long passphrase") == organizer
    assert services.authenticate("ana@example.org", "wrong password") is None
    assert services.authenticate("nobody@example.org", "a long passphrase") is None


def test_inactive_organizers_cannot_sign_in(app):
    organizer = create_organizer(password="a long passphrase")
    organizer.is_active_account = False
    assert services.authenticate(organizer.email, "a long passphrase") is None


@pytest.mark.parametrize("password", ["short", "x" * 201])
def test_password_rules(app, password):
    with pytest.raises(InvalidField) as error:
        services.create_organizer("new@example.org", password)
    assert error.value.field == "password"


def test_duplicate_and_invalid_addresses_are_refused(app):
    create_organizer("ana@example.org")
    with pytest.raises(InvalidField):
        services.create_organizer(" ANA@example.org", "another passphrase")
    with pytest.raises(InvalidField):
        services.create_organizer("not-an-address", "another passphrase")


def test_changing_the_password_ends_other_sessions(app):
    organizer = create_organizer(password="a long passphrase")
    old_session = organizer.get_id()
    assert services.load_session_organizer(old_session) == organizer
    services.change_password(organizer, "a long passphrase", "a newer passphrase")
    assert services.load_session_organizer(old_session) is None
    assert services.load_session_organizer(organizer.get_id()) == organizer
    with pytest.raises(InvalidField):
        services.change_password(organizer, "wrong", "a third passphrase")
    for bad in ("", "x", "1:x", "99999:0", ":"):
        assert services.load_session_organizer(bad) is None


def test_api_tokens_are_stored_hashed_and_can_be_revoked(app):
    organizer = create_organizer()
    token, secret = services.create_api_token(organizer, "publishing script")
    db.session.commit()
    assert secret not in token.token_hash and secret.startswith(token.prefix)
    assert services.find_api_token(secret) == token
    assert services.find_api_token(secret + "x") is None
    assert services.find_api_token("") is None
    services.revoke_api_token(token)
    assert services.find_api_token(secret) is None


def test_cli_creates_organizers_and_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-organizer", "chief@example.org", "--admin"],
        input="a long passphrase\na long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    organizer = db.session.query(Organizer).filter_by(email="chief@example.org").one()
    assert organizer.is_admin
    assert services.authenticate("chief@example.org", "a long passphrase") == organizer

    again = runner.invoke(
        args=["create-organizer", "chief@example.org", "--password", "another passphrase"]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_cli_prints_a_working_api_token(runner):
    organizer = create_organizer("ana@example.org")
    result = runner.invoke(args=["create-api-token", "ana@example.org"])
    assert result.exit_code == 0, result.output
    assert services.find_api_token(result.output.strip()).organizer == organizer
    assert runner.invoke(args=["create-api-token", "nobody@example.org"]).exit_code != 0


def test_cli_refuses_a_token_label_with_control_characters(runner):
    organizer = create_organizer("ana@example.org")
    result = runner.invoke(args=["create-api-token", "ana@example.org", "--label", "a\x1bb"])
    assert result.exit_code == 2 and "Remove the control characters" in result.output
    assert organizer.tokens == []


def test_a_tokens_use_is_written_apart_at_most_once_a_minute(app, client):
    organizer = create_organizer()
    token, secret = services.create_api_token(organizer, "reader")
    db.session.commit()
    writes: list[str] = []

    def note_write(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
            writes.append(statement.split()[0].upper() + " " + statement.split()[1])

    headers = {"Authorization": f"Bearer {secret}"}
    sqlalchemy_event.listen(db.engine, "before_cursor_execute", note_write)
    try:
        with time_machine.travel(NOW, tick=False):
            assert client.get("/api/v1/events", headers=headers).status_code == 200
            assert client.get("/api/v1/events", headers=headers).status_code == 200
        first = writes.copy()
        with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
            assert client.get("/api/v1/events", headers=headers).status_code == 200
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", note_write)

    # One UPDATE for two reads within the minute, one more after it: nothing else is written.
    assert first == ["UPDATE api_tokens"]
    assert writes == ["UPDATE api_tokens", "UPDATE api_tokens"]
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == NOW + timedelta(minutes=2)


def test_a_read_only_api_request_leaves_its_own_transaction_clean(app, client):
    from portal.database import has_written
    from portal.web import transaction

    organizer = create_organizer()
    _, secret = services.create_api_token(organizer, "reader")
    db.session.commit()
    seen: list[bool] = []

    # Look at the session just as the request's own hook decides what to do with it.
    original = transaction._commit_or_roll_back

    def spy(response):
        seen.append(has_written(db.session))
        return original(response)

    app.after_request_funcs[None] = [
        spy if func is original else func for func in app.after_request_funcs[None]
    ]
    response = client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 200
    assert seen == [False]
