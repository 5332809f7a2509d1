"""Issue 13: what the model contributes (CPV head), calibrated scores and the no-match answer,
public bodies, the judgement's honesty, evidence a buyer can read, and the model's warm-up."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sourcing import judge as ljudge
from sourcing import search as lsearch
from sourcing import semantic
from sourcing.ingest import read_rows
from sourcing.models import PastContract
from sourcing.normalise import is_public_body, strip_markup

DATA = Path(__file__).parent.parent / "data"


def test_cpv_head_learns_classes_from_labelled_vectors():
    """The head separates classes that a mean-pooled model would blur (a shared offset)."""
    rng = np.random.default_rng(0)
    offset = rng.normal(size=64) * 5  # what every text shares (anisotropy)
    centres = {"721": rng.normal(size=64), "909": rng.normal(size=64), "452": rng.normal(size=64)}
    vectors, labels = [], []
    for code, c in centres.items():
        for _ in range(30):
            vectors.append(offset + c + rng.normal(size=64) * 0.3)
            labels.append(code + "00000")
    sem = semantic.build(np.asarray(vectors), labels)
    assert set(sem.heads) == {2, 3}
    hits = 0
    for code, c in centres.items():
        v = sem.need_vector(list(offset + c + rng.normal(size=64) * 0.3))
        hits += sem.cpv_classes(v)[0]["prefix"] == code
    assert hits == 3


def test_semantic_artefacts_round_trip_through_lancedb(tmp_path):
    import lancedb

    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(40, 16))
    labels = ["72100000"] * 20 + ["90900000"] * 20
    vectors[20:] += 3
    sem = semantic.build(vectors, labels)
    db = lancedb.connect(str(tmp_path))
    semantic.save(db, sem)
    back = semantic.load(db)
    v = back.need_vector(list(vectors[25]))
    assert back.cpv_classes(v)[0]["prefix"] == sem.cpv_classes(v)[0]["prefix"] == "909"
    assert np.allclose(back.mean, sem.mean)


def test_text_component_is_absolute_not_relative_to_the_best_hit():
    # the same BM25 score gives the same component whatever the other hits scored
    assert lsearch.text_component(8.0) == 0.5
    assert lsearch.text_component(2.0) < 0.25
    assert lsearch.text_component(0.0) == 0.0
    assert lsearch.semantic_component(lsearch.SEM_HIGH + 0.1) == 1.0
    assert lsearch.semantic_component(lsearch.SEM_LOW) == 0.0


def test_markup_and_boolean_names_are_cleaned_at_import():
    doc = {
        "marches": [
            {
                "id": "M1",
                "objet": "Maintenance <br /> du parc&nbsp;informatique<br/>",
                "codeCPV": "50312000",
                "montant": 1000,
                "dateNotification": "2019-02-01",
                "acheteur": {"id": "21690123100011", "nom": "Ville"},
                "titulaires": [
                    {
                        "id": "38012986648781",
                        "typeIdentifiant": "SIRET",
                        "denominationSociale": True,
                    }
                ],
            }
        ]
    }
    _src, rows = read_rows(json.dumps(doc).encode(), "decp", "t.json")
    row = rows[0]
    assert row.ok, row.error
    assert row.contract["object"] == "Maintenance du parc informatique"
    assert row.winners[0].name == ""  # a JSON boolean is no name
    assert strip_markup("a<p>b</p>c &amp; d") == "a b c & d"


def test_public_bodies_are_recognised_by_legal_category_or_siren():
    assert is_public_body("216901231")  # a commune's SIREN begins with 2
    assert is_public_body("130025265")  # a State body's with 1
    assert not is_public_body("380129866")
    assert is_public_body("380129866", "7210")  # category 7xxx: public-law body
    assert not is_public_body("216901231", "5710")  # the category wins when known


def test_judge_discards_output_that_is_not_a_sentence():
    prompt = ljudge.build_prompt("logiciel RH", "ACME", "édition de logiciels de paie")
    assert not ljudge.is_sentence("1", prompt)
    assert not ljudge.is_sentence("l'acheteur", prompt)
    assert not ljudge.is_sentence("édition de logiciels de paie", prompt)  # copied from the prompt
    assert ljudge.is_sentence("A déjà livré un logiciel de paie à deux communes.", prompt)
    assert "expérimental" in ljudge.note(0.55).lower() and "0,55" in ljudge.note(0.55)


def test_evidence_groups_the_lots_of_one_contract():
    from procure.suppliers.services.search import evidence_lines

    day = date(2019, 3, 1)
    cs = [
        PastContract(
            supplier_id=1,
            contract_key=f"k{i}",
            buyer_siret="21690123100011",
            buyer_name="Ville de Lyon",
            object=f"Fournitures informatiques - Lot {i} : postes<br />",
            cpv="30213000-5",
            amount=1000.5 * i,
            notified_on=day,
        )
        for i in (1, 2)
    ] + [
        PastContract(
            supplier_id=1,
            contract_key="k3",
            buyer_name="Département",
            object="Maintenance",
            cpv="50312000-5",
            amount=None,
            notified_on=date(2018, 1, 5),
        )
    ]
    lines = evidence_lines(cs, cs[:2])
    assert len(lines) == 2
    lots = lines[0]
    assert lots["lots"] == 2 and lots["object"] == "Fournitures informatiques"
    assert lots["date_fr"] == "1 mars 2019" and "3001,50" in "".join(
        lots["amount_fr"].split()
    ).replace("\u202f", "").replace("\xa0", "")
    assert lines[1]["amount_fr"] == "montant inconnu" and "<br" not in json.dumps(lines)


@pytest.mark.model
def test_gibberish_need_has_no_match_on_page_and_in_json(runner, client, login):
    assert (
        runner.invoke(
            args=["suppliers", "import", str(DATA / "decp_extract.json"), "--format", "decp"]
        ).exit_code
        == 0
    )
    assert runner.invoke(args=["index", "--json"]).exit_code == 0
    out = runner.invoke(args=["sourcing", "search", "xkqz vbrmt plofniak", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["no_match"] is True
    assert all(r["score"] < data["no_match_threshold"] for r in data["results"])
    assert not any(r["siren"][:1] in "12" for r in data["results"] if r["siren"])
    login("sourcing")
    r = client.post("/sourcing/recherche", data={"need": "xkqz vbrmt plofniak"})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Aucun fournisseur pertinent dans les données" in page
    assert "Proximité sémantique" in page or "Pertinence du texte" in page


def test_model_warm_up_reports_loading_then_ready(model_provider):
    from procure.core.model_provider import ModelProvider

    # A provider of its own: the session's shared one may already be warm from another test.
    provider = ModelProvider(
        path=None, url=None, name=None, instance_path=str(model_provider.models_dir.parent)
    )
    assert provider.state == "idle"
    thread = provider.warm()
    assert provider.state in ("loading", "ready")
    thread.join(timeout=120)
    assert provider.state == "ready"


def test_red_flags_follow_the_standard_definitions():
    from sourcing import flags

    assert flags.hhi([1, 1, 1, 1]) == 2500.0 and flags.hhi([3]) == 10000.0

    def c(i, buyer, cpv, procedure="Appel d'offres ouvert", offers=None):
        return PastContract(
            id=i,
            supplier_id=1,
            contract_key=str(i),
            buyer_siret=buyer,
            buyer_name=f"Acheteur {buyer}",
            object=f"objet {i}",
            cpv=cpv,
            procedure=procedure,
            offers_received=offers,
        )

    mine = [
        c(1, "A", "72200000-7", offers=1),
        c(2, "A", "72500000-0"),
        c(3, "A", "72300000-8", "Marché négocié sans publicité ni mise en concurrence préalable"),
        c(4, "B", "45000000-7", offers=1, procedure="Marché négocié sans publicité"),
    ]
    # buyer A's IT market: supplier 1 has 3 of 4 contracts (HHI 6 250); buyer B's: 1 of 5
    markets = flags.market_counts(
        [("A", "72", 1)] * 3
        + [("A", "72", 2)]
        + [("B", "45", 1)]
        + [("B", "45", s) for s in (3, 4, 5, 6)]
    )
    found = {f["code"]: f for f in flags.red_flags(mine, markets, 1)}
    assert set(found) == {"single_bid", "no_call", "concentration"}
    assert [x["id"] for x in found["single_bid"]["contracts"]] == [1]  # 4 was not competitive
    assert found["no_call"]["count"] == 2
    assert (
        found["concentration"]["hhi"] == 6250.0
        and found["concentration"]["market"]["division"] == "72"
    )
    assert "R018" in found["single_bid"]["definition"] and found["concentration"]["threshold"]


def test_import_writes_new_suppliers_in_batches_not_one_flush_each(tmp_path):
    """Batched writes: the flushes of an import do not grow with the number of new suppliers,
    and the counts stay those of the row-by-row import (created, then updated)."""
    from sqlalchemy import event
    from sqlmodel import Session, SQLModel, create_engine

    import procure.core.models  # noqa: F401 - every table, for create_all
    from sourcing.ingest import apply_rows

    engine = create_engine(f"sqlite:///{tmp_path / 'i.db'}")
    SQLModel.metadata.create_all(engine)
    _src, rows = read_rows((DATA / "decp_extract.json").read_bytes(), "decp", "extrait")
    with Session(engine) as session:
        flushes = []
        event.listen(session, "after_flush", lambda *_: flushes.append(1))
        report = apply_rows(session, rows, source="decp-v1", filename="extrait")
        session.commit()
    assert report.created > 20 and len(flushes) <= 4
    with Session(engine) as session:
        again = apply_rows(session, rows, source="decp-v1", filename="extrait")
    assert (
        again.created == again.updated == 0 and again.unchanged == report.created + report.updated
    )


def test_sirene_continuity_is_imported_and_shown(tmp_path):
    from sqlmodel import Session, SQLModel, create_engine, select

    import procure.core.models  # noqa: F401 - every table, for create_all
    from procure.suppliers.services.suppliers import continuity
    from sourcing.ingest import apply_rows
    from sourcing.models import Supplier

    csv_text = (
        "siren,denominationUniteLegale,categorieJuridiqueUniteLegale,"
        "etatAdministratifUniteLegale,dateCreationUniteLegale\n"
        "755800646,BERGER-LEVRAULT,5710,A,1981-01-01\n"
        "518720925,ANCIENNE SAS,5710,C,2025-06-30\n"
        "380129866,MAL DATEE,5710,A,pas une date\n"
    )
    _src, rows = read_rows(csv_text.encode(), "sirene", "stock.csv")
    assert all(r.ok for r in rows)  # a bad creation date is a warning, the row is kept
    assert any("date de création" in w for w in rows[2].warnings)
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        apply_rows(session, rows, source="sirene", filename="stock.csv")
        session.commit()
        by = {s.siren: s for s in session.exec(select(Supplier)).all()}
        assert by["518720925"].activity_status == "C"
        assert by["755800646"].founded_on == date(1981, 1, 1)
        ceased = continuity(by["518720925"], today=date(2026, 12, 1))
        assert ceased[0].startswith("Activité cessée") and "moins de 2 ans" in ceased[1]
        assert continuity(by["755800646"])[0] == "Active selon SIRENE"


def test_model_cpv_component_is_absolute_and_saturates():
    """The share of a supplier's record in the divisions the CPV head predicts: a function of
    that supplier and the need's probabilities only, 0 without matching contracts, towards 1."""
    probs = {"72": 0.9, "48": 0.1, "722": 0.6}
    one = lsearch.model_cpv_features([("72212000", 2019)], probs)
    many = lsearch.model_cpv_features([("72212000", 2019)] * 20, probs)
    none = lsearch.model_cpv_features([("90910000", 2019)], probs)
    assert lsearch.model_cpv_component(none) == 0.0
    assert 0 < lsearch.model_cpv_component(one) < lsearch.model_cpv_component(many) < 1
    assert lsearch.model_cpv_component(many) > 0.85
    assert one["s2"] == pytest.approx(0.9) and one["s3"] == pytest.approx(0.6)


def test_label_query_uses_the_predicted_groups_labels():
    text = lsearch.label_query({"722": 0.6, "909": 0.05, "72": 0.9})
    assert "programmation" in text.lower()  # 72200000: services de programmation et de conseil
    assert "nettoyage" not in text.lower()  # 909 is below the probability floor
    assert lsearch.label_query({"909": 0.01}) == ""
