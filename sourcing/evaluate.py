"""Quality of the search, measured on real DECP data, held out by buyer.

Buyers are split by a hash of their identifier: 70 % of them are *indexed* (their contracts are
imported and indexed), 15 % form the *tuning* split and 15 % the *reporting* split. Each contract
of a tuning or reporting buyer whose winner also won a contract of an indexed buyer is a query: its
object is the need. This mimics a new buyer (or another DECP source) searching an index built from
other buyers' contracts. Tune on `split="tune"`, report on `split="report"`.

Relevant suppliers: the real winner (grade 2) and the indexed winners of contracts with the same
CPV code (grade 1). Per pipeline: nDCG@10 (graded), recall@10 (share of the relevant suppliers in
the top 10, capped at 10), winner@10 (the real winner is in the top 10) and MRR@10 (reciprocal rank
of the real winner, 0 beyond 10).

No-match set: needs that nothing in the data fits (gibberish and out-of-scope needs from
sourcing/data/no_match_needs.txt, plus CPV labels of divisions absent from the index). Reported:
the share of those needs wrongly given a confident result (best score at or above the no-match
threshold), and the share of real queries declared "no match".
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import defaultdict
from pathlib import Path

from sqlmodel import Session, SQLModel, create_engine, select

from sourcing import index as lindex
from sourcing import search as lsearch
from sourcing.cpv import load_cpv
from sourcing.ingest import apply_rows, read_rows
from sourcing.models import Supplier
from sourcing.normalise import strip_markup

NO_MATCH_FILE = Path(__file__).parent / "data" / "no_match_needs.txt"
SPLITS = {"index": range(0, 14), "tune": range(14, 17), "report": range(17, 20)}

# The pipelines compared (search() keyword arguments). "sans modèle" removes every model-derived
# signal (query vector, vector candidates, semantic component, CPV head: the cpv_modele and
# couverture components, the classes' reweighting and the expansion by the predicted CPV labels);
# the others remove or add one signal each. A pipeline without any model-derived component, or
# without the coverage, uses its own no-match threshold (search.NO_MATCH_THRESHOLD_TEXT,
# NO_MATCH_THRESHOLD_UNCOVERED), chosen on the tuning split like the default's.
PIPELINES: dict[str, dict] = {
    "bm25": {"mode": "text"},
    "hybride (défaut)": {"mode": "hybrid"},
    "sans modèle": {"mode": "hybrid", "use_model": False},
    "sans groupes CPV prédits (cpv_modele)": {"mode": "hybrid", "use_model_cpv": False},
    "avec élargissement par les libellés CPV prédits": {"mode": "hybrid", "use_labels": True},
    "sans couverture du besoin (couverture)": {
        "mode": "hybrid",
        "use_coverage": False,
        "no_match_threshold": lsearch.NO_MATCH_THRESHOLD_UNCOVERED,
    },
    "avec repondération des classes par le modèle": {"mode": "hybrid", "use_reweight": True},
    "sans recherche vectorielle": {"mode": "hybrid", "use_vectors": False},
    "vecteurs seuls": {"mode": "vector"},
}


def buyer_bucket(buyer: str) -> int:
    return int(hashlib.sha256(buyer.encode()).hexdigest()[:8], 16) % 20


def split_of(buyer: str) -> str:
    b = buyer_bucket(buyer)
    return next(name for name, r in SPLITS.items() if b in r)


def _ndcg(ranked: list[int], grades: dict[int, int], k: int = 10) -> float:
    dcg = sum((2 ** grades.get(s, 0) - 1) / math.log2(i + 2) for i, s in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def no_match_needs(
    indexed_divisions: set[str], split: str = "report", per_division: int = 2
) -> list[tuple[str, str]]:
    """(category, need) of `split`: the file's needs, and labels of CPV divisions absent from the
    index (each absent division's labels alternate between the splits)."""
    out = []
    for line in NO_MATCH_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            where, category, need = line.split("\t", 2)
            if where == split:
                out.append((category.strip(), need.strip()))
    by_division: dict[str, list[str]] = defaultdict(list)
    for code, label in sorted(load_cpv().items()):
        if code[:2] not in indexed_divisions and code[2:8] != "000000":
            by_division[code[:2]].append(label)
    offset = 0 if split == "tune" else 1
    for _division, labels in sorted(by_division.items()):
        picked = labels[offset::2]
        step = max(len(picked) // per_division, 1)
        out.extend(("division-absente", lab) for lab in picked[::step][:per_division])
    return out


def evaluate(
    data: bytes,
    *,
    model,
    workdir: str,
    split: str = "report",
    holdout: int | None = None,
    seed: int = 1,
    progress=None,
    variants: dict | None = None,
    pipelines: dict | None = None,
) -> dict:
    """Run the evaluation on one split; `variants` adds pipelines (search() keyword arguments)."""
    ctx = prepare(
        data,
        model=model,
        workdir=workdir,
        split=split,
        holdout=holdout,
        seed=seed,
        progress=progress,
    )
    return measure(ctx, variants=variants, pipelines=pipelines, progress=progress)


def prepare(
    data: bytes, *, model, workdir: str, split: str = "report", holdout=None, seed=1, progress=None
) -> dict:
    """Import and index the indexed buyers' contracts; the queries of `split`."""
    if split not in ("tune", "report"):
        raise ValueError("split must be 'tune' or 'report'")
    _src, rows = read_rows(data, "decp", "evaluation")
    rows = [r for r in rows if r.ok and r.contract and r.contract["cpv"]]
    buyer = [r.contract["buyer_siret"] or r.contract["buyer_name"] for r in rows]
    training = [r for r, b in zip(rows, buyer, strict=True) if split_of(b) == "index"]
    candidates = [r for r, b in zip(rows, buyer, strict=True) if split_of(b) == split]
    engine = create_engine(f"sqlite:///{Path(workdir) / 'eval.db'}")
    SQLModel.metadata.create_all(engine)  # the caller has imported every table
    uri = str(Path(workdir) / "lancedb")
    with Session(engine) as session:
        apply_rows(session, training, source="decp-v1", filename="evaluation")
        session.commit()
        lindex.sync_index(session, uri=uri, embed=model.embed, progress=progress)
        by_siren = {s.siren: s.id for s in session.exec(select(Supplier)).all()}
    tests = [r for r in candidates if any(w.siren in by_siren for w in r.winners)]
    if holdout and len(tests) > holdout:
        tests = random.Random(seed).sample(tests, holdout)
    same_cpv: dict[str, set[int]] = defaultdict(set)
    for r in training:
        for w in r.winners:
            if w.siren in by_siren:
                same_cpv[r.contract["cpv"]].add(by_siren[w.siren])
    return {
        "split": split,
        "seed": seed,
        "model": model,
        "training": training,
        "tests": tests,
        "same_cpv": same_cpv,
        "by_siren": by_siren,
        "uri": uri,
    }


def measure(ctx: dict, *, variants=None, pipelines=None, progress=None, no_match=True) -> dict:
    """Search with every query of the split in every pipeline; the no-match set."""
    model, tests, same_cpv, by_siren = ctx["model"], ctx["tests"], ctx["same_cpv"], ctx["by_siren"]
    training, split, seed = ctx["training"], ctx["split"], ctx["seed"]
    table = lindex.open_table(ctx["uri"])
    semantic = lindex.open_semantic(ctx["uri"])
    runs = dict(pipelines or PIPELINES)
    runs.update(variants or {})
    totals = {
        m: {"ndcg@10": 0.0, "recall@10": 0.0, "winner@10": 0.0, "mrr@10": 0.0, "no_match": 0.0}
        for m in runs
    }
    needs = [strip_markup(r.contract["object"]) for r in tests]
    positive_best: list[float] = []
    model.embed(needs)  # one batched pass (the model's cache answers the searches)
    for n, (r, need) in enumerate(zip(tests, needs, strict=True), 1):
        winners = {by_siren[w.siren] for w in r.winners if w.siren in by_siren}
        grades = {s: 1 for s in same_cpv.get(r.contract["cpv"], set())}
        grades.update({s: 2 for s in winners})
        for name, kwargs in runs.items():
            out = _run(table, semantic, model, need, kwargs)
            ranked = [x["supplier_id"] for x in out["results"]]
            top = set(ranked[:10])
            t = totals[name]
            t["recall@10"] += len(top & set(grades)) / min(len(grades), 10)
            t["ndcg@10"] += _ndcg(ranked, grades)
            t["winner@10"] += 1.0 if top & winners else 0.0
            rank = next((i for i, s in enumerate(ranked[:10], 1) if s in winners), 0)
            t["mrr@10"] += 1.0 / rank if rank else 0.0
            t["no_match"] += 1.0 if out["no_match"] else 0.0
            if name == DEFAULT:
                positive_best.append(out["results"][0]["score"] if out["results"] else 0.0)
        if progress:
            progress(n, len(tests), "recherches d'évaluation")
    counted = max(len(tests), 1)
    results = {m: {k: round(v / counted, 4) for k, v in t.items()} for m, t in totals.items()}
    divisions = {r.contract["cpv"][:2] for r in training}
    nm = no_match_needs(divisions, split) if no_match else []
    model.embed([need for _, need in nm])
    no_match_sets = {
        name: _no_match(table, semantic, model, nm, runs[name])
        for name in (DEFAULT, "sans modèle", UNCOVERED)
        if name in runs and nm
    }
    return {
        "split": split,
        "queries": len(tests),
        "training_contracts": len(training),
        "suppliers": len(by_siren),
        "seed": seed,
        "model": {"name": model.name, "file_hash": model.file_hash},
        "weights": lsearch.DEFAULT_WEIGHTS,
        "no_match_threshold": lsearch.NO_MATCH_THRESHOLD,
        "no_match_threshold_without_model": lsearch.NO_MATCH_THRESHOLD_TEXT,
        "modes": results,
        "no_match_set": no_match_sets,
        "query_best_scores": _quantiles(positive_best),
        "cpv_head": _head_accuracy(semantic, model, tests, needs),
    }


DEFAULT = "hybride (défaut)"
UNCOVERED = "sans couverture du besoin (couverture)"
TUNING_SHARE = 0.08  # a threshold is the lowest that leaves at most this share of no-match needs


def _quantiles(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    if not v:
        return {}
    return {f"p{q}": v[min(int(q / 100 * len(v)), len(v) - 1)] for q in (5, 10, 25, 50, 75, 90)}


def _no_match(table, semantic, model, nm: list[tuple[str, str]], kwargs: dict) -> dict:
    confident: dict[str, list[str]] = defaultdict(list)
    per_category: dict[str, int] = defaultdict(int)
    best_scores = []
    for category, need in nm:
        out = _run(table, semantic, model, need, kwargs)
        per_category[category] += 1
        best_scores.append(out["results"][0]["score"] if out["results"] else 0.0)
        if not out["no_match"]:
            confident[category].append(need)
    wrong = sum(len(v) for v in confident.values())
    return {
        "threshold": kwargs.get("no_match_threshold"),
        "lowest_threshold_at_tuning_share": lowest_threshold(best_scores, TUNING_SHARE),
        "needs": len(nm),
        "per_category": dict(per_category),
        "wrongly_confident": wrong,
        "wrongly_confident_share": round(wrong / max(len(nm), 1), 4),
        "wrongly_confident_needs": dict(confident),
        "best_scores": sorted(best_scores),
    }


def lowest_threshold(best_scores: list[float], share: float) -> float:
    """The lowest threshold (in steps of 0.5) under which at most `share` of these no-match
    needs' best scores would be "confident": how each pipeline's threshold is chosen on `tune`."""
    allowed = math.floor(share * len(best_scores))
    ranked = sorted(best_scores, reverse=True)
    if len(ranked) <= allowed:
        return 0.0
    # confident = score >= threshold: the threshold must lie above the (allowed+1)-th best score
    return math.floor(ranked[allowed] * 2) / 2 + 0.5


def _run(table, semantic, model, need: str, kwargs: dict) -> dict:
    kwargs = dict(kwargs)
    q = lsearch.Query(need=need, limit=10, mode=kwargs.pop("mode", "hybrid"))
    return lsearch.search(table, q, embed=model.embed, semantic=semantic, **kwargs)


def _head_accuracy(semantic, model, tests, needs) -> dict:
    """How often the CPV head's first division / group is the query contract's own."""
    if semantic is None or not semantic.heads or not tests:
        return {}
    import numpy as np

    out = {}
    vectors = model.embed(needs)
    for level, head in semantic.heads.items():
        hits = 0
        for r, vec in zip(tests, vectors, strict=True):
            top = head.predict(semantic.need_vector(np.asarray(vec)), 1)[0][0]
            hits += top == r.contract["cpv"][:level]
        out[f"top1_level{level}"] = round(hits / len(tests), 4)
    return out


def judge_auc(ctx: dict, *, model, pairs: int = 20, seed: int = 1) -> dict:
    """The model's judgement on held-out pairs: for a query, its real winner (relevant) and an
    indexed supplier with no contract in the query's CPV division (irrelevant). AUC = chance that
    the relevant one gets the higher fit (ties count half); seconds per judgement."""
    import statistics
    import time

    from sourcing import judge as ljudge

    objects: dict[str, list[str]] = defaultdict(list)
    divisions: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for r in ctx["training"]:
        for w in r.winners:
            objects[w.siren].append(strip_markup(r.contract["object"]))
            divisions[w.siren].add(r.contract["cpv"][:2])
            names.setdefault(w.siren, w.name)
    rng = random.Random(seed)
    sirens = sorted(objects)
    tests = [r for r in ctx["tests"] if any(w.siren in objects for w in r.winners)]
    tests = rng.sample(tests, min(pairs, len(tests)))
    scores: list[tuple[int, int]] = []
    seconds: list[float] = []
    shown = 0
    for r in tests:
        need = strip_markup(r.contract["object"])
        good = next(w.siren for w in r.winners if w.siren in objects)
        div = r.contract["cpv"][:2]
        bad = rng.choice([s for s in sirens if div not in divisions[s]])
        fits = []
        for siren in (good, bad):
            start = time.perf_counter()
            verdict = ljudge.judge(model, need, names[siren], " ; ".join(objects[siren][:5]))
            seconds.append(time.perf_counter() - start)
            fits.append(verdict["fit"])
            shown += bool(verdict["reasons"])
        scores.append((fits[0], fits[1]))
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in scores)
    return {
        "pairs": len(scores),
        "auc": round(wins / max(len(scores), 1), 3),
        "seconds_per_judgement_median": round(statistics.median(seconds), 2) if seconds else 0,
        "reasons_kept_share": round(shown / max(len(seconds), 1), 3),
        "model": {"name": model.name, "file_hash": model.file_hash},
    }
