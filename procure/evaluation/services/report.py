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
from procure.evaluation import scoring, units
from procure.evaluation.services.access import criterion_text, get_tender, require_results
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
                    scoring.kind_label(c),
                    tenders.weight_text(c),
                    format_number(scoring.max_score(c)),
                    criterion_text(c),
                ]
                for c in view["criteria"]
            ],
            caption="Critères du règlement de la consultation",
            widths=[3.4, 3.2, 2.8, 2.2, 5.6],
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
            widths=[4, 2.4, 1.6, 2.8, 5.6],
        )
    )
    blocks.append(d.Heading("Empreinte environnementale"))
    blocks.append(d.Paragraph("Méthode : " + fp.FORMULA))
    rows = []
    decl_rows = []
    for o in view["offers"]:
        f = view["footprints"].get(o.id)
        if not f:
            rows.append([o.supplier_name, "—", "—", "—", "—", "—"])
            decl_rows.append([o.supplier_name, "aucune déclaration", "—", "—"])
            continue
        rows.append(
            [
                o.supplier_name,
                units.energy(f["wh_per_request"]),
                units.co2(f["kgco2e_per_year_use"]),
                units.co2(f["kgco2e_per_year_embodied"]),
                units.co2(f["kgco2e_per_year"]),
                units.water(f["water_l_per_year"]),
            ]
        )
        decl_rows.append(
            [
                o.supplier_name,
                f"énergie {f['energy_source']} ; mix électrique {f['electricity_mix']['zone']}",
                units.declared_text(f) or "—",
                units.defaults_text(f) or "—",
            ]
        )
    blocks.append(
        d.Table(
            [
                "Soumissionnaire",
                "Énergie par requête",
                "Émissions par an, usage",
                "Émissions par an, fabrication",
                "Émissions par an, total",
                "Eau par an",
            ],
            rows,
            caption="Empreinte par offre pour l'unité fonctionnelle (unités selon l'ordre de "
            "grandeur : Wh, kWh, MWh ; gCO2e, kgCO2e, tCO2e ; L, m³)",
            widths=[3.6, 2.6, 2.6, 2.8, 2.6, 2.4],
        )
    )
    blocks.append(
        d.Table(
            ["Soumissionnaire", "Énergie", "Valeurs déclarées", "Valeurs par défaut appliquées"],
            decl_rows,
            caption="Valeurs déclarées et valeurs par défaut (prudentes)",
            widths=[3.8, 2.8, 4.4, 5.6],
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
                widths=[3.4, 2.4, 10.2],
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
                    widths=[4.4, 3.2, 1.6, 7.4],
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
                widths=[2.4, 9, 4],
            )
        )
    score_rows = score_rows_of(view["ranking"])
    if score_rows:
        blocks.append(d.Image(scores_chart(score_rows), 15, "Notes pondérées finales"))
    today = date.today()
    lock = view["lock"]
    lead = session.get(User, lock.locked_by) if lock.locked_by else None
    blocks.append(
        d.Paragraph(
            f"Évaluation verrouillée le {lock.locked_at:%d/%m/%Y} par {lead.display_name if lead else '—'}."
        )
    )
    for u in view["unlocks"]:
        blocks.append(d.Bullet(f"Déverrouillage du {u.at:%d/%m/%Y} : {u.reason}"))
    blocks.extend(award_proposal(view))
    blocks.extend(signature_block(view, today))
    return d.DocumentSpec(
        title="Rapport d'analyse des offres",
        subtitle=tender.title,
        buyer=tender.buyer,
        reference=tender.reference,
        piece="Rapport d'analyse des offres (RAO)",
        date=today.strftime("%d/%m/%Y"),
        blocks=blocks,
    )


def award_proposal(view: dict) -> list[object]:
    """The proposal of award: the best-ranked offer of each lot proposed to the pouvoir
    adjudicateur, with the ranking it rests on (a tie at the top is left to the RC's rule)."""
    blocks: list[object] = [d.Heading("Proposition d'attribution")]
    if not view["ranking"]:
        blocks.append(d.Paragraph("Aucune offre complète : aucune attribution n'est proposée."))
        return blocks
    weights = [c.get("weight") for c in view["criteria"]]
    out_of = (
        f" sur {format_number(sum(float(w) for w in weights))}"
        if weights and all(w is not None for w in weights)
        else ""
    )
    for lot in view["ranking"]:
        where = f"le lot {lot['lot']} du marché" if lot["lot"] else "le marché"
        first = [r for r in lot["rows"] if r["rank"] == 1]
        if len(first) == 1:
            best = first[0]["offer"]
            price = f", pour un prix de {format_number(best.price, 2)} € HT" if best.price else ""
            blocks.append(
                d.Paragraph(
                    f"Au vu de l'analyse des offres et du classement ci-dessus, il est proposé au "
                    f"pouvoir adjudicateur d'attribuer {where} à {best.supplier_name}"
                    f"{' (SIREN ' + best.siren + ')' if best.siren else ''}, dont l'offre, classée "
                    f"première avec une note pondérée de {format_number(first[0]['total'], 2)}"
                    f"{out_of}, est l'offre économiquement la plus avantageuse au regard des "
                    f"critères du règlement de la consultation (art. L2152-7 du code de la "
                    f"commande publique){price}."
                )
            )
        else:
            names = ", ".join(r["offer"].supplier_name for r in first)
            blocks.append(
                d.Paragraph(
                    f"Pour {where}, les offres de {names} sont classées premières ex æquo (note "
                    f"pondérée de {format_number(first[0]['total'], 2)}{out_of}) : il est proposé "
                    "au pouvoir adjudicateur de les départager selon les modalités du règlement "
                    "de la consultation avant d'attribuer."
                )
            )
        blocks.append(
            d.Paragraph(
                "Classement sur lequel repose la proposition : "
                + " ; ".join(
                    f"{r['rank']}{' (ex æquo)' if r['tied'] else ''}. {r['offer'].supplier_name} "
                    f"({format_number(r['total'], 2)}{out_of})"
                    for r in lot["rows"]
                )
                + "."
            )
        )
    blocks.append(
        d.Paragraph(
            "L'attribution reste subordonnée à la production, par l'attributaire pressenti, des "
            "justificatifs et attestations exigés par le règlement de la consultation."
        )
    )
    return blocks


def signature_block(view: dict, today: date) -> list[object]:
    """Who evaluated, with their role, a date and a blank to sign; then the pouvoir adjudicateur."""
    rows = []
    for a in sorted(view["assignments"], key=lambda a: (not a.lead, a.user_id)):
        person = view["people"].get(a.user_id)
        role = "Évaluateur principal" if a.lead else "Évaluateur"
        if a.submitted_at:
            role += f"\nnotes soumises le {a.submitted_at:%d/%m/%Y}"
        rows.append([person.display_name if person else "—", role, "… / … / ……", "\n\n\n"])
    rows.append(
        ["", "Pour le pouvoir adjudicateur (décision d'attribution)", "… / … / ……", "\n\n\n"]
    )
    return [
        d.Heading("Signatures"),
        d.Paragraph(
            f"Rapport établi le {today:%d/%m/%Y} par les personnes qui ont évalué les offres ; "
            "chacune date et signe ci-dessous."
        ),
        d.Table(
            ["Nom", "Rôle", "Date", "Signature"],
            rows,
            caption="Signatures des évaluateurs et du pouvoir adjudicateur",
            widths=[4.6, 4.4, 2.6, 5],
        ),
    ]


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
