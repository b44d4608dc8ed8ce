"""``GET /api/runs/<id>/indicators`` (web/api/runs/indicators.py, kinds/runs/indicators.py,
adapters/indicators.py) with Flask's test client on a temporary SQLite database: 404 and
409 answers, values equal to the rule's indicator functions recomputed here on the file's
history and cut to the run's window, and the data_hash check."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pytest

import data
from adapters import iso_utc
from rules import directional, macd, rsi, sma
from store.models import BacktestRun
from tests.web.support import TICKER
from tests.web.support_dashboard import add_pending, add_running, add_succeeded
from web.db import get_database

pytestmark = pytest.mark.redis


def url(run_id: str) -> str:
    return f"/api/runs/{run_id}/indicators"


def expected(data_dir: Path, start: str, end: str, values: np.ndarray | None = None) -> list:
    """``values`` (computed on the file's bars up to ``end``) cut to [start, end], NaN as None;
    without ``values``, the window's ISO timestamps."""
    history = data.load_history(
        TICKER, date.fromisoformat(start), date.fromisoformat(end), data_dir
    )
    if values is None:
        return iso_utc(history.bars.timestamps[history.start : history.stop])
    cut = np.asarray(values)[history.start : history.stop]
    return [None if np.isnan(v) else float(v) for v in cut]


def history_close(data_dir: Path, end: str) -> data.History:
    return data.load_history(TICKER, date(2000, 1, 1), date.fromisoformat(end), data_dir)


def test_unknown_and_malformed_run_ids_are_404(client):
    for run_id in (str(uuid.uuid4()), "not-a-run"):
        response = client.get(url(run_id))
        assert response.status_code == 404
        assert response.get_json() == {"error": "run not found"}


@pytest.mark.parametrize("add", [add_pending, add_running])
def test_a_run_without_a_result_is_409_naming_its_status(app, client, add):
    request = add(app)
    response = client.get(url(request.run_id))
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] in ("PENDING", "RUNNING")
    assert body["error"] == f"the run has no result (it is {body['status']})"


def test_rsi_run_answers_its_rsi_panel_and_volume_with_the_window_warmed_up(app, client, data_dir):
    """RSI(10) from 2021-03-01: the window's first value is defined (warm-up on the bars
    before it) and every value equals ``rsi`` on the history, cut to the window."""
    start, end = "2021-03-01", "2021-05-31"
    params = {"period": 10, "oversold": 35.0, "overbought": 65.0}
    request, result = add_succeeded(
        app, rule_type="RSI", params=params, start_date=start, end_date=end
    )
    response = client.get(url(request.run_id))
    assert response.status_code == 200
    body = response.get_json()
    assert body["run_id"] == request.run_id and body["rule_type"] == "RSI"
    assert body["timestamps"] == result["price_candles"]["timestamps"]
    assert body["timestamps"] == expected(data_dir, start, end)
    assert body["overlays"] == {}
    rsi_panel, volume = body["panels"]
    history = history_close(data_dir, end)
    assert rsi_panel == {
        "key": "rsi",
        "name": "RSI(10)",
        "unit": "",
        "series": {"RSI": expected(data_dir, start, end, rsi(history.bars.close, 10))},
        "kind": {"RSI": "line"},
        "levels": [35.0, 65.0],
        "bounds": [0.0, 100.0],
    }
    assert rsi_panel["series"]["RSI"][0] is not None
    assert volume["key"] == "volume" and volume["unit"] == "shares"
    assert volume["series"] == {"volume": result["price_candles"]["volume"]}
    assert volume["kind"] == {"volume": "histogram"}


def test_macd_warm_up_is_null_and_the_three_lines_equal_macd(app, client, data_dir):
    """MACD(12,26,9) from the file's first bar: null until the signal line starts."""
    start, end = "2021-01-04", "2021-05-31"
    request, _ = add_succeeded(
        app,
        rule_type="MACD",
        params={"fast": 12, "slow": 26, "signal": 9},
        start_date=start,
        end_date=end,
    )
    (panel, _volume) = client.get(url(request.run_id)).get_json()["panels"]
    line, signal, hist = macd(history_close(data_dir, end).bars.close, 12, 26, 9)
    assert panel["series"] == {
        "MACD": expected(data_dir, start, end, line),
        "signal": expected(data_dir, start, end, signal),
        "histogram": expected(data_dir, start, end, hist),
    }
    assert panel["series"]["signal"][:33] == [None] * 33
    assert panel["series"]["signal"][33] is not None
    assert panel["kind"]["histogram"] == "histogram"


def test_trend_run_answers_adx_and_both_di_lines_with_the_threshold(app, client, data_dir):
    start, end = "2021-02-01", "2021-05-31"
    request, _ = add_succeeded(
        app,
        rule_type="TREND",
        params={"period": 7, "adx_threshold": 22.0},
        start_date=start,
        end_date=end,
    )
    panel = client.get(url(request.run_id)).get_json()["panels"][0]
    bars = history_close(data_dir, end).bars
    plus_di, minus_di, adx = directional(bars.high, bars.low, bars.close, 7)
    assert panel["name"] == "ADX(7)" and panel["levels"] == [22.0]
    assert panel["series"] == {
        "ADX": expected(data_dir, start, end, adx),
        "+DI": expected(data_dir, start, end, plus_di),
        "−DI": expected(data_dir, start, end, minus_di),
    }


def test_overlays_are_the_rules_price_lines_and_a_volume_rule_draws_volume_once(
    app, client, data_dir
):
    """VOLUME: its exit SMA overlay; its own volume panel (with the threshold) replaces the
    default one."""
    start, end = "2021-02-01", "2021-05-31"
    params = {"volume_period": 5, "volume_factor": 1.5, "exit_period": 8}
    request, _ = add_succeeded(
        app, rule_type="VOLUME", params=params, start_date=start, end_date=end
    )
    body = client.get(url(request.run_id)).get_json()
    bars = history_close(data_dir, end).bars
    assert body["overlays"] == {"SMA (8)": expected(data_dir, start, end, sma(bars.close, 8))}
    (panel,) = body["panels"]
    assert panel["key"] == "volume"
    assert panel["series"]["1.5 × SMA(5)"] == expected(
        data_dir, start, end, 1.5 * sma(bars.volume, 5)
    )


def test_a_changed_data_file_is_409_and_never_drawn(app, client, data_dir):
    """One volume figure edited after the run: the file's SHA-256 is not the run's
    data_hash, so the endpoint refuses rather than draw lines the run never saw."""
    request, _ = add_succeeded(
        app, rule_type="RSI", params={"period": 14, "oversold": 30.0, "overbought": 70.0}
    )
    path = data_dir / f"{TICKER}.csv"
    path.write_text(path.read_text().replace(",1000\n", ",1001\n", 1))
    response = client.get(url(request.run_id))
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "the data file changed since this run (its SHA-256 is not the run's data_hash)"
    }


def test_a_removed_data_file_is_409(app, client, data_dir):
    request, _ = add_succeeded(app)
    (data_dir / f"{TICKER}.csv").unlink()
    response = client.get(url(request.run_id))
    assert response.status_code == 409
    assert response.get_json()["error"].startswith("the data file changed since this run: ")


def test_a_run_whose_rule_no_longer_validates_is_409_naming_the_problem(app, client):
    """A stored request naming a rule this server does not know (removed since the run)."""
    request, _ = add_succeeded(app)
    with get_database(app).sessionmaker.begin() as session:
        row = session.get(BacktestRun, request.run_id)
        stored = json.loads(row.request_json)
        row.request_json = json.dumps({**stored, "rule_type": "GONE_RULE"})
    response = client.get(url(request.run_id))
    assert response.status_code == 409
    assert response.get_json()["error"].startswith("the run's rule no longer fits the rules: ")
