"""Migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

from procure.core.db import make_engine
from procure.migrations import alembic_config, upgrade
from tests.conftest import BACKENDS, PG_URL


@pytest.fixture(params=BACKENDS)
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"m_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_upgrade_matches_models_and_is_repeatable(empty_db):
    upgrade(empty_db)
    upgrade(empty_db)  # a second run does nothing
    engine = make_engine(empty_db)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        conn.execute(
            text(
                "INSERT INTO audit_event (at, actor_email, action, record_type, record_id, "
                "details, client_addr) VALUES (CURRENT_TIMESTAMP, '', 'test', '', '', '{}', '')"
            )
        )
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM audit_event"))
        conn.rollback()
        triggers_sql = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            if conn.dialect.name == "sqlite"
            else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        )
        triggers = {row[0] for row in conn.execute(text(triggers_sql))}
    assert {"clause_version_immutable"} <= triggers
    assert triggers & {"audit_event_no_change", "audit_event_no_delete"}
    engine.dispose()
    assert diff == [], f"les migrations ne correspondent pas aux modèles : {diff}"


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, f"plusieurs têtes de migration : {script.get_heads()}"
