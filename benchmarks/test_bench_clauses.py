"""Clause library: search-as-you-type and file parsing, each against a bare baseline in the same run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, SQLModel, select

import procure.schema  # noqa: F401
from procure.accounts.demo import ensure_users
from procure.clause_library import demo as clauses_demo
from procure.clause_library import services as service
from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services import parse_clause_text
from procure.core.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    (p.relative_to(ROOT / "clauses").as_posix(), p.read_text(encoding="utf-8"))
    for p in sorted((ROOT / "clauses").rglob("*.md"))
]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    clauses_demo.load(engine=engine, users=ensure_users(engine), echo=lambda _m: None)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_bench_library_bare_query(benchmark, session):
    """Baseline: fetch every clause and version, nothing else."""
    benchmark.group = "clause-search"
    benchmark(lambda: session.exec(select(Clause, ClauseVersion).join(ClauseVersion)).all())


def test_bench_library_search_typo(benchmark, session):
    benchmark.group = "clause-search"
    rows = benchmark(
        lambda: service.list_library(session=session, q="journalisaton des évènements")
    )
    assert rows and rows[0].clause.key == "auditabilite.journalisation"


def test_bench_library_search_prefix(benchmark, session):
    benchmark.group = "clause-search"
    rows = benchmark(lambda: service.list_library(session=session, q="sequest"))
    assert rows


def test_bench_parse_bare_yaml(benchmark):
    """Baseline: libyaml safe load of every front matter, no validation."""
    benchmark.group = "clause-parse"
    benchmark(
        lambda: [yaml.load(text.split("---\n")[1], Loader=yaml.CSafeLoader) for _n, text in FILES]
    )  # noqa: S506


def test_bench_parse_library(benchmark):
    benchmark.group = "clause-parse"
    benchmark(lambda: [parse_clause_text(text, filename=name) for name, text in FILES])
