"""Signing in to the dashboard with an API token (AUTH_MODE=token): ``GET``/``POST /login``
and ``POST /logout``.

The form posts the token once; a live one starts a session (``web.auth.sign_in``: a signed
cookie holding a session id whose record in Redis names the token, never the token itself)
and the browser goes back to the page it asked for. Wrong tokens are throttled per client
address (``web.auth.checked_token``: 429 with the form again). Signing out deletes the
session's record; while Redis cannot be reached signing in and out are 503 with the form
again (the session is kept, so signing out can be tried again). Both views are on
``web.auth``'s open list and check the CSRF token themselves.
With AUTH_MODE=none there is nothing to sign in to: ``/login`` sends the browser to the run
form.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from web.auth import check_csrf, checked_token, sign_in, sign_out, token_mode
from web.errors import ApiError
from web.pages.layout import nav

logger = logging.getLogger("web.signin")

bp = Blueprint("signin", __name__)


def _next_page() -> str:
    """Where to go after signing in: the ``next`` path when it is a local one (never another
    site: ``//host``, a backslash or a control character, which browsers drop and could
    turn ``/<tab>/host`` into ``//host``, are refused), else the run form."""
    target = request.values.get("next", "")
    local = target.startswith("/") and not target.startswith("//")
    return (
        target
        if local and "\\" not in target and target.isprintable()
        else url_for("dashboard.form")
    )


def _form(
    error: str | None = None, status: int = 200, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    return (
        render_template("signin/login.html", error=error, next_page=_next_page(), **nav()),
        status,
        headers or {},
    )


@bp.get("/login")
def login() -> ResponseReturnValue:
    """The sign-in form (AUTH_MODE=none: the run form instead)."""
    if not token_mode():
        return redirect(url_for("dashboard.form"))
    return _form()


@bp.post("/login")
def login_submit() -> ResponseReturnValue:
    """Sign in with the posted token; 401 with the form again for a wrong one."""
    if not token_mode():
        return redirect(url_for("dashboard.form"))
    try:
        check_csrf()
    except ApiError:
        return _form("The form expired; sign in again.", 403)
    try:
        found = checked_token(request.form.get("token", "").strip())
    except ApiError as refused:  # 429: too many wrong tokens from this address
        wait = refused.headers["Retry-After"]
        message = f"Too many failed sign-ins; try again in {wait} s."
        return _form(message, refused.code, refused.headers)
    if found is None:
        logger.warning("sign-in refused: invalid or revoked token")
        return _form("Invalid or revoked token.", 401)
    try:
        sign_in(found[0])
    except RedisError as exc:
        logger.error("sign-in failed: Redis unavailable (%s)", type(exc).__name__)
        return _form("Signing in is unavailable right now; try again shortly.", 503)
    logger.info("signed in as %s", found[1])
    return redirect(_next_page(), 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session and show the sign-in form."""
    if token_mode():
        try:
            check_csrf()
        except ApiError:
            return _form("The form expired; sign out again.", 403)
        try:
            sign_out()
        except RedisError as exc:
            logger.error("sign-out failed: Redis unavailable (%s)", type(exc).__name__)
            return _form("Signing out failed: the session is still open; sign out again.", 503)
    return redirect(url_for("signin.login"), 303)
