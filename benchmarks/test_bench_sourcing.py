"""Sourcing speed, each next to a bare baseline measured in the same run.

- import: the whole real DECP file (4,509 contracts) read, validated and written, vs json.load alone
- name matching with blocking: one query against 10,000 and 100,000 names (near-linear: the block,
  not the whole list, is compared)
- embedding: the indexer's embedder vs a bare llama-cpp-python `Llama(embedding=True).embed` loop
  on the same 64 real contract objects
- search: p50/p95 of a full hybrid search (query embedding included) at 10,000 and 100,000
  suppliers (the real demo profiles multiplied), vs a bare LanceDB vector query

Run with `make bench` (model from PROCURE_MODEL_PATH or the test cache).
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, create_engine

import procure.schema  # noqa: F401
from sourcing import index as lindex
from sourcing import search as lsearch
from sourcing.ingest import apply_rows, read_rows
from sourcing.match import Entry, NameIndex
from sourcing.normalise import normalise_name

ROOT = Path(__file__).resolve().parent.parent
DECP = Path(os.environ.get("PROCURE_BENCH_DECP", ROOT / "sourcing" / "data" / "decp_demo.json"))
NEEDS = [
    "maintenance informatique et infogérance",
    "logiciel de gestion financière",
    "nettoyage des bâtiments communaux",
    "assistance à maîtrise d'ouvrage système d'information",
    "fourniture de mobilier de bureau",
    "travaux de voirie",
    "formation bureautique",
    "hébergement de données de santé",
    "audit de sécurité informatique",
    "étude géotechnique",
]


@pytest.fixture(scope="module")
def model():
    from procure.core.model_provider import ModelProvider

    path = os.environ.get("PROCURE_MODEL_PATH")
    provider = ModelProvider(
        path=path,
        url=None,
        name=None,
        instance_path=os.environ.get("PROCURE_TEST_MODEL_DIR", str(ROOT / "instance")),
    )
    return provider.get()


def _objects(n: int) -> list[str]:
    doc = json.loads(DECP.read_text(encoding="utf-8"))
    return [m["objet"] for m in doc["marches"]][:n]


# ---------------------------------------------------------------- import


def test_bench_import_bare_json_load(benchmark):
    benchmark.group = "import"
    data = DECP.read_bytes()
    benchmark.pedantic(lambda: json.loads(data), rounds=5)


def test_bench_import_decp(benchmark, tmp_path):
    benchmark.group = "import"
    data = DECP.read_bytes()

    def run():
        engine = create_engine(f"sqlite:///{tmp_path / f'i{time.perf_counter_ns()}.db'}")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as s:
            src, rows = read_rows(data, "decp")
            apply_rows(s, rows, source=src, filename="bench")
            s.commit()
        engine.dispose()
        return len(rows)

    n = benchmark.pedantic(run, rounds=3)
    benchmark.extra_info["rows"] = n


# ---------------------------------------------------------------- matching


def _names(n: int) -> list[str]:
    doc = json.loads(DECP.read_text(encoding="utf-8"))
    base = sorted(
        {
            t.get("denominationSociale", "")
            for m in doc["marches"]
            for t in m.get("titulaires") or []
        }
        - {""}
    )
    rng = random.Random(0)
    suffixes = [
        "",
        " SAS",
        " SARL",
        " France",
        " Sud",
        " Nord",
        " Groupe",
        " Services",
        " Ouest",
        " Est",
    ]
    out = []
    while len(out) < n:
        name = rng.choice(base)
        out.append(f"{name}{rng.choice(suffixes)} {rng.randint(1, 99999)}")
    return out


@pytest.mark.parametrize("size", [10_000, 100_000])
def test_bench_match_blocked(benchmark, size):
    benchmark.group = "match"
    names = _names(size)
    index = NameIndex(Entry(i, n, normalise_name(n)) for i, n in enumerate(names))
    queries = [names[i].rsplit(" ", 1)[0] for i in range(0, 50)]
    benchmark.extra_info["names"] = size
    benchmark.pedantic(lambda: [index.match(q, limit=5) for q in queries], rounds=3)


# ---------------------------------------------------------------- embedding


def test_bench_embed_bare_llama_cpp(benchmark, model):
    from llama_cpp import Llama

    benchmark.group = "embed"
    texts = _objects(64)
    llama = Llama(
        model_path=str(model.path),
        embedding=True,
        n_ctx=512,
        n_batch=512,
        n_ubatch=512,
        n_threads=model.n_threads,
        verbose=False,
    )
    benchmark.pedantic(lambda: [llama.embed(t) for t in texts], rounds=2)
    benchmark.extra_info["texts"] = len(texts)


def test_bench_embed_indexer(benchmark, model):
    benchmark.group = "embed"
    texts = _objects(64)
    embedder = model.embedder()  # the indexer's path, without the text cache
    benchmark.pedantic(lambda: embedder.embed(texts), rounds=2)
    benchmark.extra_info["texts"] = len(texts)


# ---------------------------------------------------------------- search


SIZES = [10_000, 100_000, 300_000]


@pytest.fixture(scope="module")
def big_tables(model, tmp_path_factory):
    """The demo indexed for real (contract-object vectors, CPV head), its rows multiplied to 10k,
    100k and 300k suppliers with noised vectors; each copy keeps the index's CPV head."""
    import numpy as np

    from sourcing import semantic

    tmp = tmp_path_factory.mktemp("search")
    engine = create_engine(f"sqlite:///{tmp / 'db.db'}")
    SQLModel.metadata.create_all(engine)
    uri = str(tmp / "demo")
    with Session(engine) as s:
        src, rows = read_rows(DECP.read_bytes(), "decp")
        apply_rows(s, rows, source=src, filename="bench")
        s.commit()
        lindex.sync_index(s, uri=uri, embed=model.embed)
    base = lindex.open_table(uri).to_arrow().to_pylist()
    sem = lindex.open_semantic(uri)
    rng = np.random.default_rng(0)
    tables = {}
    for size in SIZES:
        records = []
        for i in range(size):
            r = dict(base[i % len(base)])
            v = np.asarray(r["vector"], dtype=np.float32) + rng.normal(0, 0.01, len(r["vector"]))
            r["id"] = i + 1
            r["vector"] = (v / np.linalg.norm(v)).astype(np.float32).tolist()
            records.append(r)
        target = str(tmp / f"l{size}")
        db = lindex.connect(target)
        table = db.create_table(lindex.TABLE, data=records, schema=lindex._schema(len(v)))
        semantic.save(db, sem)
        lindex.ensure_text_index(table)
        lindex.ensure_vector_index(table)
        tables[size] = (table, target)
    return tables


def _percentiles(benchmark, samples: list[float]) -> None:
    samples = sorted(samples)
    benchmark.extra_info["p50_ms"] = round(1000 * samples[len(samples) // 2], 1)
    benchmark.extra_info["p95_ms"] = round(1000 * samples[int(len(samples) * 0.95) - 1], 1)


@pytest.mark.parametrize("size", SIZES)
def test_bench_search_bare_lancedb(benchmark, big_tables, model, size):
    benchmark.group = f"search-{size}"
    table, _uri = big_tables[size]
    vec = model.embed([NEEDS[0]])[0]
    samples = []

    def run():
        t = time.perf_counter()
        table.search(vec).limit(10).to_list()
        samples.append(time.perf_counter() - t)

    benchmark.pedantic(run, rounds=30)
    _percentiles(benchmark, samples)


@pytest.mark.parametrize("size", SIZES)
def test_bench_search_hybrid_with_query_embedding(benchmark, big_tables, model, size):
    """The whole search as the service runs it: the need embedded (no cache), the CPV head read
    from the index, full-text and vector retrieval, scores."""
    benchmark.group = f"search-{size}"
    table, uri = big_tables[size]
    embedder = model.embedder()  # no cache: every query is embedded
    samples = []
    counter = iter(range(10**6))

    def run():
        need = f"{NEEDS[next(counter) % len(NEEDS)]}"
        t = time.perf_counter()
        lsearch.search(
            table,
            lsearch.Query(need=need, limit=10),
            embed=embedder.embed,
            semantic=lindex.open_semantic(uri),
        )
        samples.append(time.perf_counter() - t)

    benchmark.pedantic(run, rounds=30)
    _percentiles(benchmark, samples)


# ---------------------------------------------------------------- judgement


def test_bench_judge_top10(benchmark, model):
    """The model's judgement of a top 10 (the loaded model reused, short prompt, tight schema);
    target under 30 s on 2 cores."""
    from sourcing import judge as ljudge

    texts = _objects(10)
    model.generator()  # loaded once, as in the app

    def run():
        for i, text in enumerate(texts):
            ljudge.judge(model, NEEDS[0], f"Fournisseur {i}", text)

    benchmark.pedantic(run, rounds=1)
    benchmark.extra_info["suppliers"] = len(texts)
