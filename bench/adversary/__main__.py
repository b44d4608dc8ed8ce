"""Run the adversary's scenarios (``bench.adversary``) one after another and print every goal
next to its limit; exit 0 when every goal holds, 1 otherwise."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from bench.adversary.report import ScenarioReport

SCENARIOS = (
    "pickled_meta",
    "intraday_memory",
    "large_study",
    "redis_restart_portfolios",
    "ref_cost",
    "sweep_csv",
)
"""Module names under bench.adversary, in the order the issue listed the attacks."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    args = parser.parse_args(argv)
    reports: list[ScenarioReport] = []
    for name in args.only:
        started = time.monotonic()
        module = importlib.import_module(f"bench.adversary.{name}")
        report = module.run(args)
        report.notes.append(f"scenario wall time {time.monotonic() - started:.1f} s")
        reports.append(report)
        print("\n".join(report.lines()), flush=True)
    ok = all(report.ok for report in reports)
    print(f"adversary campaign: {'every goal holds' if ok else 'a goal was MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
