"""Background jobs: a Job row tracks progress; huey runs the work (SQLite file or Redis).

A room registers a handler with `@handler("kind")`; the handler receives the session, the job's
parameters, a `progress(done, total, message)` callback and the app's `resources` (the model
provider, the document store, the settings: the same objects the web app uses, never rebuilt from
parameters), and returns a JSON-able result. The web app submits jobs to the queue; the CLI runs
the same handler inline with a progress bar.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import RedisHuey, SqliteHuey
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.core.errors import DomainError, NotFound
from procure.core.models import Job, utcnow

if TYPE_CHECKING:
    from procure.core.model_provider import ModelProvider
    from procure.documents.store import DocumentStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
Handler = Callable[..., dict]
HANDLERS: dict[str, Handler] = {}


@dataclass
class Resources:
    """What a job may use of the app: built once by the app factory and shared."""

    model: ModelProvider | None = None
    documents: DocumentStore | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `fn(*, session, params, progress, actor, resources) -> dict` for a job kind."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def create_job(*, session: Session, actor: Actor, kind: str, params: dict, label: str = "") -> Job:
    if kind not in HANDLERS:
        raise DomainError(f"Type de tâche inconnu : {kind}.")
    job = Job(kind=kind, label=label or kind, params=params, created_by=actor.user_id)
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor,
        "job.submit",
        record_type="job",
        record_id=job.id,
        details={"kind": kind, "params": params},
    )
    session.commit()
    return job


def get_job(*, session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if not job:
        raise NotFound("Tâche introuvable.")
    return job


def recent_jobs(*, session: Session, kind_prefix: str = "", limit: int = 20) -> list[Job]:
    query = select(Job).order_by(col(Job.id).desc()).limit(limit)
    if kind_prefix:
        query = query.where(Job.kind.startswith(kind_prefix))
    return list(session.exec(query).all())


def run_job(
    engine: Engine,
    job_id: int,
    resources: Resources,
    progress_hook: Progress | None = None,
) -> Job:
    """Run a queued job to completion, recording progress, outcome and audit events."""
    with session_scope(engine) as session:
        job = get_job(session=session, job_id=job_id)
        job.status, job.message = "running", ""
        session.add(job)
        session.commit()
        actor = Actor(job.created_by, "", "job")
        if job.created_by:
            from procure.core.models import User

            user = session.get(User, job.created_by)
            if user:
                actor = Actor.of(user, "job")

    def progress(done: int, total: int, message: str = "") -> None:
        with session_scope(engine) as s:
            row = get_job(session=s, job_id=job_id)
            row.progress, row.total, row.message = done, total, message
            s.add(row)
            s.commit()
        if progress_hook:
            progress_hook(done, total, message)

    with session_scope(engine) as session:
        job = get_job(session=session, job_id=job_id)
        try:
            result = HANDLERS[job.kind](
                session=session,
                params=job.params,
                progress=progress,
                actor=actor,
                resources=resources,
            )
            session.rollback()  # anything the handler left uncommitted is not ours to write
            job = get_job(session=session, job_id=job_id)
            job.status, job.result = "done", result or {}
            job.progress = max(job.progress, job.total)
            event = "job.done"
        except Exception as exc:  # noqa: BLE001 - a job's failure is its result
            session.rollback()
            job = get_job(session=session, job_id=job_id)
            job.status = "failed"
            job.message = exc.message if isinstance(exc, DomainError) else f"Erreur interne : {exc}"
            if not isinstance(exc, DomainError):
                log.error("job %s failed\n%s", job_id, traceback.format_exc())
            event = "job.failed"
        job.finished_at = utcnow()
        session.add(job)
        audit.record(
            session,
            actor,
            event,
            record_type="job",
            record_id=job_id,
            details={"kind": job.kind, "message": job.message},
        )
        session.commit()
        return job


class JobQueue:
    """The app's queue: huey on a SQLite file by default, on Redis when configured."""

    def __init__(
        self,
        engine: Engine,
        *,
        instance_path: str,
        redis_url: str | None,
        immediate: bool,
        resources: Resources | None = None,
    ):
        self.engine = engine
        self.resources = resources or Resources()
        if redis_url:
            self.huey = RedisHuey("procure", url=redis_url, immediate=immediate)
        else:
            self.huey = SqliteHuey(
                "procure", filename=str(Path(instance_path) / "jobs.db"), immediate=immediate
            )
        self._task = self.huey.task(name="procure.run_job")(self._run)
        self._consumer = None

    def _run(self, job_id: int) -> None:
        run_job(self.engine, job_id, self.resources)

    def enqueue(self, job_id: int) -> None:
        self._task(job_id)

    def start_consumer(self, workers: int = 1) -> None:
        """Run a consumer in this process, in threads (single-machine default)."""
        if self._consumer is None:
            consumer = self.huey.create_consumer(workers=workers, worker_type="thread")
            consumer.start()
            self._consumer = consumer

    def run_consumer(self, workers: int = 1) -> None:
        """Run a consumer in the foreground (the `procure worker` command)."""
        self.huey.create_consumer(workers=workers, worker_type="thread").run()


def submit(
    *, session: Session, queue: JobQueue, actor: Actor, kind: str, params: dict, label: str = ""
) -> Job:
    """Create the job row and hand it to the queue."""
    job = create_job(session=session, actor=actor, kind=kind, params=params, label=label)
    assert job.id is not None  # flushed by create_job
    queue.enqueue(job.id)
    return job


def run_inline(
    *,
    engine: Engine,
    actor: Actor,
    kind: str,
    params: dict,
    resources: Resources,
    label: str = "",
    progress_hook: Progress | None = None,
) -> Job:
    """Create a job and run it now, in this process (the CLI path)."""
    with session_scope(engine) as session:
        job = create_job(session=session, actor=actor, kind=kind, params=params, label=label)
    assert job.id is not None  # flushed by create_job
    return run_job(engine, job.id, resources, progress_hook)


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "total": job.total,
        "message": job.message,
        "result": job.result,
    }
