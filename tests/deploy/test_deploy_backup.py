"""The MySQL backup and its restore, run for real on this machine's MariaDB.

The backup CronJob's own script, with its own DUMP_FLAGS and KEEP_DAYS (read from
k8s/base/mysql-backup-cronjob.yaml, so a change there is what gets tested), dumps a scratch
database that holds the project's migrated schema and rows of every table; the restore Job
template's script loads the dump into a second scratch database, and every row must come back.
Only the addresses differ from the cluster: the test's server stands in for the Service
``mysql``, a temporary directory for the backup volume. The clients are the machine's
(``mysqldump``/``mysql``, or MariaDB's ``mariadb-dump``/``mariadb``, from the mariadb-client
package that scripts/services.sh installs); the test installs nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from store.db import make_engine
from store.migrate import SchemaState, schema_state, upgrade
from store.models import BacktestRun, StrategyPreset, Sweep, SweepChunk, SweepResult
from tests.databases import scratch_database
from tests.deploy.support import load_doc, pod_spec, require
from tests.deploy.test_deploy_k8s import BASE_DIR

BACKUP_CRONJOB = BASE_DIR / "mysql-backup-cronjob.yaml"
RESTORE_TEMPLATE = BASE_DIR / "mysql-restore-job-template.yaml"
CLIENTS = {"mysqldump": "mariadb-dump", "mysql": "mariadb"}
"""The programs the scripts call, and MariaDB's name for each."""
NOW = datetime(2024, 5, 6, 7, 8, 9, 123456)
DAY = 24 * 3600


def the_container(path: Path) -> dict:
    """The single container of a manifest's pod template."""
    (container,) = pod_spec(load_doc(path))["containers"]
    return container


def script(container: dict) -> str:
    """The bash script a container runs (`bash -c <script>`)."""
    assert container["command"] == ["bash", "-c"]
    (body,) = container["args"]
    return body


def plain_env(container: dict) -> dict[str, str]:
    """The container's env entries that hold a value (the Secret's password left out)."""
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


# --- the manifests agree ----------------------------------------------------------------------


def test_restore_job_runs_like_the_backup_cronjob() -> None:
    """Same image, identity, pod security, database settings and claim (read-only for the
    restore); only BACKUP_FILE (a placeholder) is added and KEEP_DAYS/DUMP_FLAGS dropped."""
    backup_doc, restore_doc = load_doc(BACKUP_CRONJOB), load_doc(RESTORE_TEMPLATE)
    backup, restore = pod_spec(backup_doc), pod_spec(restore_doc)
    for key in ("serviceAccountName", "securityContext", "volumes"):
        assert backup[key] == restore[key], key
    (dump,), (load,) = backup["containers"], restore["containers"]
    for key in ("image", "securityContext", "resources"):
        assert dump[key] == load[key], key
    dump_env = {e["name"]: e for e in dump["env"]}
    load_env = {e["name"]: e for e in load["env"]}
    assert set(dump_env) - set(load_env) == {"KEEP_DAYS", "DUMP_FLAGS"}
    assert set(load_env) - set(dump_env) == {"BACKUP_FILE"}
    assert all(load_env[name] == dump_env[name] for name in set(load_env) & set(dump_env))
    assert load_env["BACKUP_FILE"]["value"] == "change-me"
    mounts = {m["mountPath"]: m for m in load["volumeMounts"]}
    assert mounts[load_env["BACKUP_DIR"]["value"]]["readOnly"] is True
    labels = restore_doc["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "backup"


def test_dump_flags_take_a_consistent_snapshot_any_client_can_read() -> None:
    """--single-transaction (one snapshot, no locks), --no-tablespaces (no PROCESS privilege
    needed), and no --databases (the dump restores into any database)."""
    flags = plain_env(the_container(BACKUP_CRONJOB))["DUMP_FLAGS"].split()
    assert {"--single-transaction", "--quick", "--no-tablespaces"} <= set(flags)
    assert not {"--databases", "--all-databases", "-B", "-A"} & set(flags)
    assert all(flag.startswith("--") for flag in flags)


# --- the real dump and restore ----------------------------------------------------------------


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    """A directory for the front of PATH in which mysqldump and mysql run the machine's
    clients (MariaDB's own names when only those exist)."""
    shims = tmp_path / "bin"
    shims.mkdir()
    for program, mariadb in CLIENTS.items():
        found = shutil.which(program) or shutil.which(mariadb)
        require(
            found is not None,
            f"{program} (or {mariadb})",
            "apt-get install mariadb-client (scripts/services.sh installs it)",
        )
        (shims / program).symlink_to(found)
    return shims


@pytest.fixture
def restore_url(mysql_server_url: str) -> Iterator[str]:
    """A second empty database on the test server, dropped after the test."""
    with scratch_database(mysql_server_url, "bt_restore") as url:
        yield url


def server_env(url: str) -> dict[str, str]:
    """The scripts' database settings for the database of ``url``."""
    parsed = make_url(url)
    return {
        "MYSQL_HOST": parsed.host or "127.0.0.1",
        "MYSQL_PORT": str(parsed.port or 3306),
        "MYSQL_USER": parsed.username or "root",
        "MYSQL_PASSWORD": parsed.password or "",
        "MYSQL_DATABASE": parsed.database or "",
    }


def run_script(
    manifest: Path, overrides: dict[str, str], clients: Path, home: Path
) -> subprocess.CompletedProcess:
    """Run a manifest's script with its env, ``overrides`` on top (addresses and paths)."""
    container = the_container(manifest)
    env = {
        "PATH": f"{clients}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),  # no ~/.my.cnf of the machine's user
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        **plain_env(container),
        **overrides,
    }
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, "-c", script(container)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def fill(engine: Engine) -> None:
    """The migrated schema (as db-init makes it) and rows in every table."""
    upgrade(engine)
    with Session(engine) as session, session.begin():
        for number, text_value in enumerate(["plain", "ünïcödé ✓ 中文", "quote ' and \\ back"]):
            session.add(
                BacktestRun(
                    run_id=f"run-{number}",
                    ticker="ACME",
                    rule_type="RSI",
                    rule_id="rsi",
                    params_json='{"period": 14}',
                    request_json="{}",
                    status="SUCCEEDED",
                    error_message=text_value,
                    result_json="x" * 100_000,
                    attempts=1,
                    created_at=NOW,
                    completed_at=NOW,
                )
            )
        session.add(StrategyPreset(name="preset ✓", payload_json="{}", created_at=NOW))
        session.add(
            Sweep(
                sweep_id="sweep-1",
                rule_type="RSI",
                tickers="ACME",
                request_json="{}",
                combos=2,
                skipped=0,
                chunks=1,
                chunk_size=2,
                created_at=NOW,
            )
        )
        session.flush()
        session.add(
            SweepChunk(
                chunk_id="sweep-1-c0",
                sweep_id="sweep-1",
                chunk_no=0,
                ticker="ACME",
                combo_first=0,
                combo_count=2,
                payload_json="{}",
                status="SUCCEEDED",
                queue="backtests",
                compute_ms=1.25,
                created_at=NOW,
            )
        )
        for combo in range(2):
            session.add(
                SweepResult(
                    sweep_id="sweep-1",
                    combo_no=combo,
                    chunk_no=0,
                    ticker="ACME",
                    params_json=f'{{"period": {combo}}}',
                )
            )


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key."""
    tables = {}
    with engine.connect() as connection:
        inspector = inspect(connection)
        for name in sorted(inspector.get_table_names()):
            table = Table(name, MetaData(), autoload_with=connection)
            order = list(table.primary_key.columns) or list(table.columns)
            tables[name] = [
                tuple(row) for row in connection.execute(select(table).order_by(*order))
            ]
    return tables


@pytest.mark.slow
@pytest.mark.mysql
def test_a_backup_restores_every_row_into_another_database(
    empty_mysql_url: str, restore_url: str, clients: Path, tmp_path: Path
) -> None:
    """The CronJob's script dumps the database (its flags), keeps recent dumps and deletes
    expired ones; the restore script loads the dump elsewhere: same tables, same rows, and the
    schema at the code's head."""
    source, target = make_engine(empty_mysql_url), make_engine(restore_url)
    backups = tmp_path / "backups"
    backups.mkdir()
    database = make_url(empty_mysql_url).database
    expired = backups / f"{database}-20000101T000000Z.sql.gz"
    recent = backups / f"{database}-20000102T000000Z.sql.gz"
    other = backups / "notes.txt"
    keep_days = int(plain_env(the_container(BACKUP_CRONJOB))["KEEP_DAYS"])
    for path, age in ((expired, keep_days + 1), (recent, keep_days - 1), (other, 1000)):
        path.write_bytes(b"")
        stamp = time.time() - age * DAY
        os.utime(path, (stamp, stamp))
    try:
        fill(source)
        dumped = run_script(
            BACKUP_CRONJOB,
            {**server_env(empty_mysql_url), "BACKUP_DIR": str(backups)},
            clients,
            tmp_path,
        )
        assert dumped.returncode == 0, dumped.stderr
        written = sorted(set(backups.glob(f"{database}-*.sql.gz")) - {recent})
        assert len(written) == 1, dumped.stdout
        assert not expired.exists() and recent.exists() and other.exists()
        assert not list(backups.glob(".*.part"))

        restored = run_script(
            RESTORE_TEMPLATE,
            {
                **server_env(restore_url),
                "BACKUP_DIR": str(backups),
                "BACKUP_FILE": written[0].name,
            },
            clients,
            tmp_path,
        )
        assert restored.returncode == 0, restored.stderr
        before, after = snapshot(source), snapshot(target)
        assert set(before) >= {"alembic_version", "backtest_results", "sweep_results"}
        assert after == before
        assert sum(len(rows) for rows in after.values()) == 3 + 1 + 1 + 1 + 2 + 1
        with target.connect() as connection:
            assert schema_state(connection) == SchemaState.CURRENT
    finally:
        source.dispose()
        target.dispose()


@pytest.mark.slow
@pytest.mark.mysql
def test_a_damaged_or_missing_backup_changes_nothing(
    restore_url: str, clients: Path, tmp_path: Path
) -> None:
    """The restore checks the file before it touches the database: a missing name lists the
    backups, a truncated gzip fails, and the database keeps its rows either way."""
    target = make_engine(restore_url)
    backups = tmp_path / "backups"
    backups.mkdir()
    damaged = backups / "backtest-20000101T000000Z.sql.gz"
    damaged.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    try:
        fill(target)
        before = snapshot(target)
        for name, says in (("backtest-19990101T000000Z.sql.gz", damaged.name), (damaged.name, "")):
            result = run_script(
                RESTORE_TEMPLATE,
                {**server_env(restore_url), "BACKUP_DIR": str(backups), "BACKUP_FILE": name},
                clients,
                tmp_path,
            )
            assert result.returncode != 0, name
            assert says in result.stderr, result.stderr
            assert snapshot(target) == before, name
    finally:
        target.dispose()
