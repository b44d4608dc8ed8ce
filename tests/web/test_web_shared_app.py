"""The app a test module shares (``tests/web/conftest.py``) is handed to each test as new
(``tests.web.support.as_new``): no row left by an earlier test, the configuration as built
and the test's own data directory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from store.models import BacktestRun, Base, StrategyPreset
from tests.web.support import as_new, valid_request, write_data_dir
from web.db import get_database


def _rows(app: Flask) -> dict[str, int]:
    with get_database(app).sessionmaker() as session:
        counts = {
            t.name: session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
    return {name: count for name, count in counts.items() if count}


def test_a_test_after_another_finds_no_rows_its_data_and_the_built_configuration(
    module_app: Flask, redis_url: str, tmp_path: Path
):
    """What one test leaves (runs and presets, a changed setting) is gone for the next."""
    built = dict(module_app.config)
    first, second = write_data_dir(tmp_path / "a"), write_data_dir(tmp_path / "b")
    with as_new(module_app, first) as app:
        client = app.test_client()
        assert client.post("/run_backtest", json=valid_request()).status_code == 202
        preset = {"name": "p", "payload": valid_request()}
        assert client.post("/api/strategies", json=preset).status_code == 201
        assert _rows(app) == {BacktestRun.__tablename__: 1, StrategyPreset.__tablename__: 1}
        assert app.config["DATA_DIR"] == str(first)
        app.config["RUN_MAX_BARS"] = 5
        app.config["A_TESTS_OWN_KEY"] = True
    assert dict(module_app.config) == built
    with as_new(module_app, second) as app:
        assert _rows(app) == {}
        assert app.config["DATA_DIR"] == str(second)
        assert app.config["RUN_MAX_BARS"] == built["RUN_MAX_BARS"]
