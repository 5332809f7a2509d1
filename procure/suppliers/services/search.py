"""Searching for suppliers: the hybrid search with its evidence and signals, the model's judgement
of the top results (directly or as a job), and the persisted searches."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from procure.core import audit, jobs
from procure.core.audit import Actor
from procure.core.errors import Conflict, ModelUnavailable, NotFound, ValidationError
from procure.core.formatting import (
    NumberError,
    format_date,
    format_money,
    parse_optional_number,
)
from procure.core.jobs import JobQueue, Progress, Resources
from procure.core.models import Job
from sourcing import index as lindex
from sourcing import judge as ljudge
from sourcing import search as lsearch
from sourcing.models import SIZES, PastContract, SourcingJudgement, SourcingSearch, Supplier
from sourcing.normalise import department_of, strip_markup

from .model import SourcingModel, app_model, model_info
from .suppliers import continuity, find_supplier, label, red_flags, row_id, signals


def parse_count(value: int | str | None, *, default: int, field: str, errors: dict) -> int:
    """A count typed in French ("10", "1 000" with any kind of space); `default` when empty."""
    try:
        number = parse_optional_number(value, integer=True)
    except NumberError as exc:
        errors[field] = str(exc)
        return default
    return default if number is None else int(number)


FALLBACK_NOTICE = (
    "Modèle indisponible ({why}) : résultats de la recherche plein texte seule, sans la "
    "similarité sémantique ni le jugement du modèle."
)
NO_MODEL = {"name": "aucun (plein texte seul)", "file_hash": ""}


def search(
    *,
    session: Session,
    actor: Actor,
    model: SourcingModel | None,
    uri: str,
    need: str,
    cpv: str = "",
    department: str = "",
    size: str = "",
    certifications: list[str] | None = None,
    limit: int | str | None = 10,
    judge: int | str | None = 0,
    weights: dict | None = None,
) -> SourcingSearch:
    """Hybrid search + score, evidence and signals; optional model judgement of the top K."""
    need = " ".join((need or "").split())
    errors: dict[str, str] = {}
    count = parse_count(limit, default=10, field="limit", errors=errors)
    top = parse_count(judge, default=0, field="judge", errors=errors)
    if len(need) < 3:
        errors["need"] = "Décrivez le besoin en quelques mots (3 caractères au moins)."
    if department and not department_of(department):
        errors["departement"] = f"Département inconnu : {department}."
    if size and size not in SIZES:
        errors["taille"] = "Taille : PME, ETI ou GE."
    if cpv and not cpv.replace("-", "").isdigit():
        errors["cpv"] = "Le préfixe CPV ne contient que des chiffres (ex. 72 ou 7226)."
    if "limit" not in errors and not 1 <= count <= 100:
        errors["limit"] = "Nombre de résultats entre 1 et 100."
    if "judge" not in errors and not 0 <= top <= 10:
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
        limit=count,
    )
    notice = "" if model is not None else FALLBACK_NOTICE.format(why="modèle non chargé")
    semantic = lindex.open_semantic(uri)
    try:
        out = lsearch.search(
            table,
            q,
            embed=model.embed if model is not None else None,
            weights=weights,
            semantic=semantic,
        )
    except ModelUnavailable as exc:  # down, slow or corrupt: full-text only, said on the page
        cause = str(exc.__cause__ or "").strip().rstrip(".")
        notice = FALLBACK_NOTICE.format(why=cause[:200] or "il ne répond pas")
        out = lsearch.search(table, q, embed=None, weights=weights, semantic=semantic)
    results = out["results"]
    _add_evidence(session, results, out["cpv_classes"])
    record = SourcingSearch(
        need=need,
        filters={
            "cpv": q.cpv,
            "departement": q.department,
            "taille": size,
            "certifications": q.certifications,
            "limit": count,
        },
        weights=out["weights"],
        method={
            "candidates": lsearch.CANDIDATES,
            "retrieved": out["candidates"],
            "components": lsearch.COMPONENTS,
            "judge_max_weight": lsearch.JUDGE_MAX_WEIGHT,
            "labels": lsearch.COMPONENT_LABELS,
            "no_match": out["no_match"],
            "no_match_threshold": out["no_match_threshold"],
            "coverage": out["coverage"],
            "public_bodies": [
                {"supplier_id": r["supplier_id"], "siren": r["siren"], "name": r["name"]}
                for r in out["public_bodies"]
            ],
        }
        | ({"notice": notice} if notice else {}),
        model=model_info(model) if model is not None and not notice else NO_MODEL,
        cpv_classes=out["cpv_classes"],
        results=results,
        created_by=actor.user_id,
    )
    session.add(record)
    session.flush()
    if top and model is not None and not notice:
        _judge_top(session, record, model, top)
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
        .where(col(PastContract.supplier_id).in_(ids))
        .order_by(col(PastContract.notified_on).desc(), col(PastContract.id))
    ).all():
        contracts.setdefault(c.supplier_id, []).append(c)
    suppliers = {
        s.id: s for s in session.exec(select(Supplier).where(col(Supplier.id).in_(ids))).all()
    }
    prefixes = [c["prefix"] for c in classes]
    flagged = red_flags(
        session, {r["supplier_id"]: contracts.get(r["supplier_id"], []) for r in results}
    )
    for r in results:
        cs = contracts.get(r["supplier_id"], [])
        r["flags"] = flagged.get(r["supplier_id"], [])
        matching = [c for c in cs if any(c.cpv.startswith(p) for p in prefixes)]
        r["evidence"] = evidence_lines(matching or cs, matching)[:3]
        r["signals"] = signals(cs)
        s = suppliers.get(r["supplier_id"])
        if s:
            r["name"] = label(s)
            r["department"] = s.department
            r["size"] = s.size
            r["certifications"] = s.certifications
            r["continuity"] = continuity(s)
        r["contracts"] = len(cs)


_LOT = re.compile(r"\s*[-–—:,(]?\s*\blots?\b\s*(n\s*°|no|n°)?\s*\d+.*$", re.IGNORECASE)


def evidence_lines(contracts: list[PastContract], matching: list[PastContract]) -> list[dict]:
    """One line per contract: the lots of one contract (same buyer, date and object before
    "lot n") are grouped, their amounts added; markup stripped; French date and amount."""
    groups: dict[tuple, list[PastContract]] = {}
    for c in contracts:
        base = _LOT.sub("", strip_markup(c.object)) or strip_markup(c.object)
        groups.setdefault((c.buyer_siret or c.buyer_name, c.notified_on, base.lower()), []).append(
            c
        )
    lines = []
    for (_buyer, day, _base), cs in groups.items():
        first = cs[0]
        amounts = [c.amount for c in cs if c.amount is not None]
        total = sum(amounts) if amounts else None
        base = _LOT.sub("", strip_markup(first.object)) or strip_markup(first.object)
        lines.append(
            {
                "object": base if len(cs) > 1 else strip_markup(first.object),
                "cpv": first.cpv,
                "buyer": first.buyer_name,
                "date": day.isoformat() if day else "",
                "date_fr": format_date(day),
                "amount": total,
                "amount_fr": format_money(total, empty="montant inconnu"),
                "lots": len(cs),
                "matches_cpv": any(c in matching for c in cs),
            }
        )
    return lines


def _supplier_text(session: Session, s: Supplier) -> str:
    objects = session.exec(
        select(PastContract.object)
        .where(PastContract.supplier_id == s.id)
        .order_by(col(PastContract.notified_on).desc())
        .limit(5)
    ).all()
    parts = [s.description, *objects]
    return " ; ".join(p for p in parts if p)


def _judge_top(session: Session, record: SourcingSearch, model: SourcingModel, k: int) -> None:
    results = [dict(r) for r in record.results]
    judgements: dict[int, int] = {}
    for r in results[:k]:
        s = find_supplier(session, r["supplier_id"])
        verdict = ljudge.judge(model, record.need, label(s), _supplier_text(session, s))
        session.add(
            SourcingJudgement(
                search_id=row_id(record),
                supplier_id=row_id(s),
                fit=verdict["fit"],
                reasons=verdict["reasons"],
                concerns=verdict["concerns"],
                injection_flags=verdict["injection_flags"],
                prompt=verdict["prompt"],
                raw=verdict["raw"],
                model=model_info(model),
            )
        )
        r["judgement"] = {
            key: verdict[key] for key in ("fit", "reasons", "concerns", "injection_flags")
        }
        judgements[r["supplier_id"]] = verdict["fit"]
    for r in results:
        if r["supplier_id"] in judgements:
            # the judgement is experimental (its measured AUC is shown): it may raise a score,
            # never lower it
            before = r["score"]
            r["components"] = {
                **r["components"],
                "jugement": round(judgements[r["supplier_id"]] / 4, 4),
            }
            r["score"] = max(before, lsearch.weighted(r["components"], record.weights))
    results.sort(key=lambda r: (-r["score"], r["name"], r["supplier_id"]))
    record.results = results
    record.judged = len(judgements)
    session.add(record)


def judge_search(
    *, session: Session, actor: Actor, model: SourcingModel, search_id: int, k: int
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
        details={"k": k, "model": model_info(model)},
    )
    session.commit()
    return record


@jobs.handler("sourcing.judge")
def _judge_job(
    *, session: Session, params: dict, progress: Progress, actor: Actor, resources: Resources
) -> dict:
    model = app_model(resources)
    progress(0, params["k"], "jugement en cours")
    record = judge_search(
        session=session, actor=actor, model=model, search_id=params["search_id"], k=params["k"]
    )
    return {"search_id": record.id, "judged": record.judged}


def submit_judge(
    *, session: Session, queue: JobQueue, actor: Actor, search_id: int, k: int | str | None
) -> Job:
    """Queue the model's judgement of a search's top K (the web's button)."""
    errors: dict[str, str] = {}
    top = parse_count(k, default=3, field="k", errors=errors)
    if errors:
        raise ValidationError(
            "Jugement impossible : corrigez le nombre de résultats.", fields=errors
        )
    get_search(session=session, search_id=search_id)
    return jobs.submit(
        session=session,
        queue=queue,
        actor=actor,
        kind="sourcing.judge",
        params={"search_id": search_id, "k": top},
        label=f"Jugement des {top} premiers (recherche n° {search_id})",
    )


def get_search(*, session: Session, search_id: int) -> SourcingSearch:
    record = session.get(SourcingSearch, search_id)
    if not record:
        raise NotFound("Recherche introuvable.")
    return record


def recent_searches(*, session: Session, limit: int = 10) -> list[SourcingSearch]:
    return list(
        session.exec(
            select(SourcingSearch).order_by(col(SourcingSearch.id).desc()).limit(limit)
        ).all()
    )


def search_json(record: SourcingSearch) -> dict[str, Any]:
    return {
        "id": record.id,
        "need": record.need,
        "filters": record.filters,
        "weights": record.weights,
        "model": record.model,
        "cpv_classes": record.cpv_classes,
        "no_match": bool((record.method or {}).get("no_match", False)),
        "no_match_threshold": (record.method or {}).get("no_match_threshold"),
        "coverage": (record.method or {}).get("coverage"),
        "public_bodies": (record.method or {}).get("public_bodies", []),
        "notice": (record.method or {}).get("notice", ""),
        "results": [
            {
                "siren": r["siren"],
                "name": r["name"],
                "score": r["score"],
                "components": r["components"],
                "evidence": r.get("evidence", []),
                "signals": r.get("signals", []),
                "flags": r.get("flags", []),
                "continuity": r.get("continuity", []),
                "judgement": r.get("judgement"),
                "supplier_id": r["supplier_id"],
            }
            for r in record.results
        ],
    }
