"""`procure backup` / `procure restore` on PostgreSQL: the pg_dump / pg_restore path (issue 15).

The demo instance is loaded into a fresh database, backed up, and restored into another empty
database; tenders, clause versions, audit events, exported files and a search are compared.
Skipped only when PostgreSQL or pg_dump is absent outside CI.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from procure.core.db import make_engine
from tests.conftest import IN_CI, PG_URL

from .procs import instance_env, procure

pytestmark = pytest.mark.model  # the demo and the search use the real local model

TABLES = ("tender", "tender_clause", "clause_version", "audit_event", "tender_document", "supplier")


@pytest.fixture
def databases():
    """Two new, empty databases on the test server; dropped afterwards."""
    if not PG_URL or shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("PostgreSQL et pg_dump/pg_restore sont obligatoires en CI.")
        pytest.skip("PostgreSQL (PROCURE_TEST_POSTGRES_URL) ou pg_dump absent")
    names = [f"procure_bk_{uuid.uuid4().hex[:8]}_{side}" for side in ("src", "dst")]
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(PG_URL)
    try:
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _rows(url: str, table: str) -> dict[int, tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id'))
            return {row[0]: tuple(row) for row in found}
    finally:
        engine.dispose()


def _search(env) -> list[tuple[str, float]]:
    out = procure("sourcing", "search", "développement d'applications web", "--json", env=env)
    assert out.returncode == 0, out.stderr
    return [(r["siren"], r["score"]) for r in json.loads(out.stdout)["results"]]


def test_backup_and_restore_on_postgresql(databases, tmp_path):
    src_url, dst_url = databases
    source = tmp_path / "source"
    env = instance_env(source, src_url, PROCURE_SECRET_KEY="")
    for args in (("db", "upgrade"), ("demo",)):
        out = procure(*args, env=env, timeout=600)
        assert out.returncode == 0, out.stdout + out.stderr
    out = procure(
        "tenders", "export", "1", "--piece", "CCAP", "--format", "docx",
        "-o", str(tmp_path / "ccap.docx"), "--as", "acheteur@demo.procure.fr", env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    bk = tmp_path / "bk"
    out = procure("backup", str(bk), env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    manifest = json.loads((bk / "manifest.json").read_text())
    assert manifest["database"]["backend"] == "postgresql"
    assert (bk / manifest["database"]["file"]).is_file()

    target = tmp_path / "restored"
    tenv = instance_env(target, dst_url, PROCURE_SECRET_KEY="")
    out = procure("db", "upgrade", env=tenv)  # an empty instance, as an operator makes one
    assert out.returncode == 0, out.stderr
    out = procure("restore", str(bk), env=tenv, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr

    for table in TABLES:
        before, after = _rows(src_url, table), _rows(dst_url, table)
        assert before, table
        if table == "audit_event":
            last = max(after)
            assert after.pop(last)[4] == "instance.restore"  # the restore's own event
        assert after == before, table
    docs = _rows(dst_url, "tender_document")
    assert docs
    engine = make_engine(dst_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT tender_id, filename, sha256 FROM tender_document"))
        for tender_id, filename, sha in found:
            path = Path(target) / "exports" / "tenders" / str(tender_id) / filename
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        # the sequences were restored too: a new row does not collide with a restored one
        assert conn.execute(text("SELECT nextval('audit_event_id_seq')")).scalar_one() > last
    engine.dispose()
    assert (target / "secret_key").read_text() == (source / "secret_key").read_text()
    results = _search(tenv)
    assert results and results == _search(env)
    out = procure("restore", str(bk), env=tenv)  # never over a restored, non-empty instance
    assert out.returncode == 1 and "L'instance cible n'est pas vide" in out.stderr
