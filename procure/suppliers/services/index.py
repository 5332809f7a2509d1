"""The supplier index (LanceDB): brought in line with the database, directly or as a job."""

from __future__ import annotations

from sqlmodel import Session

from procure.core import audit, jobs
from procure.core.audit import Actor
from procure.core.jobs import JobQueue, Progress, Resources
from procure.core.models import Job
from sourcing import index as lindex

from .model import SourcingModel, app_model, lancedb_uri, model_info


def sync_index(
    *,
    session: Session,
    actor: Actor,
    model: SourcingModel,
    uri: str,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Bring the LanceDB index in line with the database (embeds only changed profiles)."""
    result: dict = dict(
        lindex.sync_index(session, uri=uri, embed=model.embed, rebuild=rebuild, progress=progress)
    )
    result["model"] = model_info(model)
    audit.record(
        session,
        actor,
        "sourcing.index",
        record_type="index",
        record_id=lindex.TABLE,
        details=result | {"rebuild": rebuild},
    )
    session.commit()
    return result


@jobs.handler("sourcing.index")
def _index_job(
    *, session: Session, params: dict, progress: Progress, actor: Actor, resources: Resources
) -> dict:
    return sync_index(
        session=session,
        actor=actor,
        model=app_model(resources),
        uri=lancedb_uri(resources),
        rebuild=bool(params.get("rebuild")),
        progress=progress,
    )


def submit_index(*, session: Session, queue: JobQueue, actor: Actor, rebuild: bool) -> Job:
    """Queue an index update (the web's button); the job uses the app's model and index."""
    return jobs.submit(
        session=session,
        queue=queue,
        actor=actor,
        kind="sourcing.index",
        params={"rebuild": rebuild},
        label="Index des fournisseurs",
    )
