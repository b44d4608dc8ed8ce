"""The web tier: a Flask app factory serving the JSON API and the dashboard pages.

``create_app()`` is the only place an app is built. It reads its settings once
(``config.Settings``: the environment, with ``test_config`` overriding any of them) into
``app.config`` and ``app.extensions["settings"]``, so no request reads the environment;
wires in each resource through its own ``init_app(app)`` (database sessions, the run
queue, JSON errors, the security headers every response carries, the request metrics,
access control and the submission rate limit) and registers the blueprints listed in
``blueprints()``: the JSON API (``web/api/``), each kind's own and the HTML pages
(``web/pages/``), then what a kind declaring its ``request`` model and its ``page`` gets
without a module of its own (``declared_blueprints``). The app is stateless: it writes no
local files, so any number of replicas can serve behind a load balancer.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from config import Settings, settings_from
from web.api import BLUEPRINTS as API_BLUEPRINTS
from web.pages import BLUEPRINTS as PAGE_BLUEPRINTS


def blueprints() -> tuple[str, ...]:
    """Modules whose ``bp`` the factory registers: the JSON API (``web.api``), each
    registered kind's own (``WorkKind.blueprints``, ``kinds.registry``), then the pages
    (``web.pages``)."""
    from kinds.registry import all_kinds

    kinds = [module for kind in all_kinds() for module in kind.blueprints]
    return tuple(dict.fromkeys((*API_BLUEPRINTS, *kinds, *PAGE_BLUEPRINTS)))


MAX_BODY_BYTES = 1024 * 1024
"""Largest accepted request body (1 MiB); a bigger one is answered 413."""


def _settings_config(settings: Settings) -> dict[str, Any]:
    """The app's config from ``settings``: every setting by its upper-case name, the ones
    left unset at the default of the package that owns them."""
    from store.db import DEFAULT_SQLITE
    from work.queue import DEFAULT_QUEUE, DEFAULT_REDIS_URL

    return {
        **settings.as_config(),
        "DATABASE_URL": settings.database_url or f"sqlite:///{DEFAULT_SQLITE}",
        "REDIS_URL": settings.redis_url or DEFAULT_REDIS_URL,
        "RQ_QUEUE": settings.rq_queue or DEFAULT_QUEUE,
    }


def kind_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """What each registered kind adds to the app's config: its own settings
    (``WorkKind.settings``) and the variable naming its own queue, each read from the
    environment through ``config.process`` unless ``overrides`` (config keys) gives it;
    a setting's text is parsed as the environment's would be.

    :raise ValueError: naming the variable whose value its parser refused.
    """
    from config import process
    from kinds.registry import all_kinds

    given = overrides or {}
    config: dict[str, Any] = {}
    for kind in all_kinds():
        if kind.queue_variable:
            config[kind.queue_variable] = given.get(kind.queue_variable) or process.named(
                kind.queue_variable
            )
        for variable in kind.settings:
            raw = given.get(variable.name)
            try:
                config[variable.name] = (
                    variable.value() if raw is None else variable.parse(str(raw).strip())
                )
            except process.ConfigurationError:
                raise
            except ValueError as exc:
                raise process.ConfigurationError([f"{variable.name}: {exc}"]) from None
    return config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overridden by ``test_config`` when given.

    :param test_config: any setting of ``config.Settings`` by its upper-case name
        (DATABASE_URL, REDIS_URL, RQ_QUEUE, IMAGE_TAG, DATA_DIR, RUN_MAX_BARS,
        SWEEP_CHUNK_SIZE, …; validated like the environment), TESTING and other Flask keys.
    :return: the configured Flask app; nothing is connected until a request needs it.
    """
    from web import auth, db, errors, queue, ratelimit, security, telemetry

    app = Flask(__name__)
    app.config.from_mapping(TESTING=False, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    settings = settings_from(test_config)
    app.extensions["settings"] = settings
    app.config.from_mapping(_settings_config(settings))
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config.from_mapping(kind_config(test_config))
    app.json.sort_keys = False  # keep documented field order in responses

    if not app.config["TESTING"]:
        from work.logs import configure_logging

        configure_logging(settings.log_level, settings.log_format)

    if settings.proxy_fix_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_fix_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    errors.init_app(app)
    telemetry.init_app(app)  # first of the request hooks: a request refused early is counted too
    security.init_app(app)
    db.init_app(app)
    queue.init_app(app)
    auth.init_app(app)
    ratelimit.init_app(app)
    for module_name in blueprints():
        app.register_blueprint(importlib.import_module(module_name).bp)
    for blueprint in declared_blueprints():
        app.register_blueprint(blueprint)
    return app


def declared_blueprints() -> list[Any]:
    """The blueprints built from the registered kinds' declarations alone: the API of each
    kind with a ``request`` model (``web.api.kind``) and the page of each with a ``page``
    (``web.pages.kind``)."""
    from kinds.registry import all_kinds
    from web.api.kind import blueprint as api_blueprint
    from web.pages.kind import blueprint as page_blueprint

    built = []
    for kind in all_kinds():
        if kind.request is not None:
            built.append(api_blueprint(kind))
        if kind.page is not None:
            built.append(page_blueprint(kind))
    return built
