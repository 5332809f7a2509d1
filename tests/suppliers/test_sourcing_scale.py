"""National scale (issue 13): the batched import gives the same result whatever the batch size,
follows merges, stays idempotent; the CPV head is cached by the digest written at index time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, SQLModel, create_engine, select

import procure.core.models  # noqa: F401 - every table, for create_all
from sourcing import semantic
from sourcing.ingest import apply_rows, read_rows
from sourcing.models import PastContract, Supplier, SupplierName

DATA = Path(__file__).parents[1] / "data"


def _state(session: Session) -> tuple:
    suppliers = sorted(
        (s.siren or "", s.name, tuple(s.sources)) for s in session.exec(select(Supplier)).all()
    )
    names = sorted((n.name, n.occurrences) for n in session.exec(select(SupplierName)).all())
    contracts = session.exec(select(func.count()).select_from(PastContract)).one()
    return suppliers, names, contracts


def test_batch_size_changes_nothing_and_reimport_is_unchanged(tmp_path):
    _src, rows = read_rows((DATA / "decp_extract.json").read_bytes(), "decp", "extrait")
    results = []
    for batch in (7, 20_000):
        engine = create_engine(f"sqlite:///{tmp_path / f'b{batch}.db'}")
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            report = apply_rows(session, rows, source="decp-v1", filename="x", batch=batch)
            session.commit()
            results.append(
                (report.created, report.updated, report.unchanged, report.rejected, _state(session))
            )
            again = apply_rows(session, rows, source="decp-v1", filename="x", batch=batch)
            assert again.created == again.updated == 0
            assert again.unchanged == report.created + report.updated + report.unchanged
            assert again.rejected == report.rejected
        engine.dispose()
    assert results[0] == results[1]
    assert results[0][0] > 10 and results[0][4][2] > 10  # created suppliers, contracts


def test_contract_of_a_merged_supplier_goes_to_its_target_once(tmp_path):
    record = json.loads((DATA / "decp_extract.json").read_text())["marches"][0]
    siret = record["titulaires"][0]["id"]
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        target = Supplier(name="Cible", normalized_name="cible")
        session.add(target)
        session.flush()
        session.add(Supplier(siren=siret[:9], name="Source", merged_into_id=target.id))
        session.commit()
        target_id = target.id
        data = json.dumps({"marches": [record]}).encode()
        for _ in range(2):  # the second import finds the contract on the target: unchanged
            _src, rows = read_rows(data, "decp", "m.json")
            report = apply_rows(session, rows, source="decp-v1", filename="m.json")
            session.commit()
        assert report.unchanged == 1 and report.supplier_ids == {target_id}
        owners = session.exec(select(PastContract.supplier_id)).all()
        assert owners == [target_id]


def _artefacts(seed: int) -> semantic.Semantic:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    labels = ["72000000" if i % 2 else "48000000" for i in range(60)]
    return semantic.build(vectors, labels)


def test_cpv_head_is_read_once_per_content(tmp_path):
    import lancedb

    uri = str(tmp_path / "index")
    db = lancedb.connect(uri)
    first = _artefacts(0)
    semantic.save(db, first)
    loaded = semantic.load_cached(db, uri)
    assert loaded is not None and semantic.digest(loaded) == semantic.digest(first)
    assert semantic.load_cached(db, uri) is loaded  # same content: not read again
    semantic.save(db, _artefacts(1))  # a new index (the table overwritten)
    again = semantic.load_cached(db, uri)
    assert again is not loaded and semantic.digest(again) == semantic.digest(_artefacts(1))
    db.drop_table(semantic.TABLE)
    assert semantic.load_cached(db, uri) is None
