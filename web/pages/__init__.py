"""The dashboard's server-rendered HTML pages: the run form, history, run page and compare
(``web.pages.dashboard``), the sign-in form (``web.pages.signin``) and the signal analyzer's
page (``web.pages.signals``), with what they share (``web.pages.layout``,
``web.pages.format``, ``web.pages.form_fields``). Their scripts read the JSON API
(``web.api``) by URL; the pages never import it. A kind's own pages (the sweep pages
``web.pages.sweeps``, the walk-forward, portfolio and study pages) are named by its
``WorkKind.blueprints`` and registered from ``kinds.registry``."""

BLUEPRINTS = (
    "web.pages.dashboard",
    "web.pages.signin",
    "web.pages.signals",
)
"""Modules whose ``bp`` the app factory registers, in order, besides the kinds'."""
