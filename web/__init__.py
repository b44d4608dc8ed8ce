"""The web tier: a Flask app factory serving the JSON API (and, later, the dashboard).

``create_app()`` is the only place an app is built. It reads its settings from the
environment, lets ``test_config`` override them, wires in each resource through its own
``init_app(app)`` (database sessions, the run queue, JSON errors) and registers the
blueprints listed in ``BLUEPRINTS``. The app is stateless: it writes no local files, so
any number of replicas can serve behind a load balancer.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from flask import Flask

BLUEPRINTS = (
    "web.runs",
    "web.history",
    "web.catalog",
    "web.presets",
    "web.health",
    "web.dashboard",
    "web.sweeps",
)
"""Modules whose ``bp`` the factory registers, in order (the dashboard adds its own)."""

MAX_BODY_BYTES = 1024 * 1024
"""Largest accepted request body (1 MiB); a bigger one is answered 413."""


def _environment_config() -> dict[str, Any]:
    """The settings taken from the environment when the app is built."""
    from consumer.queue import DEFAULT_REDIS_URL, queue_name
    from store.db import database_url

    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        "RQ_QUEUE": queue_name(),
        "IMAGE_TAG": os.environ.get("IMAGE_TAG") or None,
        "DATA_DIR": os.environ.get("DATA_DIR") or None,
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overridden by ``test_config`` when given.

    :param test_config: any of DATABASE_URL, REDIS_URL, RQ_QUEUE, IMAGE_TAG, DATA_DIR,
        TESTING (and other Flask settings).
    :return: the configured Flask app; nothing is connected until a request needs it.
    """
    from web import db, errors, queue

    app = Flask(__name__)
    app.config.from_mapping(TESTING=False, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.config.from_mapping(_environment_config())
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False  # keep documented field order in responses

    if not app.config["TESTING"]:
        from runs.logs import configure_logging

        configure_logging()

    errors.init_app(app)
    db.init_app(app)
    queue.init_app(app)
    for module_name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)
    return app
