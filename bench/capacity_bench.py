"""A run with its 12-point capacity curve against the same run without, CPU time, in one run.

    .venv/bin/python -m bench.capacity_bench [--repeat 7]

Each case is one demo request as a consumer Job computes it (``kinds.runs.execute.execute``:
the data, the signals, the engine, the result's curves, trades and statistics) and its
result's JSON, once without ``capacity`` and once with it (the run re-simulated at the 12
default capitals, ``engine.capacity``, and the table built, ``adapters.capacity``). Cases:
the demo strategy on the thin demo ticker and on a liquid one, a run walked by the broker's
step (a stop-loss), and, when the engine has it, the thin ticker with a ``volume_limit``;
then two portfolios as their Job computes them (``kinds.portfolios.kind.computed``: the
universe, the weights, the book and its result; with the curve, the book re-simulated at
each capital): equal weight over MOSS and GLOBEX with a ``volume_limit``, four liquid
demo tickers ranked by momentum, and a portfolio of rules over three of them. Each capital's
book is walked by its compiled twin (``engine._rebalance_kernel``,
``engine._signals_kernel``).
After one warm-up of each (numba compiled and loaded), ``--repeat`` rounds alternate the two
requests so both are measured under the same load on a shared machine; the median CPU
seconds of each, their ratio and the load average are printed. Goal: with / without <= 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

from bench.peers import time_in_process

GOAL = 2.0
DEMO = {
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 50},
    "start_date": "2014-01-02",
    "end_date": "2024-12-31",
}
LIQUIDITY = {"volume_limit": 0.1}


def cases() -> dict[str, dict]:
    """The requests measured, by name (the liquidity ones only when the engine has the
    fields)."""
    from engine import TradingParams

    found = {
        "MOSS (thin), charts off": {"ticker": "MOSS", **DEMO, "charts": False},
        "GLOBEX (liquid), charts off": {"ticker": "GLOBEX", **DEMO, "charts": False},
        "MOSS, stop-loss 5 % (step)": {
            "ticker": "MOSS",
            **DEMO,
            "charts": False,
            "stop_loss_pct": 5.0,
        },
        "MOSS, charts on": {"ticker": "MOSS", **DEMO, "charts": True},
    }
    names = {field.name for field in dataclasses.fields(TradingParams)}
    if set(LIQUIDITY) <= names:
        found["MOSS, volume limit 0.1"] = {
            "ticker": "MOSS",
            **DEMO,
            "charts": False,
            **LIQUIDITY,
        }
    return found | PORTFOLIOS


PORTFOLIOS = {
    "portfolio MOSS + GLOBEX, volume limit 0.1": {
        "tickers": ["MOSS", "GLOBEX"],
        "start_date": "2015-01-01",
        "end_date": "2024-12-31",
        **LIQUIDITY,
    },
    "portfolio 4 demo tickers, rank top 2": {
        "tickers": ["ACME", "GLOBEX", "HOOLI", "INITECH"],
        "start_date": "2015-01-01",
        "end_date": "2024-12-31",
        "allocation": {"method": "rank", "score": "roc(close, 126)", "top_n": 2},
    },
    "portfolio of rules, 3 demo tickers, SMA_CROSS by value": {
        "tickers": ["ACME", "GLOBEX", "HOOLI"],
        "start_date": "2015-01-01",
        "end_date": "2024-12-31",
        "allocation": {"method": "rules"},
        "strategy": {
            "rule_type": "SMA_CROSS",
            "params": {"fast": 10, "slow": 50},
            "size_type": "value",
            "position_size": 20_000,
        },
    },
}
"""The portfolio cases: a book with a thin name and a volume limit, a liquid ranking, and a
portfolio of rules (each ticker by its own signals, 20,000 an entry)."""


def cpu_of(body: dict) -> float:
    """CPU seconds of one Job's execution of ``body`` and its result's JSON (a portfolio's
    when ``body`` has ``tickers``)."""
    if "tickers" in body:
        return _portfolio_cpu_of(body)
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute
    from kinds.runs.serialize import to_json

    request = parse_request(body)
    started = time.process_time()
    to_json(execute(request))
    return time.process_time() - started


def _portfolio_cpu_of(body: dict) -> float:
    import uuid

    from kinds.portfolios.kind import computed
    from kinds.portfolios.request_model import parse_portfolio

    request = parse_portfolio(body)
    request["portfolio_id"] = str(uuid.uuid4())
    started = time.process_time()
    computed(request)
    return time.process_time() - started


def alone_and_with_curve(body: dict, repeat: int) -> tuple[float, float]:
    """The median CPU seconds of ``body`` alone and with its capacity curve, over ``repeat``
    rounds alternating the two, after one warm-up of each (numba loaded, fonts cached)."""
    with_curve = {**body, "capacity": True}
    cpu_of(body), cpu_of(with_curve)
    plain, curve = [], []
    for _ in range(repeat):
        plain.append(cpu_of(body))
        curve.append(cpu_of(with_curve))
    return statistics.median(plain), statistics.median(curve)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    time_in_process()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, body in cases().items():
        one, both = alone_and_with_curve(body, args.repeat)
        print(
            f"capacity {name}: alone {one * 1000:.1f} ms, + 12-point curve "
            f"{both * 1000:.1f} ms CPU, ratio {both / one:.2f} (goal <= {GOAL:.0f}; "
            f"load {os.getloadavg()[0]:.2f})"
        )


if __name__ == "__main__":
    main()
