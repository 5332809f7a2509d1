"""The evaluation room's home-page panel: what waits for the user (a fixed number of queries)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.core.audit import Actor
from procure.core.models import User
from procure.evaluation.models import EvaluatorAssignment
from procure.evaluation.services.access import lock_states, visible_tenders
from procure.evaluation.services.pages import offer_counts
from procure.tenders.models import Tender


def _item(label: str, tender_id: int | None, badge: str) -> dict:
    return {
        "label": label,
        "endpoint": "evaluation.tender",
        "params": {"tender_id": tender_id},
        "badge": badge,
    }


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("evaluator", "buyer", "admin"):
        return []
    items = []
    mine = session.exec(
        select(EvaluatorAssignment)
        .where(EvaluatorAssignment.user_id == user.id)
        .order_by(col(EvaluatorAssignment.id))
    ).all()
    ids = [a.tender_id for a in mine]
    tenders = {t.id: t for t in session.exec(select(Tender).where(col(Tender.id).in_(ids))).all()}
    locks = lock_states(session=session, tender_ids=ids)
    for a in mine:
        tender = tenders.get(a.tender_id)
        if tender is None or locks[a.tender_id] == "locked":
            continue
        if not a.submitted_at:
            items.append(_item(f"{tender.reference} : noter les offres", tender.id, "open"))
        elif a.lead:
            items.append(
                _item(f"{tender.reference} : arrêter les notes finales", tender.id, "submitted")
            )
    if user.has_role("buyer", "admin"):
        visible = visible_tenders(session=session, actor=Actor.of(user))
        vids = [t.id for t in visible if t.id is not None]
        staffed = set(
            session.exec(
                select(EvaluatorAssignment.tender_id).where(
                    col(EvaluatorAssignment.tender_id).in_(vids)
                )
            ).all()
        )
        counts = offer_counts(session=session, tender_ids=vids)
        for t in visible:
            if t.id is not None and t.id not in staffed and counts[t.id]:
                items.append(_item(f"{t.reference} : désigner les évaluateurs", t.id, "draft"))
    return [{"title": "Évaluations", "items": items, "empty": "Aucune évaluation en attente."}]
