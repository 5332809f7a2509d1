"""Quality of the search, measured on real DECP data.

Hold out contracts whose winner also won other contracts (otherwise no method can find it), import
the rest into a temporary database, index it, and search with each held-out contract's object.
Relevant suppliers: the real winner (grade 2) and the winners of other contracts with the same CPV
code (grade 1). Reported per mode (hybrid, vector only, BM25 only): recall@10 (share of the
relevant suppliers found in the top 10, capped at 10), nDCG@10 (graded) and winner@10 (the real
winner is in the top 10).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from pathlib import Path

from sqlmodel import Session, SQLModel, create_engine, select

from sourcing import index as lindex
from sourcing import search as lsearch
from sourcing.ingest import apply_rows, read_rows
from sourcing.models import Supplier

MODES = ("hybrid", "vector", "text")


def _ndcg(ranked: list[int], grades: dict[int, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(s, 0) - 1) / math.log2(i + 2) for i, s in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate(
    data: bytes,
    *,
    model,
    workdir: str,
    holdout: int = 200,
    seed: int = 1,
    progress=None,
    max_training: int | None = None,
    variants: dict | None = None,
) -> dict:
    """Run the evaluation; `variants` maps a name to search() keyword arguments (extra modes)."""
    _src, rows = read_rows(data, "decp", "evaluation")
    rows = [r for r in rows if r.ok and r.contract and r.contract["cpv"]]
    wins = defaultdict(int)
    for r in rows:
        for w in r.winners:
            wins[w.siren] += 1
    eligible = [i for i, r in enumerate(rows) if any(wins[w.siren] >= 2 for w in r.winners)]
    rng = random.Random(seed)
    held = set(rng.sample(eligible, min(holdout, len(eligible))))
    training = [r for i, r in enumerate(rows) if i not in held]
    if max_training:
        training = training[:max_training]
    tests = [rows[i] for i in sorted(held)]
    engine = create_engine(f"sqlite:///{Path(workdir) / 'eval.db'}")
    SQLModel.metadata.create_all(engine)  # the caller has imported every table
    uri = str(Path(workdir) / "lancedb")
    with Session(engine) as session:
        apply_rows(session, training, source="decp-v1", filename="evaluation")
        session.commit()
        lindex.sync_index(session, uri=uri, embed=model.embed, progress=progress)
        by_siren = {s.siren: s.id for s in session.exec(select(Supplier)).all()}
        n_suppliers = len(by_siren)
    same_cpv: dict[str, set[int]] = defaultdict(set)
    for r in training:
        for w in r.winners:
            if w.siren in by_siren:
                same_cpv[r.contract["cpv"]].add(by_siren[w.siren])
    table = lindex.open_table(uri)
    vectors = dict(
        zip(
            [r.contract["object"] for r in tests],
            model.embed([r.contract["object"] for r in tests]),
            strict=False,
        )
    )
    runs = {m: {"mode": m} for m in MODES}
    for name, kwargs in (variants or {}).items():
        runs[name] = {"mode": "hybrid", **kwargs}
    totals = {m: {"recall@10": 0.0, "ndcg@10": 0.0, "winner@10": 0.0} for m in runs}
    counted = 0
    for n, r in enumerate(tests, 1):
        winners = {by_siren[w.siren] for w in r.winners if w.siren in by_siren}
        if not winners:
            continue
        grades = {s: 1 for s in same_cpv.get(r.contract["cpv"], set())}
        grades.update({s: 2 for s in winners})
        counted += 1
        for mode, kwargs in runs.items():
            kwargs = dict(kwargs)
            q = lsearch.Query(need=r.contract["object"], limit=10, mode=kwargs.pop("mode"))
            out = lsearch.search(
                table, q, embed=lambda texts, v=vectors[r.contract["object"]]: [v], **kwargs
            )
            ranked = [x["supplier_id"] for x in out["results"]]
            top = set(ranked[:10])
            totals[mode]["recall@10"] += len(top & set(grades)) / min(len(grades), 10)
            totals[mode]["ndcg@10"] += _ndcg(ranked, grades)
            totals[mode]["winner@10"] += 1.0 if top & winners else 0.0
        if progress:
            progress(n, len(tests), "recherches d'évaluation")
    modes = {m: {k: round(v / max(counted, 1), 4) for k, v in t.items()} for m, t in totals.items()}
    return {
        "holdout": counted,
        "training_contracts": len(training),
        "suppliers": n_suppliers,
        "seed": seed,
        "model": {"name": model.name, "file_hash": model.file_hash},
        "weights": lsearch.DEFAULT_WEIGHTS,
        "modes": modes,
    }
