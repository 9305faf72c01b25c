"""Signing in and out, and the organizer's own settings: language, password, API tokens."""

from __future__ import annotations

import time

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user
from limits import parse as parse_limit

from portal.extensions import csrf, db, limiter
from portal.i18n import _
from portal.manage import bp, current_organizer, flash_saved, submitted
from portal.manage.forms import ConfirmForm, LanguageForm, LoginForm, PasswordForm, TokenForm
from portal.organizers import services
from portal.organizers.models import ApiToken
from portal.timeutil import now_utc
from portal.validation import InvalidField
from portal.web.forms import show_errors, submitted_email
from portal.web.transaction import form_status

#: Failed sign-ins an account takes (from anywhere, in `_FAILURE_WINDOW`) before each further
#: attempt is slowed down (up to SIGN_IN_LONGEST_DELAY seconds); a correct password still
#: signs in, only later.
_FAILURES_BEFORE_DELAY = 5
_FAILURE_WINDOW = parse_limit("1000 per 15 minutes")
_FAILURE_SCOPE = "sign-in-failures"


def _address_and_account() -> str:
    return f"{get_remote_address()}/{submitted_email()}"


def _failed(response: Response) -> bool:
    """Only failures count against the limits: a correct password is never what locks anyone
    out, and nobody can lock an account for others by failing with its address."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm checks the token itself, after the rate limits below
@limiter.limit("10 per minute;60 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit(
    "10 per 15 minutes", methods=["POST"], key_func=_address_and_account, deduct_when=_failed
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        _slow_down_guessing()
        organizer = services.authenticate(form.email.data, form.password.data)
        if organizer is None:
            _count_failure()
        else:
            session.clear()  # a fresh session: nothing carried over from before sign-in
            login_user(organizer)
            session.permanent = True
            return redirect(_safe_next() or url_for("manage.home"))
        # The same answer whether the address is unknown or the password wrong.
        form.form_errors.append(_("The email address or the password is not right."))
    return render_template("manage/login.html", form=form), form_status(form)


def _count_failure() -> None:
    limiter.limiter.hit(_FAILURE_WINDOW, _FAILURE_SCOPE, submitted_email())


def _slow_down_guessing() -> None:
    """Wait before checking a password for an account that has failed often of late, whoever
    tried: guessing slows to a crawl, and the account's owner still signs in."""
    stats = limiter.limiter.get_window_stats(_FAILURE_WINDOW, _FAILURE_SCOPE, submitted_email())
    failures = _FAILURE_WINDOW.amount - stats.remaining
    if failures >= _FAILURES_BEFORE_DELAY:
        longest = current_app.config["SIGN_IN_LONGEST_DELAY"]
        time.sleep(min(0.25 * 2 ** (failures - _FAILURES_BEFORE_DELAY), longest))


def _safe_next() -> str | None:
    """Follow ?next= only to a page of the back office itself."""
    target = request.args.get("next", "")
    if (
        target.startswith("/manage/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()  # no CR, LF or other control character in a header
        and " " not in target
    ):
        return target
    return None


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        services.end_sessions(current_organizer())
        logout_user()
        session.clear()
        flash(_("You have signed out."), "info")
    return redirect(url_for("manage.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    organizer = current_organizer()
    language_form = LanguageForm(prefix="language", language=organizer.language)
    password_form = PasswordForm(prefix="password")
    if submitted(language_form) and language_form.validate_on_submit():
        organizer.language = language_form.language.data
        flash_saved()
        return redirect(url_for("manage.account"))
    if submitted(password_form) and password_form.validate_on_submit():
        try:
            services.change_password(
                organizer, password_form.current_password.data, password_form.password.data
            )
        except InvalidField as error:
            show_errors(password_form, error)
        else:
            login_user(organizer)  # the session id changed with the password
            flash(
                _("Your password has been changed. Other sessions have been signed out."), "success"
            )
            return redirect(url_for("manage.account"))
    return render_template(
        "manage/account.html", language_form=language_form, password_form=password_form
    ), form_status(language_form, password_form)


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    organizer = current_organizer()
    form = TokenForm()
    new_secret = None
    if form.validate_on_submit():
        try:
            _, new_secret = services.create_api_token(
                organizer, form.label.data or "", scopes=form.scopes(), days=int(form.days.data)
            )
        except InvalidField as error:
            show_errors(form, error)
        else:
            form = TokenForm(formdata=None)
    return render_template(
        "manage/tokens.html",
        form=form,
        tokens=organizer.tokens,
        new_secret=new_secret,
        revoke_form=ConfirmForm(),
        now=now_utc(),
    ), form_status(form)


@bp.post("/account/tokens/<int:token_id>/extend")
def extend_token(token_id: int):
    token = _own_token(token_id)
    if ConfirmForm().validate_on_submit() and not token.is_revoked:
        services.extend_api_token(token)
        flash(_("The token now works for 90 more days from today."), "success")
    return redirect(url_for("manage.tokens"))


def _own_token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.organizer != current_organizer():
        abort(404)
    return token


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    token = _own_token(token_id)
    if ConfirmForm().validate_on_submit():
        services.revoke_api_token(token)
        flash(_("The token has been revoked."), "success")
    return redirect(url_for("manage.tokens"))
