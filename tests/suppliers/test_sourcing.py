"""The sourcing room through the CLI and the web: import, index, search, judge, merges, shortlists."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlmodel import select

from procure.core.models import AuditEvent, Job
from sourcing.models import (
    MergeProposal,
    PastContract,
    SourcingJudgement,
    SourcingSearch,
    Supplier,
    SupplierName,
)
from tests.conftest import soup
from tests.factories import DATA


def events(session, action):
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def cli_import(runner, path, fmt, *extra):
    result = runner.invoke(
        args=["suppliers", "import", str(path), "--format", fmt, "--json", *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_decp_counts_rejections_and_is_idempotent(runner, session):
    first = cli_import(runner, DATA / "decp_extract.json", "decp")
    assert first["read"] == 43 and first["rejected"] == 4
    assert first["created"] + first["updated"] + first["unchanged"] + first["rejected"] == 43
    reasons = {r["position"]: r["reason"] for r in first["rejected_rows"]}
    assert reasons["marché n° 43 (id TEST-SIRET-INVALIDE)"].startswith("SIRET invalide")
    n_suppliers = len(session.exec(select(Supplier)).all())
    n_contracts = len(session.exec(select(PastContract)).all())
    second = cli_import(runner, DATA / "decp_extract.json", "decp")
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 39)
    session.expire_all()
    assert len(session.exec(select(Supplier)).all()) == n_suppliers
    assert len(session.exec(select(PastContract)).all()) == n_contracts
    # spelling variants of one SIREN are kept; the displayed name is the most frequent one
    apave = session.exec(select(Supplier).where(Supplier.siren == "518720925")).one()
    spellings = session.exec(select(SupplierName).where(SupplierName.supplier_id == apave.id)).all()
    assert len(spellings) >= 3
    top = max(spellings, key=lambda n: (n.occurrences, len(n.name)))
    assert apave.name == top.name
    # placeholder amounts are unknown, not zero
    assert (
        session.exec(select(PastContract).where(PastContract.amount.is_(None))).first() is not None
    )
    assert len(events(session, "sourcing.import")) == 2


def test_import_text_output_lists_rejected_rows_with_position(runner):
    result = runner.invoke(
        args=["suppliers", "import", str(DATA / "buyer_suppliers.csv"), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "6 lus, " in result.output and "2 rejetés" in result.output
    assert "rejeté, ligne 5 : SIRET/SIREN invalide : 12345678901234" in result.output
    assert "rejeté, ligne 6 : colonne « nom » vide" in result.output


def test_sirene_name_wins_and_v2_names_are_joined(runner, session):
    cli_import(runner, DATA / "decp_extract.json", "decp")
    report = cli_import(runner, DATA / "sirene_extract.csv", "sirene")
    assert report["rejected_rows"] == [
        {"position": "ligne 5", "reason": "SIREN invalide : 123456789"}
    ]
    session.expire_all()
    berger = session.exec(select(Supplier).where(Supplier.siren == "755800646")).one()
    assert berger.name == "BERGER-LEVRAULT" and berger.size == "ETI" and berger.naf_code == "58.29C"
    v2 = cli_import(runner, DATA / "decp_v2_example.json", "decp")
    assert v2["source"] == "decp-v2" and v2["rejected"] == 0
    session.expire_all()
    edf = session.exec(
        select(Supplier).where(Supplier.siren == "552081317")
    ).one()  # known from SIRENE
    assert edf.name == "ELECTRICITE DE FRANCE"
    pending = session.exec(select(Supplier).where(Supplier.siren == "381031285")).one()
    assert pending.name == ""  # unknown company: name left pending


def test_bad_file_is_refused_in_french_and_nothing_written(runner, session, tmp_path):
    bad = tmp_path / "faux.json"
    bad.write_text("{ceci n'est pas du JSON")
    result = runner.invoke(args=["suppliers", "import", str(bad), "--format", "decp"])
    assert result.exit_code == 1 and "JSON illisible" in result.output
    assert session.exec(select(Supplier)).first() is None


def test_match_and_merge_review_with_undo(runner, client, login, session):
    cli_import(runner, DATA / "decp_extract.json", "decp")
    report = cli_import(runner, DATA / "buyer_suppliers.csv", "csv")
    assert report["merge_proposals"] >= 1
    result = runner.invoke(args=["suppliers", "match", "Berger Levrault SA", "--json"])
    rows = json.loads(result.stdout)
    assert rows[0]["siren"] == "755800646" and rows[0]["score"] >= 90
    assert {"siren", "name", "score"} <= set(rows[0])
    proposal = session.exec(select(MergeProposal)).first()
    target = session.get(Supplier, proposal.target_id)
    assert target.siren == "755800646"
    login("sourcing")
    page = soup(client.get("/sourcing/fusions"))
    assert page.select_one(f"#merge-{proposal.id} button").get_text(strip=True) == "Fusionner"
    r = client.post(f"/sourcing/fusions/{proposal.id}", data={"decision": "accept"})
    assert r.status_code == 303
    session.expire_all()
    assert session.get(Supplier, proposal.source_id).merged_into_id == target.id
    r = client.post(f"/sourcing/fusions/{proposal.id}", data={"decision": "accept"})
    assert r.status_code == 409
    client.post(f"/sourcing/fusions/{proposal.id}", data={"decision": "undo"})
    session.expire_all()
    assert session.get(Supplier, proposal.source_id).merged_into_id is None
    assert session.get(MergeProposal, proposal.id).status == "undone"
    assert [
        e.action
        for e in events(session, "sourcing.merge_accept") + events(session, "sourcing.merge_undo")
    ] == ["sourcing.merge_accept", "sourcing.merge_undo"]


@pytest.mark.parametrize(
    "role,status", [("sourcing", 200), ("admin", 200), ("buyer", 403), ("legal", 403)]
)
def test_sourcing_page_access(client, login, role, status):
    login(role)
    assert client.get("/sourcing/").status_code == status


def test_web_upload_runs_a_job_and_shows_counts(client, login, session):
    login("sourcing")
    r = client.post(
        "/sourcing/import",
        data={
            "format": "decp",
            "fichier": (io.BytesIO((DATA / "decp_extract.json").read_bytes()), "decp_extract.json"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    page = soup(client.get(r.headers["Location"]))
    cells = [td.get_text(strip=True) for td in page.select("table.counts tbody td")]
    assert cells[0] == "43" and cells[-1] == "4"
    assert len(page.select("ul.rejected li")) == 4
    job = session.exec(select(Job).where(Job.kind == "sourcing.import")).one()
    assert job.status == "done" and job.params["filename"] == "decp_extract.json"


def test_web_upload_without_file_is_422_with_field_messages(client, login):
    login("sourcing")
    r = client.post("/sourcing/import", data={"format": ""}, content_type="multipart/form-data")
    assert r.status_code == 422
    page = soup(r)
    assert page.select_one("#f-format")["aria-invalid"] == "true"
    assert "fichier" in page.select_one("#err-fichier").get_text()


def test_search_without_index_is_a_conflict(runner):
    result = runner.invoke(args=["sourcing", "search", "maintenance informatique"])
    assert result.exit_code == 1 and "procure index" in result.output


def test_index_search_judge_shortlist_and_exports(runner, client, login, session, app):
    """The whole path on a small index: the real model embeds ~40 short profiles and judges one."""
    cli_import(runner, DATA / "decp_extract.json", "decp")
    cli_import(runner, DATA / "buyer_suppliers.csv", "csv")
    out = runner.invoke(args=["index", "--json"])
    assert out.exit_code == 0, out.output
    first = json.loads(out.stdout)
    # the model embeds each distinct contract object once (and the profile of a supplier without
    # contracts); a supplier's vector is the mean of its contracts' vectors
    assert first["suppliers"] > 30 and first["embedded"] >= first["suppliers"] - 5
    again = json.loads(runner.invoke(args=["index", "--json"]).stdout)
    assert again["embedded"] == 0 and again["updated"] == 0  # only changed profiles are re-embedded

    result = runner.invoke(
        args=[
            "sourcing",
            "search",
            "audit d'algorithmes et intelligence artificielle",
            "--limit",
            "5",
            "--judge",
            "1",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"]["file_hash"] and data["model"]["name"].endswith(".gguf")
    top = data["results"][0]
    assert {"siren", "name", "score", "components", "evidence"} <= set(top)
    assert set(top["components"]) >= {"semantique", "texte", "cpv", "recence"}
    assert top["name"] == "Agence IA Éthique" and top["judgement"]["injection_flags"]
    assert 0 <= top["judgement"]["fit"] <= 4 and top["components"]["jugement"] <= 1
    # the experimental judgement may raise a score, never lower it
    from sourcing.search import weighted

    unjudged = {k: v for k, v in top["components"].items() if k != "jugement"}
    assert top["score"] >= weighted(unjudged, data["weights"]) - 0.01
    assert data["no_match"] in (True, False)
    assert all(len(x.split()) >= 4 for x in top["judgement"]["reasons"])  # sentences only
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    session.expire_all()
    record = session.get(SourcingSearch, data["id"])
    assert record.judged == 1 and record.model["file_hash"] == data["model"]["file_hash"]
    judgement = session.exec(select(SourcingJudgement)).one()
    assert "<<<FOURNISSEUR>>>" in judgement.prompt and judgement.injection_flags
    assert events(session, "sourcing.search")[0].details["model"]["file_hash"]

    login("sourcing")
    r = client.post(
        "/sourcing/recherche",
        data={"need": "logiciels de gestion pour les collectivités", "cpv": "48", "limit": "5"},
    )
    assert r.status_code == 303
    page = soup(client.get(r.headers["Location"]))
    rows = page.select("table.results tr.result")
    assert rows and all(row.select("li[data-component=cpv]") for row in rows)
    assert page.select_one("table.results td.score")
    search_id = int(page.select_one("input[name=search_id]")["value"])
    ids = [row.select_one("input[name=supplier_ids]")["value"] for row in rows[:2]]

    r = client.post("/sourcing/recherche", data={"need": "x", "departement": "999"})
    assert r.status_code == 422
    assert soup(r).select_one("#f-need")["aria-invalid"] == "true"

    r = client.post(
        "/sourcing/preselections",
        data={"search_id": search_id, "supplier_ids": ids, "title": "Logiciels"},
    )
    assert r.status_code == 303
    shortlist_url = r.headers["Location"]
    csv_text = client.get(shortlist_url + ".csv").get_data(as_text=True)
    assert (
        csv_text.startswith("\ufeffSIREN;Nom;Score (sur 100);Proximité sémantique (0 à 1)")
        and len(csv_text.strip().splitlines()) == 3
    )
    assert client.get(shortlist_url + ".docx").status_code == 404  # a GET writes nothing
    assert not events(session, "sourcing.export_docx")
    r = client.post(shortlist_url + "/rapport")
    assert r.status_code == 303 and r.headers["Location"].endswith(".docx")
    r = client.get(r.headers["Location"])
    assert r.status_code == 200
    from procure.documents import read_text

    path = Path(app.config["EXPORT_PATH"]) / "report.docx"
    path.write_bytes(r.data)
    text = read_text(path)
    assert "Rapport de sourcing" in text and "Pondérations" in text and "Présélection" in text
    # The cover names the organisation, never the author's e-mail, and the title once.
    assert "Ministère de test" in text and "@" not in text
    assert text.count("Rapport de sourcing") == 1
    record = session.get(SourcingSearch, search_id)
    assert record.model["file_hash"] in text
    assert events(session, "sourcing.shortlist") and events(session, "sourcing.export_docx")


def test_evaluation_runs_on_a_tiny_holdout(model, tmp_path):
    from sourcing.evaluate import evaluate

    report = evaluate(
        (DATA / "decp_extract.json").read_bytes(),
        model=model,
        workdir=str(tmp_path),
        split="tune",
        holdout=3,
        seed=2,
    )
    assert {"bm25", "hybride (défaut)", "sans modèle"} <= set(report["modes"])
    for m in report["modes"].values():
        assert 0 <= m["recall@10"] <= 1 and 0 <= m["ndcg@10"] <= 1 and 0 <= m["mrr@10"] <= 1
    nm = report["no_match_set"]["hybride (défaut)"]
    assert nm["needs"] >= 30 and 0 <= nm["wrongly_confident_share"] <= 1
