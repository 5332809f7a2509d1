"""Read supplier data files (DECP v1/v2 JSON, SIRENE CSV, a buyer's CSV) into validated rows,
and apply them to the database: suppliers keyed by SIREN, their spellings and past contracts.

`read_rows` never raises on a bad row: each row is either valid or carries the reason it was
rejected, with its position in the file. `apply_rows` writes valid rows in the caller's session
(no commit) and returns the counts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from sourcing.cpv import normalise_cpv
from sourcing.models import PastContract, Supplier, SupplierName, utcnow
from sourcing.normalise import (
    clean_identifier,
    department_of,
    display_name,
    normalise_naf,
    normalise_name,
    parse_amount,
    parse_date,
    size_from,
    strip_markup,
    valid_siren,
    valid_siret,
)

FORMATS = ("decp", "sirene", "csv")

# The documented columns of a buyer's own supplier list (docs/sourcing.md). Only `nom` is required.
BUYER_COLUMNS = {
    "nom": "raison sociale ou nom d'usage (obligatoire)",
    "siret": "SIRET (14 chiffres) ou SIREN (9 chiffres), facultatif",
    "description": "ce que fait l'entreprise",
    "site_web": "adresse du site",
    "certifications": "séparées par « ; » (ex. ISO 27001; SecNumCloud; HDS)",
    "departement": "code du département (ex. 75, 2A, 971)",
    "code_postal": "code postal",
    "ville": "commune",
    "cpv": "codes CPV séparés par « ; »",
    "naf": "code NAF (ex. 62.01Z)",
    "taille": "PME, ETI ou GE",
}


CSV_ERROR = "\x00csv-error"  # key of a record the csv module could not read


class ImportFormatError(ValueError):
    """The file as a whole cannot be read in the announced format (French message)."""


@dataclass
class Winner:
    siren: str
    siret: str = ""
    name: str = ""


@dataclass
class Row:
    position: str
    winners: list[Winner] = field(default_factory=list)
    contract: dict[str, Any] | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # SIRENE / CSV attributes
    error: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


# ---------------------------------------------------------------- reading


def _load_json(data: bytes, filename: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFormatError(f"{filename} : JSON illisible ({exc}).") from exc
    except RecursionError:  # found by fuzzing: "[[[[..." deeper than Python's recursion limit
        raise ImportFormatError(
            f"{filename} : JSON illisible (imbrication trop profonde)."
        ) from None


def _decp_records(doc: Any, filename: str) -> tuple[str, list[tuple[str, dict]]]:
    """('v1'|'v2', [(kind, record)]) from a DECP document."""
    if not isinstance(doc, dict) or "marches" not in doc:
        raise ImportFormatError(
            f"{filename} : ce n'est pas un fichier DECP (clé « marches » absente)."
        )
    marches = doc["marches"]
    if isinstance(marches, list):
        return "v1", [("marche", m) for m in marches]
    if isinstance(marches, dict):
        rows = [("marche", m) for m in marches.get("marche") or []]
        rows += [("concession", m) for m in marches.get("contrat-concession") or []]
        return "v2", rows
    raise ImportFormatError(f"{filename} : « marches » doit être une liste (v1) ou un objet (v2).")


def _winners_of(record: dict, version: str) -> list[dict]:
    raw = record.get("titulaires") or record.get("concessionnaires") or []
    out = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        inner = item.get("titulaire") or item.get("concessionnaire") or item
        out.append(inner if isinstance(inner, dict) else {})
    return out


NOT_NAMES = frozenset({"true", "false", "null", "none", "nan", "undefined", "-", "0"})


def _winner_name(value: Any) -> str:
    """The winner's name as written, or "" when it is no name (a JSON boolean or null imported
    as text: "true", "null"...); the supplier is then named from its other spellings or SIRENE."""
    if value is None or isinstance(value, bool | int | float):
        return ""
    name = strip_markup(str(value))
    return "" if name.lower() in NOT_NAMES else name


def _decp_row(index: int, kind: str, record: dict, version: str) -> Row:
    ident = (
        str(record.get("id") or record.get("uid") or "").strip() if isinstance(record, dict) else ""
    )
    position = f"marché n° {index}" + (f" (id {ident})" if ident else "")
    row = Row(position)
    if not isinstance(record, dict):
        row.error = "enregistrement qui n'est pas un objet JSON"
        return row
    buyer = record.get("acheteur") or record.get("autoriteConcedante") or {}
    buyer_id = clean_identifier(buyer.get("id") if isinstance(buyer, dict) else "")
    objet = strip_markup(str(record.get("objet") or ""))
    if not objet:
        row.error = "objet du marché absent"
        return row
    raw_cpv = record.get("codeCPV")
    cpv = normalise_cpv(raw_cpv) if raw_cpv not in (None, "") else None
    if raw_cpv not in (None, "") and cpv is None:
        row.error = f"code CPV inconnu du CPV 2008 : {raw_cpv!r}"
        return row
    if cpv and str(raw_cpv).split("-")[0].strip() != cpv[:8]:
        row.warnings.append(f"code CPV réparé : {raw_cpv!r} -> {cpv}")
    amount, err = parse_amount(record.get("montant", record.get("valeurGlobale")))
    if err:
        row.error = err
        return row
    notified, err = parse_date(record.get("dateNotification") or record.get("dateSignature"))
    if err:
        row.error = err
        return row
    place = record.get("lieuExecution") or {}
    place_code = str(place.get("code") or "") if isinstance(place, dict) else ""
    place_type = str(place.get("typeCode") or "") if isinstance(place, dict) else ""
    dep = (
        department_of(place_code)
        if "postal" in place_type.lower() or "département" in place_type.lower()
        else ""
    )
    offers = record.get("offresRecues")
    row.contract = {
        "contract_id": ident[:120],
        "buyer_siret": buyer_id[:14],
        "buyer_name": str((buyer.get("nom") if isinstance(buyer, dict) else "") or "")[:300],
        "object": objet,
        "cpv": cpv or "",
        "amount": amount,
        "notified_on": notified,
        "place_code": place_code[:20],
        "place_name": str(place.get("nom") or "")[:200] if isinstance(place, dict) else "",
        "department": dep,
        "procedure": str(record.get("procedure") or "")[:200],
        "nature": str(record.get("nature") or "")[:80],
        "offers_received": offers if isinstance(offers, int) and offers >= 0 else None,
    }
    problems = []
    for w in _winners_of(record, version):
        kind_id = str(w.get("typeIdentifiant") or "SIRET").upper()
        ident_w = clean_identifier(w.get("id"))
        name = _winner_name(w.get("denominationSociale"))
        if kind_id != "SIRET":
            problems.append(
                f"titulaire identifié par {kind_id} ({ident_w or 'sans identifiant'}) : non pris en charge"
            )
        elif not valid_siret(ident_w):
            problems.append(
                f"SIRET invalide : {ident_w or '(vide)'}" + (f" ({name})" if name else "")
            )
        elif ident_w[:9] not in {x.siren for x in row.winners}:
            row.winners.append(Winner(siren=ident_w[:9], siret=ident_w, name=name[:300]))
    if not row.winners:
        row.error = "; ".join(problems) or "aucun titulaire"
    elif problems:
        row.warnings.extend(problems)
    return row


def _read_csv(data: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise ImportFormatError(f"{filename}, ligne 1 : en-tête CSV illisible ({exc}).") from None
    if not fieldnames:
        raise ImportFormatError(f"{filename} : fichier CSV vide ou sans ligne d'en-tête.")
    header = [(h or "").strip() for h in fieldnames]
    reader.fieldnames = header
    records: list[dict[str, str]] = []
    while True:  # found by fuzzing: one over-long field (csv.Error) must not lose the other rows
        try:
            records.append(next(reader))
        except StopIteration:
            break
        except csv.Error as exc:
            records.append({CSV_ERROR: f"ligne CSV illisible ({exc})"})
    return header, records


def _sirene_row(line: int, rec: dict[str, str]) -> Row:
    row = Row(f"ligne {line}")
    siren = clean_identifier(rec.get("siren"))
    if not valid_siren(siren):
        row.error = f"SIREN invalide : {siren or '(vide)'}"
        return row
    name = (rec.get("denominationUniteLegale") or "").strip()
    if not name:
        person = " ".join(
            x
            for x in (
                (rec.get("prenom1UniteLegale") or "").strip(),
                (rec.get("nomUniteLegale") or "").strip(),
            )
            if x
        )
        name = person
    if not name:
        row.error = "dénomination absente (denominationUniteLegale)"
        return row
    siret = clean_identifier(rec.get("siret"))
    if siret and not valid_siret(siret):
        row.warnings.append(f"SIRET ignoré car invalide : {siret}")
        siret = ""
    naf_raw = (
        rec.get("activitePrincipaleUniteLegale") or rec.get("activitePrincipaleEtablissement") or ""
    )
    naf = normalise_naf(naf_raw)
    if naf_raw and not naf:
        row.warnings.append(f"code NAF inconnu ignoré : {naf_raw}")
    band = (rec.get("trancheEffectifsUniteLegale") or "").strip()
    postal = (rec.get("codePostalEtablissement") or "").strip()
    status = (rec.get("etatAdministratifUniteLegale") or "").strip().upper()[:1]
    if status not in ("", "A", "C"):
        row.warnings.append(f"état administratif inconnu ignoré : {status}")
        status = ""
    founded, err = _creation_date(rec.get("dateCreationUniteLegale") or "")
    if err:
        row.warnings.append(f"date de création ignorée : {err}")
    row.winners.append(Winner(siren=siren, siret=siret, name=name[:300]))
    row.profile = {
        "sirene_name": name[:300],
        "naf_code": naf,
        "headcount_band": band[:4],
        "size": size_from(rec.get("categorieEntreprise") or "", band),
        "legal_form": (rec.get("categorieJuridiqueUniteLegale") or "").strip()[:40],
        "postal_code": postal[:10],
        "department": department_of(postal),
        "city": (rec.get("libelleCommuneEtablissement") or "").strip()[:120],
    }
    if status:
        row.profile["activity_status"] = status
    if founded:
        row.profile["founded_on"] = founded
    return row


def _creation_date(value: str) -> tuple[date | None, str]:
    """SIRENE's dateCreationUniteLegale (ISO, from 1800): companies can be older than contracts."""
    value = value.strip()
    if not value:
        return None, ""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return None, f"{value[:20]!r} n'est pas une date AAAA-MM-JJ"
    if not 1800 <= day.year <= date.today().year:
        return None, f"{value[:20]!r} hors des années 1800 à aujourd'hui"
    return day, ""


def _split_list(value: str) -> list[str]:
    parts = [p.strip() for chunk in (value or "").split("|") for p in chunk.split(";")]
    return [p for p in parts if p]


def _buyer_row(line: int, rec: dict[str, str]) -> Row:
    row = Row(f"ligne {line}")
    lower = {k.lower().strip(): (v or "").strip() for k, v in rec.items() if k}
    name = " ".join(lower.get("nom", "").split())
    if not name:
        row.error = "colonne « nom » vide"
        return row
    ident = clean_identifier(lower.get("siret"))
    siren = siret = ""
    if ident:
        if len(ident) == 14 and valid_siret(ident):
            siren, siret = ident[:9], ident
        elif len(ident) == 9 and valid_siren(ident):
            siren = ident
        else:
            row.error = f"SIRET/SIREN invalide : {ident}"
            return row
    cpvs = []
    for code in _split_list(lower.get("cpv", "")):
        full = normalise_cpv(code)
        if not full:
            row.error = f"code CPV inconnu : {code}"
            return row
        cpvs.append(full)
    size = lower.get("taille", "").upper()
    if size and size not in ("PME", "ETI", "GE"):
        row.error = f"taille inconnue : {size} (PME, ETI ou GE)"
        return row
    dep = lower.get("departement", "")
    postal = lower.get("code_postal", "")
    department = department_of(dep) if dep else department_of(postal)
    if dep and not department:
        row.error = f"département inconnu : {dep}"
        return row
    naf_raw = lower.get("naf", "")
    naf = normalise_naf(naf_raw)
    if naf_raw and not naf:
        row.error = f"code NAF inconnu : {naf_raw}"
        return row
    row.winners.append(Winner(siren=siren, siret=siret, name=name[:300]))
    row.profile = {
        "description": lower.get("description", ""),
        "website": lower.get("site_web", "")[:300],
        "certifications": _split_list(lower.get("certifications", "")),
        "department": department,
        "postal_code": postal[:10],
        "city": lower.get("ville", "")[:120],
        "naf_code": naf,
        "size": size,
        "cpv_codes": cpvs,
    }
    return row


def read_rows(data: bytes, fmt: str, filename: str = "fichier") -> tuple[str, list[Row]]:
    """Parse a whole file: (detected format label, rows). Raises ImportFormatError if unreadable."""
    if fmt not in FORMATS:
        raise ImportFormatError(f"Format inconnu : {fmt} (formats : {', '.join(FORMATS)}).")
    if fmt == "decp":
        version, records = _decp_records(_load_json(data, filename), filename)
        return f"decp-{version}", [
            _decp_row(i, kind, rec, version) for i, (kind, rec) in enumerate(records, 1)
        ]
    header, records = _read_csv(data, filename)
    if fmt == "sirene":
        if "siren" not in header:
            raise ImportFormatError(
                f"{filename} : colonne « siren » absente (en-tête SIRENE attendu)."
            )
        return "sirene", [_csv_row(_sirene_row, i, rec) for i, rec in enumerate(records, 2)]
    if "nom" not in [h.lower() for h in header]:
        raise ImportFormatError(
            f"{filename} : colonne « nom » absente ; colonnes reconnues : {', '.join(BUYER_COLUMNS)}."
        )
    return "csv", [_csv_row(_buyer_row, i, rec) for i, rec in enumerate(records, 2)]


def _csv_row(read: Any, line: int, rec: dict[str, str]) -> Row:
    if CSV_ERROR in rec:
        return Row(f"ligne {line}", error=rec[CSV_ERROR])
    return read(line, rec)


# ---------------------------------------------------------------- applying


@dataclass
class ImportReport:
    source: str
    filename: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    supplier_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "filename": self.filename,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "rejected_rows": self.rejected,
            "warnings": self.warnings[:200],
            "suppliers_touched": len(self.supplier_ids),
        }


def _contract_key(source: str, c: dict) -> str:
    base = f"{c['buyer_siret']}|{c['contract_id']}|{c['object'][:60]}|{c['notified_on']}"
    return f"{source}:{hashlib.sha1(base.encode()).hexdigest()}"


class _State:
    """Existing rows loaded in bulk, so an import costs a few queries, not a few per row."""

    def __init__(self, session: Session, sirens: set[str], names: set[str]):
        self.session = session
        self.by_siren: dict[str, Supplier] = {}
        sirens_list = sorted(sirens)
        for i in range(0, len(sirens_list), 500):
            chunk = sirens_list[i : i + 500]
            for s in session.exec(select(Supplier).where(Supplier.siren.in_(chunk))).all():
                self.by_siren[s.siren] = s
        self.by_name: dict[str, Supplier] = {}
        names_list = sorted(names)
        for i in range(0, len(names_list), 500):
            chunk = names_list[i : i + 500]
            for s in session.exec(
                select(Supplier).where(
                    Supplier.siren.is_(None), Supplier.normalized_name.in_(chunk)
                )
            ).all():
                self.by_name.setdefault(s.normalized_name, s)
        ids = [s.id for s in [*self.by_siren.values(), *self.by_name.values()]]
        self.spellings: dict[int, dict[str, SupplierName]] = {}
        self.contracts: dict[int, set[str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for n in session.exec(
                select(SupplierName).where(SupplierName.supplier_id.in_(chunk))
            ).all():
                self.spellings.setdefault(n.supplier_id, {})[n.name] = n
            for key, sid in session.exec(
                select(PastContract.contract_key, PastContract.supplier_id).where(
                    PastContract.supplier_id.in_(chunk)
                )
            ).all():
                self.contracts.setdefault(sid, set()).add(key)
        self.seen_spellings: set[tuple[int, str]] = set()  # (supplier, name) counted in this file


def _set(obj: Any, attr: str, value: Any) -> bool:
    if value in (None, "", []) or getattr(obj, attr) == value:
        return False
    setattr(obj, attr, value)
    return True


def apply_rows(
    session: Session,
    rows: list[Row],
    *,
    source: str,
    filename: str,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportReport:
    """Write valid rows (no commit); idempotent: the same file twice changes nothing."""
    report = ImportReport(source=source, filename=filename, read=len(rows))
    valid = [r for r in rows if r.ok]
    for r in rows:
        if not r.ok:
            report.rejected.append({"position": r.position, "reason": r.error})
        for w in r.warnings:
            report.warnings.append({"position": r.position, "warning": w})
    sirens = {w.siren for r in valid for w in r.winners if w.siren}
    names = {normalise_name(w.name) for r in valid for w in r.winners if not w.siren}
    state = _State(session, sirens, names)
    kind = source.split("-")[0]
    total = len(rows)
    # new suppliers are created first and written in one flush (batched inserts) rather than one
    # flush per supplier; the rows are then applied in file order, as before
    fresh = _create_new_suppliers(state, valid, kind, filename)
    for n, row in enumerate(valid, 1):
        created = updated = False
        for winner in row.winners:
            supplier, _ = _supplier_for(state, winner, kind, filename)
            is_new = supplier.id in fresh
            fresh.discard(supplier.id)  # later rows of the same supplier update it
            created |= is_new
            changed = _apply_profile(supplier, row.profile, kind, filename, is_new)
            changed |= _add_spelling(state, supplier, winner.name, kind)
            if row.contract is not None:
                changed |= _add_contract(
                    state, supplier, {**row.contract, "winner_name": winner.name}, kind
                )
            if changed and not is_new:
                updated = True
                supplier.updated_at = utcnow()
            report.supplier_ids.add(supplier.id)
        if created:
            report.created += 1
        elif updated:
            report.updated += 1
        else:
            report.unchanged += 1
        if progress and (n % 200 == 0 or n == len(valid)):
            progress(n + total - len(valid), total, f"{n} lignes valides enregistrées")
    _refresh_names(session, state, report.supplier_ids)
    session.flush()
    return report


def _create_new_suppliers(state: _State, valid: list[Row], kind: str, filename: str) -> set[int]:
    """Create every supplier the file introduces, in one flush; their ids."""
    new: list[Supplier] = []
    for row in valid:
        for w in row.winners:
            key = w.siren or normalise_name(w.name)
            known = state.by_siren if w.siren else state.by_name
            if key in known:
                continue
            supplier = _new_supplier(w, kind, filename)
            known[key] = supplier
            new.append(supplier)
    if not new:
        return set()
    state.session.add_all(new)
    state.session.flush()
    for supplier in new:
        state.spellings[supplier.id] = {}
        state.contracts[supplier.id] = set()
    return {s.id for s in new if s.id is not None}


def _new_supplier(w: Winner, kind: str, filename: str) -> Supplier:
    return Supplier(
        siren=w.siren or None,
        siret=w.siret,
        name=w.name,
        normalized_name=normalise_name(w.name),
        sources=[kind],
        source_ref=filename[:300],
    )


def _supplier_for(state: _State, w: Winner, kind: str, filename: str) -> tuple[Supplier, bool]:
    supplier = state.by_siren.get(w.siren) if w.siren else state.by_name.get(normalise_name(w.name))
    if supplier is not None:
        if supplier.merged_into_id:  # a merged supplier lives on in its target
            target = state.session.get(Supplier, supplier.merged_into_id)
            if target is not None:
                supplier = target
        return supplier, False
    supplier = _new_supplier(w, kind, filename)
    state.session.add(supplier)
    state.session.flush()
    if w.siren:
        state.by_siren[w.siren] = supplier
    else:
        state.by_name[supplier.normalized_name] = supplier
    state.spellings[supplier.id] = {}
    state.contracts[supplier.id] = set()
    return supplier, True


def _apply_profile(s: Supplier, profile: dict, kind: str, filename: str, is_new: bool) -> bool:
    changed = False
    if kind not in (s.sources or []):
        s.sources = [*(s.sources or []), kind]
        changed = True
    for attr in (
        "sirene_name",
        "naf_code",
        "headcount_band",
        "size",
        "legal_form",
        "activity_status",
        "founded_on",
        "postal_code",
        "department",
        "city",
        "description",
        "website",
    ):
        if attr in profile:
            changed |= _set(s, attr, profile[attr])
    certs = profile.get("certifications") or []
    if certs and sorted(set(s.certifications or []) | set(certs)) != sorted(s.certifications or []):
        s.certifications = sorted(set(s.certifications or []) | set(certs))
        changed = True
    cpvs = profile.get("cpv_codes") or []
    if cpvs and not set(cpvs) <= set(s.cpv_codes or []):
        s.cpv_codes = sorted(set(s.cpv_codes or []) | set(cpvs))
        changed = True
    return changed


def _add_spelling(state: _State, s: Supplier, name: str, kind: str) -> bool:
    if not name:
        return False
    known = state.spellings.setdefault(s.id, {})
    key = (s.id, name)
    if name in known:
        state.seen_spellings.add(key)
        return False
    spelling = SupplierName(
        supplier_id=s.id, name=name, normalized=normalise_name(name), occurrences=1
    )
    state.session.add(spelling)
    known[name] = spelling
    state.seen_spellings.add(key)
    return True


def _add_contract(state: _State, s: Supplier, c: dict, kind: str) -> bool:
    key = _contract_key(kind, c)
    keys = state.contracts.setdefault(s.id, set())
    if key in keys:
        return False
    keys.add(key)
    state.session.add(PastContract(supplier_id=s.id, contract_key=key, source=kind, **c))
    return True


def _refresh_names(session: Session, state: _State, supplier_ids: set[int]) -> None:
    """Spelling counts (contracts won under each spelling) and the displayed name rule."""
    from sqlalchemy import func

    ids = sorted(supplier_ids)
    counts: dict[int, Counter] = {}
    session.flush()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for sid, name, n in session.exec(
            select(PastContract.supplier_id, PastContract.winner_name, func.count())
            .where(PastContract.supplier_id.in_(chunk), PastContract.winner_name != "")
            .group_by(PastContract.supplier_id, PastContract.winner_name)
        ).all():
            counts.setdefault(sid, Counter())[name] = n
    for sid in ids:
        s = session.get(Supplier, sid)
        spellings = state.spellings.get(sid, {})
        seen = counts.get(sid, Counter())
        for name, sp in spellings.items():
            n = max(seen.get(name, 0), 1)
            if sp.occurrences != n:
                sp.occurrences = n
        name = (
            display_name(s.sirene_name, Counter({k: v.occurrences for k, v in spellings.items()}))
            or s.name
        )
        if name and name != s.name:
            s.name = name
            s.normalized_name = normalise_name(name)


def iso(d: date | None) -> str:
    return d.isoformat() if d else ""
