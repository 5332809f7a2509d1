"""Demo data of the room, loaded once and idempotently by `procure demo`."""

from __future__ import annotations

from sqlmodel import func, select

from procure.core.audit import Actor
from procure.core.models import User
from procure.tenders.models import Tender, TenderClause
from procure.tenders.services import approved_versions, create_tender, is_known_cpv
from procure.tenders.services.forms import DEFAULT_ENVIRONMENT_SUBS

DEMO_TITLE = "Assistant conversationnel pour l'accueil des usagers (démo)"


def load(*, engine, users: dict[str, User], echo) -> None:
    """A demo tender owned by the demo buyer, with proposed clauses, values and criteria."""
    from procure.core.db import session_scope

    with session_scope(engine) as session:
        if session.exec(select(Tender).where(Tender.title == DEMO_TITLE)).first():
            echo("Marchés : le marché de démonstration existe déjà.")
            return
        if not approved_versions(session):
            echo(
                "Marchés : aucune clause approuvée dans la bibliothèque, marché de démonstration non créé."
            )
            return
        buyer = session.get(User, users["buyer"].id)
        tender = create_tender(
            session=session,
            actor=Actor.of(buyer, "demo"),
            data={
                "title": DEMO_TITLE,
                "buyer": "Ville de Démoville",
                "procedure": "aoo",
                "cpv": ["72212224-5", "48000000-8"]
                if is_known_cpv("72212224-5")
                else ["72000000-5"],
                "amount": 480000,
                "ai_high_risk": True,
                "personal_data": True,
                "sensitive_data": False,
                # An assistant that answers the public: AI Act art. 50 transparency applies.
                "interacts_with_people": True,
                "buyer_kind": "collectivite",
                "launch_date": "2026-12-15",
                "hosting": "Hébergement dans l'Union européenne",
                "lots": ["Fourniture et paramétrage de l'assistant", "Maintenance et évolutions"],
                "award_criteria": [
                    {"name": "Prix", "kind": "price", "weight": 40, "method": "proportionnelle"},
                    {
                        "name": "Valeur technique",
                        "kind": "technical",
                        "weight": 45,
                        "method": "bareme",
                    },
                    {
                        "name": "Performance environnementale",
                        "kind": "environment",
                        "weight": 15,
                        "method": "logarithmique",
                        "max_score": 20,
                        "cap": 1000,
                        # The split the RC publishes and the evaluation scores with.
                        "sub_criteria": DEFAULT_ENVIRONMENT_SUBS,
                    },
                ],
                "requests_per_year": 1_200_000,
                "tokens_per_request": 800,
            },
        )
        count = session.exec(
            select(func.count())
            .select_from(TenderClause)
            .where(TenderClause.tender_id == tender.id)
        ).one()
        echo(
            f"Marchés : marché de démonstration {tender.reference} créé avec {count} clauses proposées."
        )
