"""The opt-in monitoring component (k8s/components/monitoring): its alert rules pass
``promtool check rules`` and the unit tests of alerts-test.yaml (``promtool test rules``); on top of
the prod overlay it adds exactly a ServiceMonitor, a PrometheusRule and the dashboard ConfigMap,
which select the web Service's port, land in the namespace and name only exported metrics.

The prometheus-operator CRD schemas are not available offline, so their objects get a structural
check here and kubernetes-validate checks everything else the overlay renders.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import (
    K8S_DIR,
    ROOT,
    by_kind,
    find_tool,
    kustomize,
    one,
    prod_with_component,
    run,
)
from web.api.telemetry import QUEUE_DEPTH, REDIS_UP, help_texts

HELP = help_texts()
"""Every metric the web exports with its HELP text: the platform's own and each registered
kind's (``WorkKind.telemetry`` and the finished/duration pair every kind has)."""

COMPONENT = K8S_DIR / "components" / "monitoring"
NAMESPACE = "stock-backtest"
ADDED = {
    ("ServiceMonitor", "web"),
    ("PrometheusRule", NAMESPACE),
    ("ConfigMap", "stock-backtest-dashboard"),
}


def rule_spec(keep_annotations: bool = True) -> dict:
    spec = yaml.safe_load((COMPONENT / "prometheusrule.yaml").read_text(encoding="utf-8"))["spec"]
    if not keep_annotations:
        for group in spec["groups"]:
            for rule in group["rules"]:
                rule.pop("annotations", None)
    return spec


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[dict]:
    """The prod overlay with the component (``prod_with_component``)."""
    return prod_with_component(tmp_path_factory.mktemp("tree"), "monitoring")


def test_the_alert_rules_pass_promtool_check(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rule_spec()), encoding="utf-8")
    result = run([find_tool("promtool"), "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_as_their_unit_tests_say(tmp_path: Path) -> None:
    """The cases of alerts-test.yaml check each alert's expression and ``for``; the
    annotations (prose, checked for syntax above) are left out of the comparison."""
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule_spec(False)), encoding="utf-8")
    shutil.copy(COMPONENT / "alerts-test.yaml", tmp_path / "alerts-test.yaml")
    result = run([find_tool("promtool"), "test", "rules", "alerts-test.yaml"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_severity_a_summary_and_a_test() -> None:
    tested = (COMPONENT / "alerts-test.yaml").read_text(encoding="utf-8")
    for rule in rule_spec()["groups"][0]["rules"]:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert f"alertname: {rule['alert']}" in tested, rule["alert"]


def test_the_component_adds_only_the_monitoring_objects(rendered: list[dict]) -> None:
    prod = kustomize(K8S_DIR / "overlays" / "prod")
    names = {(doc["kind"], doc["metadata"]["name"]) for doc in rendered}
    assert names - {(doc["kind"], doc["metadata"]["name"]) for doc in prod} == ADDED
    added = [doc for doc in rendered if (doc["kind"], doc["metadata"]["name"]) in ADDED]
    assert {doc["metadata"]["namespace"] for doc in added} == {NAMESPACE}


def test_the_service_monitor_scrapes_the_web_services_named_port(rendered: list[dict]) -> None:
    monitor = one(rendered, "ServiceMonitor", "web")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    service = one(rendered, "Service", "web")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    ports = {port["name"] for port in service["spec"]["ports"]}
    assert [(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]] == [("http", "/metrics")]
    assert "http" in ports


def test_the_dashboard_configmap_is_labelled_for_grafana_and_holds_json(
    rendered: list[dict],
) -> None:
    configmap = one(rendered, "ConfigMap", "stock-backtest-dashboard")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(configmap["data"]["stock-backtest.json"])
    assert dashboard["uid"] == "stock-backtest" and dashboard["panels"]
    assert all(target["expr"] for panel in dashboard["panels"] for target in panel["targets"])


def test_rules_dashboard_and_prometheus_config_name_only_exported_metrics() -> None:
    """A typo in a metric name gives an alert that never fires: every ``backtest_*`` name
    used is one the web exports (with its histogram suffixes)."""
    exported = {*HELP, QUEUE_DEPTH, REDIS_UP}
    exported |= {f"{name}{suffix}" for name in HELP for suffix in ("_bucket", "_sum", "_count")}
    texts = [
        (COMPONENT / "prometheusrule.yaml").read_text(encoding="utf-8"),
        (COMPONENT / "grafana-dashboard.json").read_text(encoding="utf-8"),
    ]
    used = {name for text in texts for name in re.findall(r"\bbacktest_[a-z_]+", text)}
    used -= {"backtest_"}  # the regex prefix of the finished counters
    assert used and used <= exported, used - exported


def test_the_compose_dashboard_is_the_clusters_dashboard() -> None:
    """One dashboard file: compose's Grafana provisions the component's JSON."""
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "k8s/components/monitoring/grafana-dashboard.json" in compose


def test_the_finished_counter_regex_matches_every_kind() -> None:
    """The queue-not-draining alert counts the finished items of every registered kind."""
    text = (COMPONENT / "prometheusrule.yaml").read_text(encoding="utf-8")
    pattern = re.search(r'__name__=~"([^"]+)"', text).group(1)
    finished = {name for name in HELP if name.endswith("_finished_total")}
    assert finished and all(re.fullmatch(pattern, name) for name in finished)


def test_prod_alone_keeps_no_monitoring_kinds() -> None:
    """Opt-in: a cluster without prometheus-operator applies prod as before."""
    prod = kustomize(K8S_DIR / "overlays" / "prod")
    assert not by_kind(prod, "ServiceMonitor") and not by_kind(prod, "PrometheusRule")
