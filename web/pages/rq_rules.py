"""The app's rules around rq-dashboard's routes (``web.pages.rq_dashboard`` mounts it): what
its views would do wrong on their own, mended from outside without copying them.

* **State changes are POSTs from this origin.** rq-dashboard's routes that change the queue
  (``STATE_CHANGES``: requeue or delete a job, requeue a queue's failed jobs, empty a registry,
  compact a queue) answer 405 to any method but POST (it routes ``/requeue/<queue>`` for GET
  too, so a link or an image of another site could requeue every failed job), and 403 when
  the browser marks the request cross-site (``web.auth.cross_site_request``), in every
  AUTH_MODE: with ``none`` there is no session and no CSRF token to check. Its own buttons
  are same-origin POSTs; a script that sends no browser headers passes. In token mode the
  gate's same-origin rule (``web.auth.same_origin_only``) applies as well.
* **A user's mistake is a 4xx, never a 500.** An unknown job (requeue, delete, its page or
  data) is 404 naming ``job_id``; requeueing a job that has not failed is 409; an unknown Redis
  instance number is 404; compacting an empty queue (no list in Redis, so RENAME fails) is
  200 with nothing done.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, jsonify, request
from redis.exceptions import ResponseError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from werkzeug.exceptions import MethodNotAllowed

from web.auth import cross_site_request
from web.errors import ApiError

STATE_CHANGES = frozenset(
    {"delete_job_view", "requeue_job_view", "requeue_all", "empty_queue", "compact_queue"}
)
"""rq-dashboard's views that change the queue (rq_dashboard/web.py, 0.9: every POST route)."""

CROSS_SITE_REFUSED = "cross-site request refused: use the dashboard's own buttons"


def _job_errors_mapped(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` with RQ's job errors as 4xx answers: an unknown job 404, an operation the
    job's state does not allow 409."""

    @wraps(view)
    def mapped(*args: Any, **kwargs: Any) -> Any:
        job_id = kwargs.get("job_id", "")
        try:
            return view(*args, **kwargs)
        except NoSuchJobError as exc:
            raise ApiError(404, f"no such job: {job_id}", field="job_id") from exc
        except InvalidJobOperation as exc:
            raise ApiError(
                409, f"job {job_id} cannot be changed so: {exc}", field="job_id"
            ) from exc

    return mapped


def _existing_job(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` (rq-dashboard's delete, which answers 200 ``{"status": "ERROR"}`` for an
    unknown job) raising NoSuchJobError for a job that does not exist."""

    @wraps(view)
    def existing(job_id: str, **kwargs: Any) -> Any:
        if not Job.exists(job_id, connection=current_app.redis_conn):
            raise NoSuchJobError(job_id)
        return view(job_id, **kwargs)

    return existing


def _nothing_to_compact(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` (rq-dashboard's compact: RENAME of the queue's list) answering 200 for an empty
    queue, whose list Redis has deleted."""

    @wraps(view)
    def compact(queue_name: str) -> Any:
        try:
            return view(queue_name)
        except ResponseError as exc:
            if "no such key" not in str(exc).lower():
                raise
            return jsonify(status="OK"), {"Cache-Control": "no-store"}

    return compact


def _check_request(blueprint_name: str) -> Callable[[], None]:
    """The before-request rule of the blueprint (the module docstring)."""

    def check() -> None:
        instance = (request.view_args or {}).get("instance_number")
        if instance is not None and instance >= len(current_app.config["RQ_DASHBOARD_REDIS_URL"]):
            raise ApiError(404, f"no such Redis instance: {instance}", field="instance_number")
        if request.endpoint not in {f"{blueprint_name}.{name}" for name in STATE_CHANGES}:
            return
        if request.method not in ("POST", "OPTIONS"):
            raise MethodNotAllowed(valid_methods=["POST"])
        if cross_site_request():
            raise ApiError(403, CROSS_SITE_REFUSED, field="Origin")

    return check


def apply_rq_rules(app: Flask, blueprint_name: str) -> None:
    """Put the module's rules around the views of the mounted rq-dashboard blueprint
    ``blueprint_name``: its views wrapped in ``app.view_functions`` (the blueprint object is
    shared by every app, so it is left as it is) and a before-request check run first."""
    prefix = f"{blueprint_name}."
    views = app.view_functions
    views[prefix + "delete_job_view"] = _existing_job(views[prefix + "delete_job_view"])
    views[prefix + "compact_queue"] = _nothing_to_compact(views[prefix + "compact_queue"])
    for endpoint in [name for name in views if name.startswith(prefix)]:
        views[endpoint] = _job_errors_mapped(views[endpoint])
    app.before_request_funcs.setdefault(blueprint_name, []).insert(
        0, _check_request(blueprint_name)
    )
