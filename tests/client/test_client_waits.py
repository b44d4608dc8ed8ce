"""One way to wait, whatever the kind, against the real web app on loopback (SQLite, real
Redis, the shipped demo data; items executed or failed in-process as a Job would leave
them): ``wait`` returns the handle ``client.get_<kind>`` returns (a run: its ``Result``)
once the item SUCCEEDED, still read dict-style as the status document it used to return,
and raises ``ItemFailed`` carrying that handle and the item's error when it FAILED — a
generic item, a portfolio, a sweep, a walk-forward, a study and a run alike."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backtest_client import Client, ItemFailed, RunFailed, SweepFailed
from kinds.portfolios.kind import PORTFOLIO
from kinds.runs.kind import RUN
from kinds.studies.state import end_study
from kinds.sweeps.store import fail_pending_chunks
from kinds.walkforward.state import fail_folds
from store.dbapi import as_tx
from tests.client.test_client_portfolios import submit_portfolio
from tests.portfolios.support import execute_item, valid_portfolio
from tests.sweeps.support import compute_queued_chunks
from web.db import get_database

pytestmark = pytest.mark.redis

BASE = valid_portfolio(end_date="2019-12-31")
ERROR = "the data moved under it"


def _item(client: Client):
    return client.submit_item("portfolios", BASE)


def _sweep(client: Client):
    return client.sweep_portfolio(BASE, {"n": [10, 30]})


def _walkforward(client: Client):
    return client.portfolio_walkforward(BASE, {"n": [10, 40]}, 100, 50, min_trades=0)


def _study(client: Client):
    space = {"n": {"low": 5, "high": 60}}
    return client.portfolio_study(BASE, space, n_trials=4, batch_size=4, sampler="random")


def _run(client: Client):
    return client.run("ACME", "SMA_CROSS", {"fast": 10, "slow": 30}, "2019-01-02", "2019-12-31")


KINDS: dict[str, tuple[Callable, Callable, Callable]] = {
    # kind: (submit, fail it in the database as its Job would, the handle get_<kind> gives)
    "item": (
        _item,
        lambda session, h: PORTFOLIO.mark_failed(session, h.item_id, ERROR),
        lambda client, h: client.get_item("portfolios", h.item_id),
    ),
    "portfolio": (
        submit_portfolio,
        lambda session, h: PORTFOLIO.mark_failed(session, h.portfolio_id, ERROR),
        lambda client, h: client.get_portfolio(h.portfolio_id),
    ),
    "sweep": (
        _sweep,
        lambda session, h: fail_pending_chunks(session, h.sweep_id, ERROR),
        lambda client, h: client.get_sweep(h.sweep_id),
    ),
    "walkforward": (
        _walkforward,
        lambda session, h: fail_folds(session, h.walkforward_id, ERROR),
        lambda client, h: client.get_walkforward(h.walkforward_id),
    ),
    "study": (
        _study,
        lambda session, h: end_study(as_tx(session), h.study_id, "FAILED", ERROR),
        lambda client, h: client.get_study(h.study_id),
    ),
    "run": (
        _run,
        lambda session, h: RUN.mark_failed(session, h.run_id, ERROR),
        lambda client, h: client.get_run(h.run_id),
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_failed_item_of_every_kind_ends_the_wait_with_item_failed_and_its_handle(
    demo_portfolio_app, demo_api_url, kind
):
    """FAILED raises ``ItemFailed`` (a ``RunFailed`` / ``SweepFailed`` for those kinds)
    naming the item, with ``ended`` FAILED, and ``item``, the handle waited on, whose
    ``last`` is the final status document."""
    submit, fail, get = KINDS[kind]
    client = Client(demo_api_url)
    handle = submit(client)
    with get_database(demo_portfolio_app).sessionmaker.begin() as session:
        assert fail(session, handle)
    waited = get(client, handle)
    with pytest.raises(ItemFailed) as failed:
        waited.wait(timeout=10, poll=0.1)
    assert failed.value.item is waited and failed.value.ended == "FAILED"
    assert waited.last["status"] == waited["status"] == "FAILED"
    if kind == "sweep":  # a sweep's chunks fail one by one: the sweep only says it ended so
        assert isinstance(failed.value, SweepFailed) and failed.value.sweep is waited
    else:
        assert failed.value.message == ERROR
        assert ERROR in str(failed.value)
    if kind == "run":
        assert isinstance(failed.value, RunFailed) and failed.value.run_id == handle.run_id


def test_an_item_and_a_portfolio_wait_returns_the_handle_read_as_its_status_document(
    demo_portfolio_app, demo_api_url
):
    """``submit_item(…).wait()`` is the ``Item`` (the type ``get_item`` gives), still read
    as the status document it used to return: ``item["status"]``, ``item.get(…)``."""
    client = Client(demo_api_url)
    item, portfolio = _item(client), submit_portfolio(client)
    for portfolio_id in (item.item_id, portfolio.portfolio_id):
        execute_item(demo_portfolio_app, portfolio_id)
    waited = item.wait(timeout=10, poll=0.1)
    assert waited is item and type(waited) is type(client.get_item("portfolios", item.item_id))
    assert item["status"] == item.get("status") == "SUCCEEDED"
    assert item["portfolio_id"] == item.item_id and item.get("no such field", 7) == 7
    assert portfolio.wait(timeout=10, poll=0.1) is portfolio
    assert portfolio["status"] == "SUCCEEDED"


def test_a_sweep_wait_returns_the_sweep_read_as_its_status_document(
    demo_portfolio_app, demo_api_url
):
    """A sweep's wait is the ``Sweep`` (the type ``get_sweep`` gives), ``sweep["status"]``
    its final status."""
    client = Client(demo_api_url)
    sweep = _sweep(client)
    compute_queued_chunks(demo_portfolio_app)
    waited = sweep.wait(timeout=10, poll=0.1)
    assert waited is sweep and type(waited) is type(client.get_sweep(sweep.sweep_id))
    assert sweep["status"] == "SUCCEEDED"
