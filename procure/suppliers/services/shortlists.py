"""Shortlists: chosen from a search's results, listed, exported as CSV and as a DOCX report
(the report is written into the document store, under `shortlists/<id>/`)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.csvfile import BOM as CSV_BOM
from procure.core.csvfile import csv_text
from procure.core.errors import NotFound, ValidationError
from procure.core.formatting import format_number
from procure.core.models import User
from procure.core.pagination import Page, paginate
from procure.documents import Bullet, DocumentSpec, Heading, Paragraph, Table, write_docx
from procure.documents.store import DocumentStore
from sourcing import search as lsearch
from sourcing.models import Shortlist, ShortlistItem, SourcingSearch, Supplier

from .search import get_search
from .suppliers import find_supplier, label, row_id

DOCUMENT_KIND = "shortlists"  # the document store's folder for sourcing reports

METHOD = (
    "Recherche hybride (index plein texte français BM25 et vecteurs du modèle local), puis score "
    "déterministe : somme pondérée de composantes nommées, chacune entre 0 et 1, ramenée sur 100. "
    "Le jugement du modèle est une composante au poids borné ; les textes des fournisseurs sont "
    "traités comme des données non fiables. Les signaux sont des indices, pas des preuves."
)


def create_shortlist(
    *, session: Session, actor: Actor, search_id: int, supplier_ids: list[int], title: str = ""
) -> Shortlist:
    record = get_search(session=session, search_id=search_id)
    by_id = {r["supplier_id"]: r for r in record.results}
    chosen = [i for i in dict.fromkeys(supplier_ids) if i in by_id]
    if not chosen:
        raise ValidationError(
            "Cochez au moins un fournisseur parmi les résultats.",
            fields={"supplier_ids": "Aucun fournisseur choisi."},
        )
    title = (title or "").strip() or f"Présélection : {record.need[:80]}"
    shortlist = Shortlist(
        title=title[:200], need=record.need, search_id=record.id, created_by=actor.user_id
    )
    session.add(shortlist)
    session.flush()
    shortlist_id = row_id(shortlist)
    for sid in chosen:
        r = by_id[sid]
        session.add(
            ShortlistItem(
                shortlist_id=shortlist_id,
                supplier_id=sid,
                score=r["score"],
                components=r["components"],
                evidence=r.get("evidence", []),
                judgement=r.get("judgement") or {},
            )
        )
    audit.record(
        session,
        actor,
        "sourcing.shortlist",
        record_type="sourcing_shortlist",
        record_id=shortlist.id,
        details={"search_id": record.id, "suppliers": chosen},
    )
    session.commit()
    return shortlist


def shortlist_from_tokens(
    *, session: Session, actor: Actor, search_id: int, tokens: list[str], title: str = ""
) -> Shortlist:
    """A shortlist of the results named by SIREN or supplier id (the CLI's way of choosing)."""
    record = get_search(session=session, search_id=search_id)
    ids: list[int] = []
    for token in tokens:
        found = [
            r["supplier_id"]
            for r in record.results
            if r["siren"] == token or str(r["supplier_id"]) == token
        ]
        if not found:
            raise ValidationError(
                f"{token} n'est pas dans les résultats de la recherche n° {search_id}."
            )
        ids += found
    return create_shortlist(
        session=session, actor=actor, search_id=search_id, supplier_ids=ids, title=title
    )


def get_shortlist(
    *, session: Session, shortlist_id: int
) -> tuple[Shortlist, list[tuple[ShortlistItem, Supplier]], SourcingSearch | None]:
    sl = session.get(Shortlist, shortlist_id)
    if not sl:
        raise NotFound("Présélection introuvable.")
    items = [
        (i, find_supplier(session, i.supplier_id))
        for i in session.exec(
            select(ShortlistItem)
            .where(ShortlistItem.shortlist_id == sl.id)
            .order_by(col(ShortlistItem.score).desc())
        ).all()
    ]
    record = session.get(SourcingSearch, sl.search_id) if sl.search_id else None
    return sl, items, record


def list_shortlists(*, session: Session) -> list[Shortlist]:
    return list(session.exec(select(Shortlist).order_by(col(Shortlist.id).desc())).all())


def shortlists_page(*, session: Session, page: int = 1) -> Page:
    """One page of the shortlists, newest first."""
    return paginate(session, select(Shortlist).order_by(col(Shortlist.id).desc()), page)


def csv_number(value: float | int | None, digits: int) -> str:
    """A number for a French spreadsheet: decimal comma, no group separator (a narrow no-break
    space would turn the cell into text)."""
    return format_number(value, digits, empty="").replace("\u202f", "")


def shortlist_columns() -> list[str]:
    """The CSV's column headers, in French and each once."""
    return [
        "SIREN",
        "Nom",
        "Score (sur 100)",
        *[f"{lsearch.COMPONENT_LABELS.get(c, c)} (0 à 1)" for c in lsearch.COMPONENTS],
        "Département",
        "Taille de l'entreprise",
        "Marchés passés (preuves)",
        "Avis du modèle (note sur 4)",
    ]


def shortlist_csv(*, session: Session, shortlist_id: int) -> str:
    """The shortlist as a French CSV: UTF-8 with a BOM, semicolons, decimal commas, one header
    per column; text cells from supplier data are defused (`csv_text`), numbers are ours."""
    sl, items, _ = get_shortlist(session=session, shortlist_id=shortlist_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    comps = list(lsearch.COMPONENTS)
    writer.writerow(shortlist_columns())
    for item, s in items:
        evidence = " | ".join(
            f"{e.get('date_fr') or e['date']} {e['buyer']} : {e['object']} ({e['cpv']})"
            for e in item.evidence
        )
        fit = item.judgement.get("fit") if item.judgement else None
        writer.writerow(
            [
                csv_text(s.siren or ""),
                csv_text(label(s)),
                csv_number(item.score, 2),
                *[csv_number(item.components.get(c), 3) for c in comps],
                csv_text(s.department),
                csv_text(s.size),
                csv_text(evidence),
                csv_number(fit, 0) if isinstance(fit, int | float) else "",
            ]
        )
    return CSV_BOM + out.getvalue()


def shortlist_docx(
    *, session: Session, actor: Actor, shortlist_id: int, store: DocumentStore
) -> Path:
    """The sourcing report, written into the document store; returns the stored file's path."""
    sl, items, record = get_shortlist(session=session, shortlist_id=shortlist_id)
    author = session.get(User, actor.user_id) if actor.user_id else None
    spec = DocumentSpec(
        title=sl.title,
        subtitle="",
        buyer=author.organisation if author else "",  # the organisation, never a person's e-mail
        reference=f"SOURCING-{sl.id}",
        piece="Rapport de sourcing",
        date=datetime.now(UTC).strftime("%d/%m/%Y"),
        blocks=_report_blocks(sl, items, record),
    )
    path = store.new_path(DOCUMENT_KIND, row_id(sl), stem=f"sourcing-{sl.id}", fmt="docx")
    digest = write_docx(spec, path)
    audit.record(
        session,
        actor,
        "sourcing.export_docx",
        record_type="sourcing_shortlist",
        record_id=sl.id,
        details={"file": path.name, "sha256": digest},
    )
    session.commit()
    return path


def latest_shortlist_docx(*, session: Session, shortlist_id: int, store: DocumentStore) -> Path:
    """The last sourcing report written for a shortlist (reading it writes nothing)."""
    sl, _items, _record = get_shortlist(session=session, shortlist_id=shortlist_id)
    reports = sorted(store.folder(DOCUMENT_KIND, row_id(sl)).glob("*.docx"))
    if not reports:
        raise NotFound("Aucun rapport de sourcing pour cette présélection : générez-le d'abord.")
    return reports[-1]


def _report_blocks(
    sl: Shortlist, items: list[tuple[ShortlistItem, Supplier]], record: SourcingSearch | None
) -> list:
    """Need, method, weights, shortlist with evidence and judgement, model."""
    weights = record.weights if record else lsearch.DEFAULT_WEIGHTS
    blocks: list = [Heading("Besoin"), Paragraph(sl.need)]
    if record and record.cpv_classes:
        blocks.append(Paragraph("Classes CPV retenues pour le besoin :"))
        blocks += [Bullet(f"{c['code']} {c['label']}") for c in record.cpv_classes]
    blocks += [Heading("Méthode"), Paragraph(METHOD)]
    blocks.append(
        Table(
            ["Composante", "Définition", "Poids"],
            [
                [lsearch.COMPONENT_LABELS.get(k, k), v, format_number(weights.get(k, 0), 2)]
                for k, v in lsearch.COMPONENTS.items()
            ],
            caption="Pondérations",
        )
    )
    blocks.append(Heading("Présélection"))
    for item, s in items:
        score = format_number(item.score, 1)
        blocks.append(Heading(f"{label(s)} ({s.siren or 'sans SIREN'}) : {score}/100", level=2))
        blocks.append(Paragraph(component_text(item.components, weights)))
        for e in item.evidence:
            day = e.get("date_fr") or e["date"]
            blocks.append(Bullet(f"{day} · {e['buyer']} : {e['object']} (CPV {e['cpv']})"))
        if item.judgement:
            blocks += _judgement_blocks(item.judgement)
    model = record.model if record else {}
    blocks += [
        Heading("Traçabilité"),
        Paragraph(
            f"Recherche n° {record.id if record else '—'} ; modèle {model.get('name', '—')} "
            f"(empreinte SHA-256 {model.get('file_hash', '—')})."
        ),
    ]
    return blocks


def component_text(components: dict, weights: dict) -> str:
    """ "Pertinence du texte 0,41 ; Récence 0,00" for the components that weigh in the score."""
    return " ; ".join(
        f"{lsearch.COMPONENT_LABELS.get(k, k)} {format_number(v, 2)}"
        for k, v in components.items()
        if weights.get(k, 0) > 0
    )


def _judgement_blocks(j: dict) -> list:
    blocks: list = [
        Paragraph(
            f"Avis du modèle (expérimental) : {j.get('fit')}/4."
            + (f" Raison : {'; '.join(j['reasons'])}." if j.get("reasons") else "")
            + (f" Réserve : {'; '.join(j['concerns'])}." if j.get("concerns") else "")
        )
    ]
    if j.get("injection_flags"):
        blocks.append(
            Paragraph(
                "Attention : le texte de ce fournisseur contient des instructions "
                f"adressées au modèle ({', '.join(j['injection_flags'])})."
            )
        )
    return blocks
