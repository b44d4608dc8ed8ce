"""Optimisation studies' pages: ``GET /studies`` (recent studies and the form that starts one)
and ``GET /studies/<id>`` (status and progress, the optimisation history, the Pareto front
of two objectives, parameter importances, the trial table, pause / resume / extend, "run
this trial as a backtest" and "walk-forward this space"), extending the dashboard's base
(an unknown or malformed id is the 404 page). Their script (``static/studies.js``, with
``SweepForm`` from ``static/sweeps.js``) reads the JSON API
(``web.api.studies``) at the URLs the page data names (docs/studies.md has the contract).
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from kinds.studies.contract import STUDY_ID
from kinds.studies.fields import DEFAULT_OBJECTIVES, DEFAULT_SAMPLER, MULTI_SAMPLER, SAMPLERS
from kinds.studies.request_model import StudyBody
from kinds.studies.store import get_study
from metrics import metrics_json, sweep_metrics
from rules import describe_rules
from store.models import Study
from web.ownership import ItemLookup, may_manage
from web.pages.form_fields import LAUNCH_FIELDS
from web.pages.layout import NavLink, item_page, nav, register_unavailable, tickers

bp = Blueprint("study_pages", __name__)
NAV = NavLink("Studies", "study_pages.studies_page", ("study_pages.study_page",))
"""This page's entry in the navigation bar (``web.pages.layout.nav_links``)."""
register_unavailable(bp)
STUDIES = ItemLookup(Study, get_study, STUDY_ID, "study")
"""A study by the id in its page's URL."""

FORM_DEFAULTS = {
    "n_trials": StudyBody.model_fields["n_trials"].default,
    "objective": DEFAULT_OBJECTIVES[0]["metric"],
}
"""What the form starts with: the API's default objective and trial budget."""


def _metrics() -> list[dict]:
    return metrics_json(sweep_metrics())


def _trial_url(study_id: str) -> str:
    """The run route of a trial of ``study_id``, its number as ``TRIAL_NO`` (the script's)."""
    head, _, tail = url_for("studies.run_trial", study_id=study_id, number=0).rpartition("/0/")
    return f"{head}/TRIAL_NO/{tail}"


@bp.get("/studies")
def studies_page() -> ResponseReturnValue:
    """Recent studies and the form that starts one."""
    page_data = {
        "rules": describe_rules(),
        "trading_fields": [f.to_dict() for f in LAUNCH_FIELDS],
        "submit_url": url_for("studies.submit"),
        "list_url": url_for("studies.list_all"),
        "page_url": url_for("study_pages.study_page", study_id="STUDY_ID"),
        "metrics": _metrics(),
        "samplers": list(SAMPLERS),
        "default_sampler_label": f"default: {DEFAULT_SAMPLER} ({MULTI_SAMPLER} for two objectives)",
        "defaults": FORM_DEFAULTS,
    }
    return render_template("studies/list.html", tickers=tickers(), page_data=page_data, **nav())


@bp.get("/studies/<study_id>")
@item_page(STUDIES)
def study_page(row: Study) -> ResponseReturnValue:
    """One study: progress, history, Pareto front, importances, trials and its controls."""
    study_id = row.study_id
    can_manage = may_manage(row)
    page_data = {
        "study_id": study_id,
        "status_url": url_for("studies.status", study_id=study_id),
        "trials_url": url_for("studies.trials", study_id=study_id),
        "run_trial_url": _trial_url(study_id),
        "run_url": url_for("dashboard.run_page", run_id="RUN_ID"),
        "walkforward_request_url": url_for("studies.walkforward_request", study_id=study_id),
        "walkforward_url": url_for("walkforward_pages.walkforward_list_page"),
        "metrics": _metrics(),
        "can_manage": can_manage,
    }
    if can_manage:
        page_data |= {
            action + "_url": url_for(f"studies.{action}_study", study_id=study_id)
            for action in ("pause", "resume", "extend")
        }
    return render_template(
        "studies/detail.html",
        study_id=study_id,
        can_manage=can_manage,
        page_data=page_data,
        **nav(),
    )
