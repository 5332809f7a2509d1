"""Export of a tender with 60 clauses to DOCX and ODT, next to a bare docxtpl render of the same content.

The bare baseline renders the same paragraphs through a one-loop docxtpl template (no cover, no
styles, no table of contents, no annex) and saves it: the cost of docxtpl itself. Run with
`make bench`; the ratios are printed and stored in the benchmark's extra_info.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

import procure.documents as documents
import procure.schema  # noqa: F401
from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services import parse_clause_text
from procure.core.audit import Actor
from procure.core.db import make_engine
from procure.documents.store import DocumentStore
from procure.tenders import services as svc

ROOT = Path(__file__).resolve().parent.parent
MEDIANS: dict[str, float] = {}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench-export")
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        specs = [
            parse_clause_text(p.read_text(encoding="utf-8"), filename=p.name)
            for p in sorted((ROOT / "clauses").rglob("*.md"))
        ]
        keys = []
        for i in range(60):  # the 51 library clauses, then copies under new keys, all in the CCAP
            spec = specs[i % len(specs)]
            key = spec.key if i < len(specs) else f"{spec.key}-{i}"
            clause = Clause(key=key, family=spec.family)
            session.add(clause)
            session.flush()
            session.add(
                ClauseVersion(
                    clause_id=clause.id,
                    number=1,
                    status="approved",
                    title=spec.title,
                    piece="CCAP",
                    body=spec.body,
                    variables=spec.variables,
                    variants=spec.variants,
                    conditions={},
                    covers=spec.covers,
                    departures=spec.departures,
                    content_hash=spec.content_hash(),
                )
            )
            keys.append(key)
        session.commit()
        tender = svc.create_tender(
            session=session,
            actor=Actor.system(),
            data={
                "title": "Banc d'essai",
                "buyer": "Ville de Banc",
                "procedure": "aoo",
                "cpv": ["72000000-5"],
                "ai_high_risk": True,
                "personal_data": True,
                "sensitive_data": True,
                "requests_per_year": 1000,
                "tokens_per_request": 100,
                "award_criteria": [
                    {"name": "Prix", "kind": "price", "weight": 60},
                    {"name": "Env", "kind": "environment", "weight": 40},
                ],
            },
            clauses=[{"key": k} for k in keys],
        )
        spec, manifest = svc.build_spec(session=session, tender=tender, piece="CCAP")
        assert len(manifest) == 60
        bare_template = tmp / "bare.docx"
        from docx import Document

        doc = Document()
        doc.add_paragraph("{%p for b in blocks %}")
        doc.add_paragraph("{{ b }}")
        doc.add_paragraph("{%p endfor %}")
        doc.save(str(bare_template))
        texts = [text for _b, text in documents.numbered_headings(spec.blocks) if text]
        yield {
            "session": session,
            "tender": tender,
            "spec": spec,
            "tmp": tmp,
            "bare": bare_template,
            "texts": texts,
        }
    engine.dispose()


def _record(benchmark, name: str) -> None:
    MEDIANS[name] = statistics.median(benchmark.stats.stats.data)


def test_bench_export_bare_docxtpl(benchmark, setup):
    from docxtpl import DocxTemplate

    benchmark.group = "export-60-clauses"

    def bare():
        tpl = DocxTemplate(str(setup["bare"]))
        tpl.render({"blocks": setup["texts"]}, autoescape=True)
        tpl.save(str(setup["tmp"] / "bare-out.docx"))

    benchmark.pedantic(bare, rounds=15, warmup_rounds=2)
    _record(benchmark, "bare")


def test_bench_write_docx(benchmark, setup):
    benchmark.group = "export-60-clauses"
    benchmark.pedantic(
        lambda: documents.write_docx(setup["spec"], setup["tmp"] / "w.docx"),
        rounds=15,
        warmup_rounds=2,
    )
    _record(benchmark, "write_docx")


def test_bench_write_odt(benchmark, setup):
    benchmark.group = "export-60-clauses"
    benchmark.pedantic(
        lambda: documents.write_odt(setup["spec"], setup["tmp"] / "w.odt"),
        rounds=15,
        warmup_rounds=2,
    )
    _record(benchmark, "write_odt")


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_bench_full_export(benchmark, setup, fmt):
    """The whole service: check, build, write, hash, read back, record the document and audit."""
    benchmark.group = "export-60-clauses"

    def run():
        svc.export(
            session=setup["session"],
            actor=Actor.system(),
            tender_id=setup["tender"].id,
            piece="CCAP",
            fmt=fmt,
            store=DocumentStore(setup["tmp"] / "exports"),
        )

    benchmark.pedantic(run, rounds=15, warmup_rounds=2)
    _record(benchmark, f"export_{fmt}")
    if "bare" in MEDIANS:
        ratios = {k: round(v / MEDIANS["bare"], 2) for k, v in MEDIANS.items()}
        benchmark.extra_info.update(
            {
                "medians_ms": {k: round(v * 1000, 1) for k, v in MEDIANS.items()},
                "ratio_to_bare": ratios,
            }
        )
        print(
            "\nmedians (ms):",
            {k: round(v * 1000, 1) for k, v in MEDIANS.items()},
            "ratios:",
            ratios,
        )
