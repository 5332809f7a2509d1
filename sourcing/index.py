"""The LanceDB supplier index, derived from the SQL database and rebuildable at any time.

One row per supplier: a profile text (names, past contract objects, CPV and NAF labels,
description, certifications) with a French full-text index (stemming, accent folding, stop
words), a vector of a shorter profile from the local model, and the columns the filters and the
score need (department, size, the CPV codes and years of its contracts). A row is re-embedded
only when the hash of its profile changed.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from sourcing.cpv import load_cpv
from sourcing.models import PastContract, Supplier, SupplierName
from sourcing.normalise import is_public_body, naf_labels, strip_markup

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
    objects: list[tuple[str, str]] = field(default_factory=list)  # (object, CPV) per contract
    public_body: bool = False

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
    objects = list(dict.fromkeys(strip_markup(c.object) for c in contracts if c.object))
    objects = objects[:MAX_OBJECTS]
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
        objects=list(
            dict.fromkeys((strip_markup(c.object), c.cpv[:8]) for c in contracts if c.object)
        ),
        public_body=is_public_body(s.siren or "", s.legal_form),
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
            pa.field("public_body", pa.bool_()),
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
            "public_body": p.public_body,
            "content_hash": p.content_hash,
            "vector": vectors[p.id],
        }
        for p in profiles
    ]


OBJECTS = "objects"  # one row per distinct contract object text: its vector from the model


def _object_cache(db, rebuild: bool) -> dict[str, list[float]]:
    if rebuild:
        return {}
    try:
        table = db.open_table(OBJECTS)
    except (FileNotFoundError, ValueError):
        return {}
    return {r["text"]: r["vector"] for r in table.to_arrow().to_pylist()}


def _embed_all(
    texts: list[str],
    embed: Callable[[list[str]], list[list[float]]],
    batch: int,
    progress: Callable[[int, int, str], None] | None,
    done: int,
    total: int,
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        for text, vec in zip(chunk, embed(chunk), strict=True):
            out[text] = vec
        if progress:
            n = done + min(i + batch, len(texts))
            progress(n, total, f"{n}/{total} textes vectorisés")
    return out


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
    """Bring the index in line with the database.

    The model embeds each distinct contract object once (kept in the `objects` table, so a
    re-index embeds only new objects). A supplier's vector is the normalised mean of its centred
    contract-object vectors (its short profile text when it has no contract). The CPV head is
    retrained on every change (sourcing.semantic)."""
    import numpy as np

    from sourcing import semantic

    profiles = build_profiles(session)
    db = connect(uri)
    table = None if rebuild else open_table(uri)
    known: dict[int, str] = {}
    if table is not None:
        known = {
            r["id"]: r["content_hash"]
            for r in table.to_arrow().select(["id", "content_hash"]).to_pylist()
        }
    todo = [p for p in profiles if known.get(p.id) != p.content_hash]
    current_ids = {p.id for p in profiles}
    removed = [i for i in known if i not in current_ids]
    cache = _object_cache(db, rebuild)
    objects = sorted({o for p in profiles for o, _ in p.objects})
    new_objects = [o for o in objects if o not in cache]
    bare = sorted({p.embed_text for p in todo if not p.objects})
    total = len(new_objects) + len(bare)
    if progress:
        progress(0, total, "textes à vectoriser")
    started = time.perf_counter()
    fresh = _embed_all(new_objects, embed, batch, progress, 0, total)
    bare_vectors = _embed_all(bare, embed, batch, progress, len(new_objects), total)
    embed_seconds = time.perf_counter() - started
    if fresh:
        rows = [{"text": t, "vector": v} for t, v in fresh.items()]
        if OBJECTS in db.table_names() and not rebuild:
            db.open_table(OBJECTS).add(rows)
        else:
            db.create_table(OBJECTS, data=rows, mode="overwrite")
        cache.update(fresh)
    if not (cache or bare_vectors) and table is None:
        return {"suppliers": 0, "embedded": 0, "updated": 0, "removed": 0, "ann": 0}
    sem = None if rebuild else semantic.load(db)
    if todo or removed or sem is None:
        pairs = [(o, cpv) for p in profiles for o, cpv in p.objects if cpv]
        texts = list(dict.fromkeys(o for o, _ in pairs))
        pos = {t: i for i, t in enumerate(texts)}
        matrix = np.asarray([cache[t] for t in texts], dtype=np.float32)
        mean = sem.mean if sem is not None else None
        if mean is None:
            every = [cache[o] for o in objects] or list(bare_vectors.values())
            mean = np.asarray(every, dtype=np.float32).mean(axis=0)
        sem = semantic.build(
            matrix[[pos[o] for o, _ in pairs]] if pairs else matrix,
            [c for _, c in pairs],
            mean=mean,
        )
        semantic.save(db, sem)
    vectors: dict[int, list[float]] = {}
    for p in todo:
        own = [cache[o] for o, _ in p.objects if o in cache]
        if own:
            vec = semantic.centred(np.asarray(own, dtype=np.float32), sem.mean).mean(axis=0)
        else:
            vec = semantic.centred(np.asarray([bare_vectors[p.embed_text]]), sem.mean)[0]
        norm = float(np.linalg.norm(vec)) or 1.0
        vectors[p.id] = (vec / norm).astype(np.float32).tolist()
    if table is None:
        dim = len(next(iter(vectors.values()))) if vectors else 0
        if not dim:
            return {"suppliers": 0, "embedded": total, "updated": 0, "removed": 0, "ann": 0}
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
        # the indexing rate, stated with every run (docs/sourcing.md: national data)
        "embed_seconds": round(embed_seconds, 1),
        "texts_per_second": round(total / embed_seconds, 1) if total and embed_seconds else 0.0,
    }


def open_semantic(uri: str):
    """The index's model-derived artefacts (centring mean, CPV heads), None before indexing."""
    from sourcing import semantic

    return semantic.load_cached(connect(uri), uri)


def _has_fts(table) -> bool:
    try:
        return any("text" in (idx.columns or []) for idx in table.list_indices())
    except Exception:  # noqa: BLE001 - older tables
        return False
