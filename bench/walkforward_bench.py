"""Walk-forward speed against the sweep it should cost about as much as (GOOG.csv).

    .venv/bin/python -m bench.walkforward_bench

On one local stack (``bench.sweep_bench.through_the_queue``: web + local scaler with the
committed manifest's polling, MariaDB, Redis db 11), in the same run:
(1) a single 100,000-combo RSI sweep (``sweep_bench.rsi_100k_body``, part (d) there), POST →
    last chunk stored;
(2) a 10-fold walk-forward over a 10,000-combo RSI grid (period 5..54 × oversold 10..29 ×
    overbought 50..59) on the same bars: train 1,000 bars, test 114 (10 folds, 100,000
    evaluations in training plus 20 single runs), POST → last fold stored.
Prints both walls and the ratio (2) / (1). Goal: ratio <= 1.5.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

from bench.sweep_bench import post_and_wait, rsi_100k_body, sweep_through, through_the_queue

TRAIN_BARS, TEST_BARS = 1000, 114
"""10 folds over GOOG's 2,148 bars (1,000 + 10 × 114 = 2,140)."""


def walkforward_body() -> dict:
    body = rsi_100k_body()
    body["grid"] = {
        "period": list(range(5, 55)),
        "oversold": list(range(10, 30)),
        "overbought": list(range(50, 60)),
    }
    return {**body, "train_bars": TRAIN_BARS, "test_bars": TEST_BARS}


def walkforward_through(base_url: str, label: str, body: dict) -> float | None:
    """POST the walk-forward; once finished, print POST → last fold stored and the folds'
    sweeps' chunk timings; that wall (None if refused)."""
    import requests

    finished = ("SUCCEEDED", "FAILED")
    through = post_and_wait(
        base_url, "/api/walkforward", label, body, finished, 1800, "finished_at"
    )
    if through is None:
        return None
    accepted, status, wall, seen = through
    chunks = 0
    for fold in status["folds"]:
        sweep = requests.get(f"{base_url}/api/sweeps/{fold['sweep_id']}", timeout=30).json()
        chunks += sweep["chunks"]
    print(
        f"  {label}: {accepted['folds']} folds × {accepted['combos_per_fold']:,} combos in "
        f"{chunks} chunks, {status['status']}, POST → last fold stored {wall:5.2f} s "
        f"(seen by polling {seen:.2f} s); {status['error_message'] or ''}"
    )
    return wall


def main() -> int:
    print(f"{os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    single, walkforward = through_the_queue(
        "100,000-combo sweep vs 10-fold walk-forward of 10,000 combos, one stack, one run",
        [
            ("100,000 RSI sweep", rsi_100k_body(), sweep_through),
            ("10-fold walk-forward", walkforward_body(), walkforward_through),
        ],
    )
    if single and walkforward:
        print(f"  ratio walk-forward / sweep: {walkforward / single:.2f} (goal <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
