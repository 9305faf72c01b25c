"""Organizer accounts: passwords, sessions, API tokens, and the CLI that creates them."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.organizers import services
from portal.organizers.models import Organizer
from portal.validation import InvalidField
from tests.factories import create_organizer


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
