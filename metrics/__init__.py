"""What each metric is — its key, label, unit, decimals and which direction is better — in
one registry (``metrics.registry``). Computing metrics is the engine's and the adapters'
job; this package only describes them, imports nothing of the project, and is read by every
layer that names a metric: the stored sweep columns (store), the sweep ranking and CSV
(sweeps), the pages and their JavaScript (web) and the bulk scripts."""

from metrics.notes import NOTES, REPORT_NOTES, note
from metrics.registry import (
    LOWER_IS_BETTER,
    METRICS,
    PORTFOLIO_LIST_METRIC_KEYS,
    PORTFOLIO_LIST_METRICS,
    PORTFOLIO_METRICS,
    PORTFOLIO_PAGE_METRICS,
    REPORT_METRICS,
    SWEEP_METRIC_KEYS,
    SWEEP_METRICS,
    MetricDef,
    all_metrics,
    curve_functions,
    lower_is_better,
    metric,
    metrics_json,
    register,
    report_metrics,
    sweep_metric_keys,
    sweep_metrics,
    unregister,
)

__all__ = [
    "LOWER_IS_BETTER",
    "METRICS",
    "NOTES",
    "PORTFOLIO_LIST_METRICS",
    "PORTFOLIO_LIST_METRIC_KEYS",
    "PORTFOLIO_METRICS",
    "PORTFOLIO_PAGE_METRICS",
    "REPORT_METRICS",
    "REPORT_NOTES",
    "SWEEP_METRICS",
    "SWEEP_METRIC_KEYS",
    "MetricDef",
    "all_metrics",
    "curve_functions",
    "lower_is_better",
    "metric",
    "metrics_json",
    "note",
    "register",
    "report_metrics",
    "sweep_metric_keys",
    "sweep_metrics",
    "unregister",
]
