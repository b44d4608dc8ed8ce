"""adapters package: the public surface, and that importing it stays cheap."""

from __future__ import annotations

from pathlib import Path

import pytest

import adapters
from tests.fresh import loaded_by

ROOT = Path(__file__).resolve().parents[2]


def test_all_names_the_public_functions_and_constants():
    """__all__ lists exactly the documented public API, and each name resolves."""
    assert sorted(adapters.__all__) == sorted([
        "CHART_KEYS", "CHART_NAMES", "METRIC_KEYS", "TRADE_FIELDS", "at_exposure",
        "buy_and_hold", "drawdown_curve", "enhanced_metrics", "equity_curve", "indicator_view",
        "iso_utc", "portfolio_curve", "price_candles", "render_charts", "render_stored_chart",
        "signal_markers", "trade_records", "trades_csv",
    ])  # fmt: skip
    for name in adapters.__all__:
        assert getattr(adapters, name) is not None


@pytest.mark.slow
def test_importing_adapters_does_not_import_matplotlib_or_pandas():
    """A fresh `import adapters` leaves matplotlib (and pandas) unloaded."""
    assert loaded_by("import adapters", ["matplotlib", "pandas"]) == []
