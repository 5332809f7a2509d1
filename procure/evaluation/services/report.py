"""The analysis report (RAO): its document spec, its export through the document store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

import procure.documents as d
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, NotFound, ValidationError
from procure.core.formatting import format_number
from procure.core.models import User
from procure.documents.store import DocumentStore
from procure.evaluation import footprint as fp
from procure.evaluation import scoring
from procure.evaluation.services.access import get_tender, require_results
from procure.evaluation.services.charts import (
    footprint_chart,
    footprint_rows,
    offer_label,
    scores_chart,
)
from procure.evaluation.services.charts import score_rows as score_rows_of
from procure.evaluation.services.overview import overview
from procure.tenders import services as tenders
from procure.tenders.models import Tender, TenderDocument

FORMATS = ("docx", "odt")
STORE_KIND = "tenders"  # the report is one of the tender's documents, stored with its pieces


def report_spec(*, session: Session, actor: Actor, tender_id: int) -> d.DocumentSpec:
    """The RAO as a DocumentSpec: criteria, offers, footprints, charts, ranking, justifications."""

    view = overview(session=session, actor=actor, tender_id=tender_id)
    tender: Tender = view["tender"]
    if view["lock"].status != "locked":
        raise Conflict("Le rapport d'analyse s'exporte une fois l'évaluation verrouillée.")
    require_results(session=session, actor=actor, tender=tender)
    blocks: list[object] = [d.Toc(), d.Heading("Objet et méthode")]
    blocks.append(
        d.Paragraph(
            f"Le présent rapport analyse les {len(view['offers'])} offres reçues pour le marché {tender.reference} "
            f"« {tender.title} ». L'unité fonctionnelle fixée par le règlement de la consultation est : "
            f"{tenders.functional_unit_text(tender) or 'non fixée'}."
        )
    )
    blocks.append(d.Heading("Critères et méthodes de notation", 2))
    blocks.append(
        d.Table(
            ["Critère", "Nature", "Pondération", "Note maximale", "Méthode"],
            [
                [
                    c["name"],
                    c.get("kind", ""),
                    tenders.weight_text(c),
                    format_number(scoring.max_score(c), 0),
                    tenders.criterion_text(c),
                ]
                for c in view["criteria"]
            ],
            caption="Critères du règlement de la consultation",
        )
    )
    blocks.append(d.Heading("Offres reçues"))
    blocks.append(
        d.Table(
            ["Soumissionnaire", "SIREN", "Lot", "Prix (€ HT)", "Pièces"],
            [
                [
                    o.supplier_name,
                    o.siren or "—",
                    o.lot or "—",
                    format_number(o.price, 2),
                    ", ".join(o.documents) or "—",
                ]
                for o in view["offers"]
            ],
            caption="Offres",
        )
    )
    blocks.append(d.Heading("Empreinte environnementale"))
    blocks.append(d.Paragraph("Méthode : " + fp.FORMULA))
    rows = []
    for o in view["offers"]:
        f = view["footprints"].get(o.id)
        if not f:
            rows.append([o.supplier_name, "—", "—", "—", "—", "—", "aucune déclaration"])
            continue
        rows.append(
            [
                o.supplier_name,
                format_number(f["wh_per_request"], 3),
                format_number(f["kgco2e_per_1000_requests"], 3),
                format_number(f["kgco2e_per_year_use"], 2),
                format_number(f["kgco2e_per_year_embodied"], 2),
                format_number(f["water_l_per_year"], 0),
                f"énergie {f['energy_source']} ; mix {f['electricity_mix']['zone']}",
            ]
        )
    blocks.append(
        d.Table(
            [
                "Offre",
                "Wh/requête",
                "kgCO2e/1000 req.",
                "kgCO2e/an usage",
                "kgCO2e/an fabrication",
                "Eau L/an",
                "Remarques",
            ],
            rows,
            caption="Empreinte par offre pour l'unité fonctionnelle",
        )
    )
    decl_rows = []
    for o in view["offers"]:
        f = view["footprints"].get(o.id)
        if f:
            decl_rows.append(
                [
                    o.supplier_name,
                    ", ".join(f["declared"]) or "—",
                    ", ".join(
                        f"{k} = {f['values_used'].get(k, '—')}" for k in f["defaults_applied"]
                    )
                    or "—",
                ]
            )
    blocks.append(
        d.Table(
            ["Offre", "Valeurs déclarées", "Valeurs par défaut appliquées"],
            decl_rows,
            caption="Valeurs déclarées et valeurs par défaut (prudentes)",
        )
    )
    chart_rows = footprint_rows(view["offers"], view["footprints"])
    if chart_rows:
        blocks.append(
            d.Image(
                footprint_chart(chart_rows),
                15,
                "Émissions annuelles par offre (usage et fabrication)",
            )
        )
    blocks.append(d.Heading("Notes"))
    for o in view["offers"]:
        blocks.append(d.Heading(offer_label(o), 2))
        blocks.append(
            d.Table(
                ["Critère", "Note finale", "Justification"],
                [
                    [
                        c["name"],
                        format_number(view["finals"][(o.id, c["name"])].score, 2)
                        + f" / {format_number(scoring.max_score(c), 0)}",
                        view["finals"][(o.id, c["name"])].justification,
                    ]
                    for c in view["criteria"]
                ],
                caption=f"Notes finales : {o.supplier_name}",
            )
        )
        indiv = [
            [
                view["people"][s.user_id].display_name,
                s.criterion,
                format_number(s.score, 2),
                s.comment,
            ]
            for s in view["scores"]
            if s.offer_id == o.id
        ]
        if indiv:
            blocks.append(
                d.Table(
                    ["Évaluateur", "Critère", "Note", "Commentaire"],
                    indiv,
                    caption="Notes des évaluateurs",
                )
            )
    blocks.append(d.Heading("Classement"))
    for lot in view["ranking"]:
        blocks.append(
            d.Table(
                ["Rang", "Soumissionnaire", "Note pondérée"],
                [
                    [
                        f"{r['rank']}" + (" (ex æquo)" if r["tied"] else ""),
                        r["offer"].supplier_name,
                        format_number(r["total"], 2),
                    ]
                    for r in lot["rows"]
                ],
                caption=f"Classement{' du lot ' + lot['lot'] if lot['lot'] else ''}",
            )
        )
    score_rows = score_rows_of(view["ranking"])
    if score_rows:
        blocks.append(d.Image(scores_chart(score_rows), 15, "Notes pondérées finales"))
    lock = view["lock"]
    lead = session.get(User, lock.locked_by) if lock.locked_by else None
    blocks.append(
        d.Paragraph(
            f"Évaluation verrouillée le {lock.locked_at:%d/%m/%Y} par {lead.display_name if lead else '—'}."
        )
    )
    for u in view["unlocks"]:
        blocks.append(d.Bullet(f"Déverrouillage du {u.at:%d/%m/%Y} : {u.reason}"))
    return d.DocumentSpec(
        title="Rapport d'analyse des offres",
        subtitle=tender.title,
        buyer=tender.buyer,
        reference=tender.reference,
        piece="Rapport d'analyse des offres (RAO)",
        date=date.today().strftime("%d/%m/%Y"),
        blocks=blocks,
    )


def export_report(
    *, session: Session, actor: Actor, tender_id: int, fmt: str, store: DocumentStore
) -> tuple[TenderDocument, Path]:
    """Write the RAO (docx or odt) where the tender's documents live, record it, audited."""
    if fmt not in FORMATS:
        raise ValidationError("Format inconnu : docx ou odt.", fields={"format": "docx ou odt"})
    spec = report_spec(session=session, actor=actor, tender_id=tender_id)
    tender = get_tender(session=session, tender_id=tender_id)
    path = store.new_path(STORE_KIND, tender_id, stem=f"{tender.reference}-RAO", fmt=fmt)
    with store.writing():  # until the row is committed: recovery leaves this file alone
        sha = (d.write_docx if fmt == "docx" else d.write_odt)(spec, path)
        doc = TenderDocument(
            tender_id=tender_id,
            piece="RAO",
            format=fmt,
            filename=path.name,
            sha256=sha,
            manifest=[],
            created_by=actor.user_id,
            body_text=d.read_text(path)[:100_000],
        )
        session.add(doc)
        session.flush()
        audit.record(
            session,
            actor,
            "evaluation.report_export",
            record_type="tender_document",
            record_id=doc.id,
            details={
                "tender": tender.reference,
                "format": fmt,
                "sha256": sha,
                "filename": path.name,
            },
        )
        session.commit()
    return doc, path


def report_documents(*, session: Session, tender_id: int) -> list[TenderDocument]:
    return list(
        session.exec(
            select(TenderDocument)
            .where(TenderDocument.tender_id == tender_id, TenderDocument.piece == "RAO")
            .order_by(col(TenderDocument.id).desc())
        ).all()
    )


def report_document(
    *, session: Session, actor: Actor, tender_id: int, doc_id: int
) -> TenderDocument:
    """One exported report of the tender, for download (access checked; 404 if not a RAO)."""
    tender = get_tender(session=session, tender_id=tender_id)
    require_results(session=session, actor=actor, tender=tender)
    doc = session.get(TenderDocument, doc_id)
    if doc is None or doc.tender_id != tender_id or doc.piece != "RAO":
        raise NotFound("Rapport introuvable.")
    return doc
