"""Who may write: the legal role, and the four-eyes rule of the review."""

from __future__ import annotations

from procure.clause_library.models import ClauseVersion
from procure.core.audit import Actor
from procure.core.errors import Forbidden


def require_legal(actor: Actor, what: str) -> None:
    if not actor.has_role("legal"):
        raise Forbidden(f"Seul un juriste peut {what}.")


def four_eyes(actor: Actor, version: ClauseVersion) -> None:
    if actor.user_id is None or actor.user_id in (version.author_id, version.updated_by_id):
        raise Forbidden(
            "Règle des quatre yeux : la relecture doit être faite par un autre juriste que "
            "l'auteur du brouillon."
        )
