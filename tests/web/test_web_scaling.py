"""``POST /run_backtest`` with ``max_entries``, ``exit_fraction`` and
``take_profit_fraction`` (docs/execution.md,
"Scaling in and out"): taken alone, with stops or on a ticker whose window holds corporate
actions, in longshort and with any entry order; a 400 naming the field for a bad value,
hostile values (hypothesis) included, never a 5xx."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.param_specs import MAX_ENTRIES, SCALING_SPECS
from tests.runs.test_runs_corporate_actions import BODY as EVENTS_BODY
from tests.runs.test_runs_corporate_actions import _with_events
from tests.web.support import valid_request, write_data_dir
from tests.web.test_web_costs import check_hostile_values

LIMIT = {"type": "limit", "limit": "close * 0.99"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The web tests' data directory with EVTS, a ticker with a split and dividends."""
    return _with_events(write_data_dir(tmp_path / "data"))


@pytest.mark.parametrize(
    "fields",
    [
        {"max_entries": 3, "exit_fraction": 0.5},
        {"max_entries": 3, "stop_loss_pct": 3, "take_profit_pct": 8, "trailing_stop_pct": 5},
        {"take_profit_pct": 8, "take_profit_fraction": 0.5},
        {"max_entries": 2, "entry_order": {"type": "on_close"}},
        {"max_entries": 3, "exit_fraction": 0.5, "direction": "longshort", "borrow_rate": 0.03},
        {"max_entries": 2, "direction": "longshort", "entry_order": LIMIT},
    ],
)
def test_a_scaling_request_is_taken(client, fields):
    response = client.post("/run_backtest", json=valid_request(**fields))
    assert response.status_code == 202, response.get_json()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"max_entries": 0}, "max_entries"),
        ({"max_entries": 1.5}, "max_entries"),
        ({"exit_fraction": -0.5}, "exit_fraction"),
        ({"take_profit_fraction": 0.5}, "take_profit_fraction"),
        ({"take_profit_fraction": 1.5, "take_profit_pct": 5}, "take_profit_fraction"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field(client, fields, field):
    response = client.post("/run_backtest", json=valid_request(**fields))
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_a_ticker_with_events_in_the_window_is_taken(client):
    """Units walk through the splits and dividends of EVTS: the request is queued."""
    response = client.post("/run_backtest", json={**EVENTS_BODY, "exit_fraction": 0.5})
    assert response.status_code == 202, response.get_json()


SCALING = {spec.name: spec for spec in SCALING_SPECS}


def _in_domain(name: str, value: object) -> bool:
    """Whether ``value`` is in ``name``'s domain as the API reads JSON: a whole number for
    ``max_entries`` (not a bool, not 2.0), a finite number (not a bool) for a fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if name == MAX_ENTRIES.name and not isinstance(value, int):
        return False
    return math.isfinite(value) and SCALING[name].contains(value)


@pytest.mark.slow  # a few hundred requests
@pytest.mark.parametrize("name", list(SCALING))
def test_a_hostile_scaling_value_gets_a_400_naming_it_and_never_a_5xx(app, name):
    """Whatever value a scaling field holds (with a take-profit set, so a fraction below 1
    is valid): outside its domain a 400 whose ``field`` is that field; inside it, 202."""
    check_hostile_values(app.test_client(), name, _in_domain, take_profit_pct=8)
