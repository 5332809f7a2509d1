"""Demo data, loaded once and idempotently by `procure demo`: users, then each room's data."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from procure.accounts import services as users
from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.core.models import User

DEMO_ORG = "Direction des achats de l'État (démo)"

# (key, email, password, roles, full name). Printed by `procure demo` and listed in the README.
DEMO_USERS = [
    ("admin", "admin@demo.procure.fr", "demo-admin-2026", ["admin"], "Alice Admin"),
    ("buyer", "acheteur@demo.procure.fr", "demo-acheteur-2026", ["buyer"], "Bruno Acheteur"),
    ("legal", "juriste@demo.procure.fr", "demo-juriste-2026", ["legal"], "Jeanne Juriste"),
    ("legal2", "juriste2@demo.procure.fr", "demo-juriste2-2026", ["legal"], "Louis Relecteur"),
    ("sourcing", "sourcing@demo.procure.fr", "demo-sourcing-2026", ["sourcing"], "Sofia Sourcing"),
    (
        "evaluator",
        "evaluateur@demo.procure.fr",
        "demo-evaluateur-2026",
        ["evaluator"],
        "Éric Évaluateur",
    ),
    (
        "evaluator2",
        "evaluateur2@demo.procure.fr",
        "demo-evaluateur2-2026",
        ["evaluator"],
        "Émilie Évaluatrice",
    ),
]


def ensure_users(engine: Engine) -> dict[str, User]:
    """Create the demo users that do not exist yet; return them by key."""
    result: dict[str, User] = {}
    with session_scope(engine) as session:
        for key, email, password, roles, name in DEMO_USERS:
            user = users.find_by_email(session=session, email=email)
            if user is None:
                user = users.create_user(
                    session=session,
                    actor=Actor.system("demo"),
                    email=email,
                    password=password,
                    roles=roles,
                    full_name=name,
                    organisation=DEMO_ORG,
                )
            result[key] = user
    return result
