"""Demo data of the room, loaded once and idempotently by `procure demo`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

import sourcing
from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.suppliers.services import import_data, stats, sync_index

DEMO_FILE = Path(sourcing.__file__).resolve().parent / "data" / "decp_demo.json"


def load(*, engine: Engine, users: dict, echo) -> None:
    """Import the shipped DECP extract and index it (idempotent: a second run changes nothing)."""
    from procure.core.models import User
    from procure.web.cli_support import resources

    shared = resources()  # the app's model provider and settings

    with session_scope(engine) as session:
        user = session.get(User, users["sourcing"].id)
        actor = Actor.of(user, "demo")
        if stats(session=session)["contracts"] == 0:
            result = import_data(
                session=session,
                actor=actor,
                data=DEMO_FILE.read_bytes(),
                fmt="decp",
                filename=DEMO_FILE.name,
            )
            echo(
                f"Sourcing : {result['read']} marchés DECP lus, {result['created']} créés, "
                f"{result['rejected']} rejetés."
            )
        result = sync_index(
            session=session,
            actor=actor,
            model=shared.model.get(),
            uri=shared.settings["LANCEDB_URI"],
            progress=None,
        )
        echo(
            f"Sourcing : index à jour ({result['suppliers']} fournisseurs, {result['embedded']} vectorisés)."
        )
