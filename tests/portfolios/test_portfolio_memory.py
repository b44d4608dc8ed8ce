"""The submission's memory estimate of a portfolio Job counts every bar the Job loads, the
warm-up history before the window included: what the Job allocates (tracemalloc) stays under
the estimate above the interpreter's base on several shapes, and 500 tickers of 20,000 bars
on a two-month window are refused at submission against the default 512 MB."""

from __future__ import annotations

import json
import os
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from kinds.portfolios.kind import run_locally
from kinds.portfolios.universe import BASE_MB, estimated_mb
from tests.portfolios.support import valid_portfolio
from tests.web.support import app_with_schema, serve

FIRST_DAY = np.datetime64("1950-01-02")


def write_universe(folder: Path, n_tickers: int, n_bars: int, *, linked: bool = False) -> list[str]:
    """``n_tickers`` daily tickers of ``n_bars`` weekdays from 1950 (seeded random walks, a
    bench-like line of 52 bytes) and their catalog in ``folder``; ``linked``: every file a
    hard link of the first (one file's bytes on disk)."""
    folder.mkdir(parents=True, exist_ok=True)
    days = np.datetime_as_string(
        np.busday_offset(FIRST_DAY, np.arange(n_bars), roll="forward"), unit="D"
    )
    rng = np.random.default_rng(n_tickers * n_bars)
    catalog = {}
    for column in range(n_tickers):
        ticker = f"S{column:04d}"
        path = folder / f"{ticker}.csv"
        if linked and column:
            os.link(folder / "S0000.csv", path)
        else:
            close = 50.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, n_bars)))
            lines = [
                f"{d},{c:.4f},{c * 1.005:.4f},{c * 0.995:.4f},{c:.4f},1000"
                for d, c in zip(days, close, strict=True)
            ]
            path.write_text("Date,Open,High,Low,Close,Volume\n" + "\n".join(lines) + "\n")
        catalog[ticker] = {"file": path.name, "name": ticker, "synthetic": True}
    (folder / "catalog.json").write_text(json.dumps(catalog))
    return list(catalog)


def two_months(n_bars: int) -> tuple[str, str]:
    """The last two months (42 weekdays) of files of ``n_bars`` bars."""
    last = np.busday_offset(FIRST_DAY, n_bars - 1, roll="forward")
    return str(np.busday_offset(last, -41)), str(last)


@pytest.mark.parametrize(
    ("n_tickers", "n_bars", "window_bars"),
    [(20, 20_000, 42), (60, 5_000, 42), (4, 60_000, 42), (30, 3_000, 2_000)],
)
def test_the_estimate_covers_what_the_job_allocates(
    tmp_path, monkeypatch, n_tickers, n_bars, window_bars
):
    """Peak traced allocation of the Job's whole execution (load, simulate, result JSON)
    <= the estimate less its base, with the warm-up bars counted; and not 4x too generous."""
    folder = tmp_path / "data"
    tickers = write_universe(folder, n_tickers, n_bars)
    monkeypatch.setenv("DATA_DIR", str(folder))
    last = np.busday_offset(FIRST_DAY, n_bars - 1, roll="forward")
    start, end = str(np.busday_offset(last, 1 - window_bars)), str(last)
    request = valid_portfolio(tickers=tickers, start_date=start, end_date=end)
    request["allocation"] = {**request["allocation"], "top_n": 5}
    tracemalloc.start()
    try:
        run_locally(request)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    window = (date.fromisoformat(start), date.fromisoformat(end))
    data_mb = estimated_mb(n_tickers, *window, loaded_bars=[n_bars] * n_tickers) - BASE_MB
    assert peak / 2**20 <= data_mb
    assert data_mb < 4 * peak / 2**20


@pytest.fixture
def wide_app(sqlite_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on 500 tickers of 20,000 daily bars each (about 80 years), default memory."""
    folder = tmp_path / "data"
    write_universe(folder, 500, 20_000, linked=True)
    yield from serve(app_with_schema(sqlite_url, redis_url, folder))


def test_a_long_history_universe_on_a_short_window_is_refused(wide_app):
    """500 × 20,000 bars on two months: the Job would hold every bar (over 600 MB measured),
    so the submission is a 400 naming tickers against PORTFOLIO_MAX_MEMORY_MB 512."""
    assert wide_app.config["PORTFOLIO_MAX_MEMORY_MB"] == 512
    start, end = two_months(20_000)
    tickers = [f"S{column:04d}" for column in range(500)]
    body = valid_portfolio(tickers=tickers, start_date=start, end_date=end)
    answer = wide_app.test_client().post("/api/portfolios", json=body)
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["field"] == "tickers"
    assert "PORTFOLIO_MAX_MEMORY_MB" in answer.get_json()["error"]
