"""A job in hand at shutdown stops at its next checkpoint, writes nothing, and can be rerun."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from procure.core import audit, jobs
from procure.core.audit import Actor
from procure.core.errors import ValidationError
from procure.core.models import AuditEvent, Job

STOPPING = threading.Event()


@jobs.handler("test.half_way")
def _half_way(*, session, params, progress, actor, resources):
    if not params.get("stop"):
        progress(1, 2, "début")  # on SQLite, progress is reported outside the write transaction
    audit.record(session, actor, "test.half_written", record_type="test")
    session.flush()  # written in the transaction, not committed
    if params.get("stop"):
        STOPPING.set()  # the signal arrives while the job is in hand...
        progress(1, 2, "moitié")  # ...and the checkpoint stops it
    session.commit()
    return {"done": True}


def test_shutdown_checkpoint_rolls_back_and_rerun_completes(engine, session):
    STOPPING.clear()
    job = jobs.create_job(
        session=session, actor=Actor.system(), kind="test.half_way", params={"stop": True}
    )
    done = jobs.run_job(engine, job.id, jobs.Resources(), stopping=STOPPING)
    assert done.status == "interrupted" and "relancez-la" in done.message
    actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "test.half_written" not in actions and actions[-1] == "job.interrupted"
    # rerun: a new job with the same parameters (here without the stop), once only
    STOPPING.clear()
    again = jobs.rerun_job(session=session, queue=None, actor=Actor.system(), job_id=job.id)
    assert again.params == {"stop": True} and again.id != job.id
    again.params = {}
    session.add(again)
    session.commit()
    assert jobs.run_job(engine, again.id, jobs.Resources(), stopping=STOPPING).status == "done"
    with pytest.raises(ValidationError, match="déjà été relancée"):
        jobs.rerun_job(session=session, queue=None, actor=Actor.system(), job_id=job.id)
    with pytest.raises(ValidationError, match="seule une tâche échouée ou interrompue"):
        jobs.rerun_job(session=session, queue=None, actor=Actor.system(), job_id=again.id)


def test_recovery_leaves_live_and_foreign_runners_alone(engine, session):
    import os

    rows = {
        "dead": {"runner": {"host": jobs.socket.gethostname(), "pid": 2**22 + 12345}},
        "alive": {"runner": {"host": jobs.socket.gethostname(), "pid": os.getpid()}},
        "other machine": {"runner": {"host": "ailleurs.example", "pid": 1}},
    }
    ids = {}
    for label, result in rows.items():
        job = Job(kind="test.half_way", label=label, status="running", result=result)
        session.add(job)
        session.commit()
        ids[label] = job.id
    assert jobs.recover_interrupted(engine) == [ids["dead"]]
    session.expire_all()
    assert {j.label: j.status for j in session.exec(select(Job)).all()} == {
        "dead": "interrupted",
        "alive": "running",
        "other machine": "running",
    }
