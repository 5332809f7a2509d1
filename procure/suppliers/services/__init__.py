"""The sourcing room: import supplier data, index, search and judge, merges, shortlists, exports.

Persistence and audit around the `sourcing` library (which knows nothing of Flask or Procure).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from procure.core import audit, jobs
from procure.core.audit import Actor
from procure.core.errors import Conflict, NotFound, ValidationError
from sourcing import index as lindex
from sourcing import judge as ljudge
from sourcing import search as lsearch
from sourcing.ingest import FORMATS, ImportFormatError, apply_rows, read_rows
from sourcing.match import Entry, NameIndex, duplicate_pairs
from sourcing.models import (
    SIZES,
    MergeProposal,
    PastContract,
    Shortlist,
    ShortlistItem,
    SourcingJudgement,
    SourcingSearch,
    Supplier,
    SupplierName,
)
from sourcing.normalise import department_of

FORMAT_LABELS = {
    "decp": "DECP (JSON, format 1 ou 2)",
    "sirene": "Extrait SIRENE (CSV)",
    "csv": "Liste de fournisseurs de l'acheteur (CSV)",
}
NO_COMPETITION = ("sans publicité", "sans publicite", "sans mise en concurrence", "négociée sans")


def label(s: Supplier) -> str:
    return s.name or f"SIREN {s.siren} (nom en attente)"


# ---------------------------------------------------------------- import


def import_data(
    *, session: Session, actor: Actor, data: bytes, fmt: str, filename: str, progress=None
) -> dict:
    """Import one file: valid rows are written, rejected rows reported; one audit event."""
    if fmt not in FORMATS:
        raise ValidationError(
            f"Format inconnu : {fmt}.", fields={"format": f"Choisissez : {', '.join(FORMATS)}."}
        )
    if not data:
        raise ValidationError(
            f"{filename} : fichier vide.", fields={"fichier": "Le fichier est vide."}
        )
    try:
        source, rows = read_rows(data, fmt, filename)
    except ImportFormatError as exc:
        raise ValidationError(str(exc), fields={"fichier": str(exc)}) from exc
    if progress:  # before writing: on SQLite the job row cannot be updated inside this transaction
        progress(0, len(rows), f"{len(rows)} lignes lues, enregistrement en cours")
    report = apply_rows(session, rows, source=source, filename=filename)
    proposals = _propose_merges(session, report.supplier_ids)
    result = report.as_dict()
    result["merge_proposals"] = proposals
    audit.record(
        session,
        actor,
        "sourcing.import",
        record_type="import",
        record_id=filename[:80],
        details={k: v for k, v in result.items() if k not in ("rejected_rows", "warnings")}
        | {"rejected_rows": result["rejected_rows"][:50]},
    )
    session.commit()
    if progress:
        progress(len(rows), len(rows), "import terminé")
    return result


def _propose_merges(session: Session, touched: set[int]) -> int:
    """Suppliers without SIREN that look like another supplier become merge proposals."""
    new = [
        s
        for s in session.exec(
            select(Supplier).where(Supplier.siren.is_(None), Supplier.merged_into_id.is_(None))
        ).all()
        if s.id in touched
    ]
    if not new:
        return 0
    index = _name_index(session)
    existing = {(m.source_id, m.target_id) for m in session.exec(select(MergeProposal)).all()}
    count = 0
    for source_id, target_id, score in duplicate_pairs(index, candidates=[s.id for s in new]):
        if (source_id, target_id) in existing:
            continue
        session.add(
            MergeProposal(
                source_id=source_id,
                target_id=target_id,
                score=score,
                reason="noms très proches (rapidfuzz, mots rares pondérés)",
            )
        )
        existing.add((source_id, target_id))
        count += 1
    session.flush()
    return count


def _name_index(session: Session) -> NameIndex:
    entries = []
    for s in session.exec(select(Supplier).where(Supplier.merged_into_id.is_(None))).all():
        entries.append(Entry(s.id, label(s), s.normalized_name, s.department, s.siren or ""))
    for n, s in session.exec(
        select(SupplierName, Supplier)
        .join(Supplier, Supplier.id == SupplierName.supplier_id)
        .where(Supplier.merged_into_id.is_(None))
    ).all():
        if n.normalized and n.normalized != s.normalized_name:
            entries.append(Entry(s.id, n.name, n.normalized, s.department, s.siren or ""))
    return NameIndex(entries)


@jobs.handler("sourcing.import")
def _import_job(*, session: Session, params: dict, progress, actor: Actor) -> dict:
    path = Path(params["path"])
    try:
        data = path.read_bytes()
    finally:
        if params.get("delete_after"):
            path.unlink(missing_ok=True)
    return import_data(
        session=session,
        actor=actor,
        data=data,
        fmt=params["format"],
        filename=params.get("filename") or path.name,
        progress=progress,
    )


def save_upload(*, upload_dir: str, filename: str, data: bytes) -> str:
    folder = Path(upload_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    safe = "".join(c for c in Path(filename).name if c.isalnum() or c in "._-")[:80] or "fichier"
    path = folder / f"{stamp}-{safe}"
    path.write_bytes(data)
    return str(path)


# ---------------------------------------------------------------- index


def sync_index(
    *, session: Session, actor: Actor, model, uri: str, rebuild: bool = False, progress=None
) -> dict:
    """Bring the LanceDB index in line with the database (embeds only changed profiles)."""
    result = lindex.sync_index(
        session, uri=uri, embed=model.embed, rebuild=rebuild, progress=progress
    )
    result["model"] = _model_info(model)
    audit.record(
        session,
        actor,
        "sourcing.index",
        record_type="index",
        record_id=lindex.TABLE,
        details=result | {"rebuild": rebuild},
    )
    session.commit()
    return result


def _model_info(model) -> dict:
    return {"name": model.name, "file_hash": model.file_hash}


@jobs.handler("sourcing.index")
def _index_job(*, session: Session, params: dict, progress, actor: Actor) -> dict:
    from procure.core.model_provider import ModelProvider

    provider = ModelProvider(
        path=params.get("model_path"),
        url=params.get("model_url"),
        name=params.get("model_name"),
        instance_path=params["instance_path"],
    )
    model = _PROVIDERS.get(params["instance_path"]) or provider.get()
    return sync_index(
        session=session,
        actor=actor,
        model=model,
        uri=params["uri"],
        rebuild=bool(params.get("rebuild")),
        progress=progress,
    )


# The web app registers its model here so that jobs reuse the loaded model instead of loading it.
_PROVIDERS: dict[str, Any] = {}


def register_model(instance_path: str, model) -> None:
    _PROVIDERS[instance_path] = model


# ---------------------------------------------------------------- search


def search(
    *,
    session: Session,
    actor: Actor,
    model,
    uri: str,
    need: str,
    cpv: str = "",
    department: str = "",
    size: str = "",
    certifications: list[str] | None = None,
    limit: int = 10,
    judge: int = 0,
    weights: dict | None = None,
) -> SourcingSearch:
    """Hybrid search + score, evidence and signals; optional model judgement of the top K."""
    need = " ".join((need or "").split())
    errors = {}
    if len(need) < 3:
        errors["need"] = "Décrivez le besoin en quelques mots (3 caractères au moins)."
    if department and not department_of(department):
        errors["departement"] = f"Département inconnu : {department}."
    if size and size not in SIZES:
        errors["taille"] = "Taille : PME, ETI ou GE."
    if cpv and not cpv.replace("-", "").isdigit():
        errors["cpv"] = "Le préfixe CPV ne contient que des chiffres (ex. 72 ou 7226)."
    if not 1 <= limit <= 100:
        errors["limit"] = "Nombre de résultats entre 1 et 100."
    if not 0 <= judge <= 10:
        errors["judge"] = "Le jugement porte sur 10 résultats au plus."
    if errors:
        raise ValidationError("Recherche impossible : corrigez les champs signalés.", fields=errors)
    table = lindex.open_table(uri)
    if table is None:
        raise Conflict("L'index des fournisseurs n'existe pas encore : lancez « procure index ».")
    q = lsearch.Query(
        need=need,
        cpv=cpv.replace("-", ""),
        department=department_of(department) if department else "",
        size=size,
        certifications=certifications or [],
        limit=limit,
    )
    out = lsearch.search(table, q, embed=model.embed, weights=weights)
    results = out["results"]
    _add_evidence(session, results, out["cpv_classes"])
    record = SourcingSearch(
        need=need,
        filters={
            "cpv": q.cpv,
            "departement": q.department,
            "taille": size,
            "certifications": q.certifications,
            "limit": limit,
        },
        weights=out["weights"],
        method={
            "candidates": lsearch.CANDIDATES,
            "retrieved": out["candidates"],
            "components": lsearch.COMPONENTS,
            "judge_max_weight": lsearch.JUDGE_MAX_WEIGHT,
        },
        model=_model_info(model),
        cpv_classes=out["cpv_classes"],
        results=results,
        created_by=actor.user_id,
    )
    session.add(record)
    session.flush()
    if judge:
        _judge_top(session, record, model, judge)
    audit.record(
        session,
        actor,
        "sourcing.search",
        record_type="sourcing_search",
        record_id=record.id,
        details={
            "need": need,
            "filters": record.filters,
            "model": record.model,
            "results": [r["siren"] or r["supplier_id"] for r in record.results],
            "judged": record.judged,
        },
    )
    session.commit()
    return record


def _add_evidence(session: Session, results: list[dict], classes: list[dict]) -> None:
    ids = [r["supplier_id"] for r in results]
    if not ids:
        return
    contracts: dict[int, list[PastContract]] = {}
    for c in session.exec(
        select(PastContract)
        .where(PastContract.supplier_id.in_(ids))
        .order_by(PastContract.notified_on.desc(), PastContract.id)
    ).all():
        contracts.setdefault(c.supplier_id, []).append(c)
    suppliers = {s.id: s for s in session.exec(select(Supplier).where(Supplier.id.in_(ids))).all()}
    prefixes = [c["prefix"] for c in classes]
    for r in results:
        cs = contracts.get(r["supplier_id"], [])
        matching = [c for c in cs if any(c.cpv.startswith(p) for p in prefixes)]
        shown = (matching or cs)[:3]
        r["evidence"] = [
            {
                "object": c.object,
                "cpv": c.cpv,
                "buyer": c.buyer_name,
                "date": c.notified_on.isoformat() if c.notified_on else "",
                "amount": c.amount,
                "matches_cpv": c in matching,
            }
            for c in shown
        ]
        r["signals"] = signals(cs)
        s = suppliers.get(r["supplier_id"])
        if s:
            r["name"] = label(s)
            r["department"] = s.department
            r["size"] = s.size
            r["certifications"] = s.certifications
        r["contracts"] = len(cs)


def signals(contracts: list[PastContract]) -> list[str]:
    """Signals, not proof: one buyer's share of the contracts, contracts without competition."""
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
    alone = [
        c
        for c in contracts
        if c.offers_received == 1 or any(k in (c.procedure or "").lower() for k in NO_COMPETITION)
    ]
    if alone:
        out.append(
            f"{len(alone)} marché(s) sans mise en concurrence ou avec une seule offre, selon les données"
        )
    return out


def _supplier_text(session: Session, supplier_id: int) -> str:
    s = session.get(Supplier, supplier_id)
    objects = session.exec(
        select(PastContract.object)
        .where(PastContract.supplier_id == supplier_id)
        .order_by(PastContract.notified_on.desc())
        .limit(5)
    ).all()
    parts = [s.description, *objects]
    return " ; ".join(p for p in parts if p)


def _judge_top(session: Session, record: SourcingSearch, model, k: int) -> None:
    results = [dict(r) for r in record.results]
    judgements: dict[int, int] = {}
    for r in results[:k]:
        s = session.get(Supplier, r["supplier_id"])
        verdict = ljudge.judge(model, record.need, label(s), _supplier_text(session, s.id))
        session.add(
            SourcingJudgement(
                search_id=record.id,
                supplier_id=s.id,
                fit=verdict["fit"],
                reasons=verdict["reasons"],
                concerns=verdict["concerns"],
                injection_flags=verdict["injection_flags"],
                prompt=verdict["prompt"],
                raw=verdict["raw"],
                model=_model_info(model),
            )
        )
        r["judgement"] = {
            k2: verdict[k2] for k2 in ("fit", "reasons", "concerns", "injection_flags")
        }
        judgements[s.id] = verdict["fit"]
    for r in results:
        if r["supplier_id"] in judgements:
            r["components"] = {
                **r["components"],
                "jugement": round(judgements[r["supplier_id"]] / 4, 4),
            }
            r["score"] = lsearch.weighted(r["components"], record.weights)
    results.sort(key=lambda r: (-r["score"], r["name"], r["supplier_id"]))
    record.results = results
    record.judged = len(judgements)
    session.add(record)


def judge_search(
    *, session: Session, actor: Actor, model, search_id: int, k: int
) -> SourcingSearch:
    """Judge the top K of a persisted search (the UI's button, run as a job)."""
    record = get_search(session=session, search_id=search_id)
    if not 1 <= k <= 10:
        raise ValidationError(
            "Le jugement porte sur 1 à 10 résultats.", fields={"k": "Entre 1 et 10."}
        )
    _judge_top(session, record, model, k)
    audit.record(
        session,
        actor,
        "sourcing.judge",
        record_type="sourcing_search",
        record_id=record.id,
        details={"k": k, "model": _model_info(model)},
    )
    session.commit()
    return record


@jobs.handler("sourcing.judge")
def _judge_job(*, session: Session, params: dict, progress, actor: Actor) -> dict:
    from procure.core.model_provider import ModelProvider

    model = (
        _PROVIDERS.get(params["instance_path"])
        or ModelProvider(
            path=params.get("model_path"),
            url=params.get("model_url"),
            name=params.get("model_name"),
            instance_path=params["instance_path"],
        ).get()
    )
    progress(0, params["k"], "jugement en cours")
    record = judge_search(
        session=session, actor=actor, model=model, search_id=params["search_id"], k=params["k"]
    )
    return {"search_id": record.id, "judged": record.judged}


def get_search(*, session: Session, search_id: int) -> SourcingSearch:
    record = session.get(SourcingSearch, search_id)
    if not record:
        raise NotFound("Recherche introuvable.")
    return record


def recent_searches(*, session: Session, limit: int = 10) -> list[SourcingSearch]:
    return list(
        session.exec(select(SourcingSearch).order_by(SourcingSearch.id.desc()).limit(limit)).all()
    )


def search_json(record: SourcingSearch) -> dict:
    return {
        "id": record.id,
        "need": record.need,
        "filters": record.filters,
        "weights": record.weights,
        "model": record.model,
        "cpv_classes": record.cpv_classes,
        "results": [
            {
                "siren": r["siren"],
                "name": r["name"],
                "score": r["score"],
                "components": r["components"],
                "evidence": r.get("evidence", []),
                "signals": r.get("signals", []),
                "judgement": r.get("judgement"),
                "supplier_id": r["supplier_id"],
            }
            for r in record.results
        ],
    }


# ---------------------------------------------------------------- matching and merges


def match_name(*, session: Session, name: str, department: str = "", limit: int = 10) -> list[dict]:
    if not (name or "").strip():
        raise ValidationError("Nom à rechercher vide.", fields={"name": "Indiquez un nom."})
    index = _name_index(session)
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


def merge_proposals(
    *, session: Session, status: str | None = "proposed"
) -> list[tuple[MergeProposal, Supplier, Supplier]]:
    query = select(MergeProposal).order_by(MergeProposal.id)
    if status:
        query = query.where(MergeProposal.status == status)
    out = []
    for m in session.exec(query).all():
        out.append((m, session.get(Supplier, m.source_id), session.get(Supplier, m.target_id)))
    return out


def decide_merge(
    *, session: Session, actor: Actor, proposal_id: int, decision: str
) -> MergeProposal:
    """accept (merge source into target), reject, or undo an accepted merge."""
    m = session.get(MergeProposal, proposal_id)
    if not m:
        raise NotFound("Proposition de fusion introuvable.")
    allowed = {"accept": ("proposed",), "reject": ("proposed",), "undo": ("merged",)}
    if decision not in allowed:
        raise ValidationError("Décision inconnue.", fields={"decision": "accept, reject ou undo."})
    if m.status not in allowed[decision]:
        raise Conflict(f"Cette proposition est déjà « {m.status} ».")
    source, target = session.get(Supplier, m.source_id), session.get(Supplier, m.target_id)
    if decision == "accept":
        contracts = session.exec(
            select(PastContract).where(PastContract.supplier_id == source.id)
        ).all()
        names = session.exec(
            select(SupplierName).where(SupplierName.supplier_id == source.id)
        ).all()
        target_names = {
            n.name
            for n in session.exec(
                select(SupplierName).where(SupplierName.supplier_id == target.id)
            ).all()
        }
        moved_names = []
        for c in contracts:
            c.supplier_id = target.id
            session.add(c)
        for n in names:
            if n.name not in target_names:
                n.supplier_id = target.id
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
    elif decision == "reject":
        m.status = "rejected"
    else:
        for cid in m.moved.get("contracts", []):
            c = session.get(PastContract, cid)
            if c:
                c.supplier_id = source.id
                session.add(c)
        for nid in m.moved.get("names", []):
            n = session.get(SupplierName, nid)
            if n:
                n.supplier_id = source.id
                session.add(n)
        before = m.moved.get("target_before", {})
        target.description = before.get("description", target.description)
        target.certifications = before.get("certifications", target.certifications)
        source.merged_into_id = None
        m.status = "undone"
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


# ---------------------------------------------------------------- suppliers


def get_supplier(
    *, session: Session, supplier_id: int
) -> tuple[Supplier, list[PastContract], list[SupplierName]]:
    s = session.get(Supplier, supplier_id)
    if not s:
        raise NotFound("Fournisseur introuvable.")
    contracts = list(
        session.exec(
            select(PastContract)
            .where(PastContract.supplier_id == s.id)
            .order_by(PastContract.notified_on.desc())
        ).all()
    )
    names = list(
        session.exec(
            select(SupplierName)
            .where(SupplierName.supplier_id == s.id)
            .order_by(SupplierName.occurrences.desc())
        ).all()
    )
    return s, contracts, names


def stats(*, session: Session) -> dict:
    return {
        "suppliers": session.exec(
            select(func.count()).select_from(Supplier).where(Supplier.merged_into_id.is_(None))
        ).one(),
        "contracts": session.exec(select(func.count()).select_from(PastContract)).one(),
        "proposals": session.exec(
            select(func.count())
            .select_from(MergeProposal)
            .where(MergeProposal.status == "proposed")
        ).one(),
    }


# ---------------------------------------------------------------- shortlists and exports


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
    for sid in chosen:
        r = by_id[sid]
        session.add(
            ShortlistItem(
                shortlist_id=shortlist.id,
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


def get_shortlist(
    *, session: Session, shortlist_id: int
) -> tuple[Shortlist, list[tuple[ShortlistItem, Supplier]], SourcingSearch | None]:
    sl = session.get(Shortlist, shortlist_id)
    if not sl:
        raise NotFound("Présélection introuvable.")
    items = [
        (i, session.get(Supplier, i.supplier_id))
        for i in session.exec(
            select(ShortlistItem)
            .where(ShortlistItem.shortlist_id == sl.id)
            .order_by(ShortlistItem.score.desc())
        ).all()
    ]
    record = session.get(SourcingSearch, sl.search_id) if sl.search_id else None
    return sl, items, record


def list_shortlists(*, session: Session) -> list[Shortlist]:
    return list(session.exec(select(Shortlist).order_by(Shortlist.id.desc())).all())


def shortlist_csv(*, session: Session, shortlist_id: int) -> str:
    sl, items, _ = get_shortlist(session=session, shortlist_id=shortlist_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    comps = list(lsearch.COMPONENTS)
    writer.writerow(
        ["siren", "nom", "score", *comps, "departement", "taille", "preuves", "jugement"]
    )
    for item, s in items:
        evidence = " | ".join(
            f"{e['date']} {e['buyer']} : {e['object']} ({e['cpv']})" for e in item.evidence
        )
        writer.writerow(
            [
                s.siren or "",
                label(s),
                f"{item.score:.2f}",
                *[item.components.get(c, "") for c in comps],
                s.department,
                s.size,
                evidence,
                item.judgement.get("fit", "") if item.judgement else "",
            ]
        )
    return out.getvalue()


def shortlist_docx(*, session: Session, actor: Actor, shortlist_id: int, export_dir: str) -> Path:
    """The sourcing report: need, method, weights, shortlist with evidence and judgement, model."""
    from procure.documents import Bullet, DocumentSpec, Heading, Paragraph, Table, write_docx

    sl, items, record = get_shortlist(session=session, shortlist_id=shortlist_id)
    weights = record.weights if record else lsearch.DEFAULT_WEIGHTS
    blocks: list = [Heading("Besoin"), Paragraph(sl.need)]
    if record and record.cpv_classes:
        blocks.append(Paragraph("Classes CPV retenues pour le besoin :"))
        blocks += [Bullet(f"{c['code']} {c['label']}") for c in record.cpv_classes]
    blocks += [
        Heading("Méthode"),
        Paragraph(
            "Recherche hybride (index plein texte français BM25 et vecteurs du modèle local), puis score "
            "déterministe : somme pondérée de composantes nommées, chacune entre 0 et 1, ramenée sur 100. "
            "Le jugement du modèle est une composante au poids borné ; les textes des fournisseurs sont "
            "traités comme des données non fiables. Les signaux sont des indices, pas des preuves."
        ),
    ]
    blocks.append(
        Table(
            ["Composante", "Définition", "Poids"],
            [[k, v, f"{weights.get(k, 0):.2f}"] for k, v in lsearch.COMPONENTS.items()],
            caption="Pondérations",
        )
    )
    blocks.append(Heading("Présélection"))
    for item, s in items:
        blocks.append(
            Heading(f"{label(s)} ({s.siren or 'sans SIREN'}) : {item.score:.1f}/100", level=2)
        )
        blocks.append(Paragraph(", ".join(f"{k} {v:.2f}" for k, v in item.components.items())))
        for e in item.evidence:
            blocks.append(Bullet(f"{e['date']} · {e['buyer']} : {e['object']} (CPV {e['cpv']})"))
        if item.judgement:
            j = item.judgement
            blocks.append(
                Paragraph(
                    f"Avis du modèle : {j.get('fit')}/4. Raisons : {'; '.join(j.get('reasons', []))}. "
                    f"Réserves : {'; '.join(j.get('concerns', []))}."
                )
            )
            if j.get("injection_flags"):
                blocks.append(
                    Paragraph(
                        "Attention : le texte de ce fournisseur contient des instructions "
                        f"adressées au modèle ({', '.join(j['injection_flags'])})."
                    )
                )
    model = record.model if record else {}
    blocks += [
        Heading("Traçabilité"),
        Paragraph(
            f"Recherche n° {record.id if record else '—'} ; modèle {model.get('name', '—')} "
            f"(empreinte SHA-256 {model.get('file_hash', '—')})."
        ),
    ]
    spec = DocumentSpec(
        title="Rapport de sourcing",
        subtitle=sl.title,
        buyer=actor.email,
        reference=f"SOURCING-{sl.id}",
        piece="Rapport de sourcing",
        date=datetime.now(UTC).strftime("%d/%m/%Y"),
        blocks=blocks,
    )
    path = Path(export_dir) / f"sourcing-{sl.id}.docx"
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


# ---------------------------------------------------------------- home page and demo


def pending_work(*, session: Session, user) -> list[dict]:
    if not user.has_role("sourcing", "admin"):
        return []

    running = [
        j
        for j in jobs.recent_jobs(session=session, kind_prefix="sourcing.", limit=10)
        if j.status in ("queued", "running")
    ]
    items = [
        {
            "label": f"{j.label} ({j.percent} %)",
            "endpoint": "sourcing.job",
            "params": {"job_id": j.id},
            "badge": j.status,
        }
        for j in running
    ]
    n = stats(session=session)["proposals"]
    if n:
        items.append(
            {
                "label": f"{n} proposition(s) de fusion à examiner",
                "endpoint": "sourcing.merges",
                "params": {},
                "badge": "in_review",
            }
        )
    return [{"title": "Sourcing", "items": items, "empty": "Aucune tâche de sourcing en cours."}]
