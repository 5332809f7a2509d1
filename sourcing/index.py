"""The LanceDB supplier index, derived from the SQL database and rebuildable at any time.

One row per supplier: a profile text (names, past contract objects, CPV and NAF labels,
description, certifications) with a French full-text index (stemming, accent folding, stop
words), a vector of a shorter profile from the local model, and the columns the filters and the
score need (department, size, the CPV codes and years of its contracts). A row is re-embedded
only when the hash of its profile changed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from sourcing.cpv import load_cpv
from sourcing.models import PastContract, Supplier, SupplierName
from sourcing.normalise import naf_labels

TABLE = "suppliers"
ANN_THRESHOLD = 20_000  # beyond this many rows, an IVF index answers vector queries
EMBED_TOKENS_HINT = 32  # words kept in the embedded profile (the model is slow: keep it short)
MAX_OBJECTS = 40


@dataclass
class Profile:
    id: int
    siren: str
    name: str
    text: str  # full-text field
    embed_text: str  # shorter text given to the model
    department: str
    size: str
    cpvs: str  # "72262000:2019 48000000:2018 ..." one entry per contract (declared codes: year 0)
    certifications: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.text}\x00{self.embed_text}".encode()).hexdigest()


def build_profiles(session: Session, supplier_ids: Iterable[int] | None = None) -> list[Profile]:
    """Profiles of the active (not merged) suppliers, read from the database in a few queries."""
    query = select(Supplier).where(Supplier.merged_into_id.is_(None))
    if supplier_ids is not None:
        query = query.where(Supplier.id.in_(list(supplier_ids)))
    suppliers = list(session.exec(query.order_by(Supplier.id)).all())
    ids = [s.id for s in suppliers]
    names: dict[int, list[str]] = {}
    contracts: dict[int, list[PastContract]] = {}
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        for n in session.exec(
            select(SupplierName)
            .where(SupplierName.supplier_id.in_(chunk))
            .order_by(SupplierName.occurrences.desc(), SupplierName.name)
        ).all():
            names.setdefault(n.supplier_id, []).append(n.name)
        for c in session.exec(
            select(PastContract)
            .where(PastContract.supplier_id.in_(chunk))
            .order_by(PastContract.notified_on.desc(), PastContract.id)
        ).all():
            contracts.setdefault(c.supplier_id, []).append(c)
    return [profile_of(s, names.get(s.id, []), contracts.get(s.id, [])) for s in suppliers]


def profile_of(s: Supplier, names: list[str], contracts: list[PastContract]) -> Profile:
    cpv = load_cpv()
    objects = list(dict.fromkeys(c.object for c in contracts if c.object))[:MAX_OBJECTS]
    codes = Counter(c.cpv for c in contracts if c.cpv)
    labels = [cpv[c] for c, _ in codes.most_common(8) if c in cpv]
    declared = [c for c in (s.cpv_codes or []) if c in cpv]
    labels += [cpv[c] for c in declared if cpv[c] not in labels]
    naf = naf_labels().get(s.naf_code, "")
    all_names = list(dict.fromkeys([s.name, *names]))
    text = " ; ".join(
        x
        for x in [
            " / ".join(all_names),
            s.description,
            naf,
            " ; ".join(labels),
            " ; ".join(objects),
            " ".join(s.certifications or []),
        ]
        if x
    )
    embed_parts = [*labels[:2], *objects[:3], s.description, naf]
    embed_text = (
        " ".join(" ; ".join(x for x in embed_parts if x).split()[:EMBED_TOKENS_HINT]) or s.name
    )
    entries = [
        f"{c.cpv[:8]}:{c.notified_on.year if c.notified_on else 0}" for c in contracts if c.cpv
    ]
    entries += [f"{c[:8]}:0" for c in declared]
    return Profile(
        id=s.id,
        siren=s.siren or "",
        name=s.name,
        text=text,
        embed_text=embed_text,
        department=s.department or _main_department(contracts),
        size=s.size or "",
        cpvs=" ".join(entries),
        certifications=" | ".join(s.certifications or []),
    )


def _main_department(contracts: list[PastContract]) -> str:
    deps = Counter(c.department for c in contracts if c.department)
    return deps.most_common(1)[0][0] if deps else ""


def connect(uri: str):
    import lancedb

    return lancedb.connect(uri)


def _schema(dim: int):
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.int64()),
            pa.field("siren", pa.string()),
            pa.field("name", pa.string()),
            pa.field("text", pa.string()),
            pa.field("embed_text", pa.string()),
            pa.field("department", pa.string()),
            pa.field("size", pa.string()),
            pa.field("cpvs", pa.string()),
            pa.field("certifications", pa.string()),
            pa.field("content_hash", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), dim)),
        ]
    )


def open_table(uri: str):
    db = connect(uri)
    try:
        return db.open_table(TABLE)
    except (FileNotFoundError, ValueError):
        return None


def ensure_text_index(table) -> None:
    """The native French full-text index: stemming, accent folding, French stop words."""
    table.create_fts_index(
        "text",
        replace=True,
        use_tantivy=False,
        language="French",
        stem=True,
        ascii_folding=True,
        remove_stop_words=True,
        lower_case=True,
    )


def ensure_vector_index(table, threshold: int = ANN_THRESHOLD) -> bool:
    """Build an IVF index beyond `threshold` rows (exact search is faster below it)."""
    n = table.count_rows()
    if n < threshold:
        return False
    partitions = max(16, int(n**0.5) // 2)
    table.create_index(
        metric="cosine",
        index_type="IVF_PQ",
        num_partitions=partitions,
        num_sub_vectors=32,
        replace=True,
    )
    return True


def rows_for(profiles: list[Profile], vectors: dict[int, list[float]]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "siren": p.siren,
            "name": p.name,
            "text": p.text,
            "embed_text": p.embed_text,
            "department": p.department,
            "size": p.size,
            "cpvs": p.cpvs,
            "certifications": p.certifications,
            "content_hash": p.content_hash,
            "vector": vectors[p.id],
        }
        for p in profiles
    ]


def sync_index(
    session: Session,
    *,
    uri: str,
    embed: Callable[[list[str]], list[list[float]]],
    rebuild: bool = False,
    batch: int = 32,
    ann_threshold: int = ANN_THRESHOLD,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, int]:
    """Bring the index in line with the database; embed only profiles whose hash changed."""
    profiles = build_profiles(session)
    db = connect(uri)
    table = None if rebuild else open_table(uri)
    known: dict[int, str] = {}
    previous: dict[int, list[float]] = {}
    if table is not None:
        existing = (
            table.to_arrow().select(["id", "content_hash", "embed_text", "vector"]).to_pylist()
        )
        known = {r["id"]: r["content_hash"] for r in existing}
        # a changed text whose embedded part is unchanged keeps its vector
        by_embed = {(r["id"], r["embed_text"]): r["vector"] for r in existing}
        previous = {
            p.id: by_embed[(p.id, p.embed_text)]
            for p in profiles
            if (p.id, p.embed_text) in by_embed
        }
    todo = [p for p in profiles if known.get(p.id) != p.content_hash]
    to_embed = [p for p in todo if p.id not in previous]
    vectors: dict[int, list[float]] = {p.id: previous[p.id] for p in todo if p.id in previous}
    total = len(to_embed)
    if progress:
        progress(0, total, "profils à vectoriser")
    for i in range(0, total, batch):
        chunk = to_embed[i : i + batch]
        for p, vec in zip(chunk, embed([p.embed_text for p in chunk]), strict=True):
            vectors[p.id] = vec
        if progress:
            progress(
                min(i + batch, total), total, f"{min(i + batch, total)}/{total} profils vectorisés"
            )
    current_ids = {p.id for p in profiles}
    removed = [i for i in known if i not in current_ids]
    if table is None:
        dim = len(next(iter(vectors.values()))) if vectors else 0
        if not dim:
            return {"suppliers": 0, "embedded": 0, "updated": 0, "removed": 0, "ann": 0}
        table = db.create_table(
            TABLE, data=rows_for(todo, vectors), schema=_schema(dim), mode="overwrite"
        )
    else:
        if todo:
            (
                table.merge_insert("id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute(rows_for(todo, vectors))
            )
        if removed:
            table.delete(f"id IN ({', '.join(str(i) for i in removed)})")
    if todo or removed or rebuild or not _has_fts(table):
        ensure_text_index(table)
    ann = ensure_vector_index(table, ann_threshold) if (todo or rebuild) else False
    return {
        "suppliers": len(profiles),
        "embedded": total,
        "updated": len(todo),
        "removed": len(removed),
        "ann": int(ann),
    }


def _has_fts(table) -> bool:
    try:
        return any("text" in (idx.columns or []) for idx in table.list_indices())
    except Exception:  # noqa: BLE001 - older tables
        return False
