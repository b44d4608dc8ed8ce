"""Scenario ``ref_cost``: series inside ``ref`` over long intraday tickers, from a one-month
daily window, in the web and in a Job.

The attack: ``ref("T", x)`` was costed on the run's own bars but computed on every bar of
T's file. 44 ``zscore(close, ~2000)`` terms inside ``ref`` on a 100,000-bar five-minute
ticker took 13.7–18.2 s per ``POST /api/analyze_signals`` (four at once: a web worker killed
by gunicorn's timeout); 48 ``sma`` terms inside ``ref`` on a 900,000-bar ticker took a web
worker to 1,140 MB and the run's Job to 1,093 MB (``RUN_MAX_MEMORY_MB`` 768).

What it starts (and stops): a private ``redis-server`` and a scratch MariaDB database
(``bench.fault_campaign``), ``tests.stack.LocalStack``'s web and local scaler on a data folder
of its own (ACME's daily bars, FIVEMIN: 100,000 five-minute bars to 2020-02-06, BIG: 900,000
to 2020-10-26; their binary copies in a ``BARS_CACHE_DIR`` every process shares), and the
image's web command, gunicorn with ``gunicorn.conf.py`` and two workers, which the requests
go to (``bench.adversary.intraday_memory``), plus a second gunicorn whose signal and memory
caps are raised, which records a run the caps refuse so that its Job must refuse it itself.
Then, while ``/health`` is polled every 0.1 s, on ACME's January 2020:

1. ``POST /api/analyze_signals`` of the 44 zscores inside ``ref("FIVEMIN", …)`` and of the
   48 smas inside ``ref("BIG", …)``, four of each at once, and ``POST /api/runs`` of each
   (refused: 400 naming params and the ticker);
2. the analyzer on a cheap bounded series inside ``ref("BIG", …)`` (computed on the month's
   stretch of BIG only) and on an unbounded one (BIG up to the month's end): answered;
3. a run of a bounded ``ref("FIVEMIN", …)`` through the queue to a Job (SUCCEEDED), and the
   48 smas inside ``ref("BIG", …)`` recorded by the lenient web, which its Job refuses
   (FAILED naming params) before computing.

The peak RSS is each process's VmHWM, sampled every 50 ms: the strict gunicorn's workers for
the web, the consumer processes the scaler starts (and their work-horses) for the Job. Goals:
every over-cap request a 400 within 0.5 s once the workers have read the files (2 s while
they read them), web < 1024 MB, Job < ``RUN_MAX_MEMORY_MB``,
``/health`` worst < 1 s, no 5xx, no gunicorn worker timeout, the Jobs' runs as said.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.adversary.intraday_memory import Watch, post_json, start_gunicorn, stop_server
from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis
from config.process import RUN_MAX_MEMORY_MB
from tests.stack import PROJECT_ROOT, LocalStack, answers_200, free_port, wait_until

MONTH = ("2020-01-02", "2020-01-31")
"""The run's window on ACME's daily bars."""

FIVEMIN, FIVEMIN_BARS = "FIVEMIN", 100_000
BIG, BIG_BARS, BIG_FIRST = "BIG", 900_000, "1975-01-02"
"""The 900,000-bar ticker starts in 1975, so January 2020 sees almost all of it."""

ZSCORES = " + ".join(f"zscore(close, {2000 - i})" for i in range(44))
SMAS = " + ".join(f"sma(close, {20 + i})" for i in range(48))

OVER_CAPS = {
    "44 zscores in ref(FIVEMIN)": {
        "entry": f'ref("{FIVEMIN}", {ZSCORES}) > 0',
        "exit": "close < 0",
    },
    "48 smas in ref(BIG)": {"entry": f'ref("{BIG}", {SMAS}) > 0', "exit": "close < 0"},
}
"""The two reported texts: SIGNAL_MAX_WORK and SIGNAL_MAX_VALUES on the ticker's bars."""

BOUNDED = {
    "entry": f'ref("{BIG}", highest(close, 400)) < close',
    "exit": f'ref("{BIG}", lag(close, 1)) > close',
}
UNBOUNDED = {"entry": f'ref("{BIG}", sma(close, 20)) < close', "exit": "close < 0"}
JOB_RUN = {
    "entry": f'ref("{FIVEMIN}", highest(close, 400)) < close',
    "exit": f'ref("{FIVEMIN}", lowest(close, 400)) > close',
}

WEB_LIMIT_MB = 1024
HEALTH_LIMIT_S = 1.0
REFUSAL_LIMIT_S = 0.5
"""Four refusals at once on two workers, once each worker has read the files."""
COLD_REFUSAL_LIMIT_S = 2.0
"""The same while each worker first reads the 900,000-bar file (its CSV hashed, its binary
copy read)."""
CONCURRENT = 4


def _request(params: dict, **fields) -> dict:
    start, end = MONTH
    body = {"ticker": "ACME", "rule_type": "EXPR", "params": params}
    return {**body, "start_date": start, "end_date": end, **fields}


def _attack(web: str, lenient: str, stack: LocalStack, notes: list[str]) -> dict:
    """Every request of the scenario; the figures the goals read."""
    statuses: list[int] = []
    refusals: dict[str, list[tuple[int, float, str]]] = {"cold": [], "warm": []}
    for round_ in refusals:  # cold: the workers read BIG's file first; warm: it is cached
        for label, params in OVER_CAPS.items():
            with ThreadPoolExecutor(CONCURRENT) as pool:
                answers = list(
                    pool.map(post_json, [f"{web}/api/analyze_signals"] * CONCURRENT,
                             [_request(params)] * CONCURRENT)
                )  # fmt: skip
            answers.append(post_json(f"{web}/api/runs", _request(params, charts=False)))
            for code, took, answer in answers:
                refusals[round_].append((code, took, str(answer.get("field"))))
            slowest = max(took for _, took, _ in answers)
            codes = sorted({code for code, _, _ in answers})
            notes.append(
                f"{label} ({round_}): analyze x{CONCURRENT} concurrent + a run: {codes}, "
                f"slowest {slowest:.3f} s, field {answers[-1][2].get('field')}: "
                f"{str(answers[-1][2].get('error'))[:220]}"
            )
    for label, params in (("bounded", BOUNDED), ("unbounded", UNBOUNDED)):
        code, took, answer = post_json(f"{web}/api/analyze_signals", _request(params))
        statuses.append(code)
        notes.append(
            f"analyze {label} ref({BIG}) on {MONTH[0]}..{MONTH[1]}: {code} in {took:.2f} s "
            f"({answer.get('bars')} bars, {answer.get('entries', {}).get('count')} entries"
            f"{'' if code == 200 else ', ' + str(answer.get('error'))[:120]})"
        )
    code, took, answer = post_json(f"{web}/api/runs", _request(BOUNDED, charts=False))
    statuses.append(code)
    notes.append(
        f"run of the bounded ref({BIG}) through the strict web: {code} in {took:.2f} s, "
        f"field {answer.get('field')}: {str(answer.get('error'))[:200]}"
    )
    runs = {}
    for label, url, params in (
        ("bounded ref(FIVEMIN), strict web", web, JOB_RUN),
        ("48 smas in ref(BIG), lenient web", lenient, OVER_CAPS["48 smas in ref(BIG)"]),
    ):
        code, took, answer = post_json(f"{url}/api/runs", _request(params, charts=True))
        statuses.append(code)
        notes.append(
            f"run of the {label}: {code} in {took:.2f} s, run_id {answer.get('run_id')}"
            f"{'' if code == 202 else ', ' + str(answer.get('error'))[:200]}"
        )
        if code == 202 and answer.get("run_id"):
            runs[label] = answer["run_id"]
    finals = stack.wait_finished(list(runs.values()), timeout=300) if runs else {}
    outcome = {}
    for label, run_id in runs.items():
        final = finals[run_id]
        outcome[label] = (final["status"], str(final.get("error_message") or ""))
        notes.append(f"Job of the {label}: {final['status']} {outcome[label][1][:200]}")
    return {"statuses": statuses, "refusals": refusals, "outcome": outcome}


def _import(folder: Path, notes: list[str]) -> None:
    import data
    from data.generate_intraday import five_minute_csv

    acme = (PROJECT_ROOT / "data" / "ACME.csv").read_bytes()
    data.register_csv(acme, "ACME", data_dir=folder)
    for ticker, bars, first in ((FIVEMIN, FIVEMIN_BARS, "2015-01-02"), (BIG, BIG_BARS, BIG_FIRST)):
        data.register_csv(five_minute_csv(bars, first), ticker, data_dir=folder)
        notes.append(f"imported {ticker}: {bars:,} five-minute bars from {first}")


def run(args: argparse.Namespace) -> ScenarioReport:
    """Run the scenario and measure it."""
    report = ScenarioReport(scenario="ref_cost")
    job_limit = RUN_MAX_MEMORY_MB.value()
    with tempfile.TemporaryDirectory(prefix="adversary-ref-cost-") as tmp:
        workdir = Path(tmp)
        folder, bars_cache = workdir / "data", workdir / "bars"
        os.environ["BARS_CACHE_DIR"] = str(bars_cache)  # this process writes the copies
        _import(folder, report.notes)
        redis = PrivateRedis(workdir)
        db = CampaignDatabase()
        stack = LocalStack(
            database_url=db.url,
            redis_url=redis.url,
            workdir=workdir / "stack",
            extra_env={
                "DATA_DIR": str(folder),
                "USER_DATA_DIR": str(workdir / "user"),
                "BARS_CACHE_DIR": str(bars_cache),
            },
        )
        strict = lenient = watch = None
        try:
            stack.start()
            port, lenient_port = free_port(), free_port()
            strict = start_gunicorn(stack, port, workdir / "gunicorn.log")
            raised = {"SIGNAL_MAX_WORK": str(10**15), "SIGNAL_MAX_VALUES": str(10**15)}
            raised["RUN_MAX_MEMORY_MB"] = "100000"
            lenient = start_gunicorn(stack, lenient_port, workdir / "lenient.log", raised)
            web, lenient_web = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{lenient_port}"
            for url in (web, lenient_web):
                wait_until(lambda url=url: answers_200(f"{url}/health", 1), 60, what="gunicorn")
            report.notes.append(
                "web: gunicorn --config gunicorn.conf.py --workers 2 (the image's CMD) + "
                "LocalStack's scaler starting consumers; a second gunicorn with the signal and "
                "memory caps raised records the run its Job must refuse"
            )
            watch = Watch(strict.pid, stack.processes[1].pid, f"{web}/health")
            figures = _attack(web, lenient_web, stack, report.notes)
            time.sleep(0.5)  # a last sample of the consumer before it is gone
        finally:
            if watch is not None:
                watch.close()
            stop_server(strict)
            stop_server(lenient)
            stack.stop()
            redis.stop()
            db.drop()
            timeouts = (
                (workdir / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
            )
            os.environ.pop("BARS_CACHE_DIR", None)
    report.notes.append(
        f"peaks (VmHWM): web workers {sorted(round(v) for v in watch.web.values())} MB, "
        f"consumer processes {sorted(round(v) for v in watch.job.values())} MB"
    )
    refusals = figures["refusals"]
    every = refusals["cold"] + refusals["warm"]
    refused = sum(code == 400 and field == "params" for code, _, field in every)
    slowest = {name: round(max(t for _, t, _ in rows), 3) for name, rows in refusals.items()}
    outcome = figures["outcome"]
    ran = outcome.get("bounded ref(FIVEMIN), strict web", ("", ""))
    failed = outcome.get("48 smas in ref(BIG), lenient web", ("", ""))
    statuses = figures["statuses"] + [code for code, _, _ in every]
    errors = sum(code >= 500 for code in statuses) + watch.health_errors
    report.goals += [
        Goal("over-cap requests refused 400 naming params", refused, len(every), at_most=False),
        Goal("slowest refusal, files read cold", slowest["cold"], COLD_REFUSAL_LIMIT_S, " s"),
        Goal("slowest refusal, files cached", slowest["warm"], REFUSAL_LIMIT_S, " s"),
        Goal("web peak RSS", round(max(watch.web.values(), default=0.0)), WEB_LIMIT_MB, " MB"),
        Goal("Job peak RSS", round(max(watch.job.values(), default=0.0)), job_limit, " MB"),
        Goal("/health worst latency", round(watch.health_worst, 3), HEALTH_LIMIT_S, " s"),
        Goal("gunicorn worker timeouts", timeouts, 0),
        Goal("server errors (5xx and failed /health)", errors, 0),
        Goal(
            "bounded ref run SUCCEEDED in its Job", float(ran[0] == "SUCCEEDED"), 1, at_most=False
        ),
        Goal(
            "over-cap run refused by its Job (FAILED naming SIGNAL_MAX_VALUES)",
            float(failed[0] == "FAILED" and "SIGNAL_MAX_VALUES" in failed[1]),
            1,
            at_most=False,
        ),
        Goal("Job processes measured", len(watch.job), 1, at_most=False),
    ]
    return report
