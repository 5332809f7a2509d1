"""Shared test data: the real clause library as approved versions, tenders, offers, clients."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services import CONTENT_FIELDS, parse_clause_text
from procure.core.audit import Actor
from procure.tenders.models import Tender
from tests.conftest import CsrfClient

ROOT = Path(__file__).resolve().parent.parent  # the checkout
DATA = Path(__file__).resolve().parent / "data"


def load_library(session, keys: set[str] | None = None) -> dict[str, ClauseVersion]:
    """Insert the real clauses/ folder as approved version 1 of each clause (fast, no review)."""
    out = {}
    for path in sorted((ROOT / "clauses").rglob("*.md")):
        spec = parse_clause_text(path.read_text(encoding="utf-8"), filename=path.name)
        if keys and spec.key not in keys:
            continue
        clause = Clause(key=spec.key, family=spec.family)
        session.add(clause)
        session.flush()
        version = ClauseVersion(
            clause_id=clause.id,
            number=1,
            status="approved",
            title=spec.title,
            piece=spec.piece,
            summary=spec.summary,
            body=spec.body,
            variables=spec.variables,
            variants=spec.variants,
            conditions=spec.conditions,
            covers=spec.covers,
            references=spec.references,
            departures=spec.departures,
            depends=spec.depends,
            content_hash=spec.content_hash(),
        )
        session.add(version)
        out[spec.key] = version
    session.commit()
    return out


def new_version(session, key: str, **changes) -> ClauseVersion:
    """A newer approved version of a clause (as the legal room would approve it)."""
    clause = session.exec(select(Clause).where(Clause.key == key)).one()
    old = session.exec(
        select(ClauseVersion)
        .where(ClauseVersion.clause_id == clause.id)
        .order_by(ClauseVersion.number.desc())
    ).first()
    data = {k: getattr(old, k) for k in CONTENT_FIELDS}
    data.update(changes)
    version = ClauseVersion(
        clause_id=clause.id,
        number=old.number + 1,
        status="approved",
        content_hash=f"{old.content_hash[:56]}{old.number + 1:08d}",
        **data,
    )
    session.add(version)
    session.commit()
    return version


CRITERIA = [
    {"name": "Prix", "kind": "price", "weight": 40},
    {"name": "Valeur technique", "kind": "technical", "weight": 45},
    {
        "name": "Performance environnementale",
        "kind": "environment",
        "weight": 15,
        "method": "logarithmique",
    },
]


def tender_data(**over) -> dict:
    data = {
        "title": "Assistant de réponse aux usagers",
        "buyer": "Ville de Testville",
        "procedure": "aoo",
        "cpv": ["72000000-5"],
        "amount": "250 000",
        "ai_high_risk": True,
        "personal_data": True,
        "sensitive_data": False,
        "award_criteria": CRITERIA,
        "requests_per_year": 100000,
        "tokens_per_request": 500,
    }
    data.update(over)
    return data


def actor_of(user) -> Actor:
    return Actor.of(user, "test")


GOOD_DECLARATION = {
    "model_total_parameters": 8_000_000_000,
    "country": "FRA",
    "pue": 1.25,
    "wue": 0.3,
    "renewable_share": 0.9,
}


# The evaluation room's tenders: maximum notes per criterion and environmental sub-criteria.
EVALUATION_CRITERIA = [
    {"name": "Prix", "kind": "price", "weight": 40, "method": "hyperbolic", "max_score": 20},
    {"name": "Valeur technique", "kind": "technical", "weight": 45, "method": "", "max_score": 20},
    {
        "name": "Environnement",
        "kind": "environment",
        "weight": 15,
        "method": "logarithmique",
        "max_score": 10,
        "sub_criteria": [
            {"name": "Émissions annuelles", "max_score": 7},
            {"name": "Hébergement", "max_score": 3},
        ],
    },
]


def make_tender(session, owner, *, reference="AO-2026-001", **kw) -> Tender:
    """A tender stored directly, with the evaluation criteria unless told (evaluation tests)."""
    tender = Tender(
        reference=reference,
        title="Assistant conversationnel pour l'accueil des usagers",
        buyer="Ville de Test",
        organisation=owner.organisation,
        owner_id=owner.id,
        procedure="AOO",
        award_criteria=kw.pop("award_criteria", EVALUATION_CRITERIA),
        requests_per_year=kw.pop("requests_per_year", 1_000_000),
        tokens_per_request=kw.pop("tokens_per_request", 400),
        **kw,
    )
    session.add(tender)
    session.commit()
    return tender


def make_panel(session, buyer, lead, second, *, reference: str, offers: dict[str, int]):
    """A tender of `buyer` with offers ({supplier: price}, in order) and two evaluators, `lead`
    leading: (tender, offers)."""
    from procure.evaluation import services as ev

    tender = make_tender(session, buyer, reference=reference)
    actor = Actor.of(buyer)
    made = [
        ev.add_offer(
            session=session, actor=actor, tender_id=tender.id, supplier_name=name, price=price
        )
        for name, price in offers.items()
    ]
    ev.assign_evaluators(
        session=session,
        actor=actor,
        tender_id=tender.id,
        user_ids=[lead.id, second.id],
        lead_id=lead.id,
    )
    return tender, made


def client_for(app, user, password="motdepasse-test") -> CsrfClient:
    app.test_client_class = CsrfClient
    c = app.test_client()
    r = c.post("/login", data={"email": user.email, "password": password})
    assert r.status_code == 303
    c.csrf_token = None
    return c


def pin_value(session, tender: Tender, clause_key: str, **values) -> None:
    """Set values on a pinned clause directly, as an older, laxer clause version would have."""
    from procure.tenders import services as tenders

    link = next(
        r.link
        for r in tenders.tender_clauses(session=session, tender=tender)
        if r.clause.key == clause_key
    )
    link.values = {**link.values, **values}
    session.add(link)
    session.commit()
