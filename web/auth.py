"""Access control (AUTH_MODE; ``docs/security.md``): one gate in front of every request.

With ``AUTH_MODE=none`` (the default) nothing is checked and nothing is recorded as the
creator of a run. With ``AUTH_MODE=token`` the gate (one ``before_request`` hook, so a route
added later is covered without doing anything) lets through only:

* the open list: ``OPEN_PATHS`` (the probes and the metrics scrape) and ``OPEN_ENDPOINTS``
  (static files, the sign-in and sign-out views, which check their own CSRF token);
* a request with ``Authorization: Bearer <token>`` naming a live API token (no CSRF: a
  browser never adds that header by itself);
* a request of a signed-in session (``sign_in``: a signed, HttpOnly, SameSite=Lax cookie
  holding a random session id whose record, in the web's Redis, names the token it signed
  in with; signing out deletes the record, so a copy of the cookie is worth nothing after,
  and revoking the token ends the session too); when its method is not safe it must also
  carry the session's CSRF token (``X-CSRF-Token`` header, or the ``csrf_token`` field of
  an HTML form), else 403 naming the field. Sessions fail closed: while Redis cannot be
  reached a session's request is 503 (bearer tokens keep working). A third-party UI
  whose scripts cannot send the token (rq-dashboard) is registered with
  ``same_origin_only``: its requests pass when the browser says they come from this origin
  (``Sec-Fetch-Site: same-origin`` or a matching ``Origin``).

Every token checked (a bearer header, a sign-in) is throttled per client address and per
credential (``checked_token``): after FAILURES_ALLOWED refusals in a FAILURE_WINDOW the
address's further attempts are 429 with ``Retry-After``, without a look-up, until the window
ends, except with a credential the web has accepted before (``KNOWN_KEY_PREFIX``), which
only its own refusals can lock out; so wrong tokens from an address never lock a working
token out of it, and guesses from it are still limited (fail open while Redis is away;
tokens have 256 random bits, this bounds the load and the log).

Anyone else gets 401 ``{"error", "field": "Authorization"}`` with ``WWW-Authenticate:
Bearer``, or, for a page a browser asks for, a redirect to ``/login``. ``current_user()`` is
the name of the token behind the request, which rows record as ``created_by``, and
``current_scope()`` its scope ("user" or "admin", read from the token's row on every request,
bearer and session alike, so a changed scope applies at once); ``web.ownership`` decides
from both what the request may see.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from contextlib import suppress
from typing import Any, NamedTuple

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from store.tokens import find_token, get_live_token
from web.db import get_database
from web.errors import ApiError
from web.queue import get_run_queue
from web.windows import Count, client_address, count, counted_so_far, uncount

logger = logging.getLogger("web.auth")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: they need a sign-in in token mode, but no CSRF token."""

OPEN_PATHS = frozenset({"/health", "/ready", "/metrics"})
"""Paths answered without a token in every mode: the liveness and readiness probes and the
Prometheus scrape (which carry no user data)."""

OPEN_ENDPOINTS = frozenset({"static", "signin.login", "signin.login_submit", "signin.logout"})
"""Endpoints answered without a token: static files (the sign-in page's CSS) and the sign-in
and sign-out views (which check the CSRF token themselves)."""

CSRF_HEADER = "X-CSRF-Token"
"""The header a script's mutating fetch carries the CSRF token in (``common.js``)."""

CSRF_FIELD = "csrf_token"
"""The field an HTML form carries the CSRF token in."""

ORIGIN_ONLY = "web.auth.same_origin_only"
"""Key in ``app.extensions`` of the blueprints whose CSRF check is the request's origin."""

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

AUTH_REQUIRED = "authentication required: send Authorization: Bearer <token>, or sign in"
INVALID_TOKEN = "invalid or revoked token"
CSRF_REFUSED = "missing or invalid CSRF token"
SESSIONS_DOWN = "session store unavailable: try again shortly, or send a bearer token"

SESSION_ID = "sid"
"""Key in the cookie of the session's id (random, 256 bits)."""

SESSION_KEY_PREFIX = "auth:session:"
"""Prefix of a session's record in Redis: the SHA-256 digest of its id (a copy of Redis
holds no usable session id) → the id of the token it signed in with."""

FAILURE_KEY_PREFIX = "auth:failures:"
"""Prefix of the counters of refused tokens per client address (``web.windows``)."""

FAILURES_ALLOWED = 10
"""Refused tokens (bearer or sign-in) a client address may send per FAILURE_WINDOW; and the
refusals of one credential accepted before (``KNOWN_KEY_PREFIX``) that lock it out."""

KNOWN_KEY_PREFIX = "auth:known:"
"""Prefix of the marks of credentials the web has accepted (``_digest``: a copy of Redis
holds no usable token), each kept KNOWN_TTL after its last acceptance: such a credential
is looked up even from an address over FAILURES_ALLOWED."""

KNOWN_TTL = 30 * 24 * 3600
"""Seconds a credential stays known after it was last accepted (30 days)."""

FAILURE_WINDOW = 60
"""The window of FAILURES_ALLOWED, in seconds."""


def token_mode(app: Flask | None = None) -> bool:
    """Whether the app runs with AUTH_MODE=token."""
    return (app or current_app).config["AUTH_MODE"] == "token"


def current_user() -> str | None:
    """The name of the API token behind this request (bearer or signed-in session); None
    without one (always in AUTH_MODE=none)."""
    return g.get("auth_user")


def current_scope() -> str | None:
    """The scope of the API token behind this request ("user" or "admin"); None without
    one (always in AUTH_MODE=none)."""
    return g.get("auth_scope")


class Caller(NamedTuple):
    """The live token behind a request: its id, name and scope."""

    id: int
    name: str
    scope: str


def _record_key(session_id: str) -> str:
    """The Redis key of the session ``session_id``'s record."""
    return SESSION_KEY_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


def sign_in(token_id: int) -> None:
    """Start a signed-in session for the token ``token_id``: a new session id, its record
    (expiring with the cookie's signature, PERMANENT_SESSION_LIFETIME) and a new CSRF token
    (a new session, so a cookie planted before sign-in is worth nothing after). A session
    this browser had is ended.

    :raise redis.exceptions.RedisError: the session store cannot be reached (nothing changed).
    """
    session_id = secrets.token_urlsafe(32)
    lifetime = int(current_app.permanent_session_lifetime.total_seconds())
    pipeline = get_run_queue().redis.pipeline()
    previous = session.get(SESSION_ID)
    if isinstance(previous, str):
        pipeline.delete(_record_key(previous))
    pipeline.set(_record_key(session_id), token_id, ex=lifetime)
    pipeline.execute()
    session.clear()
    session[SESSION_ID] = session_id
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out() -> None:
    """End the session: its record is deleted (a copy of the cookie signs in no more) and
    the cookie is cleared in the answer.

    :raise redis.exceptions.RedisError: the record could not be deleted; the session is
        kept, so the user can sign out again.
    """
    session_id = session.get(SESSION_ID)
    if isinstance(session_id, str):
        get_run_queue().redis.delete(_record_key(session_id))
    session.clear()


def csrf_token() -> str:
    """The session's CSRF token, made on first use (the sign-in form needs one before any
    sign-in); "" in AUTH_MODE=none, which has no sessions."""
    if not token_mode():
        return ""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def same_origin_only(app: Flask, blueprint_name: str) -> None:
    """Accept the signed-in session's mutating requests to blueprint ``blueprint_name``
    when they come from this origin, CSRF token or not (for a third-party UI whose scripts
    do not send it)."""
    app.extensions.setdefault(ORIGIN_ONLY, set()).add(blueprint_name)


def _from_this_origin() -> bool:
    """Whether the browser says this request was made by a page of this origin."""
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    origin = request.headers.get("Origin")
    return origin is not None and origin == request.host_url.rstrip("/")


def cross_site_request() -> bool:
    """Whether the browser says another origin's page made this request: ``Sec-Fetch-Site``
    or ``Origin`` is sent and neither names this origin. A request with neither header (a
    script, curl) is not: only a browser can be made to send one for another site."""
    sent = "Sec-Fetch-Site" in request.headers or "Origin" in request.headers
    return sent and not _from_this_origin()


def check_csrf() -> None:
    """Refuse a cookie-authenticated mutating request without the session's CSRF token
    (for a ``same_origin_only`` blueprint: one not made by a page of this origin).

    :raise ApiError 403: naming ``X-CSRF-Token`` (or ``csrf_token`` for an HTML form).
    """
    if request.blueprint in current_app.extensions.get(ORIGIN_ONLY, ()) and _from_this_origin():
        return
    is_form = request.mimetype in FORM_TYPES
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if is_form else None)
    expected = session.get(CSRF_FIELD)
    if not (sent and expected and hmac.compare_digest(str(sent), str(expected))):
        field = CSRF_FIELD if is_form and not request.headers.get(CSRF_HEADER) else CSRF_HEADER
        raise ApiError(403, CSRF_REFUSED, field=field)


def _unauthorized(message: str, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="backtests"' + (f', error="{error}"' if error else "")
    return ApiError(401, message, field="Authorization", headers={"WWW-Authenticate": challenge})


def token_name(token: str) -> Caller | None:
    """(id, name, scope) of the live token ``token``, or None. Read in a session of its own,
    so the request's session starts with no transaction (views begin their own)."""
    with get_database().sessionmaker() as db_session:
        row = find_token(db_session, token)
        return None if row is None else Caller(row.id, row.name, row.scope)


def checked_token(token: str | None) -> Caller | None:
    """``token_name`` of ``token`` (None: a malformed credential, refused unread), throttled
    per client address and per credential: every attempt is counted in the address's window
    and a live token takes its count back, so only refusals add up; once FAILURES_ALLOWED
    are used up the window's further attempts are refused before any look-up, unless the
    credential was accepted before (``KNOWN_KEY_PREFIX``) and has fewer than
    FAILURES_ALLOWED refusals of its own in the window (a revoked one). Not applied while
    Redis cannot be reached (fail open, one warning per attempt).

    :raise ApiError 429: too many refusals, with ``Retry-After`` (seconds to the window's end).
    """
    client = client_address()
    counted: Count | None = None
    locked = False
    try:
        counted = count(FAILURE_KEY_PREFIX, client, FAILURE_WINDOW)
        locked = counted.used > FAILURES_ALLOWED and not _known_and_unrefused(token)
    except RedisError as exc:
        logger.warning("failed tokens not throttled: Redis unavailable (%s)", type(exc).__name__)
    if counted is not None and locked:
        logger.warning("refused: %s over %d failed tokens per minute", client, FAILURES_ALLOWED)
        raise ApiError(
            429,
            f"too many failed sign-ins: at most {FAILURES_ALLOWED} per minute; "
            f"retry in {counted.retry_after} s",
            field="Authorization",
            headers={"Retry-After": str(counted.retry_after)},
        )
    found = None if token is None else token_name(token)
    if counted is not None and token is not None:
        with suppress(RedisError):  # Redis went away meanwhile: one success counted, no harm
            _record(counted, token, accepted=found is not None)
    return found


def _digest(token: str) -> str:
    """What the throttle keys a credential by: a SHA-256 of it in this use alone."""
    return hashlib.sha256(f"throttle:{token}".encode()).hexdigest()


def _known_and_unrefused(token: str | None) -> bool:
    """Whether ``token`` was accepted before and has fewer than FAILURES_ALLOWED refusals of
    its own in the current window.

    :raise RedisError: Redis cannot be reached.
    """
    if token is None:
        return False
    digest = _digest(token)
    if not get_run_queue().redis.exists(KNOWN_KEY_PREFIX + digest):
        return False
    return counted_so_far(FAILURE_KEY_PREFIX, f"token:{digest}", FAILURE_WINDOW) < FAILURES_ALLOWED


def _record(counted: Count, token: str, *, accepted: bool) -> None:
    """After a look-up: an accepted credential takes the address's count back and is marked
    known for KNOWN_TTL; a refused one is counted against itself too.

    :raise RedisError: Redis cannot be reached.
    """
    digest = _digest(token)
    if accepted:
        uncount(counted)
        get_run_queue().redis.set(KNOWN_KEY_PREFIX + digest, 1, ex=KNOWN_TTL)
    else:
        count(FAILURE_KEY_PREFIX, f"token:{digest}", FAILURE_WINDOW)


def _bearer_user() -> Caller | None:
    """The token of a valid ``Authorization: Bearer`` header; None without the header.

    :raise ApiError 401: a header that is not a live bearer token.
    :raise ApiError 429: too many refused tokens from this address (``checked_token``).
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    found = checked_token(token.strip() if scheme.lower() == "bearer" else None)
    if found is None:
        logger.warning("refused: %s", INVALID_TOKEN)
        raise _unauthorized(INVALID_TOKEN, "invalid_token")
    return found


def _session_user() -> Caller | None:
    """The token of a signed-in session whose record exists and whose token is still
    live, else None (the cookie of a session signed out, expired or of a revoked token is
    cleared, and the record of a revoked token's session deleted).

    :raise ApiError 503: Redis cannot be reached, so the session cannot be checked (fail
        closed: a signed-out session must never pass).
    """
    session_id = session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    try:
        stored = get_run_queue().redis.get(_record_key(session_id))
    except RedisError as exc:
        logger.error("session not checked: Redis unavailable (%s)", type(exc).__name__)
        raise ApiError(503, SESSIONS_DOWN) from exc
    if stored is None or not stored.isdigit():
        session.clear()
        return None
    with get_database().sessionmaker() as db_session:
        row = get_live_token(db_session, int(stored))
        caller = None if row is None else Caller(row.id, row.name, row.scope)
    if caller is None:
        with suppress(RedisError):  # the token is revoked: the record refuses nothing more
            sign_out()
        session.clear()
    return caller


def _wants_page() -> bool:
    """A browser asking for a page (HTML before JSON): sent to the sign-in page instead."""
    accepted = request.accept_mimetypes
    return accepted["text/html"] > accepted["application/json"]


def _gate() -> Response | None:
    """The before-request check of AUTH_MODE=token (see the module docstring)."""
    if request.path in OPEN_PATHS or request.endpoint in OPEN_ENDPOINTS:
        return None
    user = _bearer_user()
    if user is None:
        user = _session_user()
        if user is not None and request.method not in SAFE_METHODS:
            check_csrf()
    if user is None:
        if request.method in SAFE_METHODS and _wants_page():
            return redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
        raise _unauthorized(AUTH_REQUIRED)
    g.auth_user, g.auth_scope = user.name, user.scope
    return None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag taken from the request's scheme
    when SESSION_COOKIE_SECURE is unset (HTTPS behind a proxy: set PROXY_FIX_HOPS so
    X-Forwarded-Proto counts)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """SESSION_COOKIE_SECURE when set, else whether this request came over HTTPS."""
        configured = app.config.get("SESSION_COOKIE_SECURE")
        return request.is_secure if configured is None else bool(configured)


def _template_context() -> dict[str, Any]:
    """What base.html shows: the signed-in name and the CSRF token of the page's scripts."""
    if not token_mode():
        return {"auth_user": None, "csrf_token": ""}
    return {"auth_user": current_user(), "csrf_token": csrf_token()}


def init_app(app: Flask) -> None:
    """Set up the session cookie and, in AUTH_MODE=token, the gate; AUTH_MODE=none adds
    nothing to a request."""
    app.session_interface = SessionInterface()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.context_processor(_template_context)
    if token_mode(app):
        app.before_request(_gate)
