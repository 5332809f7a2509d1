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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, JSON, any_, bindparam, insert, text, update
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


def open_rows(data: bytes, fmt: str, filename: str = "fichier") -> tuple[str, int, Iterator[Row]]:
    """(detected format label, number of records, rows read one by one). The whole file is
    parsed first, so a file that cannot be read raises ImportFormatError before any write; the
    rows are then validated as they are consumed (an import of a million contracts never holds a
    million rows at once)."""
    if fmt not in FORMATS:
        raise ImportFormatError(f"Format inconnu : {fmt} (formats : {', '.join(FORMATS)}).")
    if fmt == "decp":
        version, records = _decp_records(_load_json(data, filename), filename)
        return (
            f"decp-{version}",
            len(records),
            (_decp_row(i, kind, rec, version) for i, (kind, rec) in enumerate(records, 1)),
        )
    header, lines = _read_csv(data, filename)
    if fmt == "sirene":
        if "siren" not in header:
            raise ImportFormatError(
                f"{filename} : colonne « siren » absente (en-tête SIRENE attendu)."
            )
        return (
            "sirene",
            len(lines),
            (_csv_row(_sirene_row, i, rec) for i, rec in enumerate(lines, 2)),
        )
    if "nom" not in [h.lower() for h in header]:
        raise ImportFormatError(
            f"{filename} : colonne « nom » absente ; colonnes reconnues : {', '.join(BUYER_COLUMNS)}."
        )
    return "csv", len(lines), (_csv_row(_buyer_row, i, rec) for i, rec in enumerate(lines, 2))


def read_rows(data: bytes, fmt: str, filename: str = "fichier") -> tuple[str, list[Row]]:
    """Parse a whole file: (detected format label, rows). Raises ImportFormatError if unreadable."""
    source, _total, rows = open_rows(data, fmt, filename)
    return source, list(rows)


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


BATCH = 20_000  # valid rows applied per batch: bounded memory, a few statements per batch
KEY_CHUNK = 500  # keys per IN (...) query (within every database's parameter limit)
PROFILE_ATTRS = (
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
)
# the columns an import may change on a known supplier (one executemany UPDATE per batch)
UPDATED_COLUMNS = (
    "name",
    "normalized_name",
    *PROFILE_ATTRS,
    "certifications",
    "cpv_codes",
    "sources",
    "updated_at",
)
_SUPPLIER = Supplier.__table__  # type: ignore[attr-defined]
_SPELLING = SupplierName.__table__  # type: ignore[attr-defined]
_CONTRACT = PastContract.__table__  # type: ignore[attr-defined]


class _Sup:
    """A supplier as the import sees it: its columns, spellings, contract keys and how many of
    its contracts each spelling won. Plain Python (no ORM object: building one per row was most of
    the import's time)."""

    __slots__ = ("row", "spellings", "new_spellings", "keys", "counts", "fresh", "dirty")

    def __init__(self, row: dict[str, Any], fresh: bool = False):
        self.row = row
        self.spellings: dict[str, int] = {}  # name -> occurrences stored
        self.new_spellings: set[str] = set()  # added by this import (inserted at the end)
        self.keys: set[str] = set()
        self.counts: Counter = Counter()  # winner_name -> contracts, over all its contracts
        self.fresh = fresh  # created by this import and not yet claimed by a row
        self.dirty = False  # a known supplier changed (updated at the end of the batch)

    @property
    def id(self) -> int | None:
        return self.row["id"]


class _Writer:
    """Applies rows batch by batch with SQLAlchemy Core: the known suppliers of a batch are loaded
    in a few IN (...) queries, then new suppliers, updates and contracts are written as
    executemany statements. Spellings and displayed names are settled once, at the end."""

    def __init__(self, session: Session, kind: str, filename: str):
        self.session = session
        self.kind = kind
        self.filename = filename
        self.by_siren: dict[str, _Sup] = {}
        self.by_name: dict[str, _Sup] = {}  # suppliers without SIREN, by normalised name
        self.by_id: dict[int, _Sup] = {}
        self.loaded: set[int] = set()  # suppliers whose spellings and contracts are loaded
        self.touched: dict[int, _Sup] = {}
        self.template = self._template()
        # PostgreSQL writes with COPY and looks keys up with ANY (see _copy and _in)
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def _template(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column in _SUPPLIER.columns:
            info = Supplier.model_fields.get(column.name)
            default = info.get_default(call_default_factory=True) if info is not None else None
            out[column.name] = default
        out["id"] = None
        return out

    # ------------------------------------------------------------ loading known rows

    def _in(self, column, keys: list):
        """`column IN (keys)`; on PostgreSQL `column = ANY(array)`, one parameter. psycopg
        prepares a statement run five times, and the generic plan of an IN list of 500
        parameters, made while the table's statistics still say it is small (a table filled by
        this very import, or autovacuum off), scans the whole table for every batch: measured
        1.5 s a query at 174,000 suppliers, against milliseconds with ANY (an index scan)."""
        if not self.postgres:
            return column.in_(keys)
        return column == any_(bindparam(None, list(keys), type_=ARRAY(column.type)))

    def _select(self, column, keys: list, extra=None):
        for i in range(0, len(keys), KEY_CHUNK):
            query = select(_SUPPLIER).where(self._in(column, keys[i : i + KEY_CHUNK]))
            if extra is not None:
                query = query.where(extra)
            yield from self.session.execute(query).mappings()

    def _known(self, mapping) -> _Sup:
        sup = self.by_id.get(mapping["id"])
        if sup is None:
            sup = _Sup(dict(mapping))
            self.by_id[sup.row["id"]] = sup
        return sup

    def load(self, rows: list[Row]) -> None:
        """Load the suppliers this batch names that are not in memory yet, their merge targets,
        and the spellings and contract keys of the suppliers rows will be written to."""
        sirens = sorted({w.siren for r in rows for w in r.winners if w.siren} - set(self.by_siren))
        names = sorted(
            {normalise_name(w.name) for r in rows for w in r.winners if not w.siren}
            - set(self.by_name)
        )
        found = [self._known(m) for m in self._select(_SUPPLIER.c.siren, sirens)]
        for sup in found:
            self.by_siren[sup.row["siren"]] = sup
        for m in self._select(_SUPPLIER.c.normalized_name, names, _SUPPLIER.c.siren.is_(None)):
            sup = self._known(m)
            self.by_name.setdefault(sup.row["normalized_name"], sup)
            found.append(sup)
        targets = sorted(
            {s.row["merged_into_id"] for s in found if s.row["merged_into_id"]} - set(self.by_id)
        )
        for m in self._select(_SUPPLIER.c.id, targets):
            self._known(m)
        todo = sorted({self._resolve(s).id for s in found} - self.loaded)  # type: ignore[type-var]
        self.loaded.update(todo)
        for i in range(0, len(todo), KEY_CHUNK):
            chunk = todo[i : i + KEY_CHUNK]
            for sid, name, occurrences in self.session.execute(
                select(_SPELLING.c.supplier_id, _SPELLING.c.name, _SPELLING.c.occurrences).where(
                    self._in(_SPELLING.c.supplier_id, chunk)
                )
            ):
                self.by_id[sid].spellings[name] = occurrences
            for sid, key, winner in self.session.execute(
                select(
                    _CONTRACT.c.supplier_id, _CONTRACT.c.contract_key, _CONTRACT.c.winner_name
                ).where(self._in(_CONTRACT.c.supplier_id, chunk))
            ):
                sup = self.by_id[sid]
                sup.keys.add(key)
                if winner:
                    sup.counts[winner] += 1

    def _resolve(self, sup: _Sup) -> _Sup:
        """A merged supplier lives on in its target."""
        target = sup.row["merged_into_id"]
        return self.by_id.get(target, sup) if target else sup

    def supplier_for(self, w: Winner) -> _Sup:
        key = w.siren or normalise_name(w.name)
        known = self.by_siren if w.siren else self.by_name
        sup = known.get(key)
        if sup is None:
            row = dict(self.template)
            now = utcnow()
            row.update(
                siren=w.siren or None,
                siret=w.siret,
                name=w.name,
                normalized_name=normalise_name(w.name),
                certifications=[],
                cpv_codes=[],
                sources=[self.kind],
                source_ref=self.filename[:300],
                created_at=now,
                updated_at=now,
            )
            sup = known[key] = _Sup(row, fresh=True)
            return sup
        return self._resolve(sup)

    # ------------------------------------------------------------ writing

    def write_batch(self, new: list[_Sup], contracts: list[tuple[_Sup, dict]]) -> None:
        if new and not self._copy_new(new):
            # RETURNING in any order (ordered RETURNING runs row by row on SQLite); a new
            # supplier is told apart by its SIREN, or by its normalised name when it has none
            # (one new supplier per name in an import)
            result = self.session.execute(
                insert(_SUPPLIER).returning(
                    _SUPPLIER.c.id, _SUPPLIER.c.siren, _SUPPLIER.c.normalized_name
                ),
                [{k: v for k, v in s.row.items() if k != "id"} for s in new],
            )
            ids = {siren or f"\x00{name}": sid for sid, siren, name in result.all()}
            for sup in new:
                sid = ids[sup.row["siren"] or f"\x00{sup.row['normalized_name']}"]
                sup.row["id"] = sid
                self.by_id[sid] = sup
                self.loaded.add(sid)
        dirty = [s for s in self.by_id.values() if s.dirty]
        if dirty:
            self.session.execute(
                update(_SUPPLIER).where(_SUPPLIER.c.id == bindparam("b_id")),
                [{"b_id": s.id, **{c: s.row[c] for c in UPDATED_COLUMNS}} for s in dirty],
            )
            for s in dirty:
                s.dirty = False
        if contracts:
            rows = [{"supplier_id": s.id, **c} for s, c in contracts]
            if not self._copy(_CONTRACT, rows):
                self.session.execute(insert(_CONTRACT), rows)
        for s in new:
            self.touched[s.id] = s  # type: ignore[index]

    def _copy_new(self, new: list[_Sup]) -> bool:
        """PostgreSQL: new suppliers take their ids from the table's sequence (one query), then
        are written with COPY. False elsewhere (the caller INSERTs ... RETURNING)."""
        if not self.postgres:
            return False
        seq = self.session.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": _SUPPLIER.name}
        ).scalar()
        if not seq:
            return False
        ids = self.session.execute(
            text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": seq, "n": len(new)}
        ).scalars()
        for sup, sid in zip(new, ids, strict=True):
            sup.row["id"] = sid
            self.by_id[sid] = sup
            self.loaded.add(sid)
        if not self._copy(_SUPPLIER, [sup.row for sup in new]):
            raise RuntimeError("supplier rows without a common set of columns")  # pragma: no cover
        return True

    def _copy(self, table, rows: list[dict[str, Any]]) -> bool:
        """PostgreSQL: write the rows with COPY, in the session's transaction (an INSERT of many
        VALUES spends most of its time in the driver turning thousands of named parameters into
        positional ones). False when not on PostgreSQL or the rows do not share one set of
        columns (the caller then INSERTs, with the columns' defaults)."""
        if not self.postgres or not rows:
            return False
        columns = list(rows[0])
        if any(len(r) != len(columns) or r.keys() != rows[0].keys() for r in rows):
            return False
        from psycopg.types.json import Json

        as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
        raw = self.session.connection().connection.driver_connection
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row([Json(r[c]) if c in as_json else r[c] for c in columns])
        return True

    def finish(self) -> None:
        """Spellings (how many contracts each won) and the displayed name rule, once."""
        added, counted, renamed = [], [], []
        for sup in self.touched.values():
            occurrences = {}
            for name in [*sup.spellings, *sup.new_spellings]:
                occurrences[name] = max(sup.counts.get(name, 0), 1)
            for name, n in occurrences.items():
                if name in sup.new_spellings:
                    added.append(
                        {
                            "supplier_id": sup.id,
                            "name": name,
                            "normalized": normalise_name(name),
                            "occurrences": n,
                        }
                    )
                elif sup.spellings[name] != n:
                    counted.append({"b_sid": sup.id, "b_name": name, "occurrences": n})
                sup.spellings[name] = n
            sup.new_spellings.clear()
            name = display_name(sup.row["sirene_name"], Counter(occurrences)) or sup.row["name"]
            if name and name != sup.row["name"]:
                sup.row["name"] = name
                sup.row["normalized_name"] = normalise_name(name)
                renamed.append(
                    {"b_id": sup.id, "name": name, "normalized_name": sup.row["normalized_name"]}
                )
        if added:
            self.session.execute(insert(_SPELLING), added)
        if counted:
            self.session.execute(
                update(_SPELLING).where(
                    _SPELLING.c.supplier_id == bindparam("b_sid"),
                    _SPELLING.c.name == bindparam("b_name"),
                ),
                counted,
            )
        if renamed:
            self.session.execute(
                update(_SUPPLIER).where(_SUPPLIER.c.id == bindparam("b_id")), renamed
            )


def _apply_profile(row: dict[str, Any], profile: dict, kind: str) -> bool:
    changed = False
    if kind not in (row["sources"] or []):
        row["sources"] = [*(row["sources"] or []), kind]
        changed = True
    for attr in PROFILE_ATTRS:
        value = profile.get(attr)
        if value not in (None, "", []) and row[attr] != value:
            row[attr] = value
            changed = True
    certs = profile.get("certifications") or []
    have = row["certifications"] or []
    if certs and sorted(set(have) | set(certs)) != sorted(have):
        row["certifications"] = sorted(set(have) | set(certs))
        changed = True
    cpvs = profile.get("cpv_codes") or []
    if cpvs and not set(cpvs) <= set(row["cpv_codes"] or []):
        row["cpv_codes"] = sorted(set(row["cpv_codes"] or []) | set(cpvs))
        changed = True
    return changed


def apply_rows(
    session: Session,
    rows: Iterable[Row],
    *,
    source: str,
    filename: str,
    total: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Write valid rows (no commit); idempotent: the same file twice changes nothing.

    Rows are applied in file order, `batch` at a time, with SQLAlchemy Core bulk statements
    (no ORM object, no flush per supplier): a first row naming a new supplier counts as created,
    a later row adding to it as updated, as a row-by-row import would count them."""
    report = ImportReport(source=source, filename=filename)
    kind = source.split("-")[0]
    session.flush()  # ORM changes pending in the caller's session go first
    writer = _Writer(session, kind, filename)
    pending: list[Row] = []
    if total is None and isinstance(rows, list):
        total = len(rows)

    def flush_batch() -> None:
        _apply_batch(writer, pending, report)
        pending.clear()
        if progress:
            done = report.read
            progress(done, max(total or 0, done), f"{done} lignes lues et enregistrées")

    for r in rows:
        report.read += 1
        if not r.ok:
            report.rejected.append({"position": r.position, "reason": r.error})
        for w in r.warnings:
            report.warnings.append({"position": r.position, "warning": w})
        if r.ok:
            pending.append(r)
            if len(pending) >= batch:
                flush_batch()
    if pending or not report.read:
        flush_batch()
    writer.finish()
    report.supplier_ids = set(writer.touched)
    session.expire_all()  # ORM objects the caller holds reread what Core wrote
    return report


def _apply_batch(writer: _Writer, rows: list[Row], report: ImportReport) -> None:
    writer.load(rows)
    kind = writer.kind
    new: list[_Sup] = []
    contracts: list[tuple[_Sup, dict]] = []
    for row in rows:
        created = updated = False
        for winner in row.winners:
            sup = writer.supplier_for(winner)
            is_new = sup.fresh
            if is_new:
                sup.fresh = False  # later rows of the same supplier update it
                new.append(sup)
            created |= is_new
            changed = _apply_profile(sup.row, row.profile, kind)
            name = winner.name
            if name and name not in sup.spellings and name not in sup.new_spellings:
                sup.new_spellings.add(name)
                changed = True
            if row.contract is not None:
                c = {**row.contract, "winner_name": name}
                key = _contract_key(kind, c)
                if key not in sup.keys:
                    sup.keys.add(key)
                    if name:
                        sup.counts[name] += 1
                    contracts.append((sup, {**c, "contract_key": key, "source": kind}))
                    changed = True
            if changed and not is_new:
                updated = True
                sup.row["updated_at"] = utcnow()
                if sup.id is not None:
                    sup.dirty = True
            if sup.id is not None:
                writer.touched[sup.id] = sup
        if created:
            report.created += 1
        elif updated:
            report.updated += 1
        else:
            report.unchanged += 1
    writer.write_batch(new, contracts)


def iso(d: date | None) -> str:
    return d.isoformat() if d else ""
