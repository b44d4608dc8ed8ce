"""``bench.broker_bench --quick`` runs to the end and prints every figure it promises: each
beside its floor or peer, with the ratio, the goal and a verdict, and its floors walking the
same trades as the engine (so a floor measures the same work). Timings are not checked:
speed goals live in the benchmark's figures, not in tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

EXPECTED = {
    "orders run, 10,000 bars": "<= 5",
    "orders run, 50,000 bars": "<= 5",
    "stops run, 10,000 bars": "<= 5",
    "stops run, 50,000 bars": "<= 5",
    "scaling run, 10,000 bars": "<= 5",
    "scaling run, 50,000 bars": "<= 5",
    "scaling run, size + exit, 10,000 bars": "<= 5",
    "scaling run, size + exit, 50,000 bars": "<= 5",
    "limit-entry sweep": "<= 1.5",
    "scaling sweep": "<= 3",
    "sweep with a function metric": "<= 1.2",
    "sweep core (bench.sweep_bench e)": ">= 240 M/s",
}
"""Every line the quick run prints, by label, with its goal."""

LINE = re.compile(
    r"^  (?P<label>\S.*?)\s{2,}(?P<ours>\S.*?)\s{3}(?P<peer>\S.*?)\s{3}"
    r"ratio\s+(?P<ratio>[0-9.]+)\s{3}goal (?P<goal>.+?)\s+(?P<verdict>PASS|MISS)(?P<note>.*)$"
)


@pytest.fixture(scope="module")
def printed() -> dict[str, re.Match]:
    """The quick run's figure lines, by label."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.broker_bench", "--quick"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (LINE.match(text) for text in done.stdout.splitlines())
    return {match["label"]: match for match in lines if match}


def test_quick_run_prints_every_figure_beside_its_peer_with_ratio_goal_and_verdict(printed):
    assert list(printed) == list(EXPECTED)
    for label, goal in EXPECTED.items():
        line = printed[label]
        assert line["goal"] == goal, label
        assert float(line["ratio"]) > 0, label
        assert line["peer"].split()[0] in {"floor", "plain", "reference"}, label


def test_each_floor_walks_the_same_trades_and_equity_as_the_engine(printed):
    for label in (label for label in EXPECTED if " run, " in label):
        note = printed[label]["note"]
        counts = re.search(r"([\d,]+) (?:trades|units), floor ([\d,]+)", note)
        finals = re.search(r"final equity ([+-][\d.]+) %, floor ([+-][\d.]+) %", note)
        assert counts and finals, note
        assert counts[1] == counts[2] and finals[1] == finals[2], (label, note)
