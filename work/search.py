"""The search protocol: what a kind contributes so one implementation of each search (sweeps,
grid or random; walk-forward; studies) can search its requests (docs/work-kinds.md,
"search").

A kind declares ``WorkKind.search``, the ``module:attribute`` of an instance of its own
subclass of ``Search``, whose methods are these hooks:

* ``space(base)`` — the names a base request of that kind lets a search vary, each with its
  ``Domain`` (``int``/``float`` with optional inclusive bounds, or ``choice`` among values).
  A name is the kind's own: a run's rule parameter or stop (``fast``, ``stop_loss_pct``), a
  portfolio's ``$name`` of its ranking (``lookback``) or one of its settings (``top_n``,
  ``drift_threshold``).
* ``apply(base, point)`` — the request of one point: ``base`` with the point's values,
  validated like a submission of that kind (``RequestError`` naming ``grid.<name>``).
* ``evaluate_one(request)`` — the kind's own computation of one point's request: an
  ``Outcome`` (the kind's result, its JSON text — the bytes the same request submitted alone
  stores — and the registry metrics, ``metrics.SWEEP_METRIC_KEYS``, a search ranks by).
* ``evaluate_batch(requests)`` (optional) — a vectorised evaluator of many points at once
  (runs: ``kinds.sweeps.evaluate``); ``Search.evaluate`` uses it when present and evaluates
  point by point otherwise. A batch's outcomes may carry metrics only (``text`` empty): the
  same metrics ``evaluate_one`` gives, for searches that rank points.
* ``data(base, data_dir)`` (optional) — the data a base request reads, loaded (a
  ``BaseData``: its hash, its dated bars, their bars per year): what a study checks every
  batch against, and the bars a walk-forward cuts into folds (a fold reads its result's
  ``timestamps``, ``equity``, ``metrics``, ``benchmark`` and ``data_hash``, a portfolio's).
  A kind without it reads no data (its hash is ``NO_DATA``) and cannot be walked forward.
* ``label(base)`` (optional) — a base request in a few words (a sweep page's header: a
  portfolio's ranking); the kind's noun otherwise.
* ``evaluate_points(base, points, blocks, label)`` (optional) — a vectorised evaluator of
  many points of ONE base (the swept values only, never a request per point): their
  metrics, their block statistics when ``blocks`` > 0 and the data's hash (``Scored``).
  ``Search.score`` uses it when present; otherwise it applies each point to the base and
  evaluates the requests (``evaluate``), cutting their returns into blocks itself.

Every search asks a kind through ``score`` (sweep chunks and study batches, which rank
points by their metrics) or ``evaluate_one`` (a walk-forward fold's chosen point on its
training and test windows; a sweep's or study's best point computed alone): one
implementation of each search, whichever kind it searches.

The interface and plain data: the web, the consumer and every search import this module
without loading any kind; ``search_of`` imports a kind's search only when asked.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from work.errors import RequestError

if TYPE_CHECKING:  # pragma: no cover
    from engine.param_specs import NumberSpec
    from work.kind import WorkKind

DomainType = Literal["int", "float", "choice"]

NO_DATA = "none"
"""The data hash of a kind that reads no data (its ``Search`` declares no ``data``)."""


class BaseData(Protocol):
    """The data a base request reads, as ``Search.data`` loads it: its hash (a result's
    ``data_hash``), its dated bars (``days``: datetime64, oldest first) and how many make
    a year."""

    data_hash: str
    bars_per_year: float
    days: Any


@dataclass(frozen=True)
class Domain:
    """The values one searchable name may take: ``int`` or ``float`` between ``low`` and
    ``high`` (inclusive; None: unbounded), or one of ``choices``. ``default`` is the base
    request's value."""

    type: DomainType
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    default: Any = None

    @classmethod
    def of_spec(cls, spec: NumberSpec, default: Any, whole: bool = False) -> Domain:
        """The domain of a trading parameter (``engine.param_specs``): its bounds
        (an open bound is held inclusive), ``int`` when ``whole``."""
        low = spec.ge if spec.ge is not None else spec.gt
        return cls("int" if whole else "float", low, spec.le, default=default)

    def check(self, value: Any, path: str) -> Any:
        """``value`` as this domain holds it (an int stays int, a whole float of an ``int``
        domain becomes int).

        :raise RequestError: naming ``path`` when ``value`` is outside the domain.
        """
        if self.type == "choice":
            if value not in self.choices:
                options = ", ".join(repr(c) for c in self.choices)
                raise RequestError(path, f"must be one of {options}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RequestError(path, f"must be a number ({self.type})")
        if not math.isfinite(value):
            raise RequestError(path, "must be a finite number")
        if self.type == "int":
            if value != int(value):
                raise RequestError(path, "must be a whole number")
            value = int(value)
        else:
            value = float(value)
        if self.low is not None and value < self.low:
            raise RequestError(path, f"must be >= {self.low:g}")
        if self.high is not None and value > self.high:
            raise RequestError(path, f"must be <= {self.high:g}")
        return value

    def describe(self) -> dict[str, Any]:
        """The domain as JSON (``GET /api/sweeps/space``)."""
        out: dict[str, Any] = {"type": self.type, "default": self.default}
        if self.type == "choice":
            out["choices"] = list(self.choices)
        else:
            out.update(low=self.low, high=self.high)
        return out


@dataclass(frozen=True)
class Outcome:
    """One evaluated point: the point's request, the kind's own result and its stored JSON
    text (byte-identical to the same request submitted alone), the registry metrics a
    search reads (None where the kind has no such figure) and, where the kind has an
    equity curve, its bar-to-bar returns (a sequence of floats; what the overfitting
    statistics cut into blocks; None: none) and the bars per year that annualise them.

    What a walk-forward fold stores of a point computed alone (``evaluate_one``; None where
    the kind gives none): ``curve``, a callable giving the equity curve as a run's
    (``timestamps`` ISO-8601 UTC, ``equity``; built only when a fold asks); ``benchmark``,
    the close (or benchmark equity) beside it, bar for bar; the ``data_hash`` of the data
    read and the ``engine_version`` that computed it.
    ``result["metrics"]`` holds every metric of the point, ``metrics`` the registry's."""

    request: dict[str, Any]
    result: dict[str, Any]
    text: str
    metrics: dict[str, float | int | None]
    returns: Sequence[float] | None = None
    bars_per_year: float | None = None
    curve: Callable[[], dict[str, list]] | None = None
    benchmark: list | None = None
    data_hash: str | None = None
    engine_version: str | None = None


@dataclass(frozen=True)
class Scored:
    """Many points of one base evaluated (``Search.score``), in the points' order: each
    one's registry metrics (None: the kind refused the point, when asked not to raise),
    their block statistics (N × 2S float64: S block sums, then S sums of squares of each
    point's bar returns, ``adapters.cscv.block_stats``; None when not asked, when the
    window is too short for S blocks or when the kind gives no returns) and the hash of
    the data they were computed on (None: nothing was computed)."""

    metrics: list[dict[str, float | int | None] | None]
    blocks: Any = None
    data_hash: str | None = None
    columns: Mapping[str, Any] | None = None
    """The same metrics as one array per metric, row i for point i (NaN where ``metrics``
    holds None), when the kind computed them in one pass; None otherwise."""
    errors: Sequence[str | None] | None = None
    """Per point, why it failed alone (its metrics are then None) or None; None when no
    point can fail alone (a PYTHON run's can: ``kinds.sweeps.python_points``)."""


class Search(ABC):
    """A kind's contribution to every search (module docstring), one interface behind which
    every kind's search sits: a kind subclasses it, names itself in ``kind`` and defines the
    hooks as methods — ``space``, ``apply`` and ``evaluate_one`` always, the others only to
    replace the defaults here (``evaluate_batch`` point by point, ``data`` none, ``label``
    the kind's noun, ``evaluate_points`` none: ``score`` applies and evaluates each point).
    Searches call the hooks and the methods below, never knowing which kind they drive."""

    HOOKS: ClassVar[tuple[str, ...]] = (
        "kind",
        "space",
        "apply",
        "evaluate_one",
        "evaluate_batch",
        "evaluate_points",
        "data",
        "label",
    )
    """What a kind's search declares (docs/work-kinds.md, "The fields of a Search")."""

    kind: ClassVar[str]
    """Its kind's noun: what a search request's ``kind`` names."""

    evaluate_points: ClassVar[
        Callable[[dict[str, Any], Sequence[Mapping[str, Any]], int, str], Scored] | None
    ] = None
    """``evaluate_points(base, points, blocks, label)``: many points of one base in one
    vectorised pass (``score``); None: each point applied and evaluated."""

    @abstractmethod
    def space(self, base: dict[str, Any]) -> dict[str, Domain]:
        """Each searchable name of a normalised base request and its ``Domain``."""

    @abstractmethod
    def apply(self, base: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
        """The request of one point: ``base`` with the point's values, checked like a
        submission of the kind.

        :raise RequestError: naming ``grid.<name>`` for a value the kind refuses.
        """

    @abstractmethod
    def evaluate_one(self, request: dict[str, Any]) -> Outcome:
        """The kind's own computation of one point's request."""

    def evaluate_batch(self, requests: Sequence[dict[str, Any]]) -> list[Outcome]:
        """Every request's outcome, in order (by default point by point; a kind with a
        vectorised evaluator replaces it)."""
        return [self.evaluate_one(request) for request in requests]

    def data(self, base: dict[str, Any], data_dir: Path | None) -> BaseData | None:
        """The data ``base`` reads, loaded; None (the default): the kind reads none (its
        hash is ``NO_DATA``) and cannot be walked forward."""
        return None

    def label(self, base: dict[str, Any]) -> str:
        """A base request in a few words (by default the kind's noun)."""
        return self.kind

    def base_data(
        self, base: dict[str, Any], data_dir: Path | str | None = None
    ) -> BaseData | None:
        """The data ``base`` reads (``data``), or None for a kind that reads none.

        :raise RequestError: naming ``base.<field>`` when the data cannot serve the base.
        """
        try:
            return self.data(base, None if data_dir is None else Path(data_dir))
        except RequestError as exc:
            raise RequestError(f"base.{exc.field}", exc.message) from None

    def describe_base(self, base: dict[str, Any]) -> str:
        """A base request in a few words (``label``)."""
        return self.label(base)

    def evaluate(self, requests: Sequence[dict[str, Any]]) -> list[Outcome]:
        """Every request's outcome, in order: in one batch where the kind offers a
        vectorised evaluator, point by point otherwise (``evaluate_batch``)."""
        return self.evaluate_batch(requests)

    def score(
        self,
        base: dict[str, Any],
        points: Sequence[Mapping[str, Any]],
        blocks: int = 0,
        label: str = "",
        *,
        strict: bool = True,
        identify: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Scored:
        """The metrics of every point of ``base`` (and, with ``blocks`` = S > 0, their block
        statistics): in one vectorised pass where the kind offers ``evaluate_points``
        (``label`` names the pass, as a run id does), otherwise each point applied to the
        base and evaluated (``evaluate``); ``identify(k, request)`` gives the k-th point's
        request its id first (a sweep's point: the id under which, submitted alone, it
        computes the same bytes).

        :raise RequestError: the data cannot serve the points, or (``strict``) the kind
            refuses a point; without ``strict`` a refused point's metrics are None.
        """
        if self.evaluate_points is not None:
            return self.evaluate_points(base, points, blocks, label)
        requests: list[dict[str, Any] | None] = []
        for k, point in enumerate(points):
            try:
                request = self.apply(base, point)
                requests.append(request if identify is None else identify(k, request))
            except RequestError:
                if strict:
                    raise
                requests.append(None)
        outcomes = iter(self.evaluate([r for r in requests if r is not None]))
        done = [None if request is None else next(outcomes) for request in requests]
        evaluated = [outcome for outcome in done if outcome is not None]
        found = evaluated[0].data_hash if evaluated else None
        metrics = [None if outcome is None else outcome.metrics for outcome in done]
        return Scored(metrics, block_stats_of(evaluated, blocks), found)

    def check_point(
        self, space: Mapping[str, Domain], point: Mapping[str, Any], prefix: str = "grid"
    ) -> dict[str, Any]:
        """``point`` with each value held to its name's domain.

        :raise RequestError: ``<prefix>.<name>`` for a name outside ``space`` or a value
            outside its domain.
        """
        checked = {}
        for name, value in point.items():
            if name not in space:
                known = ", ".join(sorted(space)) or "none"
                raise RequestError(
                    f"{prefix}.{name}", f"is not searchable here (searchable: {known})"
                )
            checked[name] = space[name].check(value, f"{prefix}.{name}")
        return checked


def block_stats_of(outcomes: Sequence[Outcome], blocks: int) -> Any:
    """The N × 2S block statistics of the outcomes' returns (``Scored.blocks``), or None
    (none asked, or an outcome without returns)."""
    if not blocks or not outcomes or any(outcome.returns is None for outcome in outcomes):
        return None
    import numpy as np

    from adapters.cscv import MIN_BARS_PER_BLOCK, block_stats

    returns = np.array([list(outcome.returns or ()) for outcome in outcomes], dtype=np.float64)
    if returns.shape[1] < MIN_BARS_PER_BLOCK * blocks:
        return None
    stats = block_stats(returns, blocks)
    return np.hstack([stats.sums, stats.squares])


def search_of(kind: WorkKind) -> Search | None:
    """The ``Search`` a kind declares (``WorkKind.search``), imported now; None when the
    kind cannot be searched."""
    if kind.search is None:
        return None
    module, _, attribute = kind.search.partition(":")
    return getattr(import_module(module), attribute)


__all__ = ["NO_DATA", "BaseData", "Domain", "Outcome", "Scored", "Search", "search_of"]
