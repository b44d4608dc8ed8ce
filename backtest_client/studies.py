"""``Study``: a handle on one optimisation study (docs/studies.md): its status document,
``wait``, its trials as a DataFrame or page by page (``iter_trials``), pause / resume /
extend, running a trial as a backtest, and the study as an Optuna study (``to_optuna``) for
Optuna's own tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from backtest_client import frames
from backtest_client.polling import Handle
from backtest_client.runs import Run

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED")
"""The statuses a study stops changing in."""

TRIALS_PER_PAGE = 1000
"""Trials one ``GET …/trials`` page holds at most (docs/api.md)."""

OPTUNA_STATES = ("COMPLETE", "PRUNED", "FAIL")
"""The trial states ``to_optuna`` copies: the finished ones (a RUNNING trial has no outcome
yet)."""


class Study(Handle):
    """One study on the platform, by ``study_id``. ``refresh`` asks once for the status
    document (counts, best trial or Pareto front, history, importances, the best trial's
    deflated Sharpe ratio)."""

    FINISHED = FINISHED
    STATUS_PATH = "/api/studies/{}"
    NOUN = "study"
    ID_FIELD = "study_id"

    def __init__(self, http: Transport, study_id: str, accepted: dict[str, Any] | None = None):
        super().__init__(http, study_id, accepted)
        self.study_id = study_id

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> Study:
        """Poll until SUCCEEDED; this handle (``study.last``, ``study["best"]``: its final
        status document).

        :raise ItemFailed: it FAILED (its error; ``err.item.trials`` reads its trials).
        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        self._wait_succeeded(timeout, poll)
        return self

    @property
    def trials(self) -> Any:
        """Every trial so far, one row each, indexed by ``number``: ``state``, one column per
        searched parameter, ``value_<metric>`` per objective, every metric, ``retried_as``,
        ``reused_from`` (the trial whose metrics it copied, ``<study_id>#<number>``; empty
        when evaluated) — the ``trials.csv`` columns."""
        text = self.http.call("GET", f"{self.status_url}/trials.csv").text
        return frames.csv_frame(text, index="number")

    def iter_trials(
        self, sort: str = "number", order: str = "asc", per_page: int = TRIALS_PER_PAGE
    ) -> Iterator[dict[str, Any]]:
        """Every trial as ``GET …/trials`` shows it (``number``, ``state``, ``params``,
        ``values``, ``metrics``…), read a page of ``per_page`` at a time, in number order or
        by ``sort`` (``values.0``, ``params.<name>``, ``metrics.<key>``, ``state``; ``order``
        asc or desc). A trial stored while the pages are read may be missed or shown twice
        in an order other than ``number``."""
        page, pages = 1, 1
        while page <= pages:
            params = {"page": page, "per_page": per_page, "sort": sort, "order": order}
            body = self.http.get_json(f"{self.status_url}/trials", params)
            yield from body["trials"]
            pages = body["pages"]
            page += 1

    @property
    def best(self) -> dict[str, Any] | None:
        """The best trial so far (one objective), as the status document shows it."""
        return self.refresh().get("best")

    @property
    def deflated(self) -> dict[str, Any] | None:
        """Is the best trial luck? The deflated Sharpe ratio of the best trial (one
        objective) as the status document shows it: ``best_trial``, ``complete``, ``dsr``,
        ``psr``, ``n_trials``, ``trials_variance_annual``, ``expected_max_sharpe_annual``,
        ``skewness``, ``kurtosis``, ``n_returns`` and ``verdict``, or ``{"unavailable":
        why}``; None until a batch computed it (docs/studies.md)."""
        return self.refresh().get("deflated")

    def pause(self) -> dict[str, Any]:
        """Queue no new batch; the summary."""
        return self.http.call("POST", f"{self.status_url}/pause").json()

    def resume(self) -> dict[str, Any]:
        """Queue batches again; the summary."""
        return self.http.call("POST", f"{self.status_url}/resume").json()

    def extend(self, n_trials: int) -> dict[str, Any]:
        """Add ``n_trials`` to the budget; the summary."""
        path = f"{self.status_url}/extend"  # not idempotent: never retried
        return self.http.call("POST", path, retries=0, json={"n_trials": n_trials}).json()

    def run_trial(self, number: int) -> Run:
        """Run trial ``number``'s parameters as a backtest (with charts); its ``Run``."""
        accepted = self.http.call(
            "POST", f"{self.status_url}/trials/{number}/run", retries=0
        ).json()
        return Run(self.http, accepted["run_id"])

    def to_optuna(self, storage: Any = None, study_name: str | None = None) -> Any:
        """The study as an ``optuna.Study`` (needs Optuna: ``pip install
        'backtest-client[optuna]'``), for Optuna's visualisations, importances,
        optuna-dashboard or a storage of your own: its directions, and each finished trial
        (COMPLETE, PRUNED, FAIL; in ``number`` order) with its parameters on the study's
        distributions, its objective values (the stored floats, read from the JSON trials),
        and as user attributes its ``number`` here, every metric, ``retried_as`` and
        ``reused_from``. ``storage``: an Optuna storage or URL (e.g.
        ``"sqlite:///study.db"``); None keeps it in memory. ``study_name`` defaults to the
        study's id."""
        import optuna

        document = self.refresh()
        space = document["request"]["space"]
        target = optuna.create_study(
            storage=storage,
            study_name=study_name or self.study_id,
            directions=[objective["direction"] for objective in document["objectives"]],
        )
        target.add_trials(
            [
                _frozen_trial(optuna, t, space)
                for t in self.iter_trials()
                if t["state"] in OPTUNA_STATES
            ]
        )
        return target


def _distribution(optuna: Any, entry: dict[str, Any]) -> Any:
    """Optuna's distribution of one normalised space entry (``request.space``)."""
    if entry["type"] == "int":
        return optuna.distributions.IntDistribution(
            int(entry["low"]), int(entry["high"]), log=entry["log"], step=int(entry["step"] or 1)
        )
    return optuna.distributions.FloatDistribution(
        entry["low"], entry["high"], log=entry["log"], step=entry["step"]
    )


def _frozen_trial(optuna: Any, trial: dict[str, Any], space: dict[str, Any]) -> Any:
    """One trial of ``GET …/trials`` as an Optuna trial (state, params, values, metrics)."""
    state = optuna.trial.TrialState[trial["state"]]
    attributes = {"number": trial["number"], **(trial["metrics"] or {})}
    for name in ("retried_as", "reused_from"):
        if trial[name] is not None:
            attributes[name] = trial[name]
    return optuna.trial.create_trial(
        state=state,
        params={name: trial["params"][name] for name in space},
        distributions={name: _distribution(optuna, entry) for name, entry in space.items()},
        values=trial["values"] if state == optuna.trial.TrialState.COMPLETE else None,
        user_attrs=attributes,
    )
