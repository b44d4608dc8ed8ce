"""A run's stored bytes, written from its columns in one pass (``kinds.runs.serialize``,
``adapters.columnar``), are the bytes the plain document gives ``json.dumps`` and the bytes
the code wrote before it held them as columns: digests pinned from that code on varied
requests (daily and thinned intraday curves, charts, entry orders, costs and stops, splits
held by a position, no trade)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import data
from data.generate import HEADER
from data.generate_intraday import session_csv
from engine import ENGINE_VERSION
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from kinds.runs.result_version import RESULT_SCHEMA_VERSION
from kinds.runs.serialize import to_json

PINNED_VERSIONS = {"engine": "2.2.2", "result_schema": "1.3.1"}
"""The versions the digests were made with: a bump changes results on purpose, and the
digests are then made again (from the code before the bump's change to serialisation, if
any)."""

BASE = {
    "run_id": "00000000-0000-4000-8000-000000000001",
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 30},
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "charts": False,
}
MINUTES = {"ticker": "MINUTES", "timeframe": "1m", "start_date": "2015-01-02"}
SPLITS = {"ticker": "SPLITCO", "params": {"fast": 50, "slow": 200}, "start_date": "2015-01-01"}
LIMIT = {"type": "limit", "limit": "close * (1 - $k/100)", "params": {"k": 1}, "valid_bars": 3}
CASES = {
    "longshort_slippage": ({"direction": "longshort", "slippage_bps": 2}, "e54c300d33fd5c60"),
    "rsi_charts": (
        {"rule_type": "RSI", "params": {}, "charts": True, "start_date": "2015-01-01"},
        "d50f1ad2ea9e3b9f",
    ),
    "minutes_thinned": ({**MINUTES, "end_date": "2016-01-01"}, "bf10d971e188976e"),
    "minutes_thinned_charts": (
        {**MINUTES, "end_date": "2016-01-01", "charts": True},
        "a873f95f2cebf676",
    ),
    "limit_order": ({"entry_order": LIMIT}, "af5bd9272fb40892"),
    "stops_and_costs": (
        {
            "stop_loss_pct": 2,
            "take_profit_pct": 5,
            "fee_fixed": 1,
            "borrow_rate": 0.03,
            "direction": "longshort",
            "close_open_trades_at_end": True,
        },
        "e6f485eca0d1c1b4",
    ),
    "splits_held": (SPLITS, "4bcec44c795b5942"),
    "splits_held_charts": (
        {**SPLITS, "charts": True, "direction": "longshort"},
        "0f26caa46e92028d",
    ),
    "no_trade": ({"end_date": "2016-01-20"}, "ca7afb5c9677aa9e"),
    "every_bar": (
        {"ticker": "GLOBEX", "start_date": "2000-01-01", "end_date": "2030-01-01"},
        "a7be6fe17c0d9af5",
    ),
}


def minute_bars(n_bars: int) -> bytes:
    """CSV bytes of ``n_bars`` one-minute bars on ``session_csv``'s session calendar, their
    prices a seeded walk in whole cents: integers alone, so the same bytes on every CPU
    (``session_csv``'s model goes through ``np.exp``, whose last bits differ where numpy has
    AVX-512 code for it, and a last bit moves a price across a cent)."""
    stamps = [line.split(b",", 1)[0] for line in session_csv(n_bars, 1).splitlines()[1:]]
    rng = np.random.default_rng(7)
    close = np.maximum(10_000 + np.cumsum(rng.integers(-4, 5, n_bars)), 500)
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + rng.integers(0, 4, n_bars)
    low = np.minimum(open_, close) - rng.integers(0, 4, n_bars)
    volume = rng.integers(100, 5_000, n_bars)

    def cents(value: int) -> str:
        return f"{value // 100}.{value % 100:02d}"

    lines = [HEADER.encode()]
    for stamp, o, h, lo, c, v in zip(stamps, open_, high, low, close, volume, strict=True):
        prices = ",".join(cents(int(x)) for x in (o, h, lo, c, c))
        lines.append(stamp + f",{prices},{v}".encode())
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> Path:
    """The demo data with MINUTES (60,000 one-minute bars, ``minute_bars``: curves
    thinned) and SPLITCO (ACME's bars with two splits and a dividend)."""
    out = tmp_path_factory.mktemp("result-bytes")
    for path in demo_data_dir.glob("*.csv"):
        (out / path.name).write_bytes(path.read_bytes())
    (out / "catalog.json").write_bytes((demo_data_dir / "catalog.json").read_bytes())
    data.register_csv(minute_bars(60_000), "MINUTES", data_dir=out)
    events = b"date,type,value\n2016-03-01,split,2\n2016-09-01,dividend,0.5\n2017-02-01,split,3\n"
    acme = (demo_data_dir / "ACME.csv").read_bytes()
    data.register_csv(acme, "SPLITCO", data_dir=out, events=events, splits_without_jump=True)
    return out


@pytest.mark.parametrize("case", CASES)
def test_a_run_stores_the_bytes_of_its_plain_document_and_of_the_code_before(case, folder):
    assert {"engine": ENGINE_VERSION, "result_schema": RESULT_SCHEMA_VERSION} == PINNED_VERSIONS
    fields, digest = CASES[case]
    result = execute(parse_request({**BASE, **fields}), folder)
    text = to_json(result)
    assert text == json.dumps(result.to_dict(), separators=(",", ":"), allow_nan=False)
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest
