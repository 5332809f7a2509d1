"""Demo data of the room, loaded once and idempotently by `procure demo`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import select

from procure.core.audit import Actor
from procure.core.models import User
from procure.evaluation.services import add_offer, assign_evaluators, list_offers, save_declaration
from procure.tenders.models import Tender

DEMO_OFFERS = [
    (
        "Numérique Sobre SAS",
        "552100554",
        182_000.0,
        {
            "model_total_parameters": 8_000_000_000,
            "quantization_bits": 8,
            "gpu_model": "NVIDIA L40S",
            "gpu_count": 1,
            "hardware_lifetime_years": 5,
            "country": "FRA",
            "pue": 1.25,
            "wue": 0.3,
            "renewable_share": 0.9,
            "renewable_instrument": "PPA",
            "labels": ["Climate Neutral Data Centre Pact"],
            "evidence": "Mesures trimestrielles, démarche AFNOR Spec 2314.",
        },
    ),
    (
        "Grands Modèles Conseil",
        "732829320",
        149_000.0,
        {
            "model_total_parameters": 141_000_000_000,
            "model_active_parameters": 39_000_000_000,
            "country": "USA",
            "pue": 1.4,
        },
    ),
    (
        "IA Territoriale",
        "443061841",
        165_000.0,
        {
            "model_total_parameters": 24_000_000_000,
            "country": "SWE",
            "pue": 1.15,
            "wue": 0.2,
            "renewable_share": 1.0,
            "measured_wh_per_1000_requests": 120.0,
            "measurement_method": "Compteurs PDU, moyenne sur 3 mois",
        },
    ),
]


def load(*, engine: Engine, users: dict[str, User], echo: Callable[[str], None]) -> None:
    """Offers with declarations and two evaluators on the demo tender (idempotent)."""
    from procure.core.db import session_scope

    buyer = users.get("buyer")
    if not buyer:
        return
    with session_scope(engine) as session:
        tender = session.exec(
            select(Tender).where(Tender.owner_id == buyer.id).order_by(Tender.id)
        ).first()
        if tender is None:
            return
        if list_offers(session=session, tender_id=tender.id):
            return
        actor = Actor.of(session.get(User, buyer.id), "demo")
        lot = (
            str(tender.lots[0].get("number"))
            if tender.lots and isinstance(tender.lots[0], dict)
            else ""
        )
        for name, siren, price, decl in DEMO_OFFERS:
            offer = add_offer(
                session=session,
                actor=actor,
                tender_id=tender.id,
                supplier_name=name,
                siren=siren,
                lot=lot,
                price=price,
                documents=["Acte d'engagement", "Mémoire technique"],
            )
            if tender.requests_per_year and tender.tokens_per_request:
                save_declaration(
                    session=session,
                    actor=actor,
                    offer_id=offer.id,
                    data=decl,
                    source="démonstration",
                )
        evaluators = [users[k] for k in ("evaluator", "evaluator2") if k in users]
        if evaluators:
            assign_evaluators(
                session=session,
                actor=actor,
                tender_id=tender.id,
                user_ids=[u.id for u in evaluators],
                lead_id=evaluators[0].id,
            )
    echo(f"Évaluation : {len(DEMO_OFFERS)} offres et leurs déclarations sur {tender.reference}.")
