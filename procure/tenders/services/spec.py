"""The document of one piece (RC, CCAP, CCTP) of a tender, and its clause manifest."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlmodel import Session

import procure.documents as documents
from procure.core.formatting import format_date, format_money, format_number
from procure.tenders.models import Tender
from procure.tenders.services.choices import (
    CRITERION_KINDS,
    METHOD_NAMES,
    PIECES,
    PROCEDURES,
)
from procure.tenders.services.clause_dependencies import departures
from procure.tenders.services.clauses import ClauseRow, tender_clauses
from procure.tenders.services.criteria import (
    functional_unit_text,
    max_score,
    method_text,
    sub_criteria_text,
    weight_text,
)


def build_spec(
    *,
    session: Session,
    tender: Tender,
    piece: str,
    rows: list[ClauseRow] | None = None,
    today: date | None = None,
) -> tuple[documents.DocumentSpec, list[dict]]:
    """The document of one piece, and its manifest (each clause: key, version, hash, texts)."""
    from sourcing.cpv import load_cpv

    D = documents  # noqa: N806
    rows = tender_clauses(session=session, tender=tender) if rows is None else rows
    mine = [r for r in rows if r.version.piece == piece]
    blocks: list = [D.Toc(), D.PageBreak()]
    headings: list[str] = []

    def heading(text: str, numbered: bool = True) -> None:
        blocks.append(D.Heading(text, 1, numbered))
        headings.append(text)

    heading("Objet" + (" de la consultation" if piece == "RC" else " du marché"))
    blocks.append(
        D.Paragraph(
            f"{'La consultation' if piece == 'RC' else 'Le marché'} porte sur : {tender.title}."
        )
    )
    if tender.cpv_codes:
        labels = load_cpv()
        blocks.append(D.Paragraph("Classification CPV :"))
        blocks.extend(D.Bullet(f"{c} – {labels.get(c, '')}") for c in tender.cpv_codes)
    if tender.lots:
        blocks.append(D.Paragraph(f"Le marché est alloti en {len(tender.lots)} lot(s) :"))
        blocks.extend(D.Bullet(f"Lot {lot['number']} : {lot['title']}") for lot in tender.lots)
    elif piece == "RC":
        reason = (tender.lots_reason or "").strip()
        blocks.append(
            D.Paragraph(
                "Le marché n'est pas alloti"
                + (f", pour les motifs suivants : {reason}" if reason else "")
                + "."
            )
        )
    if piece == "RC":
        heading("Procédure")
        blocks.append(
            D.Paragraph(f"Procédure : {PROCEDURES.get(tender.procedure, tender.procedure)}.")
        )
        if tender.amount is not None:
            blocks.append(D.Paragraph(f"Montant estimé : {format_money(tender.amount)} HT."))
        heading("Critères d'attribution et méthode de notation")
        blocks.append(
            D.Paragraph("Les offres sont classées selon les critères pondérés suivants :")
        )
        blocks.append(
            D.Table(
                ["Critère", "Nature", "Pondération", "Méthode de notation"],
                [
                    [
                        c["name"],
                        CRITERION_KINDS.get(c["kind"], c["kind"]),
                        weight_text(c),
                        "Par sous-critère (ci-dessous)"
                        if c.get("sub_criteria")
                        else METHOD_NAMES.get(c.get("method", ""), c.get("method", "")),
                    ]
                    for c in tender.award_criteria
                ],
                caption="Critères d'attribution et pondérations",
            )
        )
        for c in tender.award_criteria:
            text = f"{c['name']} ({weight_text(c)}), noté sur {format_number(max_score(c))} : "
            if c.get("sub_criteria"):
                text += sub_criteria_text(c)
            else:
                text += method_text(c)
            blocks.append(D.Bullet(text + "."))
        if functional_unit_text(tender):
            heading("Unité fonctionnelle")
            blocks.append(
                D.Paragraph(
                    "Les empreintes environnementales des offres sont comparées pour l'unité "
                    f"fonctionnelle suivante : {functional_unit_text(tender)}."
                )
            )
    if piece == "CCAP":
        heading("Documents contractuels")
        blocks.append(
            D.Paragraph(
                "Le marché est soumis au cahier des clauses administratives générales applicables aux marchés "
                "publics de techniques de l'information et de la communication (CCAG-TIC, arrêté du 30 mars 2021 "
                "modifié), sauf dérogations expressément listées à l'article « Dérogations au CCAG-TIC »."
            )
        )

    manifest: list[dict] = []
    for r in mine:
        head_text = f"Article {len(headings) + 1} – {r.version.title}"
        heading(r.version.title)
        index = len(headings) - 1
        rendered = r.blocks()
        for kind, text in rendered:
            blocks.append(D.Bullet(text) if kind == "li" else D.Paragraph(text))
        manifest.append(
            {
                "key": r.clause.key,
                "version": r.version.number,
                "content_hash": r.version.content_hash,
                "variant": r.link.variant,
                "title": r.version.title,
                "piece": piece,
                "heading": head_text,
                "paragraphs": [documents.clean(t) for _k, t in rendered],
                "values": r.link.values,
                "_index": index,
            }
        )
    if piece == "CCAP":
        # CCAG-TIC art. 1.2: the last article lists every article departed from, computed from
        # the departures the pinned clauses declare (never a fixed sentence).
        heading("Dérogations au CCAG-TIC")
        listed = departures(rows)
        if listed:
            blocks.append(
                D.Paragraph(
                    "Conformément à l'article 1.2 du CCAG-TIC, le présent CCAP déroge aux articles "
                    "suivants du CCAG-TIC :"
                )
            )
            for article, reasons in listed:
                blocks.append(D.Paragraph(f"{article} du CCAG-TIC :"))
                blocks.extend(D.Bullet(f"clause « {title} » : {text}") for title, text in reasons)
        else:
            blocks.append(
                D.Paragraph("Le présent CCAP ne déroge à aucune stipulation du CCAG-TIC.")
            )
    # Each clause article ends at the next heading: record it for `verify`.
    for entry in manifest:
        idx = entry.pop("_index")
        entry["next_heading"] = (
            f"Article {idx + 2} – {headings[idx + 1]}"
            if idx + 1 < len(headings)
            else "Annexe – Clauses utilisées"
        )
    blocks.append(D.PageBreak())
    blocks.append(D.Heading("Annexe – Clauses utilisées", 1, numbered=False))
    if mine:
        blocks.append(
            D.Table(
                ["Clé", "Version", "Empreinte", "Variante"],
                [
                    [m["key"], str(m["version"]), m["content_hash"][:12], m["variant"] or "–"]
                    for m in manifest
                ],
                caption="Clauses de la bibliothèque utilisées dans cette pièce",
            )
        )
        # The full hashes, machine-readable (one JSON line per clause), for `procure verify`
        # and any other tool; the table above keeps a 12-character prefix a person can compare.
        blocks.append(
            D.Paragraph("Empreintes SHA-256 complètes (format lisible par machine, JSON) :")
        )
        blocks.extend(
            D.Paragraph(
                json.dumps(
                    {"cle": m["key"], "version": m["version"], "sha256": m["content_hash"]},
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
            )
            for m in manifest
        )
    else:
        blocks.append(D.Paragraph("Cette pièce n'utilise aucune clause de la bibliothèque."))
    day = today or datetime.now(UTC).date()
    spec = D.DocumentSpec(
        title=tender.title,
        subtitle=PROCEDURES.get(tender.procedure, ""),
        buyer=tender.buyer,
        reference=tender.reference,
        piece=PIECES[piece],
        date=format_date(day),
        blocks=blocks,
    )
    return spec, manifest
