"""Merge proposals: listing them and deciding (accept, reject, undo an accepted merge)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, NotFound, ValidationError
from procure.core.pagination import Page, paginate
from sourcing.models import MergeProposal, PastContract, Supplier, SupplierName

from .suppliers import find_supplier, label, row_id

DECISIONS = {"accept": ("proposed",), "reject": ("proposed",), "undo": ("merged",)}


def merge_proposals(
    *, session: Session, status: str | None = "proposed"
) -> list[tuple[MergeProposal, Supplier, Supplier]]:
    query = select(MergeProposal).order_by(col(MergeProposal.id))
    if status:
        query = query.where(MergeProposal.status == status)
    return [
        (m, find_supplier(session, m.source_id), find_supplier(session, m.target_id))
        for m in session.exec(query).all()
    ]


def merges_page(*, session: Session, page: int = 1) -> Page:
    """One page of every merge proposal (any status), oldest first, with both suppliers."""
    found = paginate(session, select(MergeProposal).order_by(col(MergeProposal.id)), page)
    rows = [
        (m, find_supplier(session, m.source_id), find_supplier(session, m.target_id))
        for m in found.items
    ]
    return Page(rows, found.page, found.total, found.per_page)


def decide_merge(
    *, session: Session, actor: Actor, proposal_id: int, decision: str
) -> MergeProposal:
    """accept (merge source into target), reject, or undo an accepted merge."""
    m = session.get(MergeProposal, proposal_id)
    if not m:
        raise NotFound("Proposition de fusion introuvable.")
    if decision not in DECISIONS:
        raise ValidationError("Décision inconnue.", fields={"decision": "accept, reject ou undo."})
    if m.status not in DECISIONS[decision]:
        raise Conflict(f"Cette proposition est déjà « {m.status} ».")
    source, target = find_supplier(session, m.source_id), find_supplier(session, m.target_id)
    if decision == "accept":
        _merge(session, m, source, target)
    elif decision == "reject":
        m.status = "rejected"
    else:
        _undo(session, m, source, target)
    m.decided_by, m.decided_at = actor.user_id, datetime.now(UTC)
    session.add_all([m, source, target])
    audit.record(
        session,
        actor,
        f"sourcing.merge_{decision}",
        record_type="supplier_merge",
        record_id=m.id,
        details={
            "source": source.id,
            "target": target.id,
            "source_name": label(source),
            "target_name": label(target),
        },
    )
    session.commit()
    return m


def _merge(session: Session, m: MergeProposal, source: Supplier, target: Supplier) -> None:
    """Move the source's contracts and spellings to the target; remember what moved."""
    contracts = session.exec(
        select(PastContract).where(PastContract.supplier_id == source.id)
    ).all()
    names = session.exec(select(SupplierName).where(SupplierName.supplier_id == source.id)).all()
    target_names = {
        n.name
        for n in session.exec(
            select(SupplierName).where(SupplierName.supplier_id == target.id)
        ).all()
    }
    moved_names = []
    for c in contracts:
        c.supplier_id = row_id(target)
        session.add(c)
    for n in names:
        if n.name not in target_names:
            n.supplier_id = row_id(target)
            session.add(n)
            moved_names.append(n.id)
    m.moved = {
        "contracts": [c.id for c in contracts],
        "names": moved_names,
        "target_before": {
            "description": target.description,
            "certifications": target.certifications,
        },
    }
    if source.description and not target.description:
        target.description = source.description
    target.certifications = sorted(
        set(target.certifications or []) | set(source.certifications or [])
    )
    source.merged_into_id = target.id
    m.status = "merged"


def _undo(session: Session, m: MergeProposal, source: Supplier, target: Supplier) -> None:
    """Give back to the source what an accepted merge moved, and restore the target."""
    for cid in m.moved.get("contracts", []):
        c = session.get(PastContract, cid)
        if c:
            c.supplier_id = row_id(source)
            session.add(c)
    for nid in m.moved.get("names", []):
        n = session.get(SupplierName, nid)
        if n:
            n.supplier_id = row_id(source)
            session.add(n)
    before = m.moved.get("target_before", {})
    target.description = before.get("description", target.description)
    target.certifications = before.get("certifications", target.certifications)
    source.merged_into_id = None
    m.status = "undone"
