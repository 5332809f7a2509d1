"""Offers received, their environmental declarations and the footprint of each offer."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import NotFound, ValidationError
from procure.core.formatting import NumberError, parse_optional_number
from procure.core.models import utcnow
from procure.evaluation import footprint as fp
from procure.evaluation.models import Declaration, Offer
from procure.evaluation.services.access import access, get_tender, require_manage, require_open
from procure.tenders.models import Tender
from sourcing.normalise import valid_siren

PRICE_HELP = "Montant en euros HT attendu (ex. 125 000,50)."


def _parse_price(value: Any) -> tuple[float | None, str]:
    """(price, error): a French amount in euros HT, possibly empty; never negative."""
    try:
        price = parse_optional_number(value, unit="€")
    except NumberError:
        return None, PRICE_HELP
    if price is not None and price < 0:
        return None, "Le prix ne peut pas être négatif."
    return (float(price) if price is not None else None), ""


def add_offer(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    supplier_name: str,
    siren: str = "",
    lot: str = "",
    price: Any = None,
    documents: list[str] | tuple[str, ...] | str = (),
) -> Offer:
    """Record an offer received; refuses a missing name, a bad SIREN, a bad price or lot."""
    tender = get_tender(session=session, tender_id=tender_id)
    require_manage(session, actor, tender)
    require_open(session, tender_id)
    errors: dict[str, str] = {}
    supplier_name = (supplier_name or "").strip()
    siren = "".join((siren or "").split())
    lot = str(lot or "").strip()
    if not supplier_name:
        errors["supplier_name"] = "Nom du soumissionnaire obligatoire."
    if siren and not valid_siren(siren):
        errors["siren"] = "SIREN invalide : 9 chiffres avec clé de contrôle (Luhn)."
    price_value, price_error = _parse_price(price)
    if price_error:
        errors["price"] = price_error
    lots = [str(x.get("number")) for x in (tender.lots or []) if isinstance(x, dict)]
    if lots and lot not in lots:
        errors["lot"] = f"Lot inconnu : choisissez parmi {', '.join(lots)}."
    if isinstance(documents, str):
        documents = [d.strip() for d in documents.splitlines() if d.strip()]
    if errors:
        raise ValidationError(
            "L'offre n'a pas été enregistrée : corrigez les champs signalés.", fields=errors
        )
    offer = Offer(
        tender_id=tender_id,
        supplier_name=supplier_name,
        siren=siren,
        lot=lot,
        price=price_value,
        documents=list(documents),
        created_by=actor.user_id,
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.offer_add",
        record_type="offer",
        record_id=offer.id,
        details={
            "tender": tender.reference,
            "supplier": supplier_name,
            "siren": siren,
            "lot": lot,
            "price": price_value,
            "documents": list(documents),
        },
    )
    session.commit()
    return offer


def get_offer(*, session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if not offer:
        raise NotFound("Offre introuvable.")
    return offer


def tender_offer(session: Session, tender: Tender, offer_id: int) -> Offer:
    """The offer, which must belong to `tender` (404 otherwise)."""
    offer = get_offer(session=session, offer_id=offer_id)
    if offer.tender_id != tender.id:
        raise NotFound("Offre introuvable pour ce marché.")
    return offer


def list_offers(*, session: Session, tender_id: int) -> list[Offer]:
    return list(
        session.exec(
            select(Offer)
            .where(Offer.tender_id == tender_id)
            .order_by(col(Offer.lot), col(Offer.id))
        ).all()
    )


def functional_unit(tender: Tender) -> tuple[int, int]:
    if not tender.requests_per_year or not tender.tokens_per_request:
        raise ValidationError(
            "Le marché ne fixe pas encore l'unité fonctionnelle (requêtes par an et jetons par requête) : "
            "renseignez-la dans le marché avant de calculer les empreintes.",
            fields={"requests_per_year": "À fixer dans le marché."},
        )
    return tender.requests_per_year, tender.tokens_per_request


def save_declaration(
    *, session: Session, actor: Actor, offer_id: int, data: dict, source: str = "form"
) -> Declaration:
    """Validate the declaration, compute its footprint for the tender's unit, save both."""
    offer = get_offer(session=session, offer_id=offer_id)
    tender = get_tender(session=session, tender_id=offer.tender_id)
    require_manage(session, actor, tender)
    require_open(session, offer.tender_id)
    clean = fp.validate_declaration(data)
    requests, tokens = functional_unit(tender)
    result = fp.compute(clean, requests_per_year=requests, tokens_per_request=tokens)
    decl = declaration_of(session=session, offer_id=offer_id)
    before = dict(decl.data) if decl else None
    if decl is None:
        decl = Declaration(offer_id=offer_id)
    decl.data, decl.footprint, decl.source = clean, result, (source or "form")[:200]
    decl.method, decl.updated_by, decl.updated_at = result["method"][:100], actor.user_id, utcnow()
    session.add(decl)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.declaration_save",
        record_type="offer",
        record_id=offer_id,
        details={
            "tender": tender.reference,
            "source": decl.source,
            "before": before,
            "after": clean,
            "defaults_applied": result["defaults_applied"],
            "kgco2e_per_year": result["kgco2e_per_year"],
            "method": result["method"],
        },
    )
    session.commit()
    return decl


def import_declaration(
    *, session: Session, actor: Actor, offer_id: int, text: str, filename: str
) -> Declaration:
    """Import a declaration from a JSON or CSV file's text."""
    data = fp.parse_declaration(text, filename)
    return save_declaration(
        session=session, actor=actor, offer_id=offer_id, data=data, source=filename
    )


def declaration_of(*, session: Session, offer_id: int) -> Declaration | None:
    return session.exec(select(Declaration).where(Declaration.offer_id == offer_id)).first()


def declarations_of(*, session: Session, offers: list[Offer]) -> dict[int, Declaration | None]:
    """Each offer's declaration (None when it has none), in one query."""
    ids = [o.id for o in offers if o.id is not None]
    rows = session.exec(select(Declaration).where(col(Declaration.offer_id).in_(ids))).all()
    found = {d.offer_id: d for d in rows}
    return {oid: found.get(oid) for oid in ids}


def current_footprint(decl: Declaration | None, tender: Tender) -> dict | None:
    """The stored footprint, recomputed if the tender's functional unit changed since."""
    if decl is None:
        return None
    unit = decl.footprint.get("functional_unit", {})
    if (unit.get("requests_per_year"), unit.get("tokens_per_request")) == (
        tender.requests_per_year,
        tender.tokens_per_request,
    ):
        return decl.footprint
    if not tender.requests_per_year or not tender.tokens_per_request:
        return decl.footprint
    return fp.compute(
        decl.data,
        requests_per_year=tender.requests_per_year,
        tokens_per_request=tender.tokens_per_request,
    )


def footprints_of(
    *, session: Session, tender: Tender, offers: list[Offer]
) -> dict[int, dict | None]:
    """Each offer's current footprint (None without a declaration), in one query."""
    decls = declarations_of(session=session, offers=offers)
    return {oid: current_footprint(d, tender) for oid, d in decls.items()}


TEMPLATE_TYPES = {"json": "application/json", "csv": "text/csv"}


def declaration_template(
    *, session: Session, actor: Actor, tender_id: int, fmt: str
) -> tuple[str, str, str]:
    """The declaration template to attach to the RC: (body, mimetype, download name)."""
    tender = get_tender(session=session, tender_id=tender_id)
    access(session=session, actor=actor, tender=tender)
    if fmt not in TEMPLATE_TYPES:
        raise NotFound("Format de modèle inconnu (json ou csv).")
    body = fp.template_json() if fmt == "json" else fp.template_csv()
    filename = f"declaration-environnementale-{tender.reference}.{fmt}"
    return body, f"{TEMPLATE_TYPES[fmt]}; charset=utf-8", filename
