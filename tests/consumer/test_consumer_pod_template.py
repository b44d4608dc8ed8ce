"""consumer.pod_template: a pod template read as the kubelet reads it, mapped onto podman flags."""

from __future__ import annotations

import pytest

from consumer.pod_template import (
    cpu_cores,
    host_path,
    memory_bytes,
    pod_settings,
    podman_run_args,
    resolve_env,
)

POD = {
    "kind": "ScaledJob",
    "spec": {
        "jobTargetRef": {
            "template": {
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                    },
                    "containers": [
                        {
                            "name": "consumer",
                            "command": ["python", "-m", "consumer"],
                            "envFrom": [{"configMapRef": {"name": "cfg"}}],
                            "env": [
                                {
                                    "name": "PW",
                                    "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}},
                                },
                                {"name": "URL", "value": "db://u:$(PW)@db/$(MISSING)/$$x"},
                                {"name": "QUEUE", "value": "override"},
                            ],
                            "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
                            "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/c"]}},
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {"name": "tmp", "mountPath": "/tmp"},
                                {"name": "shm", "mountPath": "/dev/shm"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                        {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                    ],
                }
            }
        }
    },
}


def test_the_environment_follows_the_kubelets_order_and_references():
    settings = pod_settings(POD)
    env = resolve_env(settings, {"cfg": {"QUEUE": "backtests", "A": "1"}}, {"s": {"pw": "p@ss"}})
    assert env == {
        "QUEUE": "override",
        "A": "1",
        "PW": "p@ss",
        "URL": "db://u:p@ss@db/$(MISSING)/$x",
    }


def test_a_missing_configmap_or_secret_key_fails_like_create_container_config_error():
    settings = pod_settings(POD)
    with pytest.raises(ValueError, match="cfg"):
        resolve_env(settings, {}, {"s": {"pw": "x"}})
    with pytest.raises(ValueError, match="s/pw"):
        resolve_env(settings, {"cfg": {}}, {"s": {}})


def test_security_resources_and_volumes_become_podman_flags(tmp_path):
    settings = pod_settings(POD)
    args = podman_run_args(
        settings, "img:1", env_file=tmp_path / "env", empty_dir_paths={"/tmp": tmp_path / "t"}
    )
    text = " ".join(args)
    assert "--user 10001:10001" in text and "--group-add 10001" in text
    assert "--read-only --read-only-tmpfs=false" in text
    assert "--cap-drop ALL" in text and "--security-opt no-new-privileges" in text
    assert f"--volume {tmp_path / 't'}:/tmp:rw" in text
    assert f"--tmpfs /dev/shm:rw,mode=1777,size={64 * 2**20}" in text
    assert "--cpus 0.5" in text
    assert f"--memory {2**30} --memory-swap {2**30}" in text  # no swap, as the kubelet
    assert args[-4:] == ["img:1", "python", "-m", "consumer"]
    assert settings.readiness_command == ("test", "-f", "/tmp/c")
    assert host_path("/tmp/c", {"/tmp": tmp_path}) == tmp_path / "c"


def test_a_smaller_memory_limit_replaces_the_templates():
    args = podman_run_args(pod_settings(POD), "img:1", memory_limit="256Mi")
    assert args[args.index("--memory") + 1] == str(256 * 2**20)


def test_run_as_non_root_without_a_user_is_refused():
    pod = pod_settings(POD)
    root = pod.__class__(**{**pod.__dict__, "user": None})
    with pytest.raises(ValueError, match="runAsNonRoot"):
        podman_run_args(root, "img:1")


def test_a_volume_that_is_no_empty_dir_cannot_run_here():
    import copy

    pod = copy.deepcopy(POD)
    pod["spec"]["jobTargetRef"]["template"]["spec"]["volumes"][0] = {"name": "tmp", "hostPath": {}}
    with pytest.raises(ValueError, match="emptyDir"):
        pod_settings(pod)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("1Gi", 2**30), ("512Mi", 2**29), ("256M", 256 * 10**6), ("100", 100)],
)
def test_memory_quantities(quantity, expected):
    assert memory_bytes(quantity) == expected


def test_cpu_quantities():
    assert cpu_cores("500m") == 0.5 and cpu_cores("2") == 2.0
