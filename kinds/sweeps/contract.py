"""The sweep contract: a base run request plus a grid of rule parameters (and optionally several
tickers), how it is cut into chunks, and the chunk message a consumer executes.

A sweep request has the run contract's fields minus ``run_id``, ``rule_id`` and ``charts``;
``params`` may name only some parameters (the others take the registry's defaults);
``grid`` maps parameters to a list of values or a ``"start:stop:step"`` range
(``kinds.sweeps.grid``); ``tickers`` (a list) may replace ``ticker``; ``chunk_size`` (50 to
2,000; default the caller's, the web's SWEEP_CHUNK_SIZE setting, else 1,000) is how many
combinations one queued message holds. A request that names no ``chunk_size`` has it sized
once its data are known (``sized_chunk_size``): a large sweep gets fewer, larger chunks.
The sweep's own fields are modelled by ``kinds.sweeps.request_model``, which also gives the
request's JSON Schema.
A grid parameter overrides the same name in ``params``; a swept stop (``stop_loss_pct``,
``take_profit_pct``, ``trailing_stop_pct``; ``null`` = off) or scaling field
(``max_entries``, ``exit_fraction``, ``take_profit_fraction``) overrides the request's own.

Combinations are numbered ``combo_no`` 0..N-1: ticker by ticker (in the order given), then
the grid's order. A chunk holds consecutive combinations of one ticker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import SCALING_FIELDS
from engine.param_specs import TAKE_PROFIT_FRACTION, TAKE_PROFIT_FRACTION_ALONE, TAKE_PROFIT_PCT
from kinds.runs.contract import REQUEST_FIELDS, RequestError, RunRequest, new_run_id, parse_request
from kinds.runs.fields import RUN_ID_PATTERN
from kinds.runs.python_request import is_python
from kinds.sweeps.fields import (
    CHUNK_SIZE_MAX,
    CHUNK_SIZE_MIN,
    CSCV_BLOCKS,
    DEFAULT_CHUNK_SIZE,
    NOT_SWEEP_FIELDS,
    SWEEP_FIELDS,
)
from kinds.sweeps.grid import (
    Grid,
    KeptCombos,
    Points,
    check_value,
    entry_param_specs,
    expand_grid,
    fraction_without_take_profit,
    points_between,
    size_param_specs,
    split_entry_values,
    split_size_values,
    split_swept,
    trading_fields,
)
from rules import RuleSpec, RuleValidationError, validate_rule
from rules.registry import spec_for
from work.errors import unknown_field

if TYPE_CHECKING:  # pragma: no cover
    from kinds.sweeps.caps import RequestCaps

SWEEP_ID = re.compile(RUN_ID_PATTERN)
"""What a sweep id looks like (a lower-case UUID4, as a run id); anything else is no sweep."""

TRADING_FIELDS = tuple(
    name
    for name in REQUEST_FIELDS
    if name not in (*NOT_SWEEP_FIELDS, "ticker", "rule_type", "params")
)
"""Run fields a sweep passes to every combination as they are: the dates and the trading
parameters (every run field but the ticker and the rule, which a sweep varies, and those it
may not carry); the command line's options (``scripts.bulk_sweep``) too."""


SIZED_CHUNKS = 8
"""How many chunks the web aims at when it sizes a large sweep's chunks itself: one wave of
the ScaledJob's 8 concurrent Jobs. Each chunk costs a process start-up (~1 CPU-s): 100,000
combinations in 1,000-combination chunks spent 80% of their time starting processes and
took 67.5 s; in 8 chunks they take 10.8 s on 2 cores (bench.sweep_bench (d))."""

CHUNK_CELL_BUDGET = 30_000_000
"""Combinations × bars one sized chunk may evaluate: the chunk's arrays (signals, positions,
equity) grow with both. 12,500 RSI combinations × 2,148 bars (27 M) peaked at 212 MB RSS,
10,000 SMA_CROSS × 2,148 at 165 MB (bench.sweep_bench (a)): inside the consumer pod's
512 Mi memory request, however long the data."""


def sized_chunk_size(configured: int | None, combinations: int, bars: int) -> int:
    """The chunk size of a request that names none, once its data are known: the default
    (``default_chunk_size``) for a small sweep; for a large one, about ``SIZED_CHUNKS``
    chunks, never more than ``CHUNK_CELL_BUDGET`` combinations × ``bars`` (the most bars a
    combination's signals are computed on) per chunk."""
    base = default_chunk_size(configured)
    wanted = -(-combinations // SIZED_CHUNKS)
    ceiling = CHUNK_CELL_BUDGET // max(bars, 1)
    return max(base, min(wanted, ceiling))


PYTHON_CHUNK_CELLS = 1_000_000
"""Combinations × bars one sized chunk of a PYTHON sweep runs in its one sandbox: its
strategy runs bar by bar at some 35 µs of CPU a combination and bar (bench.strategy_bench
(e)), so about 35 CPU-s a chunk, well inside one run's SANDBOX_CPU_SECONDS; a
500-combination sweep on 2,148 bars is two chunks of 250, one per core."""


def sized_python_chunk_size(combinations: int, bars: int) -> int:
    """The chunk size of a PYTHON sweep that names none: its combinations × ``bars`` cut
    into the fewest chunks of at most ``PYTHON_CHUNK_CELLS``, of equal size."""
    chunks = max(1, -(-(combinations * max(bars, 1)) // PYTHON_CHUNK_CELLS))
    return min(CHUNK_SIZE_MAX, max(1, -(-combinations // chunks)))


def default_chunk_size(configured: int | None = None) -> int:
    """The chunk size of a request that names none: ``configured`` (the web's
    SWEEP_CHUNK_SIZE setting, ``config.Settings``) held to the allowed range, else
    ``DEFAULT_CHUNK_SIZE``."""
    size = DEFAULT_CHUNK_SIZE if configured is None else configured
    return min(max(size, CHUNK_SIZE_MIN), CHUNK_SIZE_MAX)


@dataclass(frozen=True)
class SweepRequest:
    """A validated sweep. ``base`` is the run request of the first combination on the first
    ticker (every shared field normalised by the run contract); ``params`` is every rule
    parameter's base value; ``grid`` the expanded, constraint-filtered combinations."""

    sweep_id: str
    tickers: tuple[str, ...]
    base: RunRequest
    params: dict[str, Any]
    grid: Grid
    chunk_size: int
    cscv_blocks: int = CSCV_BLOCKS
    top_k: int | None = None
    """Stored compactly (``kinds.sweeps.compact``): each chunk keeps its best ``top_k``
    combinations by each metric as rows; None: every combination is a row."""
    pbo_stride: int = 1
    """Stored compactly: the combinations whose combo_no is a multiple of it keep their
    block statistics (what the PBO is computed on)."""
    random: dict[str, int] | None = None
    """A PYTHON sweep's sample of its grid (``{"points", "seed"}``); None: every
    combination."""

    @property
    def rule_type(self) -> str:
        return self.base.rule_type

    @property
    def combos(self) -> int:
        """Combinations that run, over all tickers."""
        return len(self.grid.combos) * len(self.tickers)

    @property
    def chunk_count(self) -> int:
        """How many chunks ``chunk_payloads`` cuts the sweep into, counted without cutting."""
        return len(self.tickers) * -(-len(self.grid.combos) // self.chunk_size)

    def to_dict(self) -> dict[str, Any]:
        """The normalised request as stored: ranges expanded into value lists."""
        fields = self.base.to_dict()
        return {
            "sweep_id": self.sweep_id,
            "tickers": list(self.tickers),
            "rule_type": self.rule_type,
            "params": self.params,
            "grid": {name: self.grid.values[name] for name in self.grid.names},
            **{name: fields[name] for name in TRADING_FIELDS if name in fields},
            "chunk_size": self.chunk_size,
            "cscv_blocks": self.cscv_blocks,
            **({} if self.random is None else {"random": self.random}),
        }


RESOLVED_TYPES = ("text", "bounds")
"""Parameter types a request's own spec checked and normalised (EXPR's texts and bounds)."""


def _spec_for(rule_type: str, params: object) -> RuleSpec:
    """The rule's spec for this request (EXPR: its texts' parameters).

    :raise RequestError: naming the bad text or bounds (``params.entry``…).
    """
    try:
        return spec_for(rule_type, params)
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None


def _base_params(spec: RuleSpec, params: dict | None, grid: object) -> dict[str, Any]:
    """Every parameter's base value: ``params`` (an object, ``SweepRequestBody`` saw to
    that), else the registry default. Every value sent is checked, a swept parameter's too
    (a bad ``params.period`` is a 400 even when ``grid.period`` overrides it); a swept
    parameter keeps its default here and the grid gives its values. An EXPR's texts and
    bounds are checked and normalised by its own spec (``rules.registry.spec_for``), whose
    defaults they are; its $parameters have no default: a swept one keeps the value sent
    in ``params``, else ``_fill_swept`` gives it the grid's first. ``spec``: the request's
    (``_spec_for``)."""
    params = params or {}
    names = [p.name for p in spec.params]
    for key in params:
        if key not in names:
            path = f"params.{str(key)[:40]}"
            raise RequestError(path, f"{path} is not a parameter of {spec.rule_type}")
    base = spec.defaults()
    swept = grid if isinstance(grid, dict) else {}
    for param in spec.params:
        if param.name not in params or param.type in RESOLVED_TYPES:
            continue
        value = params[param.name]
        if param.type != "rules":  # sub-rules: the registry checks them per combination
            value = check_value(param, value, f"params.{param.name}")
        if param.name not in swept or base[param.name] is None:
            base[param.name] = value
    return base


def _fill_swept(base: dict[str, Any], grid: Grid) -> dict[str, Any]:
    """``base`` with each swept parameter that has no default (an EXPR ``$name`` not sent
    in ``params``) at its value in the grid's first combination, so the stored params hold
    a value for every parameter, as a built-in rule's (its default) do, never null."""
    first = dict(zip(grid.names, grid.combos[0], strict=True))
    return {name: first[name] if value is None and name in first else value
            for name, value in base.items()}  # fmt: skip


def _with_swept_trading(shared: dict[str, Any], grid: Grid) -> dict[str, Any]:
    """The run fields ``shared`` with the first combination's swept scaling fields, and its
    take-profit when the grid sweeps ``take_profit_pct`` beside a ``take_profit_fraction``
    below 1, which needs one at every point (docs/execution.md, "Scaling in and out"): the
    base request is checked, and stored, with them; each point overrides them as any
    swept stop.

    :raise RequestError: when a point has a ``take_profit_fraction`` below 1 and no
        take-profit: naming ``grid.take_profit_fraction`` when the fraction is swept,
        ``take_profit_fraction`` when it is the request's.
    """
    fraction, percent = TAKE_PROFIT_FRACTION.name, TAKE_PROFIT_PCT.name
    fractions = grid.values.get(fraction, [shared.get(fraction, 1)])
    percents = grid.values.get(percent, [shared.get(percent)])
    if any(value != 1 for value in fractions) and None in percents:
        if fraction in grid.values:
            raise fraction_without_take_profit(f"grid.{fraction}")
        raise RequestError(fraction, TAKE_PROFIT_FRACTION_ALONE)
    first = grid.trading(grid.combos[0])
    out = {**shared, **{name: first[name] for name in SCALING_FIELDS if name in first}}
    if out.get(fraction, 1) != 1 and percent in first:
        out[percent] = first[percent]
    return out


def parse_sweep_request(
    payload: object, chunk_size: int | None = None, caps: RequestCaps | None = None
) -> SweepRequest:
    """Validate a sweep request body (a decoded JSON object); ``chunk_size`` is the default
    for a request that names none (``default_chunk_size``: the web passes its
    SWEEP_CHUNK_SIZE setting; None is 1,000); ``caps`` the request's caps on combinations
    (``kinds.sweeps.caps``), checked with the grid before its combinations are built.

    The sweep's own fields are checked by ``kinds.sweeps.request_model.SweepRequestBody``, the
    rule, params and grid against the registry (``kinds.sweeps.grid``), every field shared with a
    run like a run's (``kinds.runs.contract.parse_request`` on the first combination of each
    ticker). Whether each ticker's data covers the dates is checked by the caller
    (``kinds.sweeps.service.validate_sweep``).

    :raise RequestError: for the first problem, in the order: unknown fields, the tickers,
        the rule, params, the grid, chunk_size, then the run fields; naming the field:
        ``grid.fast``, ``tickers[1]``, ``chunk_size``…
    """
    from kinds.sweeps.request_model import check_sweep_fields  # pydantic: on first use

    if not isinstance(payload, dict):
        raise RequestError("body", "must be a JSON object")
    unknown = sorted(set(payload) - set(SWEEP_FIELDS))
    if unknown:
        raise RequestError(*unknown_field(unknown[0], "sweep request"))
    fields = check_sweep_fields(payload)
    fields.raise_for("tickers")
    if is_python(payload.get("rule_type")):
        return _python_sweep(payload, fields, chunk_size, caps)
    if payload.get("random") is not None:
        raise RequestError("random", "applies only to rule_type PYTHON")
    try:
        rule_type = validate_rule(payload.get("rule_type"), None)[0]
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    fields.raise_for("params")
    spec = _spec_for(rule_type, payload.get("params"))
    base = _base_params(spec, payload.get("params"), payload.get("grid"))
    fields.raise_for("grid")
    n_tickers = len(payload["tickers"]) if "tickers" in payload else 1
    entry = {
        **entry_param_specs(payload.get("entry_order")),
        **size_param_specs(payload.get("size_expr")),
    }
    grid = expand_grid(spec, payload["grid"], base, n_tickers=n_tickers, caps=caps, entry=entry)
    base = _fill_swept(base, grid)
    fields.raise_for("chunk_size")
    fields.raise_for("cscv_blocks")
    body = fields.body
    assert body is not None  # every problem belongs to a stage raised above

    tickers = body.tickers if body.tickers is not None else [body.ticker]
    shared = {name: payload[name] for name in TRADING_FIELDS if name in payload}
    first_entry = split_entry_values(grid.trading(grid.combos[0]), shared.get("entry_order"))[1]
    if first_entry is not None:  # the first combination's $name values complete the order
        shared["entry_order"] = first_entry
    first_size = split_size_values(grid.trading(grid.combos[0]), shared.get("size_expr"))
    if first_size is not None:  # and the size expression
        shared["size_expr"] = first_size
    first_params = grid.params(base, grid.combos[0])
    shared = _with_swept_trading(shared, grid)
    requests = ticker_requests(shared, tickers, rule_type, first_params, body.tickers is not None)
    return _sweep(requests, base, grid, body, chunk_size)


def _sweep(
    requests: list, base: dict, grid: Any, body: Any, chunk_size: int | None, random: Any = None
) -> SweepRequest:
    """A new sweep of ``requests`` (one per ticker) over ``grid`` from ``base``: its chunk
    size the request's, else the default for ``chunk_size`` (the web's cap)."""
    return SweepRequest(
        sweep_id=new_run_id(),
        tickers=tuple(request.ticker for request in requests),
        base=requests[0],
        params=base,
        grid=grid,
        chunk_size=default_chunk_size(chunk_size) if body.chunk_size is None else body.chunk_size,
        cscv_blocks=body.cscv_blocks,
        random=random,
    )


def _python_sweep(
    payload: dict[str, Any], fields: Any, chunk_size: int | None, caps: RequestCaps | None
) -> SweepRequest:
    """``parse_sweep_request`` of a PYTHON sweep: its class attributes' grid
    (``kinds.sweeps.python_sweep``), then the run fields of each ticker as a rule sweep's."""
    from kinds.runs.python_request import RULE_TYPE
    from kinds.sweeps.python_sweep import python_grid

    base, grid, random = python_grid(payload, fields, caps)
    fields.raise_for("chunk_size")
    fields.raise_for("cscv_blocks")
    body = fields.body
    tickers = body.tickers if body.tickers is not None else [body.ticker]
    shared = {name: payload[name] for name in TRADING_FIELDS if name in payload}
    first = {**base, **dict(zip(grid.names, grid.combos[0], strict=True))}
    requests = ticker_requests(shared, tickers, RULE_TYPE, first, body.tickers is not None)
    return _sweep(requests, base, grid, body, chunk_size, random)


def ticker_requests(
    shared: dict[str, Any], tickers: list[str], rule_type: str, params: dict, listed: bool
) -> list[RunRequest]:
    """The run request of the first combination on each ticker: the sweep's run fields
    checked as a run's (``parse_request``).

    :raise RequestError: naming the field; ``tickers[i]`` for a ticker of a ``listed`` list.
    """
    requests = []
    for index, ticker in enumerate(tickers):
        run = {**shared, "ticker": ticker, "rule_type": rule_type, "params": params}
        try:
            requests.append(parse_request(run, strict=True))
        except RequestError as exc:
            if exc.field == "ticker" and listed:
                raise RequestError(f"tickers[{index}]", exc.message) from None
            raise
    return requests


def window_request(payload: dict) -> RunRequest | None:
    """The run request of a sweep body's first ticker and its dates, with the rule's default
    parameters: what the bars of its window can be counted on before its grid is expanded
    (a walk-forward counts its folds so, ``kinds.walkforward.service``). None when those
    fields are at fault: ``parse_sweep_request`` then names the first problem in its order.
    """
    tickers = payload.get("tickers")
    ticker = tickers[0] if isinstance(tickers, list) and tickers else payload.get("ticker")
    run = {name: payload[name] for name in TRADING_FIELDS if name in payload}
    try:
        return parse_request({**run, "ticker": ticker, "rule_type": payload.get("rule_type")})
    except RequestError:
        return None


@dataclass(frozen=True)
class ChunkPlan:
    """Consecutive combinations of one ticker: ``combos[k]`` is combination number
    ``combo_first + k``."""

    chunk_no: int
    ticker: str
    combo_first: int
    combos: list[tuple]


def chunk_id(sweep_id: str, chunk_no: int) -> str:
    """A chunk's id, which is also its RQ job id: ``<sweep_id>-c<chunk_no>``."""
    return f"{sweep_id}-c{chunk_no}"


def plan_chunks(combos: list[tuple], tickers: tuple[str, ...], chunk_size: int) -> list[ChunkPlan]:
    """Cut the combinations of every ticker into chunks of at most ``chunk_size``; every
    combination lands in exactly one chunk, and a chunk never spans two tickers."""
    chunks: list[ChunkPlan] = []
    for index, ticker in enumerate(tickers):
        offset = index * len(combos)
        for first in range(0, len(combos), chunk_size):
            chunks.append(
                ChunkPlan(len(chunks), ticker, offset + first, combos[first : first + chunk_size])
            )
    return chunks


def _chunk_message(sweep: SweepRequest, chunk_no: int, ticker: str, combo_first: int) -> dict:
    """What every chunk message of ``sweep`` holds but its combinations."""
    request = {
        name: value for name, value in sweep.base.to_dict().items() if name not in NOT_SWEEP_FIELDS
    }
    request.update(ticker=ticker, params=sweep.params)
    return {
        "chunk_id": chunk_id(sweep.sweep_id, chunk_no),
        "sweep_id": sweep.sweep_id,
        "chunk_no": chunk_no,
        "combo_first": combo_first,
        "request": request,
        "grid_params": list(sweep.grid.names),
        "grid_values": [sweep.grid.values[name] for name in sweep.grid.names],
    }


def chunk_payload(sweep: SweepRequest, chunk: ChunkPlan) -> dict[str, Any]:
    """The queue message of one chunk (JSON): the sweep's base run request, the swept
    parameter names, each one's value list (``grid_values``, in the names' order: what the
    chunk finds its combinations' grid positions in) and the chunk's combinations as value
    rows."""
    return {
        **_chunk_message(sweep, chunk.chunk_no, chunk.ticker, chunk.combo_first),
        "combos": [list(combo) for combo in chunk.combos],
        "cscv_blocks": sweep.cscv_blocks,
        **compact_fields(sweep.top_k, sweep.pbo_stride),
    }


def compact_payloads(sweep: SweepRequest, combos: KeptCombos) -> list[dict[str, Any]]:
    """Every chunk message of a sweep stored compactly whose grid is large
    (``kinds.sweeps.grid.KeptCombos``): instead of its combinations, a chunk names the
    range of flat grid indices they lie in (``grid_range``, stop exclusive) and how many it
    keeps there (``combo_count``); ``range_combos`` rebuilds them. A few hundred bytes a
    chunk, however many combinations it holds."""
    out: list[dict[str, Any]] = []
    kept = len(combos)
    for index, ticker in enumerate(sweep.tickers):
        for first in range(0, kept, sweep.chunk_size):
            last = min(first + sweep.chunk_size, kept)
            grid_range = [int(combos.flat[first]), int(combos.flat[last - 1]) + 1]
            message = _chunk_message(sweep, len(out), ticker, index * kept + first)
            message.update(grid_range=grid_range, combo_count=last - first)
            message.update(cscv_blocks=sweep.cscv_blocks)
            out.append({**message, **compact_fields(sweep.top_k, sweep.pbo_stride)})
    return out


def range_combos(payload: dict[str, Any]) -> list[list] | None:
    """The combinations of a compact chunk message (``compact_payloads``) as value rows,
    rebuilt from its grid range and the rule's constraints; None for a message that lists
    them (``combos``) or does not describe a range.

    :raise RequestError: a range that does not hold ``combo_count`` combinations.
    """
    points = range_points(payload)
    return None if points is None else [list(point.values()) for point in points]


def range_points(payload: dict[str, Any]) -> Points | None:
    """``range_combos`` as ``Points`` (each point's indices into the grid's value lists,
    no row a combination); None for a message that lists its combinations or does not
    describe a range.

    :raise RequestError: a range that does not hold ``combo_count`` combinations.
    """
    grid_range, request = payload.get("grid_range"), payload.get("request")
    names, values = payload.get("grid_params"), payload.get("grid_values")
    by_name = grid_values(names, values) if isinstance(names, list) else None
    if not (isinstance(grid_range, list) and isinstance(request, dict) and by_name):
        return None
    spec = _spec_for(request.get("rule_type"), request.get("params"))
    first, stop = (int(bound) for bound in grid_range)
    base = {**spec.defaults(), **request.get("params", {})}
    points = points_between(spec, tuple(names), by_name, base, first, stop)
    if len(points) != payload.get("combo_count"):
        raise RequestError("grid_range", "the chunk's grid range does not hold its combinations")
    return points


def compact_fields(top_k: int | None, pbo_stride: int) -> dict[str, int]:
    """A chunk message's fields of a sweep stored compactly (none for one stored row by
    row, whose messages keep their shape)."""
    return {} if top_k is None else {"top_k": top_k, "pbo_stride": pbo_stride}


def chunk_payloads(sweep: SweepRequest) -> list[dict[str, Any]]:
    """Every chunk's queue message, ``sweep.chunk_size`` combinations each (a large sweep
    stored compactly: ``compact_payloads``)."""
    if sweep.top_k is not None and isinstance(sweep.grid.combos, KeptCombos):
        return compact_payloads(sweep, sweep.grid.combos)
    plans = plan_chunks(sweep.grid.combos, sweep.tickers, sweep.chunk_size)
    return [chunk_payload(sweep, plan) for plan in plans]


@dataclass(frozen=True)
class ChunkSpec:
    """A chunk message, parsed: ``request`` is the run request of its first combination,
    ``params_list`` every combination's full parameters, ``swept`` their swept values."""

    chunk_id: str
    sweep_id: str
    chunk_no: int
    combo_first: int
    request: RunRequest
    params_list: list[dict[str, Any]]
    swept: list[dict[str, Any]]
    trading: list[dict[str, Any]] = field(default_factory=list)
    """Per combination, the swept stop parameters that override ``request``'s (empty dicts,
    or an empty list, when no stop is swept)."""
    cscv_blocks: int = 0
    """S, the blocks each combination's returns are summed over for the overfitting
    statistics (0: none; messages queued before the field carry none)."""
    grid: dict[str, list] | None = None
    """Each swept parameter's value list, in the grid's order (None: a message queued before
    ``grid_values``, or one whose values do not match its names)."""
    base: dict[str, Any] = field(default_factory=dict)
    """The message's base run request as queued (``request``: the sweep's params, without the
    swept values), what the run kind's search evaluates the points of
    (``kinds.sweeps.search_sweep.evaluate_sweep_chunk``)."""


def parse_chunk(payload: object) -> ChunkSpec:
    """Read a chunk message (``strict=False``: fields a newer web adds are ignored).

    :raise RequestError: for a message that does not describe a chunk.
    """
    if not isinstance(payload, dict):
        raise RequestError("body", "a chunk message must be a JSON object")
    names = payload.get("grid_params")
    combos = payload.get("combos")
    request = payload.get("request")
    if not (isinstance(names, list) and isinstance(combos, list) and combos):
        raise RequestError("combos", "a chunk message needs grid_params and combos")
    if not isinstance(request, dict) or not isinstance(request.get("params"), dict):
        raise RequestError("request", "a chunk message needs its base request")
    swept = [dict(zip(names, combo, strict=True)) for combo in combos]
    parts = [split_swept(values) for values in swept]
    params_list = [{**request["params"], **rule} for rule, _ in parts]
    # The base request was validated when the sweep was submitted; the chunk id labels it.
    first = RunRequest.from_stored(
        {"run_id": str(payload.get("chunk_id", "")), **request, "params": params_list[0]}
    )
    return ChunkSpec(
        chunk_id=str(payload.get("chunk_id", "")),
        sweep_id=str(payload.get("sweep_id", "")),
        chunk_no=int(payload.get("chunk_no", 0)),
        combo_first=int(payload.get("combo_first", 0)),
        request=first,
        params_list=params_list,
        swept=swept,
        trading=[stops for _, stops in parts],
        cscv_blocks=int(payload.get("cscv_blocks") or 0),
        grid=grid_values(names, payload.get("grid_values")),
        base=request,
    )


def grid_values(names: list, values: object) -> dict[str, list] | None:
    """A message's ``grid_values`` by parameter name; None when it has none (older than
    the field) or they do not match ``names``."""
    if not (isinstance(values, list) and len(values) == len(names)):
        return None
    if not all(isinstance(column, list) for column in values):
        return None
    return dict(zip(names, values, strict=True))


def combo_run_request(stored: dict[str, Any], ticker: str, swept: dict[str, Any]) -> dict:
    """The ``POST /run_backtest`` body that runs one combination of a stored sweep request
    on its own (with charts): the sweep's shared fields, its base params with the swept
    values (a swept stop replaces the shared one)."""
    rule, trading = split_swept(swept)
    stops = trading_fields(trading, stored.get("entry_order"), stored.get("size_expr"))
    body = {
        "ticker": ticker,
        "rule_type": stored["rule_type"],
        "params": {**stored["params"], **rule},
        **{name: stored[name] for name in TRADING_FIELDS if name in stored},
        **stops,
        "charts": True,
    }
    return {name: value for name, value in body.items() if not (name in stops and value is None)}
