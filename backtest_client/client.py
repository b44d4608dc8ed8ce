"""``Client``: the platform's JSON API for Python code and notebooks: submit runs and
sweeps, wait for them, read their results as pandas objects (docs/client.md)."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import requests

from backtest_client import frames
from backtest_client.items import Item
from backtest_client.polling import Handle
from backtest_client.portfolios import Portfolio
from backtest_client.runs import Run
from backtest_client.studies import Study
from backtest_client.sweeps import Sweep
from backtest_client.transport import (
    Transport,
    answer_error,
    default_token,
    default_url,
    error_body,
)
from backtest_client.walkforward import WalkForward

H = TypeVar("H", bound=Handle)


def _body(**fields: Any) -> dict[str, Any]:
    """The request body: the fields given, without the ones left None (server defaults)."""
    return {name: value for name, value in fields.items() if value is not None}


def strategy_fields(strategy: type, rule_type: str | None = None) -> dict[str, str]:
    """``strategy_code`` (the source of the module defining ``strategy``, read by
    ``inspect.getsource``) and ``strategy_class`` (its name) of a rule_type PYTHON request.

    :raise ValueError: ``rule_type`` names another rule, or the class's module has no
        source file (a class typed at an interactive prompt).
    """
    import inspect

    if rule_type is not None and rule_type.upper() != "PYTHON":
        raise ValueError(f"strategy: runs as rule_type PYTHON, not {rule_type}")
    module = inspect.getmodule(strategy)
    try:
        code = inspect.getsource(module) if module is not None else None
    except (OSError, TypeError):
        code = None
    if not code:
        raise ValueError(f"strategy: the source of {strategy.__name__}'s module is not found")
    return {"strategy_code": code, "strategy_class": strategy.__name__}


def _window(start_date: str | None, end_date: str | None, params: Any) -> dict[str, Any]:
    """The fields every request of a rule over a date window has: the window and the rule's
    (fixed) parameters."""
    return {"start_date": start_date, "end_date": end_date, "params": params}


def _over_portfolio(base: dict[str, Any]) -> dict[str, Any]:
    """The fields every search over a portfolio (a sweep, walk-forward or study) starts
    with: the kind it searches and its base portfolio request."""
    return {"kind": "portfolio", "base": base}


class Client:
    """The platform at ``url`` (default ``BACKTEST_URL``, else http://127.0.0.1:5000), with
    ``token`` sent as ``Authorization: Bearer`` (default ``BACKTEST_TOKEN``).

    ``timeout`` bounds each HTTP call; ``retries`` is how often an unreachable or overloaded
    platform is tried again (``backtest_client.transport``).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        *,
        retries: int = 3,
        session: requests.Session | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.http = transport or Transport(
            url or default_url(),
            token=token or default_token(),
            timeout=timeout,
            retries=retries,
            session=session,
        )

    def __repr__(self) -> str:
        return f"<Client {self.http.base_url}>"

    @property
    def url(self) -> str:
        return self.http.base_url

    # -- runs ------------------------------------------------------------------------------

    def run(
        self,
        ticker: str,
        rule_type: str | None = None,
        params: dict[str, Any] | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        *,
        strategy: type | None = None,
        **fields: Any,
    ) -> Run:
        """Submit one backtest (``POST /run_backtest``); its ``Run`` handle.

        ``fields`` are the request's other fields (``initial_capital``, ``fee_rate``,
        ``slippage_bps``, ``position_size``, ``size_type``, ``direction``, ``charts``…; see
        docs/api.md); ``run_id`` may be one of them. ``strategy``: a ``backtest_strategy``
        Strategy class, run as rule_type PYTHON (its module's source is sent as
        ``strategy_code``, its name as ``strategy_class``; ``params`` set its attributes).

        :raise BacktestRequestError: refused, ``field`` naming the input at fault.
        :raise BacktestUnavailable: the platform could not take it (nothing was recorded,
            or the run is FAILED "queue unavailable": ``run_id`` names it).
        """
        window = _window(start_date, end_date, params)
        if strategy is not None:
            fields = {**strategy_fields(strategy, rule_type), **fields}
            rule_type = "PYTHON"
        return self.submit(_body(ticker=ticker, rule_type=rule_type, **window, **fields))

    def submit(self, body: dict[str, Any]) -> Run:
        """Submit a run request body as it is (``POST /run_backtest``): a dict of the run
        request's fields, e.g. a sweep combo's ``run_request``. Its run_id, when it has none,
        is chosen here, so a submission retried after a lost answer cannot make a second run.
        Raises as ``run``."""
        chosen = body.get("run_id")
        run_id = chosen or str(uuid.uuid4())
        response = self.http.request("POST", "/run_backtest", json={**body, "run_id": run_id})
        if response.status_code == 409 and not chosen:
            # only an earlier try of this very call can hold a run_id chosen here
            return Run(self.http, run_id)
        if response.status_code != 202:
            raise answer_error(response, "POST /run_backtest")
        return Run(self.http, error_body(response).get("run_id") or run_id)

    def get_run(self, run_id: str) -> Run:
        """A handle on an existing run (``run.wait()`` or ``run.result()`` to read it)."""
        return Run(self.http, run_id)

    # -- sweeps ----------------------------------------------------------------------------

    def sweep(
        self,
        rule_type: str,
        grid: dict[str, Any],
        tickers: str | list[str],
        start_date: str | None = None,
        end_date: str | None = None,
        params: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Sweep:
        """Submit a parameter sweep (``POST /api/sweeps``); its ``Sweep`` handle.

        ``grid`` maps a parameter to a list of values or a ``"start:stop:step"`` range;
        ``tickers`` is one ticker or a list; ``params`` fixes parameters not swept;
        ``fields`` are the shared run fields and ``chunk_size`` (docs/sweeps.md). Never
        retried: the platform names a sweep, so a second POST would be a second sweep.

        :raise BacktestRequestError: refused, ``field`` naming the input (``grid.fast``…).
        """
        listed = [tickers] if isinstance(tickers, str) else list(tickers)
        window = _window(start_date, end_date, params)
        return self._start(
            Sweep, "/api/sweeps", rule_type=rule_type, tickers=listed, grid=grid, **window, **fields
        )

    def sweep_portfolio(
        self,
        base: dict[str, Any],
        grid: dict[str, Any],
        random: dict[str, int] | None = None,
        **fields: Any,
    ) -> Sweep:
        """Submit a sweep over a portfolio (``POST /api/sweeps`` with ``kind: "portfolio"``);
        its ``Sweep`` handle, read like a run sweep's (``results``, ``top``, ``overfitting``).

        ``base`` is a portfolio request (``Client.portfolio``'s fields); ``grid`` maps each
        searched name (a ranking's ``$name``, ``top_n``, ``weighting``, ``schedule``,
        ``every_n_bars``, ``drift_threshold``) to a list or a ``"start:stop:step"`` range;
        ``random`` (``{"points": n, "seed": s}``) samples that many of the grid's points;
        ``fields``: ``chunk_size``, ``cscv_blocks`` (docs/sweeps.md). Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input (``grid.lookback``,
            ``base.tickers[2]``…).
        """
        return self._start(
            Sweep, "/api/sweeps", **_over_portfolio(base), grid=grid, random=random, **fields
        )

    def get_sweep(self, sweep_id: str) -> Sweep:
        """A handle on an existing sweep."""
        return Sweep(self.http, sweep_id)

    # -- the signal analyzer ---------------------------------------------------------------

    def analyze_signals(
        self,
        ticker: str,
        rule_type: str,
        params: dict[str, Any] | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        horizons: list[int] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """``POST /api/analyze_signals``: a rule's signals on a ticker and window, before
        any trading — counts, gaps, warm-up, forward returns after entries against a
        random-entry baseline, warnings (docs/rules.md#signal-analyzer). ``horizons`` are
        in bars (default 1, 5, 20); ``fields`` may be ``rule_id`` and ``timeframe``.
        Answered at once, nothing is stored, so a lost answer is simply asked again.

        :raise BacktestRequestError: refused, ``field`` naming the input at fault.
        """
        window = _window(start_date, end_date, params)
        body = _body(ticker=ticker, rule_type=rule_type, horizons=horizons, **window, **fields)
        return self.http.call("POST", "/api/analyze_signals", json=body).json()

    # -- walk-forward ----------------------------------------------------------------------

    def walkforward(
        self,
        rule_type: str,
        grid: dict[str, Any],
        ticker: str,
        train_bars: int,
        test_bars: int,
        start_date: str | None = None,
        end_date: str | None = None,
        params: dict[str, Any] | None = None,
        **fields: Any,
    ) -> WalkForward:
        """Submit a walk-forward (``POST /api/walkforward``); its ``WalkForward`` handle.

        ``fields`` are the sweep's shared run fields and the walk-forward's ``step_bars``,
        ``anchored``, ``metric``, ``min_trades`` (docs/walkforward.md). Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input (``train_bars``…).
        """
        window = _window(start_date, end_date, params)
        return self._start(
            WalkForward,
            "/api/walkforward",
            rule_type=rule_type,
            ticker=ticker,
            grid=grid,
            train_bars=train_bars,
            test_bars=test_bars,
            **window,
            **fields,
        )

    def portfolio_walkforward(
        self,
        base: dict[str, Any],
        grid: dict[str, Any],
        train_bars: int,
        test_bars: int,
        random: dict[str, int] | None = None,
        **fields: Any,
    ) -> WalkForward:
        """Submit a walk-forward over a portfolio (``POST /api/walkforward`` with ``kind:
        "portfolio"``); its ``WalkForward`` handle, read as a run walk-forward's (``folds``
        and ``equity`` DataFrames).

        ``base`` is a portfolio request (``Client.portfolio``'s fields) whose dates span the
        whole walk; ``grid`` (and ``random``) are ``sweep_portfolio``'s, swept on each fold's
        training days; ``train_bars`` and ``test_bars`` count the universe's trading days;
        ``fields``: ``step_bars``, ``anchored``, ``metric``, ``min_trades`` (orders),
        ``chunk_size`` (docs/walkforward.md "Walking a portfolio forward"). Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input (``train_bars``,
            ``grid.lookback``, ``base.tickers[2]``…).
        """
        return self._start(
            WalkForward,
            "/api/walkforward",
            **_over_portfolio(base),
            grid=grid,
            random=random,
            train_bars=train_bars,
            test_bars=test_bars,
            **fields,
        )

    def get_walkforward(self, walkforward_id: str) -> WalkForward:
        """A handle on an existing walk-forward."""
        return WalkForward(self.http, walkforward_id)

    # -- optimisation studies --------------------------------------------------------------

    def study(
        self,
        rule_type: str,
        space: dict[str, dict[str, Any]],
        ticker: str,
        start_date: str | None = None,
        end_date: str | None = None,
        params: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Study:
        """Submit an optimisation study (``POST /api/studies``); its ``Study`` handle.

        ``space`` maps parameters to ``{"low", "high", "step"?, "log"?}``; ``fields`` are the
        run fields and the study's ``objectives``, ``sampler``, ``n_trials``, ``timeout_s``,
        ``parallelism``, ``batch_size``, ``seed`` (docs/api.md#studies). Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input (``space.period.low``…).
        """
        window = _window(start_date, end_date, params)
        return self._start(
            Study,
            "/api/studies",
            rule_type=rule_type,
            ticker=ticker,
            space=space,
            **window,
            **fields,
        )

    def portfolio_study(
        self, base: dict[str, Any], space: dict[str, dict[str, Any]], **fields: Any
    ) -> Study:
        """Submit a study over a portfolio (``POST /api/studies`` with ``kind: "portfolio"``);
        its ``Study`` handle, read as a run study's (``trials`` is the same DataFrame).

        ``base`` is a portfolio request (as ``portfolio`` sends it); ``space`` maps the names
        it declares searchable (its ranking's ``$names``, ``top_n``, ``every_n_bars``,
        ``drift_threshold``) to ``{"low", "high", "step"?, "log"?}``; ``fields`` are the
        study's ``objectives``, ``sampler``, ``n_trials``, ``timeout_s``, ``parallelism``,
        ``batch_size``, ``seed``, ``name`` (docs/studies.md). Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input (``base.tickers[1]``,
            ``space.top_n.low``…).
        """
        return self._start(Study, "/api/studies", **_over_portfolio(base), space=space, **fields)

    def get_study(self, study_id: str) -> Study:
        """A handle on an existing study."""
        return Study(self.http, study_id)

    # -- portfolios -----------------------------------------------------------------------

    def portfolio(
        self,
        tickers: list[str],
        start_date: str,
        end_date: str,
        allocation: dict[str, Any] | None = None,
        rebalance: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Portfolio:
        """Submit a portfolio (``POST /api/portfolios``); its ``Portfolio`` handle.

        ``allocation`` (method, weights, score, filter, top_n, weighting), ``rebalance``
        (schedule, every_n_bars, drift_threshold), ``params`` (a value per ``$name``) and
        ``fields`` (initial_capital, fee_rate, fee_fixed, fee_per_share, fee_min, fee_max,
        slippage_bps, name, portfolio_id; with
        ``allocation={"method": "rules"}`` a ``strategy``: a run request's rule_type,
        params, stops and size, each ticker traded by that rule) as docs/portfolios.md
        says; left out, the platform's defaults. Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input (``tickers[3]``…).
        """
        return self._start(
            Portfolio,
            "/api/portfolios",
            tickers=list(tickers),
            allocation=allocation,
            rebalance=rebalance,
            **_window(start_date, end_date, params),
            **fields,
        )

    def get_portfolio(self, portfolio_id: str) -> Portfolio:
        """A handle on an existing portfolio."""
        return Portfolio(self.http, portfolio_id)

    # -- any kind, by its resource name -----------------------------------------------------

    def kinds(self) -> list[dict[str, Any]]:
        """``GET /api/kinds``: every kind of work the platform accepts — its ``resource``,
        ``noun``, ``id_field`` and URLs (submit, status, schema, checks, page)."""
        return self.http.get_json("/api/kinds")["kinds"]

    def submit_item(self, resource: str, body: dict[str, Any]) -> Item:
        """Submit ``body`` to ``POST /api/<resource>``; its ``Item`` handle (the id read
        from the answer's ``status_url``). Never retried.

        :raise BacktestRequestError: refused, ``field`` naming the input at fault.
        """
        accepted = self._submit_once(f"/api/{resource}", body)
        return Item(self.http, resource, accepted["status_url"].rstrip("/").rsplit("/", 1)[-1])

    def get_item(self, resource: str, item_id: str) -> Item:
        """A handle on an existing item of ``resource``."""
        return Item(self.http, resource, item_id)

    def check(self, noun: str, body: dict[str, Any]) -> None:
        """``POST /api/schema/<noun>/validate``: the checks the submission would make,
        recording nothing.

        :raise BacktestRequestError: it would be refused, ``field`` naming the input.
        """
        self.http.call("POST", f"/api/schema/{noun}/validate", json=body)

    def _start(self, handle: type[H], path: str, /, **fields: Any) -> H:
        """POST the ``fields`` given (``_body``) to ``path`` once (``_submit_once``); the
        ``handle`` on what it created, named by the answer's ``handle.ID_FIELD``, with the
        answer as ``accepted``."""
        accepted = self._submit_once(path, _body(**fields))
        return handle(self.http, accepted[handle.ID_FIELD], accepted)

    def _submit_once(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``path`` without retries (the platform names what it creates, so
        a second POST would create a second one); the acceptance answer."""
        return self.http.call("POST", path, retries=0, json=body).json()

    # -- the catalog -----------------------------------------------------------------------

    def rules(self) -> list[dict[str, Any]]:
        """``GET /api/rules``: every rule, its parameters (type, default, range) and
        constraints."""
        return self.http.get_json("/api/rules")

    def tickers(self) -> Any:
        """``GET /api/tickers`` as a DataFrame indexed by ticker (name, synthetic,
        description, first_date, last_date)."""
        return frames.pandas().DataFrame(self.http.get_json("/api/tickers")).set_index("ticker")
