"""The optional operator UI: rq-dashboard mounted at ``/rq`` when RQ_DASHBOARD_ENABLED=1.

Every job, queue, registry and worker it builds reads with the queue's JSON serializer and
nothing else, whatever it passes (``web.pages.rq_json_only``: it fetched jobs without a
serializer, so RQ unpickled them, running whatever a pickled ``meta`` named); a job that
cannot be read so is shown as unreadable and can be deleted, not requeued. Its pages run
an inline script, so they are sent without the app's Content-Security-Policy
(``web.security.exempt_from_csp``). rq-dashboard has no authentication of its own: with
AUTH_MODE=token the app's gate (``web.auth``) lets only signed-in sessions (or bearer tokens)
reach it, as every other route (its scripts' POSTs, which carry no CSRF token, pass when they
come from this origin: ``web.auth.same_origin_only``). It shows every user's jobs, so in
AUTH_MODE=token only admin tokens reach it (``admin_only``: anyone else gets 404, as for
another user's run); with AUTH_MODE=none enable it only behind the cluster's own access
control (``docs/security.md``). In every mode its state changes are POSTs that no other
site's page can make, and a user's mistake (an unknown job, an empty queue to compact) is a
4xx, not a 500 (``web.pages.rq_rules``).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import NotFound

from config import process
from web.auth import same_origin_only
from web.ownership import viewer
from web.pages.rq_json_only import bind_json_only, requeue_readable
from web.pages.rq_rules import apply_rq_rules
from web.security import exempt_from_csp

URL_PREFIX = "/rq"
ENABLED_VALUES = ("1", "true", "yes", "on")


def rq_dashboard_enabled(app: Flask) -> bool:
    """RQ_DASHBOARD_ENABLED from the app's config, else from the environment."""
    raw = app.config.get("RQ_DASHBOARD_ENABLED")
    if raw is None:
        raw = process.RQ_DASHBOARD_ENABLED.value()
    return str(raw).strip().lower() in ENABLED_VALUES


def admin_only(blueprint_name: str):
    """A before-request hook refusing the requests to ``blueprint_name`` of a viewer who is
        not unrestricted (an admin token, or anyone in AUTH_MODE=none): the 404 of an unknown
    path. Registered after the
        gate, so a request without credentials is still 401 (or sent to sign in)."""

    def refuse() -> None:
        if request.blueprint == blueprint_name and viewer().restricted:
            raise NotFound()  # the answer of a path that does not exist

    return refuse


def mount_rq_dashboard(app: Flask) -> None:
    """Register rq-dashboard on ``app`` at ``/rq``, reading the app's REDIS_URL, its pages
    exempted from the CSP (their inline script would not run)."""
    import rq_dashboard
    import rq_dashboard.web as rqd_web

    for name in dir(rq_dashboard.default_settings):
        if name.isupper():
            app.config.setdefault(name, getattr(rq_dashboard.default_settings, name))
    app.config["RQ_DASHBOARD_REDIS_URL"] = app.config["REDIS_URL"]
    bind_json_only(rqd_web)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    app.view_functions[f"{rq_dashboard.blueprint.name}.requeue_all"] = requeue_readable
    exempt_from_csp(app, rq_dashboard.blueprint.name)
    same_origin_only(app, rq_dashboard.blueprint.name)
    apply_rq_rules(app, rq_dashboard.blueprint.name)
    app.before_request(admin_only(rq_dashboard.blueprint.name))
    rqd_web.setup_rq_connection(app)
