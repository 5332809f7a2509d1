"""Background jobs: a Job row tracks progress; huey runs the work (SQLite file or Redis).

A room registers a handler with `@handler("kind")`; the handler receives the session, the job's
parameters, a `progress(done, total, message)` callback and the app's `resources` (the model
provider, the document store, the settings: the same objects the web app uses, never rebuilt from
parameters), and returns a JSON-able result. The web app submits jobs to the queue; the CLI runs
the same handler inline with a progress bar.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
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
from procure.core.errors import DomainError, NotFound, ValidationError
from procure.core.labels import STATUS_LABELS
from procure.core.models import Job, utcnow

if TYPE_CHECKING:
    from procure.core.model_provider import ModelProvider
    from procure.documents.store import DocumentStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
Handler = Callable[..., dict]
HANDLERS: dict[str, Handler] = {}

INTERRUPTED_MESSAGE = (
    "Tâche interrompue ({why}) : rien n'a été écrit à moitié ; relancez-la "
    "(`procure jobs rerun {job_id}`)."
)


class JobInterrupted(Exception):
    """Raised in a job's progress callback when its process is shutting down (a checkpoint)."""


def disk_full_message(exc: BaseException) -> str:
    """A French message when a job failed because the disk (or a file-size limit) is full.

    Found by the fault tests: SQLite reports a full disk as SQLITE_FULL and a write refused by
    a file-size limit as SQLITE_IOERR_WRITE; PostgreSQL as SQLSTATE 53100; files as ENOSPC,
    EFBIG or EDQUOT.
    """
    orig = getattr(exc, "orig", None) or exc
    full = (
        getattr(orig, "errno", None) in (28, 27, 122)
        or getattr(orig, "sqlite_errorname", "") in ("SQLITE_FULL", "SQLITE_IOERR_WRITE")
        or getattr(orig, "sqlstate", "") == "53100"
    )
    if not full:
        return ""
    return (
        "Disque plein (ou limite de taille de fichier atteinte) : la tâche n'a rien écrit, sa "
        "transaction a été annulée. Libérez de la place puis relancez-la."
    )


def fault_point(name: str) -> None:
    """A test hook: pause here when PROCURE_FAULT_POINT names this point.

    The fault tests set PROCURE_FAULT_POINT, run a real process, wait for the file named by
    PROCURE_FAULT_SIGNAL to appear and then kill the process at this known point. Unset (the
    normal case) it costs one dictionary lookup.
    """
    if os.environ.get("PROCURE_FAULT_POINT") != name:
        return
    signal_file = os.environ.get("PROCURE_FAULT_SIGNAL")
    if signal_file:
        Path(signal_file).write_text(str(os.getpid()))
    time.sleep(min(float(os.environ.get("PROCURE_FAULT_SLEEP", "30")), 300))


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
    stopping: threading.Event | None = None,
) -> Job:
    """Run a queued job to completion, recording progress, outcome and audit events.

    When `stopping` is set (the process is shutting down), the next progress call raises
    `JobInterrupted`: the handler's uncommitted work is rolled back and the job is marked
    interrupted, to be rerun.
    """
    with session_scope(engine) as session:
        job = get_job(session=session, job_id=job_id)
        job.status, job.message = "running", ""
        job.result = {"runner": runner_id()}  # who runs it, to tell a crash from a live run
        session.add(job)
        session.commit()
        kind = job.kind
        actor = Actor(job.created_by, "", "job")
        if job.created_by:
            from procure.core.models import User

            user = session.get(User, job.created_by)
            if user:
                actor = Actor.of(user, "job")

    def progress(done: int, total: int, message: str = "") -> None:
        if stopping is not None and stopping.is_set():
            raise JobInterrupted
        if done:  # a test hook: kill a job of this kind in the middle of its work
            fault_point(f"job.{kind}.progress")
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
        except JobInterrupted:
            session.rollback()
            job = get_job(session=session, job_id=job_id)
            job.status = "interrupted"
            job.message = INTERRUPTED_MESSAGE.format(why="arrêt du serveur", job_id=job_id)
            event = "job.interrupted"
        except Exception as exc:  # noqa: BLE001 - a job's failure is its result
            session.rollback()
            job = get_job(session=session, job_id=job_id)
            job.status = "failed"
            job.message = (
                exc.message
                if isinstance(exc, DomainError)
                else disk_full_message(exc) or f"Erreur interne : {exc}"
            )
            if job.message.startswith("Disque plein"):
                log.error("job %s failed: disk full (%s)", job_id, exc)
            elif not isinstance(exc, DomainError):
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
        self._consumer: Any = None
        self.stopping = threading.Event()

    def _run(self, job_id: int) -> None:
        run_job(self.engine, job_id, self.resources, stopping=self.stopping)

    def enqueue(self, job_id: int) -> None:
        self._task(job_id)

    def start_consumer(self, workers: int = 1) -> None:
        """Run a consumer in this process, in threads (single-machine default).

        The consumer does not take the process's signals: the web server owns SIGTERM and
        SIGINT and stops the consumer itself (`stop_consumer`), so a service manager's stop is
        heard (huey's `Consumer.start` would otherwise install its own handlers).
        """
        if self._consumer is None:
            consumer = self.huey.create_consumer(workers=workers, worker_type="thread")
            consumer._set_signal_handlers = lambda: None  # the web server owns the signals
            consumer.start()
            self._consumer = consumer

    def stop_consumer(self, timeout: float = 5.0) -> None:
        """Stop the in-process consumer: running jobs stop at their next checkpoint."""
        self.stopping.set()
        if self._consumer is not None:
            self._consumer.shutdown_timeout = timeout
            self._consumer.stop(graceful=True)
            self._consumer = None

    def run_consumer(self, workers: int = 1) -> None:
        """Run a consumer in the foreground (the `procure worker` command).

        huey handles SIGTERM (stop now) and SIGINT (finish the job in hand); either way the
        running job stops at its next progress checkpoint and is marked interrupted.
        """
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread")
        handle = consumer._handle_signal

        def _on_signal(signum: int, frame: Any) -> None:
            self.stopping.set()
            handle(signum, frame)

        consumer._handle_signal = _on_signal
        consumer.run()


def runner_id() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _runner_is_dead(job: Job) -> bool:
    """True when the job's process ran on this machine and no longer exists."""
    runner = (job.result or {}).get("runner") or {}
    if runner.get("host") != socket.gethostname() or not runner.get("pid"):
        return False
    try:
        os.kill(int(runner["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_interrupted(engine: Engine) -> list[int]:
    """Mark the jobs left "running" by a process of this machine that died (kill -9, power
    cut) as interrupted; each gets a `job.interrupted` audit event and can be rerun
    (`rerun_job`). Jobs run by a live process, or by another machine, are left alone.
    Called when a server or worker starts and when jobs are listed.
    """
    with session_scope(engine) as session:
        running = session.exec(select(Job).where(Job.status == "running")).all()
        stale = [job for job in running if _runner_is_dead(job)]
        for job in stale:
            job.status = "interrupted"
            job.message = INTERRUPTED_MESSAGE.format(why="arrêt brutal", job_id=job.id)
            job.finished_at = utcnow()
            session.add(job)
            audit.record(
                session,
                Actor.system("recovery"),
                "job.interrupted",
                record_type="job",
                record_id=job.id,
                details={"kind": job.kind, "message": job.message},
            )
        session.commit()
        return [job.id for job in stale if job.id is not None]


def rerun_job(*, session: Session, queue: JobQueue | None, actor: Actor, job_id: int) -> Job:
    """Queue a new run of a failed or interrupted job, with the same parameters."""
    old = get_job(session=session, job_id=job_id)
    session.refresh(old)  # its status was written by the process that ran it
    if old.status not in ("failed", "interrupted"):
        raise ValidationError(
            f"La tâche {job_id} est « {STATUS_LABELS.get(old.status, old.status)} » : seule une tâche échouée ou interrompue "
            "peut être relancée.",
            fields={"tache": "Choisissez une tâche échouée ou interrompue."},
        )
    if (old.result or {}).get("rerun_as"):
        raise ValidationError(
            f"La tâche {job_id} a déjà été relancée (tâche {old.result['rerun_as']}).",
            fields={"tache": "Relancez plutôt la dernière tâche."},
        )
    path = old.params.get("path")
    if path and not Path(path).exists():
        raise ValidationError(
            f"La tâche {job_id} ne peut pas être relancée : son fichier {path} n'existe plus ; "
            "envoyez-le de nouveau.",
            fields={"fichier": "Fichier absent."},
        )
    job = create_job(
        session=session,
        actor=actor,
        kind=old.kind,
        params=dict(old.params),
        label=old.label[:180] + f" (relance de {job_id})",
    )
    assert job.id is not None
    old.result = dict(old.result or {}, rerun_as=job.id)
    session.add(old)
    session.commit()
    if queue is not None:
        queue.enqueue(job.id)
    return job


def submit(
    *, session: Session, queue: JobQueue, actor: Actor, kind: str, params: dict, label: str = ""
) -> Job:
    """Create the job row and hand it to the queue.

    When the queue cannot take it (Redis down), the job is marked failed, not left "queued"
    forever, and the caller gets a French 503 to retry.
    """
    job = create_job(session=session, actor=actor, kind=kind, params=params, label=label)
    assert job.id is not None  # flushed by create_job
    try:
        queue.enqueue(job.id)
    except Exception as exc:  # noqa: BLE001 - redis.ConnectionError, sqlite3.OperationalError...
        log.error("job %s could not be queued: %s", job.id, exc)
        message = (
            "La file de tâches est injoignable (Redis ou fichier de file) : la tâche n'a pas été "
            "lancée ; réessayez dans un instant."
        )
        session.rollback()
        job = get_job(session=session, job_id=job.id)
        job.status, job.message, job.finished_at = "failed", message, utcnow()
        session.add(job)
        audit.record(
            session,
            actor,
            "job.failed",
            record_type="job",
            record_id=job.id,
            details={"kind": kind, "message": message},
        )
        session.commit()
        raise DomainError(message, status=503) from exc
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
