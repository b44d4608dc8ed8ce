"""The client's studies against the real web app on loopback (SQLite, real Redis; batches
executed in this process as a Job does): submit, wait, trials as a DataFrame indexed by
number, pause/resume/extend, a trial run as a backtest, a refusal naming the dotted field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backtest_client import BacktestRequestError, Client
from kinds.studies.state import open_batch_messages
from store.dbapi import as_tx
from tests import loopback
from tests.studies.support import SPACE, execute_batch
from tests.web.support import TICKER, app_with_data, serve
from web.db import get_database

pytestmark = pytest.mark.redis

WINDOW = {"start_date": "2021-01-04", "end_date": "2021-06-18"}


@pytest.fixture
def app(sqlite_url, redis_url, tmp_path: Path, monkeypatch):
    app = app_with_data(sqlite_url, redis_url, tmp_path)
    monkeypatch.setenv("DATA_DIR", str(app.config["DATA_DIR"]))
    yield from serve(app)


@pytest.fixture
def api_url(app) -> Iterator[str]:
    with loopback.wsgi(app) as url:
        yield url


def drain(app, study_id: str) -> None:
    """Execute the study's PENDING batches here until there is none."""
    sessions = get_database(app).sessionmaker
    for _ in range(20):
        with sessions() as session:
            pending = open_batch_messages(as_tx(session), study_id)
        if not pending:
            return
        for message in pending:
            assert execute_batch(app.config["DATABASE_URL"], message)
    raise AssertionError("batches kept coming")


def test_a_study_is_waited_for_and_its_trials_are_a_frame(app, api_url):
    """wait() ends SUCCEEDED; trials has one row per trial, the space's columns and the
    objective's value column; best is the best COMPLETE trial; deflated is the document's
    deflated Sharpe ratio of it; extend after the end is a 409 error; a trial runs as a
    backtest."""
    client = Client(api_url)
    study = client.study("RSI", SPACE, TICKER, n_trials=12, batch_size=6, **WINDOW)
    assert study.pause()["paused"] is True
    assert study.resume()["paused"] is False
    drain(app, study.study_id)
    final = study.wait(timeout=10)
    assert final is study and final["status"] == "SUCCEEDED"
    trials = study.trials
    assert list(trials.index) == list(range(12))
    assert {"state", "period", "oversold", "overbought", "value_sharpe_ratio"} <= set(trials)
    if final["best"] is not None:
        complete = trials[trials["state"] == "COMPLETE"]
        assert study.best["number"] == int(complete["value_sharpe_ratio"].idxmax())
    deflated = study.deflated
    assert deflated == final["deflated"] and ("verdict" in deflated or "unavailable" in deflated)
    run = study.run_trial(0)
    assert run.status() == "PENDING"
    with pytest.raises(BacktestRequestError):
        study.extend(5)


def test_a_refused_study_names_the_dotted_field(api_url):
    """The 400's field reaches the exception."""
    client = Client(api_url)
    with pytest.raises(BacktestRequestError) as refused:
        client.study("RSI", {"period": {"low": 1, "high": 20}}, TICKER, **WINDOW)
    assert refused.value.field == "space.period.low"


def test_a_study_becomes_an_optuna_study_in_an_rdb_storage(app, api_url, tmp_path: Path):
    """to_optuna: every finished trial in number order with its state, params on the space's
    distributions, objective value and metrics; Optuna's best trial is ours; the copy in an
    Optuna RDB storage (SQLite here) loads back with optuna.load_study."""
    import optuna

    client = Client(api_url)
    study = client.study("RSI", SPACE, TICKER, n_trials=12, batch_size=6, **WINDOW)
    drain(app, study.study_id)
    final = study.wait(timeout=10)
    trials = study.trials
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    copied = study.to_optuna(storage=url)
    assert copied.study_name == study.study_id
    assert copied.directions == [optuna.study.StudyDirection.MAXIMIZE]
    assert [t.user_attrs["number"] for t in copied.trials] == list(trials.index)
    for ours, theirs in zip(trials.itertuples(), copied.trials, strict=True):
        assert theirs.state.name == ours.state
        assert theirs.params == {
            "period": int(ours.period),
            "oversold": ours.oversold,
            "overbought": ours.overbought,
        }
        assert isinstance(theirs.params["period"], int)
        if ours.state == "COMPLETE":  # the CSV's cells are rounded, the copy's floats not
            assert theirs.value == pytest.approx(ours.value_sharpe_ratio, rel=1e-9)
            assert theirs.user_attrs["total_return_pct"] == pytest.approx(ours.total_return_pct)
    assert final["best"] is not None
    assert copied.best_trial.user_attrs["number"] == final["best"]["number"]
    assert copied.best_value == final["best"]["values"][0]
    loaded = optuna.load_study(study_name=study.study_id, storage=url)
    assert len(loaded.trials) == len(copied.trials)


def test_a_studys_trials_are_read_page_by_page(app, api_url):
    """iter_trials reads every trial a page at a time, in number order or by an objective's
    value (best first, trials without a value last)."""
    client = Client(api_url)
    study = client.study("RSI", SPACE, TICKER, n_trials=12, batch_size=6, **WINDOW)
    drain(app, study.study_id)
    study.wait(timeout=10)
    assert [t["number"] for t in study.iter_trials(per_page=5)] == list(range(12))
    ranked = list(study.iter_trials(sort="values.0", order="desc", per_page=5))
    values = [t["values"][0] for t in ranked if t["values"] is not None]
    assert values == sorted(values, reverse=True) and len(ranked) == 12
    assert ranked[: len(values)] == [t for t in ranked if t["values"] is not None]
