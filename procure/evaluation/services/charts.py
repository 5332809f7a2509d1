"""Charts of the evaluation (matplotlib PNG): footprints per offer and weighted totals."""

from __future__ import annotations

import io
from typing import Any

from sqlmodel import Session

from procure.core.audit import Actor
from procure.core.errors import NotFound
from procure.core.formatting import format_number
from procure.evaluation.models import Offer
from procure.evaluation.services.access import access, get_tender, require_results
from procure.evaluation.services.consensus import ranking
from procure.evaluation.services.offers import footprints_of, list_offers


def _figure() -> Any:
    """pyplot on the non-interactive Agg backend (imported late: matplotlib is slow to load)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _png(plt: Any, fig: Any, ax: Any) -> bytes:
    """Finish a horizontal bar chart (no top and right frame) and return it as PNG bytes."""
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def footprint_chart(rows: list[tuple[str, float, float]]) -> bytes:
    """Stacked bars of kgCO2e per year (use, embodied) per offer: rows (label, use, embodied)."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 0.6 * max(len(rows), 2) + 1.2), dpi=110)
    labels = [r[0] for r in rows]
    ax.barh(labels, [r[1] for r in rows], color="#1f4fa3", label="usage")
    ax.barh(
        labels,
        [r[2] for r in rows],
        left=[r[1] for r in rows],
        color="#8fa8d6",
        label="fabrication",
    )
    ax.set_xlabel("kgCO2e par an (unité fonctionnelle du marché)")
    ax.invert_yaxis()
    ax.legend(loc="lower right", frameon=False)
    return _png(plt, fig, ax)


def scores_chart(rows: list[tuple[str, float]]) -> bytes:
    """Bars of weighted totals per offer: rows (label, total)."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 0.6 * max(len(rows), 2) + 1.2), dpi=110)
    ax.barh([r[0] for r in rows], [r[1] for r in rows], color="#1f4fa3")
    for i, r in enumerate(rows):
        ax.text(r[1], i, f" {format_number(r[1], 2)}", va="center")
    ax.set_xlabel("Note pondérée (sur 100 si les pondérations totalisent 100)")
    ax.invert_yaxis()
    return _png(plt, fig, ax)


def offer_label(o: Offer) -> str:
    return f"{o.supplier_name}" + (f" (lot {o.lot})" if o.lot else "")


def footprint_rows(
    offers: list[Offer], footprints: dict[int, dict | None]
) -> list[tuple[str, float, float]]:
    """(label, use, embodied) kgCO2e per year of each offer that has a footprint."""
    return [
        (offer_label(o), f["kgco2e_per_year_use"], f["kgco2e_per_year_embodied"])
        for o in offers
        if o.id is not None and (f := footprints.get(o.id))
    ]


def score_rows(lots: list[dict]) -> list[tuple[str, float]]:
    """(label, weighted total) of each ranked offer, lot after lot."""
    return [(offer_label(r["offer"]), r["total"]) for lot in lots for r in lot["rows"]]


def chart_png(*, session: Session, actor: Actor, tender_id: int, kind: str) -> bytes:
    tender = get_tender(session=session, tender_id=tender_id)
    access(session=session, actor=actor, tender=tender)
    if kind == "footprint":
        offers = list_offers(session=session, tender_id=tender_id)
        footprints = footprints_of(session=session, tender=tender, offers=offers)
        return footprint_chart(footprint_rows(offers, footprints))
    if kind == "scores":
        require_results(session=session, actor=actor, tender=tender)
        return scores_chart(score_rows(ranking(session=session, tender=tender)))
    raise NotFound("Graphique inconnu.")
