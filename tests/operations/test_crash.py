"""kill -9 in the middle of a large DECP import, of the CLI and of the server (issue 15).

The process pauses at a known point (`PROCURE_FAULT_POINT`, after every row is written but before
the commit) and signals it; the test then kills it. Afterwards nothing is half-written, the job
is shown as interrupted and a rerun imports everything, once.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from sqlalchemy import text

from procure.core.db import make_engine

from .procs import Server, instance_env, procure, wait_for_file, write_big_decp


@pytest.fixture
def big_decp(tmp_path) -> Path:
    return write_big_decp(tmp_path / "decp-3000.json")


def _counts(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
            return {
                "suppliers": q("SELECT count(*) FROM supplier"),
                "contracts": q("SELECT count(*) FROM supplier_contract"),
                "orphans": q(
                    "SELECT count(*) FROM supplier s WHERE s.merged_into_id IS NULL AND NOT EXISTS "
                    "(SELECT 1 FROM supplier_contract c WHERE c.supplier_id = s.id)"
                ),
                "import_events": q(
                    "SELECT count(*) FROM audit_event WHERE action = 'sourcing.import'"
                ),
            }
    finally:
        engine.dispose()


def _jobs(env) -> list[dict]:
    out = procure("jobs", "list", "--json", env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _fault_env(tmp_path, base: dict) -> tuple[dict, Path]:
    signal_file = tmp_path / "fault-reached"
    env = dict(
        base,
        PROCURE_FAULT_POINT="sourcing.import.before_commit",
        PROCURE_FAULT_SIGNAL=str(signal_file),
        PROCURE_FAULT_SLEEP="60",
    )
    return env, signal_file


def _expected_contracts(path: Path) -> int:
    """One contract row per (valid record, winner), read by the importer's own parser."""
    from sourcing.ingest import read_rows

    _source, rows = read_rows(path.read_bytes(), "decp", path.name)
    return sum(len(r.winners) for r in rows if not r.error)


def _assert_rerun_imports_once(env, job_id: int, db_url: str, path: Path) -> None:
    out = procure("jobs", "rerun", str(job_id), env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    after = _counts(db_url)
    assert after["contracts"] == _expected_contracts(path) > 2500 and after["suppliers"] > 0
    assert after["orphans"] == 0 and after["import_events"] == 1
    # a job is rerun once; importing the same file again changes nothing
    again = procure("jobs", "rerun", str(job_id), env=env)
    assert again.returncode == 1 and "déjà été relancée" in again.stderr
    if path.exists():
        reimport = procure("suppliers", "import", str(path), "--format", "decp", "--json", env=env)
        assert json.loads(reimport.stdout)["created"] == 0, reimport.stderr
        assert _counts(db_url)["contracts"] == after["contracts"]


def test_kill_cli_import_mid_transaction(tmp_path, db_url, big_decp):
    import subprocess

    from .procs import PROCURE

    base = instance_env(tmp_path / "instance", db_url)
    env, signal_file = _fault_env(tmp_path, base)
    proc = subprocess.Popen(
        [PROCURE, "suppliers", "import", str(big_decp), "--format", "decp", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_file(signal_file, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert _counts(db_url) == {"suppliers": 0, "contracts": 0, "orphans": 0, "import_events": 0}
    [job] = _jobs(base)
    assert job["status"] == "interrupted" and "relancez-la" in job["message"]
    _assert_rerun_imports_once(base, job["id"], db_url, big_decp)


def test_kill_server_with_import_job_in_hand(tmp_path, db_url, big_decp):
    from procure.app import create_app
    from procure.core.audit import Actor
    from procure.core.db import session_scope
    from procure.suppliers import services as svc

    instance = tmp_path / "instance"
    base = instance_env(instance, db_url)
    env, signal_file = _fault_env(tmp_path, base)
    server = Server(env, tmp_path / "serve.log")
    try:
        server.wait_ready()
        # The web's import path, from this process: the upload is kept and queued to the
        # instance's queue, where the server's consumer takes it.
        app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": db_url})
        with session_scope(app.extensions["procure.engine"]) as session:
            job = svc.submit_import(
                session=session,
                queue=app.extensions["procure.jobs"],
                actor=Actor.system("test"),
                upload_dir=str(instance),
                fmt="decp",
                filename=big_decp.name,
                data=big_decp.read_bytes(),
            )
        app.extensions["procure.engine"].dispose()
        wait_for_file(signal_file, server.proc)
    finally:
        server.kill()
    assert _counts(db_url)["contracts"] == 0
    restarted = Server(base, tmp_path / "serve2.log")
    try:
        restarted.wait_ready()
        [row] = [j for j in _jobs(base) if j["id"] == job.id]
        assert row["status"] == "interrupted"
        assert f"rerun {job.id}" in row["message"]
    finally:
        restarted.signal(signal.SIGTERM)
        assert restarted.wait(timeout=15) == 0
    assert "Tâches interrompues par un arrêt brutal" in (tmp_path / "serve2.log").read_text()
    _assert_rerun_imports_once(base, job.id, db_url, big_decp)
