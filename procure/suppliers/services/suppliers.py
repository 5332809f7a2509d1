"""Suppliers: their label, name matching, profile page, signals and the room's counts."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session, col, func, select

from procure.core.errors import NotFound, ValidationError
from procure.core.formatting import format_date
from sourcing import flags
from sourcing.match import Entry, NameIndex
from sourcing.models import MergeProposal, PastContract, Supplier, SupplierName
from sourcing.normalise import department_of, is_public_body

NO_COMPETITION = ("sans publicité", "sans publicite", "sans mise en concurrence", "négociée sans")


class _Row(Protocol):
    id: int | None


def row_id(row: _Row) -> int:
    """The id of a row read from (or flushed to) the database, which is always set."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def label(s: Supplier) -> str:
    return s.name or f"SIREN {s.siren} (nom en attente)"


def name_index(session: Session) -> NameIndex:
    """Every active supplier under its displayed name and its other known spellings."""
    entries = []
    for s in session.exec(select(Supplier).where(col(Supplier.merged_into_id).is_(None))).all():
        entries.append(Entry(row_id(s), label(s), s.normalized_name, s.department, s.siren or ""))
    for n, s in session.exec(
        select(SupplierName, Supplier)
        .join(Supplier, col(Supplier.id) == col(SupplierName.supplier_id))
        .where(col(Supplier.merged_into_id).is_(None))
    ).all():
        if n.normalized and n.normalized != s.normalized_name:
            entries.append(Entry(row_id(s), n.name, n.normalized, s.department, s.siren or ""))
    return NameIndex(entries)


def match_name(*, session: Session, name: str, department: str = "", limit: int = 10) -> list[dict]:
    if not (name or "").strip():
        raise ValidationError("Nom à rechercher vide.", fields={"name": "Indiquez un nom."})
    index = name_index(session)
    seen: dict[int, dict] = {}
    for e, score in index.match(
        name, department=department_of(department) if department else "", limit=limit * 2
    ):
        if e.key not in seen:
            seen[e.key] = {
                "supplier_id": e.key,
                "siren": e.siren,
                "name": e.name,
                "score": score,
                "department": e.department,
            }
    return list(seen.values())[:limit]


def find_supplier(session: Session, supplier_id: int) -> Supplier:
    s = session.get(Supplier, supplier_id)
    if not s:
        raise NotFound("Fournisseur introuvable.")
    return s


def get_supplier(
    *, session: Session, supplier_id: int
) -> tuple[Supplier, list[PastContract], list[SupplierName]]:
    s = find_supplier(session, supplier_id)
    contracts = list(
        session.exec(
            select(PastContract)
            .where(PastContract.supplier_id == s.id)
            .order_by(col(PastContract.notified_on).desc())
        ).all()
    )
    names = list(
        session.exec(
            select(SupplierName)
            .where(SupplierName.supplier_id == s.id)
            .order_by(col(SupplierName.occurrences).desc())
        ).all()
    )
    return s, contracts, names


def supplier_profile(*, session: Session, supplier_id: int) -> dict[str, Any]:
    """What the supplier page shows: the supplier, its contracts, spellings, signals and label."""
    s, contracts, names = get_supplier(session=session, supplier_id=supplier_id)
    return {
        "supplier": s,
        "contracts": contracts,
        "names": names,
        "signals": signals(contracts),
        "flags": red_flags(session, {row_id(s): contracts}).get(row_id(s), []),
        "flag_definitions": flags.DEFINITIONS,
        "continuity": continuity(s),
        "label": label(s),
    }


def signals(contracts: list[PastContract]) -> list[str]:
    """Signals, not proof: one buyer's share of the supplier's contracts (the other red flags,
    with their standard definitions, come from `red_flags`)."""
    out = []
    buyers = Counter(
        c.buyer_siret or c.buyer_name for c in contracts if c.buyer_siret or c.buyer_name
    )
    if len(contracts) >= 3 and buyers:
        buyer, n = buyers.most_common(1)[0]
        if n / len(contracts) >= 0.6:
            name = next(
                (c.buyer_name for c in contracts if (c.buyer_siret or c.buyer_name) == buyer), buyer
            )
            out.append(
                f"{n} de ses {len(contracts)} marchés connus viennent d'un même acheteur ({name})"
            )
    # single bids and contracts without a call for competition: see red_flags (sourcing.flags)
    return out


def continuity(s: Supplier, today: date | None = None) -> list[str]:
    """Will the supplier still be there for updates? What SIRENE says, when it was imported."""
    out = []
    if s.activity_status == "C":
        out.append("Activité cessée selon SIRENE (unité légale fermée)")
    elif s.activity_status == "A":
        out.append("Active selon SIRENE")
    if s.founded_on:
        years = ((today or date.today()) - s.founded_on).days / 365.25
        out.append(
            f"Créée le {format_date(s.founded_on)}"
            + (" : moins de 2 ans d'existence" if years < 2 else "")
        )
    if is_public_body(s.siren or "", s.legal_form):
        out.append("Personne morale de droit public (pas une entreprise)")
    return out


def red_flags(session: Session, by_supplier: dict[int, list[PastContract]]) -> dict[int, list]:
    """Each supplier's red flags (sourcing.flags), with the markets of its buyers read in one
    query: every contract of those buyers, whoever won it."""
    buyers = {flags.buyer_key(c) for cs in by_supplier.values() for c in cs if flags.buyer_key(c)}
    rows: list[tuple[str, str, int]] = []
    ids = sorted(buyers)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for siret, name, cpv, sid in session.exec(
            select(
                PastContract.buyer_siret,
                PastContract.buyer_name,
                PastContract.cpv,
                PastContract.supplier_id,
            ).where(
                col(PastContract.buyer_siret).in_(chunk) | col(PastContract.buyer_name).in_(chunk)
            )
        ).all():
            rows.append((siret or name, cpv, sid))
    markets = flags.market_counts(rows)
    return {sid: flags.red_flags(cs, markets, sid) for sid, cs in by_supplier.items()}


def stats(*, session: Session) -> dict[str, int]:
    return {
        "suppliers": session.exec(
            select(func.count()).select_from(Supplier).where(col(Supplier.merged_into_id).is_(None))
        ).one(),
        "contracts": session.exec(select(func.count()).select_from(PastContract)).one(),
        "proposals": session.exec(
            select(func.count())
            .select_from(MergeProposal)
            .where(MergeProposal.status == "proposed")
        ).one(),
    }
