"""The clause library: sync from files, drafts, four-eyes review, search, compare, export."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml
from rapidfuzz import fuzz, process
from sqlmodel import Session, select

from procure.clause_library.clausefile import (
    CONDITIONS,
    COVERS,
    FAMILIES,
    FAMILY_LABELS,
    PIECES,
    PLACEHOLDER_RE,
    ClauseFormatError,
    ClauseSpec,
    parse_clause_text,
    render_blocks,
    validate_values,
    word_diff,
)
from procure.clause_library.models import CLAUSE_STATUSES, Clause, ClauseVersion
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from procure.core.labels import STATUS_LABELS
from procure.core.models import AuditEvent, User, utcnow

ACTION_LABELS = {
    "clause.create": "a créé le brouillon",
    "clause.sync": "a importé le brouillon depuis les fichiers",
    "clause.update": "a modifié le brouillon",
    "clause.submit": "a soumis à relecture",
    "clause.approve": "a approuvé",
    "clause.reject": "a rejeté",
    "clause.deprecate": "a retiré",
}
CONTENT_FIELDS = (
    "title",
    "piece",
    "summary",
    "covers",
    "conditions",
    "variables",
    "variants",
    "references",
    "departures",
    "body",
)


# --- reading ---------------------------------------------------------------------------------


def spec_of(clause: Clause, version: ClauseVersion) -> ClauseSpec:
    """The version's content as a ClauseSpec (what the file would hold)."""
    return ClauseSpec(
        key=clause.key,
        family=clause.family,
        **{name: getattr(version, name) for name in CONTENT_FIELDS},
    )


def get_clause(*, session: Session, key: str) -> Clause:
    clause = session.exec(select(Clause).where(Clause.key == key)).first()
    if clause is None:
        raise NotFound(f"Clause introuvable : {key}.")
    return clause


def get_version(*, session: Session, version_id: int) -> ClauseVersion:
    version = session.get(ClauseVersion, version_id)
    if version is None:
        raise NotFound(f"Version de clause introuvable : {version_id}.")
    return version


def versions_of(*, session: Session, clause_id: int) -> list[ClauseVersion]:
    return list(
        session.exec(
            select(ClauseVersion)
            .where(ClauseVersion.clause_id == clause_id)
            .order_by(ClauseVersion.number)
        ).all()
    )


def get_version_by_number(
    *, session: Session, key: str, number: int | None = None
) -> tuple[Clause, ClauseVersion]:
    """A clause's version N, or (no N) its latest approved version, else its latest version."""
    clause = get_clause(session=session, key=key)
    versions = versions_of(session=session, clause_id=clause.id)
    if number is not None:
        for version in versions:
            if version.number == number:
                return clause, version
        raise NotFound(f"La clause {key} n'a pas de version {number}.")
    approved = [v for v in versions if v.status == "approved"]
    if not versions:
        raise NotFound(f"La clause {key} n'a aucune version.")
    return clause, (approved or versions)[-1]


def latest_approved(*, session: Session, key: str) -> ClauseVersion | None:
    """The approved version with the highest number, or None."""
    return session.exec(
        select(ClauseVersion)
        .join(Clause)
        .where(Clause.key == key, ClauseVersion.status == "approved")
        .order_by(ClauseVersion.number.desc())
    ).first()


def approved_library(*, session: Session) -> list[tuple[Clause, ClauseVersion]]:
    """The latest approved version of each clause, by family then key."""
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion)
        .where(ClauseVersion.status == "approved")
        .order_by(Clause.key, ClauseVersion.number)
    ).all()
    latest: dict[int, tuple[Clause, ClauseVersion]] = {}
    for clause, version in rows:
        latest[clause.id] = (clause, version)
    order = {family: i for i, family in enumerate(FAMILIES)}
    return sorted(latest.values(), key=lambda cv: (order.get(cv[0].family, 99), cv[0].key))


def render_version(
    version: ClauseVersion, variant: str | None = None, values: dict | None = None
) -> list[tuple[str, str]]:
    """The version's text with `values` (defaults for the rest): [("p" | "li", text)]."""
    clean, _errors = validate_values(version.variables, values or {})
    return render_blocks(version.body, version.variables, variant, clean, variants=version.variants)


def version_summary(clause: Clause, version: ClauseVersion) -> dict:
    """What `procure clauses list/show --json` print for scripts."""
    return {
        "key": clause.key,
        "family": clause.family,
        "title": version.title,
        "piece": version.piece,
        "status": version.status,
        "version": version.number,
        "version_id": version.id,
        "variables": version.variables,
        "variants": version.variants,
        "conditions": version.conditions,
        "covers": version.covers,
        "references": version.references,
        "departures": version.departures,
        "content_hash": version.content_hash,
    }


# --- search ----------------------------------------------------------------------------------

_STEMMER = snowballstemmer.stemmer("french")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = (
    "a au aux avec ce ces dans de des du elle en et il ils la le les leur leurs lui ne ni nos notre "
    "ou où par pas pour qu que qui sa se ses son sont sur ta te tes ton un une vos votre est l d s n "
    "c j m qu y à"
)
STOP_WORDS = frozenset(_STOP.split())


def _unaccent(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def terms(text: str) -> list[str]:
    """French stems without accents, stop words dropped: the search vocabulary."""
    words = [w for w in _WORD_RE.findall(text.lower()) if w not in STOP_WORDS]
    return [_unaccent(stem) for stem in _STEMMER.stemWords(words)]


def search_text(spec: ClauseSpec) -> str:
    refs = " ".join(f"{r['source']} {r['article']} {r['note']}" for r in spec.references)
    deps = " ".join(f"{d['article']} {d['text']}" for d in spec.departures)
    body = PLACEHOLDER_RE.sub(" ", spec.body)
    return " ".join(
        terms(" ".join([spec.key.replace("-", " "), spec.title, spec.summary, body, refs, deps]))
    )


@dataclass
class LibraryRow:
    clause: Clause
    version: ClauseVersion  # the latest version
    approved: ClauseVersion | None  # the latest approved version
    score: float = 0.0
    matched: list[str] = field(default_factory=list)

    @property
    def shown(self) -> ClauseVersion:
        return self.approved or self.version


def _match_query(
    query_terms: list[str],
    doc_terms: Counter,
    vocabulary: list[str],
    fuzzy_cache: dict[str, set[str]],
    last_is_prefix: bool,
) -> float | None:
    """Score of a document for all query terms (AND), or None when one term does not match.

    An exact stem counts 1, a prefix of the word being typed 0.9, a near spelling 0.7, each
    plus a little for how often the matched stems occur."""
    score = 0.0
    for index, term in enumerate(query_terms):
        if term in doc_terms:
            matched, weight = [term], 1.0
        elif (
            last_is_prefix
            and index == len(query_terms) - 1
            and len(term) >= 3
            and (prefixed := [t for t in doc_terms if t.startswith(term)])
        ):
            matched, weight = prefixed, 0.9
        else:
            if term not in fuzzy_cache:
                cutoff = 80 if len(term) >= 5 else 88
                fuzzy_cache[term] = (
                    {
                        m
                        for m, _s, _i in process.extract(
                            term, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8
                        )
                    }
                    if len(term) >= 4
                    else set()
                )
            matched, weight = [t for t in fuzzy_cache[term] if t in doc_terms], 0.7
            if not matched:
                return None
        score += weight + 0.1 * math.log1p(sum(doc_terms[t] for t in matched))
    return score


def list_library(
    *,
    session: Session,
    q: str = "",
    family: str = "",
    status: str = "",
    piece: str = "",
    condition: str = "",
) -> list[LibraryRow]:
    """Every clause with its latest version, filtered and, with `q`, ranked by French full-text
    relevance (stems, accents ignored, typos tolerated, last word as a prefix while typing)."""
    rows = session.exec(
        select(Clause, ClauseVersion).join(ClauseVersion).order_by(Clause.key, ClauseVersion.number)
    ).all()
    by_clause: dict[int, LibraryRow] = {}
    for clause, version in rows:
        row = by_clause.get(clause.id)
        if row is None:
            row = by_clause[clause.id] = LibraryRow(clause, version, None)
        row.version = version
        if version.status == "approved":
            row.approved = version
    result = []
    for row in by_clause.values():
        shown = row.shown
        if family and row.clause.family != family:
            continue
        if status and row.version.status != status and not (status == "approved" and row.approved):
            continue
        if piece and shown.piece != piece:
            continue
        if condition == "none" and shown.conditions:
            continue
        if condition and condition != "none" and not shown.conditions.get(condition):
            continue
        result.append(row)
    query_terms = terms(q or "")
    if query_terms:
        docs = {row.clause.id: Counter(row.shown.search_terms.split()) for row in result}
        vocabulary = sorted(set().union(*docs.values())) if docs else []
        cache: dict[str, set[str]] = {}
        prefix = bool(q) and not q[-1].isspace()
        kept = []
        for row in result:
            score = _match_query(query_terms, docs[row.clause.id], vocabulary, cache, prefix)
            if score is None:
                continue
            title_terms = set(terms(row.shown.title))
            row.score = score + 0.5 * sum(1 for t in query_terms if t in title_terms)
            kept.append(row)
        kept.sort(key=lambda r: (-r.score, r.clause.key))
        return kept
    order = {f: i for i, f in enumerate(FAMILIES)}
    result.sort(key=lambda r: (order.get(r.clause.family, 99), r.clause.key))
    return result


# --- writing ---------------------------------------------------------------------------------


def _require_legal(actor: Actor, what: str) -> None:
    if not actor.has_role("legal"):
        raise Forbidden(f"Seul un juriste peut {what}.")


def _new_version(
    session: Session,
    actor: Actor,
    clause: Clause,
    spec: ClauseSpec,
    *,
    change_note: str,
    action: str,
    details: dict | None = None,
) -> ClauseVersion:
    latest = session.exec(
        select(ClauseVersion)
        .where(ClauseVersion.clause_id == clause.id)
        .order_by(ClauseVersion.number.desc())
    ).first()
    version = ClauseVersion(
        clause_id=clause.id,
        number=(latest.number + 1) if latest else 1,
        status="draft",
        content_hash=spec.content_hash(),
        change_note=change_note[:1000],
        author_id=actor.user_id,
        search_terms=search_text(spec),
        **{name: getattr(spec, name) for name in CONTENT_FIELDS},
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        action,
        record_type="clause_version",
        record_id=version.id,
        details={
            "key": clause.key,
            "number": version.number,
            "content_hash": version.content_hash,
            **(details or {}),
        },
    )
    return version


@dataclass
class SyncReport:
    created: list[tuple[str, int]] = field(default_factory=list)  # (key, version number)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ClauseFormatError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": [{"key": k, "version": n} for k, n in self.created],
            "unchanged": self.unchanged,
            "errors": [
                {"file": e.file, "line": e.line, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def sync_directory(*, session: Session, actor: Actor, directory: Path | str) -> SyncReport:
    """Read every `*.md` under `directory`; a file whose content is new becomes a draft version.

    Each file is validated and stored on its own (all or nothing per file); a bad file is
    reported with file, line and field and the others still sync. A file whose content equals
    any existing version of its clause changes nothing.
    """
    if actor.user_id is not None:
        _require_legal(actor, "synchroniser la bibliothèque")
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(
            f"Dossier introuvable : {directory}.", fields={"directory": "dossier introuvable"}
        )
    report = SyncReport()
    specs: list[tuple[str, ClauseSpec]] = []
    for path in sorted(directory.rglob("*.md")):
        name = path.relative_to(directory).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.errors.append(
                ClauseFormatError(
                    f"fichier illisible ({exc.__class__.__name__}) : enregistrez-le en UTF-8.",
                    file=name,
                )
            )
            continue
        try:
            specs.append((name, parse_clause_text(text, filename=name)))
        except ClauseFormatError as exc:
            report.errors.append(exc)
    files_by_key: dict[str, list[str]] = {}
    for name, spec in specs:
        files_by_key.setdefault(spec.key, []).append(name)
    for name, spec in specs:
        others = [f for f in files_by_key[spec.key] if f != name]
        if others:
            report.errors.append(
                ClauseFormatError(
                    f"clé en double : « {spec.key} » est aussi la clé de {', '.join(others)} ; aucun de ces "
                    "fichiers n'est importé.",
                    file=name,
                    line=2,
                    field="key",
                )
            )
            continue
        try:
            created = _store_spec(session, actor, spec, name)
            session.commit()
        except DomainError as exc:
            session.rollback()
            report.errors.append(ClauseFormatError(exc.message, file=name))
            continue
        if created:
            report.created.append((spec.key, created.number))
        else:
            report.unchanged.append(spec.key)
    return report


def _store_spec(
    session: Session, actor: Actor, spec: ClauseSpec, filename: str
) -> ClauseVersion | None:
    clause = session.exec(select(Clause).where(Clause.key == spec.key)).first()
    if clause is None:
        clause = Clause(key=spec.key, family=spec.family)
        session.add(clause)
        session.flush()
    known = session.exec(
        select(ClauseVersion.id).where(
            ClauseVersion.clause_id == clause.id, ClauseVersion.content_hash == spec.content_hash()
        )
    ).first()
    if known is not None:
        return None
    return _new_version(
        session,
        actor,
        clause,
        spec,
        change_note=f"Importé depuis {filename}",
        action="clause.sync",
        details={"file": filename},
    )


def _form_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _yaml_field(form: dict, name: str, errors: dict[str, str]) -> Any:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1} de ce champ)" if mark else ""
        errors[name] = f"YAML invalide{where} : {getattr(exc, 'problem', None) or exc}."
        return None


# The clause form: the file name and family, then every content field.
FORM_FIELDS = ("name", "family", *CONTENT_FIELDS)


def spec_from_form(form: dict) -> ClauseSpec:
    """Build and validate a clause from the edit form, through the same parser as the files.

    `form`: name, family, title, piece, summary, covers (list), conditions (list of names that
    are true), variables / variants / references / departures (YAML lists), body.
    """
    errors: dict[str, str] = {}
    family = (form.get("family") or "").strip()
    name = (form.get("name") or "").strip()
    data: dict[str, Any] = {
        "key": f"{family}.{name}",
        "family": family,
        "title": form.get("title", ""),
        "piece": form.get("piece", ""),
        "summary": form.get("summary", ""),
    }
    if not name:
        errors["name"] = (
            "Nom obligatoire (minuscules, chiffres et tirets, par exemple plan-de-sortie)."
        )
    data["covers"] = _form_list(form.get("covers"))
    data["conditions"] = {c: True for c in _form_list(form.get("conditions"))}
    for structured in ("variables", "variants", "references", "departures"):
        value = _yaml_field(form, structured, errors)
        if value is not None:
            data[structured] = value
    if errors:
        raise ValidationError(
            "La clause n'a pas été enregistrée : corrigez les champs signalés.", fields=errors
        )
    header = yaml.safe_dump(
        {k: v for k, v in data.items() if v not in ("", [], {})},
        allow_unicode=True,
        sort_keys=False,
        width=100_000,
    )
    body = (form.get("body") or "").replace("\r\n", "\n")
    try:
        return parse_clause_text(f"---\n{header}---\n{body}\n", filename=f"{family}/{name}.md")
    except ClauseFormatError as exc:
        path = (exc.field or "").split(".")
        field_name = {"corps": "body", "key": "name"}.get(path[0], path[0]) or "body"
        if field_name not in FORM_FIELDS:
            field_name = "body"
        detail = exc.message
        if field_name == "body" and exc.line:
            detail = f"ligne {exc.line - header.count(chr(10)) - 2} du texte : {detail}"
        elif len(path) > 1:
            detail = (
                f"élément {int(path[1]) + 1}"
                + (f", « {path[2]} »" if len(path) > 2 else "")
                + f" : {detail}"
                if path[1].isdigit()
                else f"« {path[1]} » : {detail}"
            )
        raise ValidationError(
            "La clause n'a pas été enregistrée : corrigez les champs signalés.",
            fields={field_name: detail},
        ) from None


def form_of(clause: Clause | None, version: ClauseVersion | None) -> dict:
    """The edit form's fields for a version (YAML for the structured fields)."""
    if version is None or clause is None:
        return {
            "family": "",
            "name": "",
            "title": "",
            "piece": "CCAP",
            "summary": "",
            "covers": [],
            "conditions": [],
            "variables": "",
            "variants": "",
            "references": "",
            "departures": "",
            "body": "",
        }

    def dump(value: Any) -> str:
        return (
            yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100_000)
            if value
            else ""
        )

    return {
        "family": clause.family,
        "name": clause.key.split(".", 1)[1],
        "title": version.title,
        "piece": version.piece,
        "summary": version.summary,
        "covers": list(version.covers),
        "conditions": [c for c, v in version.conditions.items() if v],
        "variables": dump(version.variables),
        "variants": dump(version.variants),
        "references": dump(version.references),
        "departures": dump(version.departures),
        "body": version.body,
    }


def create_draft(
    *, session: Session, actor: Actor, data: dict, change_note: str = ""
) -> ClauseVersion:
    """Create a new clause from the form; its first version is a draft."""
    _require_legal(actor, "créer une clause")
    spec = spec_from_form(data)
    if session.exec(select(Clause).where(Clause.key == spec.key)).first():
        raise Conflict(
            f"La clé {spec.key} existe déjà : modifiez cette clause au lieu d'en créer une autre.",
            fields={"name": "clé déjà utilisée"},
        )
    clause = Clause(key=spec.key, family=spec.family)
    session.add(clause)
    session.flush()
    version = _new_version(
        session, actor, clause, spec, change_note=change_note or "Création", action="clause.create"
    )
    session.commit()
    return version


def new_draft_from(
    *, session: Session, actor: Actor, version_id: int, data: dict, change_note: str = ""
) -> ClauseVersion:
    """A new draft version of an existing clause (the way to change a reviewed version)."""
    _require_legal(actor, "modifier une clause")
    base = get_version(session=session, version_id=version_id)
    clause = session.get(Clause, base.clause_id)
    spec = spec_from_form({**data, "family": clause.family, "name": clause.key.split(".", 1)[1]})
    version = _new_version(
        session,
        actor,
        clause,
        spec,
        change_note=change_note or f"Révision de la version {base.number}",
        action="clause.create",
        details={"from_version": base.number},
    )
    session.commit()
    return version


def update_draft(
    *,
    session: Session,
    actor: Actor,
    version_id: int,
    data: dict,
    lock_version: int,
    base_text: str = "",
    change_note: str | None = None,
) -> ClauseVersion:
    """Save a draft; refused with a conflict (and what the other person changed) when somebody
    saved it since `lock_version` was read."""
    _require_legal(actor, "modifier une clause")
    version = get_version(session=session, version_id=version_id)
    clause = session.get(Clause, version.clause_id)
    if version.status != "draft":
        raise Conflict(
            f"La version {version.number} est {STATUS_LABELS[version.status]} : elle ne peut plus "
            "être modifiée. Créez une nouvelle version."
        )
    spec = spec_from_form({**data, "family": clause.family, "name": clause.key.split(".", 1)[1]})
    if int(lock_version) != version.lock_version:
        current = spec_of(clause, version).to_front_matter_text()
        who = session.get(User, version.updated_by_id) if version.updated_by_id else None
        raise Conflict(
            f"{who.display_name if who else 'Quelqu’un'} a enregistré ce brouillon pendant que vous le "
            "modifiiez. Votre texte est conservé ci-dessous : reportez-y ses changements, puis enregistrez.",
            changes={
                "diff": word_diff(base_text or spec.to_front_matter_text(), current),
                "by": who.display_name if who else "",
                "lock_version": version.lock_version,
            },
        )
    if spec.content_hash() == version.content_hash and change_note in (None, version.change_note):
        return version
    for name in CONTENT_FIELDS:
        setattr(version, name, getattr(spec, name))
    version.content_hash = spec.content_hash()
    version.search_terms = search_text(spec)
    if change_note is not None:
        version.change_note = change_note[:1000]
    version.lock_version += 1
    version.updated_by_id, version.updated_at = actor.user_id, utcnow()
    session.add(version)
    audit.record(
        session,
        actor,
        "clause.update",
        record_type="clause_version",
        record_id=version.id,
        details={
            "key": clause.key,
            "number": version.number,
            "content_hash": version.content_hash,
            "lock_version": version.lock_version,
        },
    )
    session.commit()
    return version


def _transition(
    session: Session, version_id: int, expected: tuple[str, ...], what: str
) -> tuple[Clause, ClauseVersion]:
    version = get_version(session=session, version_id=version_id)
    if version.status not in expected:
        raise Conflict(
            f"Impossible de {what} la version {version.number} : elle est "
            f"{STATUS_LABELS.get(version.status, version.status)}."
        )
    return session.get(Clause, version.clause_id), version


def submit(*, session: Session, actor: Actor, version_id: int) -> ClauseVersion:
    """Draft -> in review."""
    _require_legal(actor, "soumettre une clause à relecture")
    clause, version = _transition(session, version_id, ("draft",), "soumettre")
    version.status, version.submitted_at = "in_review", utcnow()
    session.add(version)
    audit.record(
        session,
        actor,
        "clause.submit",
        record_type="clause_version",
        record_id=version.id,
        details={"key": clause.key, "number": version.number},
    )
    session.commit()
    return version


def _four_eyes(actor: Actor, version: ClauseVersion) -> None:
    if actor.user_id is None or actor.user_id in (version.author_id, version.updated_by_id):
        raise Forbidden(
            "Règle des quatre yeux : la relecture doit être faite par un autre juriste que "
            "l'auteur du brouillon."
        )


def approve(*, session: Session, actor: Actor, version_id: int, comment: str = "") -> ClauseVersion:
    """In review -> approved, by a legal user who neither wrote nor last edited the draft."""
    _require_legal(actor, "approuver une clause")
    clause, version = _transition(session, version_id, ("in_review",), "approuver")
    _four_eyes(actor, version)
    version.status, version.reviewer_id, version.reviewed_at = "approved", actor.user_id, utcnow()
    version.review_comment = (comment or "").strip()[:2000]
    session.add(version)
    audit.record(
        session,
        actor,
        "clause.approve",
        record_type="clause_version",
        record_id=version.id,
        details={
            "key": clause.key,
            "number": version.number,
            "content_hash": version.content_hash,
            "comment": version.review_comment,
        },
    )
    session.commit()
    return version


def reject(*, session: Session, actor: Actor, version_id: int, comment: str) -> ClauseVersion:
    """In review -> rejected, with a mandatory comment."""
    _require_legal(actor, "rejeter une clause")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            "Le rejet doit être motivé.",
            fields={"comment": "Commentaire obligatoire pour un rejet."},
        )
    clause, version = _transition(session, version_id, ("in_review",), "rejeter")
    _four_eyes(actor, version)
    version.status, version.reviewer_id, version.reviewed_at = "rejected", actor.user_id, utcnow()
    version.review_comment = comment[:2000]
    session.add(version)
    audit.record(
        session,
        actor,
        "clause.reject",
        record_type="clause_version",
        record_id=version.id,
        details={"key": clause.key, "number": version.number, "comment": comment},
    )
    session.commit()
    return version


def deprecate(
    *,
    session: Session,
    actor: Actor,
    version_id: int,
    replaced_by_id: int | None,
    comment: str = "",
) -> ClauseVersion:
    """Approved -> deprecated, naming the approved version that replaces it (or, for a clause
    withdrawn altogether, a comment saying why)."""
    _require_legal(actor, "retirer une clause")
    clause, version = _transition(session, version_id, ("approved",), "retirer")
    comment = (comment or "").strip()
    if replaced_by_id:
        replacement = get_version(session=session, version_id=int(replaced_by_id))
        if (
            replacement.clause_id != version.clause_id
            or replacement.status != "approved"
            or replacement.id == version.id
        ):
            raise ValidationError(
                "La version de remplacement doit être une autre version approuvée de la même clause.",
                fields={"replaced_by": "version de remplacement invalide"},
            )
        version.replaced_by_id = replacement.id
    elif not comment:
        raise ValidationError(
            "Dites quelle version remplace celle-ci, ou motivez le retrait sans remplacement.",
            fields={
                "replaced_by": "Choisissez la version qui remplace celle-ci.",
                "comment": "Ou motivez un retrait sans remplacement.",
            },
        )
    version.status = "deprecated"
    if comment:
        version.review_comment = comment[:2000]
    session.add(version)
    audit.record(
        session,
        actor,
        "clause.deprecate",
        record_type="clause_version",
        record_id=version.id,
        details={
            "key": clause.key,
            "number": version.number,
            "replaced_by_id": version.replaced_by_id,
            "comment": comment,
        },
    )
    session.commit()
    return version


# --- timeline, compare, export ---------------------------------------------------------------


def timeline(*, session: Session, clause_id: int) -> list[dict]:
    """Who did what on each version of a clause, oldest first (from the audit log)."""
    versions = {str(v.id): v for v in versions_of(session=session, clause_id=clause_id)}
    if not versions:
        return []
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.record_type == "clause_version", AuditEvent.record_id.in_(list(versions)))
        .order_by(AuditEvent.id)
    ).all()
    names = {u.id: u.display_name for u in session.exec(select(User)).all()} if events else {}
    return [
        {
            "at": e.at,
            "who": names.get(e.actor_id, e.actor_email),
            "action": e.action,
            "label": ACTION_LABELS.get(e.action, e.action),
            "number": versions[e.record_id].number,
            "comment": (e.details or {}).get("comment", ""),
        }
        for e in events
    ]


def compare(*, session: Session, a_id: int, b_id: int) -> dict:
    """Word-level differences between two versions of one clause: title, header and body."""
    a, b = (
        get_version(session=session, version_id=a_id),
        get_version(session=session, version_id=b_id),
    )
    if a.clause_id != b.clause_id:
        raise ValidationError("Les deux versions comparées doivent appartenir à la même clause.")
    clause = session.get(Clause, a.clause_id)
    spec_a, spec_b = spec_of(clause, a), spec_of(clause, b)

    def header(spec: ClauseSpec) -> str:
        meta = spec.front_matter()
        for name in ("key", "family", "title"):
            meta.pop(name, None)
        return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100_000)

    return {
        "a": a,
        "b": b,
        "title": word_diff(a.title, b.title),
        "header": word_diff(header(spec_a), header(spec_b)),
        "body": word_diff(a.body, b.body),
        "same": a.content_hash == b.content_hash,
    }


def export_library(*, session: Session, directory: Path | str) -> list[Path]:
    """Write the latest approved version of each clause to `directory/<family>/<name>.md`."""
    directory = Path(directory)
    written = []
    for clause, version in approved_library(session=session):
        spec = spec_of(clause, version)
        path = directory / clause.family / f"{spec.name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec.to_front_matter_text(), encoding="utf-8")
        written.append(path)
    return written


# --- home page and demo ----------------------------------------------------------------------


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("legal"):
        return []
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion)
        .where(ClauseVersion.status.in_(("draft", "in_review")))
        .order_by(Clause.key, ClauseVersion.number)
    ).all()
    review = [
        {
            "label": f"{v.title} (v{v.number})",
            "endpoint": "clauses.show",
            "params": {"key": c.key, "version": v.number},
            "badge": "in_review",
        }
        for c, v in rows
        if v.status == "in_review" and user.id not in (v.author_id, v.updated_by_id)
    ]
    drafts = [
        {
            "label": f"{v.title} (v{v.number})",
            "endpoint": "clauses.show",
            "params": {"key": c.key, "version": v.number},
            "badge": "draft",
        }
        for c, v in rows
        if v.status == "draft" and v.author_id == user.id
    ]
    return [
        {
            "title": "Clauses à relire",
            "items": review[:20],
            "empty": "Aucune clause n'attend votre relecture.",
        },
        {
            "title": "Mes brouillons de clauses",
            "items": drafts[:20],
            "empty": "Aucun brouillon en cours.",
        },
    ]


__all__ = [
    "CLAUSE_STATUSES",
    "CONDITIONS",
    "COVERS",
    "FAMILIES",
    "FAMILY_LABELS",
    "PIECES",
    "approve",
    "approved_library",
    "compare",
    "create_draft",
    "deprecate",
    "export_library",
    "get_version",
    "latest_approved",
    "list_library",
    "reject",
    "submit",
    "sync_directory",
    "update_draft",
]
