"""A sweep's overfitting statistics (kinds.sweeps.overfitting): the block sums a chunk stores
equal those of each combination's own return curve, the stored PBO and DSR equal the
adapters' values computed independently from every combination run on its own, the
statistics read from the chunks' Sharpe ratios on the grid equal those read from the result
rows (and a sweep whose chunks stored none still gets them), a sweep without block
statistics says why, and the API answers 409 before the sweep has finished."""

from __future__ import annotations

import json
import struct
from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import text

from adapters.cscv import block_stats, probability_of_backtest_overfitting
from adapters.deflated import deflated_sharpe_of_best
from engine import bar_returns
from kinds.runs.contract import RunRequest
from kinds.runs.execute import execute, load_market_data, market_window
from kinds.sweeps import overfitting as overfitting_module
from kinds.sweeps.contract import (
    chunk_payloads,
    combo_run_request,
    parse_chunk,
    parse_sweep_request,
)
from kinds.sweeps.evaluate import (
    BLOCK_KEY,
    SHARPE_GRID_MAGIC,
    evaluate,
    grid_positions,
    pack_blocks,
    pack_sharpe_grid,
    unpack_blocks,
    unpack_sharpe_grid,
)
from kinds.sweeps.overfitting import overfitting, store_overfitting, verdict
from kinds.sweeps.search_sweep import evaluate_chunk
from kinds.sweeps.store import insert_sweep, mark_chunk_running, store_chunk_results
from store.db import create_schema, make_engine, make_sessionmaker
from store.dbapi import as_tx
from tests.sweeps.support import store_chunk

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": [5, 10, 15], "slow": [40, 60, 80, 100]},
    "start_date": "2015-01-01",
    "end_date": "2019-12-31",
    "chunk_size": 50,
}


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def sessions(request):
    """Sessions on a fresh schema: a temporary SQLite file, and an empty MariaDB database."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_mysql_url")
    engine = make_engine(url)
    create_schema(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _store(sessions, body: dict, chunk_size: int = 5):
    """A sweep of ``body`` inserted and every chunk evaluated and stored as a Job does."""
    sweep = replace(parse_sweep_request(body), chunk_size=chunk_size)
    payloads = chunk_payloads(sweep)
    with sessions.begin() as session:
        insert_sweep(session, sweep, payloads, image_tag=None, queue="q")
    for payload in payloads:
        store_chunk(sessions, payload)
    return sweep


def _alone(sweep, ticker: str, swept: dict) -> tuple[np.ndarray, float]:
    """One combination run on its own: its bar returns and its annualised Sharpe."""
    body = combo_run_request(sweep.to_dict(), ticker, swept)
    body.update(charts=False, run_id=sweep.sweep_id)
    result = execute(RunRequest.from_stored(body))
    equity = np.asarray(result.equity_curve["equity"], dtype=float)
    return bar_returns(equity[None, :])[0], result.metrics["sharpe_ratio"]


def test_a_chunk_stores_each_combinations_block_sums_of_its_own_return_curve():
    """evaluate(blocks=16) row i equals block_stats of combination i's returns run alone."""
    sweep = parse_sweep_request(BODY)
    spec = parse_chunk(chunk_payloads(sweep)[0])
    frame = market_window(load_market_data(spec.request))
    got = evaluate(frame, spec.request, spec.params_list, blocks=16)[BLOCK_KEY]
    assert got.shape == (12, 32)
    for i, swept in enumerate(spec.swept[:4]):
        returns, _ = _alone(sweep, "ACME", swept)
        expected = block_stats(returns, 16)
        np.testing.assert_allclose(got[i, :16], expected.sums[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got[i, 16:], expected.squares[0], rtol=1e-12, atol=1e-15)


def test_packed_block_statistics_read_back_exactly_and_repeat_byte_for_byte():
    """The stored form is deterministic and lossless."""
    stats = np.random.default_rng(1).normal(size=(7, 32))
    blob = pack_blocks(stats)
    assert blob == pack_blocks(stats.copy())
    assert np.array_equal(unpack_blocks(blob), stats)


def test_packed_sharpe_ratios_and_grid_positions_read_back_exactly():
    """pack_sharpe_grid round-trips in combo order, non-finite Sharpe ratios as NaN, the
    positions in the smallest unsigned type that holds them; the same arrays, the same
    bytes."""
    rng = np.random.default_rng(2)
    sharpe = rng.normal(size=9)
    sharpe[[1, 4, 6]] = [np.nan, np.inf, -np.inf]
    for largest, width in ((255, 1), (256, 2), (65_535, 2), (65_536, 4), (99_999, 4)):
        positions = rng.integers(0, largest + 1, size=(9, 3))
        positions[0, 0] = largest
        blob = pack_sharpe_grid(sharpe, positions)
        assert blob == pack_sharpe_grid(sharpe.copy(), positions.copy())
        assert len(blob) == 16 + 9 * 8 + 9 * 3 * width
        got_sharpe, got_positions = unpack_sharpe_grid(blob)
        expected = np.where(np.isfinite(sharpe), sharpe, np.nan)
        assert np.array_equal(got_sharpe, expected, equal_nan=True)
        assert got_positions.dtype == np.dtype(f"<u{width}")
        assert np.array_equal(got_positions, positions)


def test_the_packed_layout_is_the_documented_little_endian_one():
    """Header (magic, K uint32, n uint16, width uint8, 5 zero bytes), then K float64 Sharpe
    ratios, then the K × n positions row-major; a grid without parameters packs too."""
    blob = pack_sharpe_grid(np.array([1.5, np.nan]), np.array([[3, 0], [1, 2]]))
    assert blob[:16] == struct.pack("<4sIHB5x", SHARPE_GRID_MAGIC, 2, 2, 1)
    assert blob[16:32] == struct.pack("<dd", 1.5, np.nan)
    assert blob[32:] == bytes([3, 0, 1, 2])
    sharpe, positions = unpack_sharpe_grid(pack_sharpe_grid(np.array([0.5]), np.zeros((1, 0))))
    assert sharpe.tolist() == [0.5] and positions.shape == (1, 0)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"NOPE" + bytes(12),
        pack_sharpe_grid(np.ones(3), np.ones((3, 2), dtype=int))[:-1],
        struct.pack("<4sIHB5x", SHARPE_GRID_MAGIC, 1, 1, 3) + bytes(11),
    ],
)
def test_a_blob_that_is_not_a_packed_sharpe_grid_is_refused(blob):
    """A wrong magic, a short blob or an unknown position width: ValueError, never garbage."""
    with pytest.raises((ValueError, struct.error)):
        unpack_sharpe_grid(blob)


def test_packing_refuses_positions_that_do_not_match():
    """Negative positions, or a row count other than the Sharpe ratios'."""
    with pytest.raises(ValueError):
        pack_sharpe_grid(np.ones(2), np.array([[0], [-1]]))
    with pytest.raises(ValueError):
        pack_sharpe_grid(np.ones(2), np.zeros((3, 1), dtype=int))


def test_grid_positions_index_each_value_in_its_parameters_list():
    """Numbers, null (a stop off) and list values (matched by their JSON); 0 for a value
    the list lacks."""
    grid = {"fast": [5, 10, 15], "stop_loss_pct": [None, 2.5], "rules": [[1, 2], {"a": 1}]}
    swept = [
        {"fast": 15, "stop_loss_pct": 2.5, "rules": {"a": 1}},
        {"fast": 5, "stop_loss_pct": None, "rules": [1, 2]},
        {"fast": 7, "stop_loss_pct": None, "rules": [2, 1]},
    ]
    assert grid_positions(swept, grid).tolist() == [[2, 1, 1], [0, 0, 0], [0, 0, 0]]


MULTI = {
    **{k: v for k, v in BODY.items() if k != "ticker"},
    "tickers": ["ACME", "GLOBEX"],
    "grid": {"fast": [5, 10, 15], "slow": [40, 60, 80], "stop_loss_pct": [None, 5.0]},
}
"""Two tickers and a swept stop (null: off) in chunks of 5: chunks that hold parts of the
grid, a ticker's combinations over several chunks."""


def _statistics_text(sessions, sweep_id: str) -> str:
    with sessions() as session:
        return json.dumps(overfitting(as_tx(session), sweep_id), sort_keys=True)


def test_statistics_from_the_chunks_blobs_equal_those_from_the_result_rows(sessions, monkeypatch):
    """The same sweep's statistics document, read from its chunks' Sharpe ratios on the
    grid (never its result rows) and, with those blobs NULLed, from its rows: byte-identical
    JSON."""
    sweep = _store(sessions, MULTI)
    with sessions() as session:
        blobs = session.execute(text("SELECT sharpe_grid FROM sweep_chunks")).scalars().all()
    assert len(blobs) == 8 and all(blobs)

    def no_rows(*args):
        raise AssertionError("the statistics read the result rows")

    with monkeypatch.context() as patched:
        patched.setattr(overfitting_module, "_from_rows", no_rows)
        from_blobs = _statistics_text(sessions, sweep.sweep_id)
    with sessions.begin() as session:
        session.execute(text("UPDATE sweep_chunks SET sharpe_grid = NULL"))
    from_rows = _statistics_text(sessions, sweep.sweep_id)
    assert from_blobs == from_rows
    stats = json.loads(from_blobs)
    assert [t["ticker"] for t in stats["tickers"]] == ["ACME", "GLOBEX"]
    assert [t["combinations"] for t in stats["tickers"]] == [18, 18]
    assert all("pbo" in t and t["stability"]["index"] for t in stats["tickers"])


def test_a_sweep_whose_chunks_stored_no_sharpe_grid_still_gets_its_statistics(sessions):
    """Chunks from before sharpe_grid (a message without grid_values, as queued by an older
    web): nothing stored in the column, the statistics read from the result rows."""
    sweep = replace(parse_sweep_request(BODY), chunk_size=5)
    payloads = chunk_payloads(sweep)
    with sessions.begin() as session:
        insert_sweep(session, sweep, payloads, image_tag=None, queue="q")
    for payload in payloads:
        old = {k: v for k, v in payload.items() if k != "grid_values"}
        chunk = evaluate_chunk(parse_chunk(old))
        assert chunk.block_stats is not None and chunk.sharpe_grid is None
        with sessions.begin() as session:
            mark_chunk_running(session, payload["chunk_id"], "test")
            store_chunk_results(
                session, payload["chunk_id"], chunk.rows, block_stats=chunk.block_stats
            )
    with sessions() as session:
        stats = overfitting(as_tx(session), sweep.sweep_id)
    (ticker,) = stats["tickers"]
    assert ticker["combinations"] == 12 and ticker["pbo"]["splits"] == 12870
    assert ticker["best"]["params"] in _swept(sweep)
    assert ticker["stability"]["params"] == ["fast", "slow"]


def test_stored_statistics_equal_the_adapters_on_every_combination_run_alone(sessions):
    """PBO from the chunks' sums and DSR of the best equal what the adapters give on the 12
    combinations' full return curves (each run on its own)."""
    sweep = _store(sessions, BODY)
    with sessions() as session:
        stats = overfitting(as_tx(session), sweep.sweep_id)
    (ticker,) = stats["tickers"]
    curves, sharpes = zip(*(_alone(sweep, "ACME", swept) for swept in _swept(sweep)), strict=True)
    independent = probability_of_backtest_overfitting(block_stats(np.vstack(curves), 16), 252.0)
    assert ticker["pbo"]["pbo"] == pytest.approx(independent.pbo, abs=1e-12)
    assert ticker["pbo"]["splits"] == 12870
    assert sum(ticker["pbo"]["logit_histogram"]["counts"]) == 12870
    best = int(np.nanargmax(np.array(sharpes, dtype=float)))
    dsr = deflated_sharpe_of_best(curves[best], np.array(sharpes, dtype=float), 252.0)
    assert ticker["dsr"] == pytest.approx(dsr)
    assert ticker["best"]["params"] == _swept(sweep)[best]
    assert stats["verdict"].startswith(f"PBO {ticker['pbo']['pbo']:.2f}")


def _swept(sweep) -> list[dict]:
    names = sweep.grid.names
    return [dict(zip(names, combo, strict=True)) for combo in sweep.grid.combos]


def test_a_sweep_without_block_statistics_says_why(sessions):
    """cscv_blocks 0: the chunks store none, the statistics are unavailable, not wrong."""
    sweep = _store(sessions, {**BODY, "cscv_blocks": 0})
    with sessions() as session:
        stats = overfitting(as_tx(session), sweep.sweep_id)
    assert stats["unavailable"] == "the sweep's chunks stored no block statistics"


def test_statistics_wait_for_every_chunk_and_are_stored_once(sessions):
    """None while a chunk is PENDING; once stored, a second store changes nothing."""
    sweep = replace(parse_sweep_request(BODY), chunk_size=5)
    payloads = chunk_payloads(sweep)
    with sessions.begin() as session:
        insert_sweep(session, sweep, payloads, image_tag=None, queue="q")
    with sessions() as session:
        assert overfitting(as_tx(session), sweep.sweep_id) is None
    with sessions.begin() as session:
        assert store_overfitting(as_tx(session), sweep.sweep_id, {"verdict": "first"})
        assert not store_overfitting(as_tx(session), sweep.sweep_id, {"verdict": "second"})


def test_the_verdict_names_pbo_dsr_and_the_plateau():
    """One sentence: a likely overfit, luck, and a best whose neighbours hold up."""
    text = verdict(
        {
            "pbo": {"pbo": 0.62},
            "dsr": {"dsr": 0.4, "n_trials": 1000},
            "stability": {"best": 1.2, "neighbour_ratio": 0.8},
        }
    )
    assert text == (
        "PBO 0.62: the best in-sample combination is more likely than not to underperform out "
        "of sample; deflated Sharpe 0.40 after 1,000 trials (not distinguishable from luck); "
        "its neighbours on the grid do almost as well (a plateau)"
    )


def test_the_api_answers_409_until_the_sweep_has_finished(sqlite_url, redis_url):
    """GET /api/sweeps/<id>/overfitting: 409 while chunks wait, the status links to it."""
    from tests.sweeps.support import sweep_app

    client = sweep_app(sqlite_url, redis_url).test_client()
    accepted = client.post("/api/sweeps", json=BODY).get_json()
    status = client.get(accepted["status_url"]).get_json()
    assert status["overfitting_ready"] is False
    answer = client.get(status["overfitting_url"])
    assert answer.status_code == 409


def test_the_csv_export_has_one_row_per_ticker_with_the_verdict(sessions):
    """overfitting.csv: the header, then the ticker's figures as the JSON holds them."""
    import csv
    import io

    from kinds.sweeps.overfitting import overfitting_csv

    sweep = _store(sessions, BODY)
    with sessions() as session:
        stats = overfitting(as_tx(session), sweep.sweep_id)
    (row,) = csv.DictReader(io.StringIO(overfitting_csv(stats)))
    ticker = stats["tickers"][0]
    assert row["ticker"] == "ACME" and row["cscv_splits"] == "12870"
    assert float(row["pbo"]) == pytest.approx(ticker["pbo"]["pbo"], abs=1e-10)
    assert float(row["dsr"]) == pytest.approx(ticker["dsr"]["dsr"], abs=1e-10)
    assert row["verdict"] == stats["verdict"]


def test_the_verdict_counts_the_combinations_without_a_sharpe_ratio():
    """A ticker's statistics over 420 combinations of which 385 have a Sharpe ratio: the
    verdict says the DSR counts 385 and why the other 35 are not among them."""
    text = verdict({"combinations": 420, "dsr": {"dsr": 0.97, "n_trials": 385}})
    assert text == (
        "deflated Sharpe 0.97 after 385 trials (likely skill); the other 35 of 420 have no "
        "Sharpe ratio (no trade or a flat equity curve) and are not counted"
    )
