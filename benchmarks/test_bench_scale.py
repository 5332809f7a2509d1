"""National scale (issue 13): import, search and judgement, each beside a bare baseline measured
in the same run (report the ratios: the machine is shared, absolute timings are contended).

- import: PROCURE_BENCH_CONTRACTS contracts (default 100,000; the reported figure uses 1,000,000)
  made from real DECP records multiplied and perturbed (benchmarks/decp_scale.py), read, validated
  and written to a fresh SQLite database (and PostgreSQL when PROCURE_TEST_POSTGRES_URL is set),
  vs the bare floor: json.loads plus one sqlite3 executemany of one tuple per record. The
  re-import is checked to change nothing.
- search: PROCURE_BENCH_SUPPLIERS suppliers (default 300,000: the real demo index multiplied,
  vectors noised, IVF-PQ), the service's path (table and CPV head opened per search, the need
  embedded without cache, full text, vectors, score) vs a bare LanceDB vector query, and vs the
  bare query plus the need's embedding. PROCURE_BENCH_INDEX=FOLDER keeps the built index there
  and reuses it in later runs (building 300,000 rows and their IVF-PQ index takes minutes).
- judgement: the top 10 judged with the loaded model (short prompt, tight schema) vs the bare
  llama-cpp-python completion of the same prompts without schema.

    make bench PYTEST_ARGS="benchmarks/test_bench_scale.py --benchmark-json=scale.json"
    PROCURE_BENCH_CONTRACTS=1000000 PROCURE_BENCH_DECP=.../marches-publics.info.json \
        make bench PYTEST_ARGS="benchmarks/test_bench_scale.py -k import"

Each benchmark stores its wall and CPU figures in extra_info.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, create_engine

import procure.schema  # noqa: F401
from sourcing import index as lindex
from sourcing import judge as ljudge
from sourcing import search as lsearch
from sourcing.ingest import apply_rows, open_rows

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decp_scale  # noqa: E402
from test_bench_sourcing import DECP, NEEDS  # noqa: E402  (the same needs and data)

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = int(os.environ.get("PROCURE_BENCH_CONTRACTS", "100000"))
SUPPLIERS = int(os.environ.get("PROCURE_BENCH_SUPPLIERS", "300000"))


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start, benchmark, n: int, unit: str) -> None:
    wall, cpu = time.perf_counter() - start[0], time.process_time() - start[1]
    benchmark.extra_info.update(
        {
            unit: n,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            f"{unit}_per_s": round(n / wall),
            f"{unit}_per_cpu_s": round(n / cpu) if cpu else None,
            "load_average": round(os.getloadavg()[0], 1),
        }
    )


# ---------------------------------------------------------------- import


@pytest.fixture(scope="module")
def scale_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scale") / f"decp-{CONTRACTS}.json"
    return decp_scale.write(path, CONTRACTS, DECP)


def test_bench_import_scale_bare(benchmark, scale_file, tmp_path):
    """The floor: parse the file and write one tuple per record with sqlite3, nothing else."""
    benchmark.group = "import-scale"

    def run():
        start = _clock()
        doc = json.loads(scale_file.read_bytes())
        db = sqlite3.connect(tmp_path / f"bare{time.perf_counter_ns()}.db")
        db.execute(
            "CREATE TABLE c (id TEXT, buyer TEXT, object TEXT, cpv TEXT, amount REAL, d TEXT, w TEXT)"
        )
        db.executemany(
            "INSERT INTO c VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    str(m.get("id")),
                    str((m.get("acheteur") or {}).get("id")),
                    str(m.get("objet")),
                    str(m.get("codeCPV")),
                    m.get("montant") if isinstance(m.get("montant"), int | float) else None,
                    str(m.get("dateNotification")),
                    str(((m.get("titulaires") or [{}])[0] or {}).get("id")),
                )
                for m in doc["marches"]
            ),
        )
        db.commit()
        db.close()
        _since(start, benchmark, len(doc["marches"]), "contracts")

    benchmark.pedantic(run, rounds=1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bench_import_scale(benchmark, scale_file, tmp_path, backend):
    """Procure's import: read, validate, write (SQLAlchemy Core batches), commit; then the same
    file again, which must change nothing (idempotence), timed apart."""
    benchmark.group = "import-scale"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'scale.db'}"
    elif os.environ.get("PROCURE_TEST_POSTGRES_URL"):
        url = _pg_schema(os.environ["PROCURE_TEST_POSTGRES_URL"])
    else:
        pytest.skip("PROCURE_TEST_POSTGRES_URL not set")
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    reports = []

    def run():
        start = _clock()
        with Session(engine) as s:
            source, total, rows = open_rows(scale_file.read_bytes(), "decp", scale_file.name)
            reports.append(
                apply_rows(s, rows, source=source, filename=scale_file.name, total=total)
            )
            s.commit()
        _since(start, benchmark, total, "contracts")

    benchmark.pedantic(run, rounds=1)
    first = reports[0]
    start = _clock()
    with Session(engine) as s:
        source, total, rows = open_rows(scale_file.read_bytes(), "decp", scale_file.name)
        again = apply_rows(s, rows, source=source, filename=scale_file.name, total=total)
        s.commit()
    wall = time.perf_counter() - start[0]
    benchmark.extra_info.update(
        {
            "created": first.created,
            "updated": first.updated,
            "rejected": len(first.rejected),
            "suppliers": len(first.supplier_ids),
            "reimport_wall_s": round(wall, 2),
            "reimport_unchanged": again.unchanged,
        }
    )
    assert again.created == again.updated == 0
    assert again.unchanged == first.read - len(first.rejected)
    assert len(again.rejected) == len(first.rejected)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


def _pg_schema(url: str) -> str:
    """A fresh schema of its own on the shared server (as tests/conftest.py does)."""
    import uuid

    from sqlalchemy import text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


# ---------------------------------------------------------------- search


@pytest.fixture(scope="module")
def model():
    from procure.core.model_provider import ModelProvider

    provider = ModelProvider(
        path=os.environ.get("PROCURE_MODEL_PATH"),
        url=None,
        name=None,
        instance_path=os.environ.get("PROCURE_TEST_MODEL_DIR", str(ROOT / "instance")),
        threads=int(os.environ["PROCURE_MODEL_THREADS"])
        if os.environ.get("PROCURE_MODEL_THREADS")
        else None,
    )
    return provider.get()


@pytest.fixture(scope="module")
def big_index(model, tmp_path_factory) -> str:
    """The demo indexed for real (contract-object vectors, CPV head), its rows multiplied to
    SUPPLIERS with noised vectors, the CPV head copied, full-text and IVF-PQ indexes built."""
    import numpy as np

    from sourcing import semantic
    from sourcing.ingest import read_rows

    tmp = tmp_path_factory.mktemp("search-scale")
    uri = os.environ.get("PROCURE_BENCH_INDEX") or str(tmp / "big")
    reuse = lindex.open_table(uri)
    if reuse is not None and reuse.count_rows() == SUPPLIERS:  # built by an earlier run
        db = lindex.connect(uri)
        semantic.save(db, semantic.load(db))  # rewritten with its digest
        return uri
    engine = create_engine(f"sqlite:///{tmp / 'db.db'}")
    SQLModel.metadata.create_all(engine)
    demo = str(tmp / "demo")
    with Session(engine) as s:
        src, rows = read_rows(
            (ROOT / "sourcing" / "data" / "decp_demo.json").read_bytes(), "decp", "demo"
        )
        apply_rows(s, rows, source=src, filename="demo")
        s.commit()
        lindex.sync_index(s, uri=demo, embed=model.embed)
    base = lindex.open_table(demo).to_arrow().to_pylist()
    sem = lindex.open_semantic(demo)
    rng = np.random.default_rng(0)
    records = []
    for i in range(SUPPLIERS):
        r = dict(base[i % len(base)])
        v = np.asarray(r["vector"], dtype=np.float32) + rng.normal(0, 0.01, len(r["vector"]))
        r["id"] = i + 1
        r["vector"] = (v / np.linalg.norm(v)).astype(np.float32).tolist()
        records.append(r)
    db = lindex.connect(uri)
    table = db.create_table(
        lindex.TABLE, data=records, schema=lindex._schema(len(v)), mode="overwrite"
    )
    semantic.save(db, sem)
    lindex.ensure_text_index(table)
    lindex.ensure_vector_index(table)
    return uri


def _percentiles(benchmark, samples: list[float]) -> None:
    samples = sorted(samples)
    benchmark.extra_info["p50_ms"] = round(1000 * samples[len(samples) // 2], 1)
    benchmark.extra_info["p95_ms"] = round(1000 * samples[int(len(samples) * 0.95) - 1], 1)
    benchmark.extra_info["load_average"] = round(os.getloadavg()[0], 1)


ROUNDS = 40


def test_bench_search_scale_bare_lancedb(benchmark, big_index, model):
    benchmark.group = "search-scale"
    table = lindex.open_table(big_index)
    vec = model.embed([NEEDS[0]])[0]
    samples: list[float] = []

    def run():
        t = time.perf_counter()
        table.search(vec).limit(10).to_list()
        samples.append(time.perf_counter() - t)

    benchmark.pedantic(run, rounds=ROUNDS)
    _percentiles(benchmark, samples)


def test_bench_search_scale_bare_lancedb_with_embedding(benchmark, big_index, model):
    """The floor of a search that embeds its need: the embedding (no cache) and a bare query."""
    benchmark.group = "search-scale"
    table = lindex.open_table(big_index)
    embedder = model.embedder()
    samples: list[float] = []
    counter = iter(range(10**6))

    def run():
        need = NEEDS[next(counter) % len(NEEDS)]
        t = time.perf_counter()
        table.search(embedder.embed([need])[0]).limit(10).to_list()
        samples.append(time.perf_counter() - t)

    benchmark.pedantic(run, rounds=ROUNDS)
    _percentiles(benchmark, samples)


def test_bench_search_scale_procure(benchmark, big_index, model):
    """As the service runs it: the table and the CPV head opened for the search, the need
    embedded without cache, full text and vectors retrieved, every candidate scored."""
    benchmark.group = "search-scale"
    embedder = model.embedder()
    samples: list[float] = []
    counter = iter(range(10**6))

    def run():
        need = NEEDS[next(counter) % len(NEEDS)]
        t = time.perf_counter()
        table = lindex.open_table(big_index)
        lsearch.search(
            table,
            lsearch.Query(need=need, limit=10),
            embed=embedder.embed,
            semantic=lindex.open_semantic(big_index),
        )
        samples.append(time.perf_counter() - t)

    run()  # the first search reads the CPV head (then cached by its digest)
    samples.clear()
    benchmark.pedantic(run, rounds=ROUNDS)
    _percentiles(benchmark, samples)


# ---------------------------------------------------------------- judgement


def _judge_inputs() -> list[tuple[str, str]]:
    doc = json.loads((ROOT / "sourcing" / "data" / "decp_demo.json").read_text())
    return [(f"Fournisseur {i}", m["objet"]) for i, m in enumerate(doc["marches"][:10])]


def test_bench_judge_top10_bare_completion(benchmark, model):
    """The floor: the same ten prompts completed by llama-cpp-python, no schema, same length."""
    benchmark.group = "judge"
    llama = model.generator()
    prompts = [
        ljudge.SYSTEM + "\n\n" + ljudge.build_prompt(NEEDS[0], name, text)
        for name, text in _judge_inputs()
    ]

    def run():
        start = _clock()
        for p in prompts:
            llama.create_chat_completion(
                messages=[{"role": "user", "content": p}],
                max_tokens=ljudge.MAX_TOKENS,
                temperature=0.0,
            )
        _since(start, benchmark, len(prompts), "suppliers")

    benchmark.pedantic(run, rounds=1)


def test_bench_judge_top10(benchmark, model):
    """The model's judgement of a top 10 (loaded model reused, short prompt, tight schema);
    target under 30 s on 2 cores. Non-sentences are discarded, as on the page."""
    benchmark.group = "judge"
    model.generator()
    inputs = _judge_inputs()
    kept: list[int] = []

    def run():
        start = _clock()
        kept.clear()
        for name, text in inputs:
            kept.append(len(ljudge.judge(model, NEEDS[0], name, text)["reasons"]))
        _since(start, benchmark, len(inputs), "suppliers")

    benchmark.pedantic(run, rounds=1)
    benchmark.extra_info["reasons_kept"] = sum(kept)
