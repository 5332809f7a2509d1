"""Background jobs: a real huey queue, progress records, failures, audit."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from procure.core import jobs
from procure.core.audit import Actor
from procure.core.errors import ValidationError
from procure.core.models import AuditEvent, Job


@jobs.handler("test.count")
def _count(*, session, params, progress, actor, resources):
    n = params["n"]
    for i in range(1, n + 1):
        progress(i, n, f"élément {i}")
    if params.get("fail"):
        raise ValidationError("Ligne 3 : montant invalide.")
    return {"counted": n, "by": actor.email, "has_model": resources.model is not None}


def test_submitted_job_runs_and_records_progress(app, session, make_user):
    user = make_user("sourcing")
    queue = app.extensions["procure.jobs"]
    job = jobs.submit(
        session=session,
        queue=queue,
        actor=Actor.of(user),
        kind="test.count",
        params={"n": 4},
        label="Comptage",
    )
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.status, job.progress, job.total, job.percent) == ("done", 4, 4, 100)
    # the handler received the app's own resources (its model provider), not a rebuilt one
    assert job.result == {"counted": 4, "by": user.email, "has_model": True}
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions[-2:] == ["job.submit", "job.done"]


def test_failed_job_keeps_the_french_message(app, engine, session):
    job = jobs.run_inline(
        engine=engine,
        actor=Actor.system(),
        kind="test.count",
        params={"n": 3, "fail": True},
        resources=jobs.Resources(),
    )
    assert job.status == "failed" and job.message == "Ligne 3 : montant invalide."
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "job.failed")).one()


def test_cli_progress_hook_sees_every_step(engine):
    seen = []
    jobs.run_inline(
        engine=engine,
        actor=Actor.system(),
        kind="test.count",
        params={"n": 3},
        resources=jobs.Resources(),
        progress_hook=lambda d, t, m: seen.append((d, t)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_unknown_kind_is_refused(session):
    with pytest.raises(Exception, match="inconnu"):
        jobs.create_job(session=session, actor=Actor.system(), kind="nope", params={})


def _redis_url() -> str | None:
    """PROCURE_TEST_REDIS_URL (set by CI, where an unreachable Redis fails the run)."""
    import os

    import redis

    url = os.environ.get("PROCURE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis injoignable en CI ({url}) : {exc}")
        return None
    return url


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_queue_with_consumer_thread(tmp_path, db_url, backend):
    """A real consumer: the SQLite huey file (one machine) or Redis (several machines)."""
    from procure.app import create_app

    redis_url = None
    if backend == "redis":
        redis_url = _redis_url()
        if not redis_url:
            pytest.skip("Redis injoignable sur 127.0.0.1:6379")
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "q"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "x",
            "REDIS_URL": redis_url,
        }
    )
    queue = app.extensions["procure.jobs"]
    queue.start_consumer()
    from procure.core.db import session_scope

    with session_scope(app.extensions["procure.engine"]) as s:
        job = jobs.submit(
            session=s, queue=queue, actor=Actor.system(), kind="test.count", params={"n": 2}
        )
    deadline = time.monotonic() + 20
    status = "queued"
    while time.monotonic() < deadline and status not in ("done", "failed"):
        time.sleep(0.1)
        with session_scope(app.extensions["procure.engine"]) as s:
            status = s.get(Job, job.id).status
    queue._consumer.stop(graceful=True)
    app.extensions["procure.engine"].dispose()
    assert status == "done"
