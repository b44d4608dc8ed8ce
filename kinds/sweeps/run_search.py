"""What a run contributes to searches (``work.search``): its parameter space (the rule's
numeric and choice parameters, then the stops, ``engine.STOP_FIELDS``, and the scaling fields,
``engine.SCALING_FIELDS``), the request of one
point (``kinds.sweeps.contract.combo_run_request``, checked by ``parse_request``) and its
evaluators: point by point the run's own computation (``kinds.runs.execute``), in a batch
the sweeps' vectorised one (``kinds.sweeps.evaluate``).

``evaluate_points`` is what every search over runs evaluates with (``Search.score``: a run
sweep's chunks, a run study's batches, a run walk-forward's training sweeps): the points of
one base run request (the swept rule parameters, stops and scaling fields,
``kinds.sweeps.grid.split_swept``)
in one vectorised pass with the sweeps' indicator cache, their block statistics when asked;
row i bit for bit the metrics ``evaluate_one`` gives for ``apply(base, points[i])``.
``evaluate_batch`` evaluates requests of several bases so, grouped by their shared base;
its outcomes carry metrics only (``text`` empty, ``result`` the metrics).

The base of a search over runs is a stored run request (a sweep chunk's ``request``, a
study's stored request: extra fields are ignored); a request without ``kind`` is one
(``kinds.sweeps.search_sweep.searchable_kind``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from engine import STOP_FIELDS
from engine.param_specs import LIQUIDITY_SPECS, LIQUIDITY_WINDOWS, SCALING_SPECS
from kinds.runs.contract import RequestError, RunRequest, parse_request
from kinds.runs.python_request import is_python
from kinds.sweeps.contract import combo_run_request
from kinds.sweeps.grid import SWEPT_TRADING, Points, split_points, split_swept
from metrics import SWEEP_METRIC_KEYS
from rules import RuleValidationError
from rules.registry import spec_for
from work.search import Domain, Outcome, Scored, Search

SEARCHABLE_TYPES = ("int", "float", "choice")
"""Rule parameter types a search may vary (``rules.spec.PARAM_TYPES``)."""


STOPS_AND_PARAMS = ("params", *SWEPT_TRADING, "run_id", "charts")
"""What the points of one batch may differ in (the rest is their shared base)."""


class RunSearch(Search):
    """The run kind's search: a run request's rule parameters and stops, evaluated by the
    run's own computation one point at a time and by the sweeps' vectorised one many at
    once (module docstring)."""

    kind = "run"

    def space(self, base: dict[str, Any]) -> dict[str, Domain]:
        """The searchable names of a run request: its rule's parameters, then the stops and
        the scaling fields (``max_entries`` whole, the fractions above 0: ``apply`` checks).

        :raise RequestError: the base names an unknown rule or bad parameter texts.
        """
        try:
            spec = spec_for(base["rule_type"], base.get("params"))
        except RuleValidationError as exc:
            raise RequestError(exc.field, exc.message) from None
        except KeyError:
            raise RequestError("rule_type", "is not a known rule") from None
        params = base.get("params") or {}
        out: dict[str, Domain] = {}
        for param in spec.params:
            if param.type not in SEARCHABLE_TYPES:
                continue
            default = params.get(param.name, param.default)
            if param.type == "choice":
                out[param.name] = Domain("choice", choices=tuple(param.choices), default=default)
            else:
                out[param.name] = Domain(param.type, param.min, param.max, default=default)
        for name in STOP_FIELDS:
            out[name] = Domain("float", 0, None, default=base.get(name))
        for spec in (*SCALING_SPECS, *LIQUIDITY_SPECS):
            whole = isinstance(spec.default, int) or spec in LIQUIDITY_WINDOWS
            out[spec.name] = Domain.of_spec(spec, base.get(spec.name, spec.default), whole)
        return out

    def apply(self, base: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
        """The run request of one point: ``base`` with the point's rule values and stops,
        checked like a submitted run (its stored form, ``RunRequest.to_dict``).

        :raise RequestError: naming the offending field.
        """
        body = combo_run_request(base, base["ticker"], dict(point))
        for name in ("run_id", "charts", "start_date", "end_date", "timeframe"):
            if name in base:
                body[name] = base[name]
        return parse_request(body).to_dict()

    def evaluate_one(self, request: dict[str, Any]) -> Outcome:
        """One point: the run computed exactly as a submitted one, with its bar returns and
        the ticker's bars per year (what a best point's deflated Sharpe ratio reads), its
        equity curve, the close beside it and the data's hash. A long run's stored curves are
        thinned to evenly spaced points (``kinds.runs.execute``); the returns, the curve and
        the close a fold or a statistic reads are then those of every bar."""
        import numpy as np

        from adapters.columnar import plain
        from engine import bar_returns
        from kinds.runs.execute import execute, load_market_data
        from kinds.runs.python_run import execute_python
        from kinds.runs.serialize import to_json

        run = RunRequest.from_stored(request)
        computed = execute_python if is_python(run.rule_type) else execute  # its WorkFailed
        result = computed(run)
        text = to_json(result)
        every = result if "bar" not in result.equity_curve else computed(run, every_bar=True)
        metrics = {key: result.metrics.get(key) for key in SWEEP_METRIC_KEYS}
        equity = np.asarray(every.equity_curve["equity"], dtype=np.float64)
        return Outcome(
            request,
            {"metrics": result.metrics},
            text,
            metrics,
            returns=bar_returns(equity[None, :])[0],
            bars_per_year=load_market_data(run).bars_per_year,
            curve=lambda: plain(every.equity_curve),  # stored as JSON by a fold
            benchmark=every.price_candles.get("close"),
            data_hash=result.data_hash,
            engine_version=result.engine_version,
        )

    def evaluate_points(
        self,
        base: dict[str, Any],
        points: Sequence[Mapping[str, Any]],
        blocks: int = 0,
        label: str = "",
    ) -> Scored:
        """The metrics of every point of one base run request in one vectorised pass
        (``kinds.sweeps.evaluate.evaluate``): a point's rule values override the base's
        ``params``, its stops and scaling fields the base's; ``blocks`` = S > 0 adds their
        block statistics.
        ``label`` is the pass's run id (a chunk's or a batch's id).

        A PYTHON base's points run in one sandbox (``kinds.sweeps.python_points``).

        :raise RequestError: the data cannot serve the base.
        """
        if is_python(base.get("rule_type")):
            from kinds.sweeps.python_points import evaluate_python_points

            return evaluate_python_points(self.apply, base, points, blocks)
        from kinds.runs.execute import load_market_data, market_window
        from kinds.sweeps.evaluate import (
            BLOCK_KEY,
            MetricRows,
            ParamRows,
            evaluate,
            metric_columns,
            metric_rows,
        )

        params_list: Sequence[dict]
        trading: Sequence[Mapping[str, Any]] | None
        if isinstance(points, Points):  # a sweep chunk's points, by column
            rule, stops = split_points(points)
            params_list = ParamRows(base["params"], rule)
            trading = stops if stops.names else None
        else:
            parts = [split_swept(dict(point)) for point in points]
            params_list = [{**base["params"], **rule} for rule, _ in parts]
            trading = [stops for _, stops in parts]
        first = params_list[0] if len(params_list) else base["params"]
        request = RunRequest.from_stored({**base, "run_id": label, "params": first})
        frame = market_window(load_market_data(request))
        metrics = evaluate(frame, request, params_list, trading=trading, blocks=blocks)
        columns = metric_columns(metrics)
        rows = MetricRows(columns) if isinstance(points, Points) else metric_rows(columns)
        return Scored(rows, metrics.get(BLOCK_KEY), frame.data_hash, columns)

    def evaluate_batch(self, requests: Sequence[dict[str, Any]]) -> list[Outcome]:
        """Every request's metrics, the points sharing a base evaluated in one vectorised pass.

        :raise RequestError: a request's data cannot serve it.
        """
        from kinds.runs.execute import load_market_data, market_window
        from kinds.sweeps.evaluate import evaluate, metric_rows

        groups: dict[str, list[int]] = {}
        for at, request in enumerate(requests):
            shared = {k: v for k, v in request.items() if k not in STOPS_AND_PARAMS}
            groups.setdefault(json.dumps(shared, sort_keys=True, default=str), []).append(at)
        out: list[Outcome | None] = [None] * len(requests)
        for rows in groups.values():
            first = RunRequest.from_stored(requests[rows[0]])
            frame = market_window(load_market_data(first))
            params = [requests[i]["params"] for i in rows]
            trading = [_trading(requests[i]) for i in rows]
            metrics = metric_rows(evaluate(frame, first, params, trading=trading))
            for i, row in zip(rows, metrics, strict=True):
                out[i] = Outcome(requests[i], {"metrics": row}, "", row)
        return [outcome for outcome in out if outcome is not None]


def _trading(request: dict[str, Any]) -> dict[str, Any]:
    """A stored run request's stops (``None``: off) and the scaling fields it holds."""
    stops = {name: request.get(name) for name in STOP_FIELDS}
    held = (*SCALING_SPECS, *LIQUIDITY_SPECS)
    return stops | {spec.name: request[spec.name] for spec in held if spec.name in request}


SEARCH = RunSearch()
"""The run kind's search (``RUN.search``)."""
