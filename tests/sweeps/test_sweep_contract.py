"""kinds.sweeps.contract: the sweep request validated like a run, chunking (every combination in
exactly one chunk), the chunk message and the single-run request of one combination."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kinds.runs.contract import RequestError, parse_request
from kinds.sweeps.contract import (
    CHUNK_CELL_BUDGET,
    SIZED_CHUNKS,
    chunk_payload,
    chunk_payloads,
    combo_run_request,
    default_chunk_size,
    parse_chunk,
    parse_sweep_request,
    plan_chunks,
    sized_chunk_size,
)
from kinds.sweeps.fields import (
    CHUNK_SIZE_MAX,
    CHUNK_SIZE_MIN,
    DEFAULT_CHUNK_SIZE,
)

BASE = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "5:15:5", "slow": [20, 30]},
    "start_date": "2016-01-01",
    "end_date": "2018-12-31",
}


def _error(**fields) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BASE, **fields})
    return caught.value


def test_a_valid_request_is_normalised_like_a_run():
    """Defaults filled in, tickers upper-cased, ranges expanded in the stored form."""
    sweep = parse_sweep_request({**BASE, "ticker": " acme ", "direction": "longshort"})
    assert sweep.tickers == ("ACME",) and sweep.combos == 6 and sweep.grid.skipped == 0
    stored = sweep.to_dict()
    assert stored["grid"] == {"fast": [5, 10, 15], "slow": [20, 30]}
    assert stored["direction"] == "longshort" and stored["fee_rate"] == 0.001
    assert stored["params"] == {"fast": 10, "slow": 20}
    assert stored["chunk_size"] == default_chunk_size()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"run_id": "x"}, "run_id"),
        ({"charts": False}, "charts"),
        ({"rule_id": "x"}, "rule_id"),
        ({"colour": 1}, "colour"),
        ({"rule_type": "SMA_CROS"}, "rule_type"),
        ({"params": {"fats": 3}}, "params.fats"),
        ({"params": {"fast": "ten"}, "grid": {"slow": [50]}}, "params.fast"),
        ({"fee_rate": 0.5}, "fee_rate"),
        ({"start_date": "2016-13-01"}, "start_date"),
        ({"end_date": "2015-01-01"}, "end_date"),
        ({"size_type": "percent", "position_size": 150}, "position_size"),
        ({"chunk_size": CHUNK_SIZE_MIN - 1}, "chunk_size"),
        ({"chunk_size": CHUNK_SIZE_MAX + 1}, "chunk_size"),
        ({"chunk_size": 100.0}, "chunk_size"),
        ({"tickers": ["ACME"]}, "tickers"),
        ({"ticker": None, "tickers": []}, "tickers"),
        ({"ticker": None, "tickers": ["ACME", "acme"]}, "tickers[1]"),
        ({"ticker": None, "tickers": ["ACME", 5]}, "tickers[1]"),
        ({"grid": {"fast": "1:5:1"}}, "grid.fast"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields, field):
    """Every mistake names its field, as a run's validation does."""
    assert _error(**fields).field == field


def test_base_params_fill_what_the_grid_does_not_sweep():
    """params.slow = 50 is used for every combination of a fast-only grid."""
    sweep = parse_sweep_request({**BASE, "params": {"slow": 50}, "grid": {"fast": [10, 20]}})
    assert [sweep.grid.params(sweep.params, c) for c in sweep.grid.combos] == [
        {"fast": 10, "slow": 50},
        {"fast": 20, "slow": 50},
    ]


@pytest.mark.parametrize("value", ["<script>", float("nan"), {}, -5, True])
def test_a_swept_parameters_value_in_params_is_validated_too(value):
    """Every field sent is validated: ``params.fast`` is checked even though ``grid.fast``
    gives the values (it was silently ignored)."""
    error = _error(params={"fast": value}, grid={"fast": [10, 20]})
    assert error.field == "params.fast"


def test_a_valid_swept_parameter_in_params_is_overridden_by_the_grid():
    sweep = parse_sweep_request({**BASE, "params": {"fast": 7}, "grid": {"fast": [5, 10]}})
    assert sweep.grid.combos == [(5,), (10,)]


EXPR = {
    "entry": "crossover(sma(close, $fast), sma(close, $slow)) and rsi(close, 2) < $low",
    "exit": "crossunder(sma(close, $fast), sma(close, $slow))",
    "bounds": {"fast": [2, 50]},
}


def test_an_expressions_swept_names_are_stored_with_a_value_never_null():
    """A built-in sweep stores each swept param at its default; an EXPR $name has none, so
    it is stored at the value sent in params, else the grid's first (kept) value — the
    stored params are a full set, like a built-in's, not ``null``."""
    sweep = parse_sweep_request(
        {
            **BASE,
            "rule_type": "EXPR",
            "params": {**EXPR, "slow": 40, "low": 10},
            "grid": {"fast": "5:15:5", "slow": [20, 30], "low": [5, 10]},
        }
    )
    stored = sweep.to_dict()["params"]
    assert {name: stored[name] for name in ("fast", "slow", "low")} == {
        "fast": 5,
        "slow": 40,
        "low": 10.0,
    }
    assert sweep.grid.params(sweep.params, sweep.grid.combos[-1])["slow"] == 30


def test_an_expressions_first_value_is_the_first_combination_its_constraints_keep():
    """With fast < slow (a MACD of two $names), the stored values are a valid pair."""
    sweep = parse_sweep_request(
        {
            **BASE,
            "rule_type": "EXPR",
            "params": {
                "entry": "macd(close, $fast, $slow) > 0",
                "exit": "macd(close, $fast, $slow) < 0",
            },
            "grid": {"fast": [30, 10], "slow": [20]},
        }
    )
    assert (sweep.params["fast"], sweep.params["slow"]) == (10, 20)


def test_the_configured_default_chunk_size_is_held_within_bounds():
    """The web's SWEEP_CHUNK_SIZE setting is held to 50..2000; unset, 1,000."""
    assert default_chunk_size(250) == 250
    assert default_chunk_size(1) == CHUNK_SIZE_MIN
    assert default_chunk_size(10**6) == CHUNK_SIZE_MAX
    assert default_chunk_size() == DEFAULT_CHUNK_SIZE
    assert parse_sweep_request(BASE, 250).chunk_size == 250


def test_a_small_sweep_keeps_the_default_chunk_size():
    assert sized_chunk_size(None, 6, 2_000) == DEFAULT_CHUNK_SIZE
    assert sized_chunk_size(250, 250 * SIZED_CHUNKS, 2_000) == 250  # configured default


def test_a_large_sweep_gets_about_sized_chunks_chunks():
    """100,000 combinations on ~2,100 bars: SIZED_CHUNKS chunks instead of 100."""
    size = sized_chunk_size(None, 100_000, 2_148)
    assert size == 100_000 // SIZED_CHUNKS
    assert -(-100_000 // size) == SIZED_CHUNKS


def test_sized_chunks_stay_within_the_memory_budget_of_long_data():
    """Long data make smaller chunks (combinations × bars ≤ CHUNK_CELL_BUDGET), never
    smaller than the default."""
    size = sized_chunk_size(None, 100_000, 20_000)
    assert size * 20_000 <= CHUNK_CELL_BUDGET < (size + 1) * 20_000
    assert sized_chunk_size(None, 100_000, 10**6) == DEFAULT_CHUNK_SIZE


@settings(max_examples=150, deadline=None)
@given(
    n_combos=st.integers(1, 700),
    n_tickers=st.integers(1, 4),
    chunk_size=st.integers(1, 300),
)
def test_chunking_covers_every_combination_exactly_once(n_combos, n_tickers, chunk_size):
    """Chunks partition 0..N-1 in order, never exceed the size and never span tickers."""
    combos = [(i,) for i in range(n_combos)]
    tickers = tuple(f"T{i}" for i in range(n_tickers))
    chunks = plan_chunks(combos, tickers, chunk_size)
    numbers = [c.combo_first + k for c in chunks for k in range(len(c.combos))]
    assert numbers == list(range(n_combos * n_tickers))
    assert [c.chunk_no for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert 1 <= len(chunk.combos) <= chunk_size
        index = tickers.index(chunk.ticker)
        first = chunk.combo_first - index * n_combos
        assert first >= 0 and first + len(chunk.combos) <= n_combos
        assert chunk.combos == combos[first : first + len(chunk.combos)]
    per_ticker = -(-n_combos // chunk_size)
    assert len(chunks) == per_ticker * n_tickers


@pytest.mark.parametrize(("tickers", "chunk_size"), [(["ACME"], 50), (["ACME", "GLOBEX"], 100)])
def test_a_sweeps_chunk_count_is_the_number_of_chunks_it_is_cut_into(tickers, chunk_size):
    """``chunk_count`` (what the chunk cap reads before any message is built) counts what
    ``chunk_payloads`` makes: 119 combos a ticker are 3 chunks of 50, or 2 of 100."""
    body = {**BASE, "grid": {"fast": "2:120:1", "slow": [200]}, "ticker": None}
    sweep = parse_sweep_request({**body, "tickers": tickers, "chunk_size": chunk_size})
    expected = len(tickers) * -(-119 // chunk_size)
    assert sweep.chunk_count == len(chunk_payloads(sweep)) == expected


def test_a_chunk_message_round_trips_into_full_parameter_sets():
    """parse_chunk rebuilds each combination's full params and the base run request."""
    sweep = parse_sweep_request({**BASE, "tickers": ["ACME", "GLOBEX"], "ticker": None})
    chunks = plan_chunks(sweep.grid.combos, sweep.tickers, 4)
    spec = parse_chunk(chunk_payload(sweep, chunks[2]))
    assert spec.chunk_id == f"{sweep.sweep_id}-c2" and spec.request.ticker == "GLOBEX"
    assert spec.combo_first == 6
    assert spec.params_list == [
        {"fast": 5, "slow": 20},
        {"fast": 5, "slow": 30},
        {"fast": 10, "slow": 20},
        {"fast": 10, "slow": 30},
    ]
    assert spec.swept == spec.params_list


def test_a_message_that_is_not_a_chunk_is_refused():
    """Missing combos or request: a RequestError, not a crash."""
    for payload in ([], {"combos": []}, {"grid_params": ["fast"], "combos": [[5]]}):
        with pytest.raises(RequestError):
            parse_chunk(payload)


def test_a_combination_becomes_a_valid_run_request_with_charts():
    """The run body of one combination passes the run contract as it is."""
    sweep = parse_sweep_request({**BASE, "slippage_bps": 3})
    body = combo_run_request(sweep.to_dict(), "ACME", {"fast": 15, "slow": 30})
    request = parse_request(body)
    assert request.params == {"fast": 15, "slow": 30} and request.charts
    assert request.slippage_bps == 3.0 and request.ticker == "ACME"
