"""Validation and policy tests for keda/: the consumer ScaledJobs (runs: scaledjob.yaml; sweep
chunks: scaledjob-sweeps.yaml, each test applies to both) and their TriggerAuthentication.

The objects are validated with jsonschema against KEDA v2.20.2's CRD schemas (shared/schemas/keda),
tightened to reject unknown fields. The policy tests pin the settings that keep "one Kubernetes Job
per queued run" true with RQ's delete-on-take queue (docs/architecture.md explains each), and the
ones that let a long run finish: the Job deadline, the grace period of a SIGTERM and the pods'
requests not to be disrupted (docs/ops-guide.md, "Long runs and disruption").
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from kinds.sweeps.contract import SIZED_CHUNKS
from tests.deploy.support import KEDA_DIR, crd_errors, kustomize, load_doc, load_docs, one
from tests.deploy.test_deploy_k8s import BASE_DIR, base_literals

SCALEDJOB_FILE = KEDA_DIR / "scaledjob.yaml"
SWEEP_SCALEDJOB_FILE = KEDA_DIR / "scaledjob-sweeps.yaml"
QUEUE_SETTING = {SCALEDJOB_FILE: "RQ_QUEUE", SWEEP_SCALEDJOB_FILE: "SWEEP_QUEUE"}
"""The ConfigMap setting naming the queue each ScaledJob's Jobs pop."""

RQ_KILL_MARGIN = 60
"""RQ's parent kills a work-horse still running at job timeout + 60 s (rq/worker
``monitor_work_horse``), noticed at its next heartbeat."""
STARTUP_ALLOWANCE = 60
"""Seconds from container start to the run taken: image already pulled, Python imports."""
PENDING_ALLOWANCE = 600
"""Seconds a Job's pod may stay Pending (a node added by the autoscaler, the image pulled)
without its deadline cutting the run short."""
RECORD_ALLOWANCE = 30
"""Seconds the consumer may need after the work-horse ended to record the outcome."""
RESOURCE_FILES = sorted(p for p in KEDA_DIR.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.fixture(params=list(QUEUE_SETTING), ids=lambda p: p.name)
def scaledjob_file(request) -> Path:
    """Each ScaledJob file of keda/."""
    return request.param


@pytest.fixture
def scaledjob(scaledjob_file: Path) -> dict:
    """The ScaledJob as written (a fresh copy per test)."""
    return load_doc(scaledjob_file)


def job_spec(scaledjob: dict) -> dict:
    """The JobSpec KEDA copies into every Job."""
    return scaledjob["spec"]["jobTargetRef"]


def the_container(scaledjob: dict) -> dict:
    """The consumer container of the Job template."""
    (container,) = job_spec(scaledjob)["template"]["spec"]["containers"]
    return container


def redis_trigger(scaledjob: dict) -> dict:
    """The single redis trigger."""
    (trigger,) = scaledjob["spec"]["triggers"]
    assert trigger["type"] == "redis"
    return trigger


# --- CRD schema validation --------------------------------------------------------------------


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=lambda p: p.name)
def test_keda_files_pass_the_crd_schemas(path: Path) -> None:
    """Each keda/ object is valid against its KEDA CRD schema, unknown fields rejected."""
    for doc in load_docs(path):
        assert crd_errors(doc) == [], path.name


def test_kustomized_keda_objects_pass_the_crd_schemas() -> None:
    """The objects rendered by `kubectl kustomize keda/` are valid too."""
    rendered = kustomize(KEDA_DIR)
    assert {d["kind"] for d in rendered} == {"ScaledJob", "TriggerAuthentication"}
    for doc in rendered:
        assert crd_errors(doc) == [], doc["kind"]


def _typo_at_top(doc: dict) -> None:
    doc["spec"]["pollingIntervall"] = 5


def _unquoted_list_length(doc: dict) -> None:
    doc["spec"]["triggers"][0]["metadata"]["listLength"] = 1


def _typo_in_container(doc: dict) -> None:
    doc["spec"]["jobTargetRef"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"


def _unknown_strategy(doc: dict) -> None:
    doc["spec"]["scalingStrategy"]["strategy"] = "fastest"


def _no_triggers(doc: dict) -> None:
    doc["spec"]["triggers"] = []


def _zero_polling(doc: dict) -> None:
    doc["spec"]["pollingInterval"] = 0


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_typo_at_top, "pollingIntervall"),
        (_unquoted_list_length, "is not of type 'string'"),
        (_typo_in_container, "imagePullPolcy"),
        (_unknown_strategy, "fastest"),
        (_no_triggers, "[]"),
        (_zero_polling, "minimum"),
    ],
    ids=["typo-field", "unquoted-listLength", "typo-in-container", "bad-enum", "no-trigger", "min"],
)
def test_crd_validation_rejects_a_broken_copy(scaledjob: dict, mutate, expected: str) -> None:
    """The validator bites: each broken copy of the ScaledJob is reported with the right error."""
    broken = copy.deepcopy(scaledjob)
    mutate(broken)
    errors = crd_errors(broken)
    assert errors, "the broken ScaledJob was accepted"
    assert any(expected in error for error in errors), errors


def test_trigger_authentication_typo_is_rejected() -> None:
    """A misspelt secretTargetRef field is reported as well."""
    auth = load_doc(KEDA_DIR / "triggerauthentication.yaml")
    auth["spec"]["secretTargetRef"][0]["kee"] = auth["spec"]["secretTargetRef"][0].pop("key")
    assert any("kee" in error for error in crd_errors(auth))


# --- file layout (the compose scaler reads scaledjob.yaml) --------------------------------------


def test_scaledjob_file_holds_only_the_scaledjob(scaledjob_file: Path) -> None:
    """A single document, the ScaledJob; the TriggerAuthentication has its own file."""
    docs = load_docs(scaledjob_file)
    assert [(d["apiVersion"], d["kind"]) for d in docs] == [("keda.sh/v1alpha1", "ScaledJob")]
    auth = load_doc(KEDA_DIR / "triggerauthentication.yaml")
    assert auth["kind"] == "TriggerAuthentication"


def test_scaledjob_has_what_the_local_scaler_reads(scaledjob: dict) -> None:
    """pollingInterval, maxReplicaCount, strategy, listName and listLength are all present."""
    spec = scaledjob["spec"]
    assert isinstance(spec["pollingInterval"], int) and spec["pollingInterval"] >= 1
    assert isinstance(spec["maxReplicaCount"], int) and spec["maxReplicaCount"] >= 1
    assert spec["scalingStrategy"]["strategy"] == "accurate"
    metadata = redis_trigger(scaledjob)["metadata"]
    assert metadata["listName"].startswith("rq:queue:")
    assert metadata["listLength"] == "1"


def test_local_scaler_parses_the_scaledjob_as_written(
    scaledjob_file: Path, scaledjob: dict
) -> None:
    """consumer.scaling reads the same numbers KEDA would from the ScaledJob file."""
    from consumer.scaling import load_scaled_job

    parsed = load_scaled_job(scaledjob_file)
    spec = scaledjob["spec"]
    assert parsed.polling_interval == spec["pollingInterval"]
    assert parsed.max_replica_count == spec["maxReplicaCount"]
    assert parsed.strategy == "accurate"
    assert parsed.pending_pod_conditions == ("Ready",)
    assert parsed.list_name == redis_trigger(scaledjob)["metadata"]["listName"]
    assert parsed.list_length == 1.0


def test_kustomization_lists_both_keda_files() -> None:
    """keda/kustomization.yaml deploys the TriggerAuthentication and the ScaledJob, and pins no
    image (the overlays do, once for the whole tree)."""
    kustomization = load_doc(KEDA_DIR / "kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(p.name for p in RESOURCE_FILES)
    assert "images" not in kustomization


# --- the "one Job per run" rules --------------------------------------------------------------


def test_one_job_per_queued_run(scaledjob: dict) -> None:
    """listLength "1": KEDA's target is one queued run per Job (its default of 5 under-scales)."""
    metadata = redis_trigger(scaledjob)["metadata"]
    assert metadata["listLength"] == "1"
    assert metadata["activationListLength"] == "0"
    assert "metricType" not in redis_trigger(scaledjob)  # "Value" would never create a Job


def test_list_name_is_the_queue_its_jobs_pop(scaledjob_file: Path, scaledjob: dict) -> None:
    """listName == "rq:queue:" + the ConfigMap's queue of this ScaledJob (runs: RQ_QUEUE, sweep
    chunks: SWEEP_QUEUE), and its Jobs pop that queue (CONSUMER_QUEUE, default RQ_QUEUE)."""
    literals = base_literals()
    queue = literals[QUEUE_SETTING[scaledjob_file]]
    assert redis_trigger(scaledjob)["metadata"]["listName"] == f"rq:queue:{queue}"
    env = {e["name"]: e.get("value") for e in the_container(scaledjob)["env"]}
    assert env.get("CONSUMER_QUEUE", literals["RQ_QUEUE"]) == queue


def test_runs_and_sweep_chunks_have_a_queue_and_a_cap_each() -> None:
    """The two ScaledJobs watch different lists with their own maxReplicaCount, and differ in
    nothing else (name, trigger name, the queue the Jobs pop): one consumer, one set of rules."""
    runs, sweeps = load_doc(SCALEDJOB_FILE), load_doc(SWEEP_SCALEDJOB_FILE)
    assert (
        redis_trigger(runs)["metadata"]["listName"] != redis_trigger(sweeps)["metadata"]["listName"]
    )
    assert sweeps["spec"]["maxReplicaCount"] == SIZED_CHUNKS  # a sized sweep is one wave
    for doc in (runs, sweeps):
        doc["metadata"].pop("name")
        doc["spec"].pop("maxReplicaCount")
        trigger = redis_trigger(doc)
        trigger.pop("name")
        trigger["metadata"].pop("listName")
        container = the_container(doc)
        container["env"] = [e for e in container["env"] if e["name"] != "CONSUMER_QUEUE"]
    assert runs == sweeps


def test_accurate_strategy_counts_unclaimed_pods_as_pending(scaledjob: dict) -> None:
    """accurate + pendingPodConditions Ready, and Ready only once the claim file exists."""
    strategy = scaledjob["spec"]["scalingStrategy"]
    assert strategy["strategy"] == "accurate"
    assert strategy["pendingPodConditions"] == ["Ready"]
    probe = the_container(scaledjob)["readinessProbe"]
    assert probe["exec"]["command"] == ["test", "-f", base_literals()["CLAIM_FILE"]]


def test_claim_file_lives_on_a_writable_volume(scaledjob: dict) -> None:
    """The claim file's directory is an emptyDir mount (the root filesystem is read-only)."""
    claim_dir = str(Path(base_literals()["CLAIM_FILE"]).parent)
    pod = job_spec(scaledjob)["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in the_container(scaledjob)["volumeMounts"]}
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    assert mounts[claim_dir] in empty_dirs
    assert the_container(scaledjob)["securityContext"]["readOnlyRootFilesystem"] is True


def test_failed_pods_are_never_retried(scaledjob: dict) -> None:
    """restartPolicy Never and backoffLimit 0: a retry would take a different run from the queue."""
    spec = job_spec(scaledjob)
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["backoffLimit"] == 0
    assert spec.get("parallelism", 1) == 1
    assert spec.get("completions", 1) == 1


def monitoring_interval() -> int:
    """RQ_JOB_MONITORING_INTERVAL of the ConfigMap, else consumer.worker's default (10 s)."""
    from consumer.worker import monitoring_interval as default

    return int(base_literals().get("RQ_JOB_MONITORING_INTERVAL") or default())


def test_deadline_covers_pending_start_up_and_the_longest_run(scaledjob: dict) -> None:
    """activeDeadlineSeconds counts from the Job's start, Pending time included: it exceeds
    RQ_JOB_TIMEOUT + RQ's kill margin + start-up + the Pending allowance."""
    timeout = int(base_literals()["RQ_JOB_TIMEOUT"])
    longest_run = timeout + RQ_KILL_MARGIN + monitoring_interval()
    needed = longest_run + STARTUP_ALLOWANCE + PENDING_ALLOWANCE
    assert job_spec(scaledjob)["activeDeadlineSeconds"] > needed


def test_sigterm_lets_the_current_run_finish(scaledjob: dict) -> None:
    """SIGTERM is RQ's warm shutdown (the parent waits for its work-horse), so the grace
    period lets the longest run end and be recorded before the kubelet's SIGKILL."""
    timeout = int(base_literals()["RQ_JOB_TIMEOUT"])
    longest_run = timeout + RQ_KILL_MARGIN + monitoring_interval()
    grace = job_spec(scaledjob)["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= longest_run + RECORD_ALLOWANCE


def test_rq_warm_shutdown_waits_for_the_work_horse() -> None:
    """The premise of the grace period: RQ's first SIGTERM only requests a stop, and the
    work-horse runs in its own process group, so the kubelet's SIGTERM does not reach it."""
    import inspect

    from rq.worker import Worker

    from consumer.worker import OneShotWorker

    assert issubclass(OneShotWorker, Worker)
    assert "stopping after current horse is finished" in inspect.getsource(Worker._shutdown)
    assert "os.setpgrp()" in inspect.getsource(Worker.fork_work_horse)


def test_consumer_pods_ask_autoscalers_not_to_disrupt_them(scaledjob: dict) -> None:
    """Cluster autoscaler and Karpenter leave a node with a running backtest alone."""
    metadata = job_spec(scaledjob)["template"]["metadata"]
    assert metadata["annotations"] == {
        "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
        "karpenter.sh/do-not-disrupt": "true",
    }


def test_finished_jobs_are_bounded(scaledjob: dict) -> None:
    """ttlSecondsAfterFinished 86400 on every Job, and both history limits set below KEDA's 100."""
    spec = scaledjob["spec"]
    assert job_spec(scaledjob)["ttlSecondsAfterFinished"] == 86400
    assert 0 < spec["successfulJobsHistoryLimit"] < 100
    assert 0 < spec["failedJobsHistoryLimit"] < 100


def test_rollout_is_gradual(scaledjob: dict) -> None:
    """rollout.strategy gradual: editing the ScaledJob never deletes running Jobs."""
    assert scaledjob["spec"]["rollout"]["strategy"] == "gradual"
    assert "rolloutStrategy" not in scaledjob["spec"]


def test_consumer_runs_python_m_consumer(scaledjob: dict) -> None:
    """Each Job runs the one-shot consumer entrypoint."""
    assert the_container(scaledjob)["command"] == ["python", "-m", "consumer"]


def test_redis_password_comes_from_the_trigger_authentication(scaledjob: dict) -> None:
    """No password in the trigger metadata; the TriggerAuthentication reads it from the Secret."""
    trigger = redis_trigger(scaledjob)
    assert not {"password", "passwordFromEnv", "address"} & set(trigger["metadata"])
    auth = load_doc(KEDA_DIR / "triggerauthentication.yaml")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    (ref,) = auth["spec"]["secretTargetRef"]
    assert ref["parameter"] == "password"
    secret = load_doc(BASE_DIR / "secret-template.yaml")
    assert ref["name"] == secret["metadata"]["name"]
    assert ref["key"] in secret["stringData"]


def test_redis_address_comes_from_a_fully_qualified_env_var(scaledjob: dict) -> None:
    """addressFromEnv names a container env var; the KEDA operator (other namespace) needs FQDN."""
    variable = redis_trigger(scaledjob)["metadata"]["addressFromEnv"]
    env = {e["name"]: e for e in the_container(scaledjob)["env"]}
    host, _, port = env[variable]["value"].rpartition(":")
    assert host == "redis.stock-backtest.svc"
    assert port == "6379"


def test_consumer_pods_carry_the_label_the_network_policies_admit() -> None:
    """The rendered Job templates label pods component=consumer (MySQL/Redis admit only that)."""
    rendered = kustomize(BASE_DIR)
    for name in ("backtest-consumer", "backtest-sweep-consumer"):
        labels = job_spec(one(rendered, "ScaledJob", name))["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "consumer"


def test_every_keda_field_is_commented_with_its_default(scaledjob_file: Path, scaledjob) -> None:
    """Each KEDA/JobSpec field we set carries a "Default:" comment, as the KEDA spec does."""
    fields = [
        "jobTargetRef",
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "pollingInterval",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "maxReplicaCount",
        "strategy",
        "pendingPodConditions",
        "listLength",
        "activationListLength",
        "databaseIndex",
        f"name: {redis_trigger(scaledjob)['name']}",
        "type: redis",
        "addressFromEnv",
        "listName",
        "authenticationRef",
        "rollout",
        "scalingStrategy",
        "triggers",
    ]
    lines = scaledjob_file.read_text(encoding="utf-8").splitlines()
    for field in fields:
        pattern = re.compile(rf"^\s*(- )?{re.escape(field)}\b")
        matching = [line for line in lines if pattern.match(line) and "#" in line]
        assert matching, f"{field} has no comment"
        assert all("Default" in line or "Required" in line for line in matching), field


def test_there_is_one_scaledjob_per_queue_of_the_registry(monkeypatch) -> None:
    """The ScaledJobs (what KEDA and the local scaler start Jobs for) are derived from the
    registry: one per queue the kinds use (the shared queue, each kind's own), listening to
    that queue's default list, and the local scaler reads exactly those files."""
    from consumer.reaper import queues_to_reap
    from consumer.scaler import DEFAULT_MANIFESTS
    from kinds.registry import all_kinds

    monkeypatch.delenv("RQ_QUEUE", raising=False)
    for kind in all_kinds():
        if kind.queue_variable:
            monkeypatch.delenv(kind.queue_variable, raising=False)
    lists = sorted(
        redis_trigger(load_doc(path))["metadata"]["listName"] for path in DEFAULT_MANIFESTS
    )
    assert lists == sorted(f"rq:queue:{name}" for name in queues_to_reap())
    assert set(DEFAULT_MANIFESTS) == set(KEDA_DIR.glob("scaledjob*.yaml"))
