"""The figures a portfolio row keeps for the list are named once
(``metrics.PORTFOLIO_LIST_METRICS``): the ``portfolios`` model's columns, the Job's
SUCCEEDED update (``kinds.portfolios.state.store_result``) and the list's summary
(``web.api.portfolios.summary``) all follow it, so a figure added there is stored and shown
without touching them."""

from __future__ import annotations

import json
import subprocess
import sys

from metrics import PORTFOLIO_LIST_METRIC_KEYS
from tests.docs.test_docs import ROOT

_WITH_CAGR = """
import json
import metrics, metrics.registry as registry
keys = (*registry.PORTFOLIO_LIST_METRIC_KEYS, "cagr_pct")
registry.PORTFOLIO_LIST_METRICS = tuple(registry.metric(key) for key in keys)
registry.PORTFOLIO_LIST_METRIC_KEYS = metrics.PORTFOLIO_LIST_METRIC_KEYS = keys
metrics.PORTFOLIO_LIST_METRICS = registry.PORTFOLIO_LIST_METRICS

from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from kinds.portfolios.state import store_result
from store.models import Base, Portfolio, utcnow
from web.api.portfolios import bp, summary

engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as session, session.begin():
    session.add(Portfolio(
        portfolio_id="p1", tickers=2, method="equal", payload_json="{}", queue="portfolios",
        status="RUNNING", attempts=1, created_at=utcnow(),
    ))
    session.flush()
    metrics_of = {"total_return_pct": 1.5, "sharpe_ratio": 0.5, "max_drawdown_pct": -2.0,
                  "cagr_pct": 7.25}
    result = {"metrics": metrics_of, "data_hash": "h", "portfolio_engine_version": "1"}
    stored = store_result(session, "p1", result, "{}")
with Session(engine) as session:
    row = session.get(Portfolio, "p1")
    app = Flask("t")
    app.register_blueprint(bp)
    with app.test_request_context():
        shown = summary(row)
print(json.dumps({"stored": stored, "cagr_pct": shown.get("cagr_pct")}))
"""


def test_the_portfolios_table_has_a_column_per_registry_figure_in_its_order():
    """Today's three figures, in the registry's order, among the table's columns."""
    from store.models import Portfolio

    columns = [c.name for c in Portfolio.__table__.c]
    assert [name for name in columns if name in PORTFOLIO_LIST_METRIC_KEYS] == list(
        PORTFOLIO_LIST_METRIC_KEYS
    )
    assert PORTFOLIO_LIST_METRIC_KEYS == ("total_return_pct", "sharpe_ratio", "max_drawdown_pct")


def test_a_figure_added_to_the_registry_is_stored_by_the_job_and_shown_by_the_list():
    """Add ``cagr_pct`` to the registry alone (a fresh interpreter): the model gets its
    column, the Job's update writes it and the summary shows it."""
    done = subprocess.run(
        [sys.executable, "-c", _WITH_CAGR],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"stored": True, "cagr_pct": 7.25}
