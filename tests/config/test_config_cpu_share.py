"""A Job's CPU share, what numba's parallel kernels run on (``config.process.cpu_share``):
the CPUs it may run on, held to its cgroup's quota (v2 ``cpu.max`` on its cgroup or an
ancestor, else v1's CFS quota), never below one."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import process


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("100000 100000", 1.0),
        ("150000 100000\n", 1.5),
        ("50000", 0.5),
        ("max 100000", None),
        ("max", None),
        ("0 100000", None),
        ("", None),
        ("-1 100000", None),
        ("1 2 3", None),
    ],
)
def test_a_cpu_max_line_is_read_as_the_cpus_it_grants(text: str, cpus: float | None) -> None:
    assert process.cpu_quota(text) == cpus


def _cgroup(root: Path, path: str, cpu_max: str) -> None:
    folder = root / path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cpu.max").write_text(cpu_max)


def test_a_job_granted_one_core_of_eight_runs_one_thread(tmp_path: Path) -> None:
    _cgroup(tmp_path, "", "100000 100000\n")
    assert process.cpu_share(tmp_path, "/", cpus=8) == 1


def test_a_quota_is_rounded_down_and_never_below_one(tmp_path: Path) -> None:
    _cgroup(tmp_path, "", "250000 100000\n")
    assert process.cpu_share(tmp_path, "/", cpus=8) == 2
    _cgroup(tmp_path, "", "20000 100000\n")
    assert process.cpu_share(tmp_path, "/", cpus=8) == 1


def test_the_smallest_quota_of_the_cgroup_and_its_ancestors_holds(tmp_path: Path) -> None:
    _cgroup(tmp_path, "kubepods", "300000 100000")
    _cgroup(tmp_path, "kubepods/pod1", "max 100000")
    _cgroup(tmp_path, "kubepods/pod1/job", "max 100000")
    assert process.cpu_share(tmp_path, "/kubepods/pod1/job", cpus=8) == 3


def test_without_a_quota_the_cpus_it_may_run_on_are_its_share(tmp_path: Path) -> None:
    _cgroup(tmp_path, "", "max 100000")
    assert process.cpu_share(tmp_path, "/", cpus=6) == 6
    assert process.cpu_share(tmp_path / "nothing", "/", cpus=4) == 4


def test_a_cgroup_v1_cfs_quota_holds_where_there_is_no_cpu_max(tmp_path: Path) -> None:
    folder = tmp_path / "cpu,cpuacct"
    folder.mkdir()
    (folder / "cpu.cfs_quota_us").write_text("200000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    assert process.cpu_share(tmp_path, "/", cpus=16) == 2
    (folder / "cpu.cfs_quota_us").write_text("-1\n")
    assert process.cpu_share(tmp_path, "/", cpus=16) == 16


def test_an_operators_numba_thread_setting_wins_over_the_share() -> None:
    assert process.numba_threads({"NUMBA_NUM_THREADS": "3"}) == 3
    assert process.numba_threads({}) == process.cpu_share()
    with pytest.raises(process.ConfigurationError, match="NUMBA_NUM_THREADS"):
        process.numba_threads({"NUMBA_NUM_THREADS": "0"})


def test_a_job_sets_numbas_threads_to_its_share_unless_told(monkeypatch) -> None:
    """Before numba is imported, the Job's share becomes NUMBA_NUM_THREADS (numba sizes its
    pool from it); an operator's own value stays."""
    from consumer.__main__ import use_job_threads

    monkeypatch.setattr(process, "cpu_share", lambda: 1)
    monkeypatch.delitem(__import__("sys").modules, "numba", raising=False)
    environ: dict[str, str] = {}
    assert use_job_threads(environ) == 1
    assert environ == {"NUMBA_NUM_THREADS": "1"}
    told = {"NUMBA_NUM_THREADS": "2"}
    assert use_job_threads(told) == 2 and told == {"NUMBA_NUM_THREADS": "2"}


def test_a_job_with_numba_loaded_runs_its_kernels_on_its_share(monkeypatch) -> None:
    import numba

    from consumer.__main__ import use_job_threads

    before = numba.get_num_threads()
    monkeypatch.setattr(process, "cpu_share", lambda: 1)
    try:
        use_job_threads({})
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)
