"""The analysis report (RAO): DOCX and ODT, read back with python-docx / odfpy and LibreOffice."""

from __future__ import annotations

import hashlib

import docx
import pytest
from flask import url_for
from odf import opendocument
from odf.draw import Image as OdfImage
from sqlmodel import select

from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden
from procure.core.models import AuditEvent
from procure.documents.store import DocumentStore
from procure.evaluation import services as ev
from procure.evaluation.models import Offer
from procure.evaluation.services import report
from procure.tenders.models import TenderDocument
from tests.conftest import soup
from tests.factories import GOOD_DECLARATION, client_for, make_panel, make_tender
from tests.office import pdf_text, to_pdfs


@pytest.fixture
def locked(session, make_user):
    """A tender with two offers, two evaluators, final notes with a tie, locked."""
    buyer, lead, second = make_user("buyer"), make_user("evaluator"), make_user("evaluator")
    tender, offers = make_panel(
        session,
        buyer,
        lead,
        second,
        reference="AO-RAO-1",
        offers={"Alpha Sobriété": 100_000, "Beta Massif": 120_000},
    )
    actor = Actor.of(buyer)
    ev.save_declaration(session=session, actor=actor, offer_id=offers[0].id, data=GOOD_DECLARATION)
    ev.save_declaration(
        session=session,
        actor=actor,
        offer_id=offers[1].id,
        data={"model_total_parameters": 70_000_000_000},
    )
    for who in (lead, second):
        for o in offers:
            ev.save_scores(
                session=session,
                actor=Actor.of(who),
                tender_id=tender.id,
                offer_id=o.id,
                entries={
                    c["name"]: {"score": 10, "comment": f"Note de {who.email}"}
                    for c in tender.award_criteria
                },
            )
        ev.submit_scores(session=session, actor=Actor.of(who), tender_id=tender.id)
    for o, tech in zip(offers, (12, 16), strict=True):
        ev.save_final_scores(
            session=session,
            actor=Actor.of(lead),
            tender_id=tender.id,
            offer_id=o.id,
            entries={
                "Prix": {
                    "score": 20 if o is offers[0] else 16.67,
                    "justification": "Formule meilleure offre / offre.",
                },
                "Valeur technique": {
                    "score": tech,
                    "justification": f"Mémoire technique : {tech}/20 après échange.",
                },
                "Environnement": {
                    "score": 8,
                    "justification": "Écart d'empreinte pondéré par l'hébergement.",
                },
            },
        )
    ev.lock(session=session, actor=Actor.of(lead), tender_id=tender.id)
    return {"tender": tender, "lead": lead, "second": second, "buyer": buyer, "offers": offers}


def test_report_needs_a_locked_evaluation(session, make_user, tmp_path):
    buyer = make_user("buyer")
    tender = make_tender(session, buyer, reference="AO-OUVERT")
    with pytest.raises(Conflict):
        ev.export_report(
            session=session,
            actor=Actor.of(buyer),
            tender_id=tender.id,
            fmt="docx",
            store=DocumentStore(tmp_path),
        )


@pytest.mark.libreoffice
def test_report_in_docx_and_odt_opens_and_converts(locked, session, tmp_path):
    actor = Actor.of(locked["lead"])
    store = DocumentStore(tmp_path)
    doc_docx, path_docx = ev.export_report(
        session=session, actor=actor, tender_id=locked["tender"].id, fmt="docx", store=store
    )
    doc_odt, path_odt = ev.export_report(
        session=session, actor=actor, tender_id=locked["tender"].id, fmt="odt", store=store
    )
    for doc, path in ((doc_docx, path_docx), (doc_odt, path_odt)):
        assert doc.piece == "RAO" and doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    d = docx.Document(str(path_docx))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    footprint = next(t for t in tables if "Énergie par requête" in t[0])
    assert [row[0] for row in footprint[1:]] == ["Alpha Sobriété", "Beta Massif"]
    assert all(row[1].endswith("Wh") for row in footprint[1:])  # a unit in every cell
    defaults = next(t for t in tables if "Valeurs par défaut appliquées" in t[0])
    assert "PUE du centre de données : 2" in defaults[2][3] and "PUE" not in defaults[1][3]
    assert "70 milliards de paramètres" in defaults[2][3]  # Beta declared nothing else
    criteria = next(t for t in tables if t[0][:2] == ["Critère", "Nature"])
    assert [row[1] for row in criteria[1:]] == ["prix", "valeur technique", "environnement"]
    signatures = next(t for t in tables if t[0] == ["Nom", "Rôle", "Date", "Signature"])
    assert [row[0] for row in signatures[1:3]] == [
        locked["lead"].display_name,
        locked["second"].display_name,
    ]
    assert signatures[1][1].startswith("Évaluateur principal") and not signatures[1][3].strip()
    assert "pouvoir adjudicateur" in signatures[-1][1]
    body = "\n".join(p.text for p in d.paragraphs)
    assert "il est proposé au pouvoir adjudicateur d'attribuer le marché à Beta Massif" in body
    assert "1. Beta Massif (81,34 sur 100) ; 2. Alpha Sobriété (79,00 sur 100)" in body
    all_text = body + "\n".join(c for t in tables for row in t for c in row)
    for code in ("price", "technical", "environment", "model_total_parameters", "pue =", "kw"):
        assert code not in all_text, code
    ranking = next(t for t in tables if t[0] == ["Rang", "Soumissionnaire", "Note pondérée"])
    assert [r[:2] for r in ranking[1:]] == [
        ["1", "Beta Massif"],
        ["2", "Alpha Sobriété"],
    ]  # 81,34 and 79
    assert len(d.inline_shapes) == 2  # the footprint and score charts
    odt = opendocument.load(str(path_odt))
    assert len(odt.getElementsByType(OdfImage)) == 2

    pdfs = to_pdfs([path_docx, path_odt], tmp_path / "pdf")
    for pdf in pdfs:
        text = pdf_text(pdf)
        for expected in (
            "Rapport d'analyse des offres",
            "AO-RAO-1",
            "Alpha Sobriété",
            "Mémoire technique : 16/20",
            "Valeurs par défaut",
            "Classement",
            "Proposition d'attribution",
            "proposé au pouvoir adjudicateur d'attribuer le marché à Beta Massif",
            "Signatures",
            "Évaluateur principal",
            locked["lead"].display_name,
        ):
            assert expected in text, (pdf.name, expected)
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "evaluation.report_export")
    ).all()
    assert {e.details["format"] for e in audit} == {"docx", "odt"}


def test_report_export_and_download_in_the_ui(app, locked, session):
    c = client_for(app, locked["buyer"])
    t = locked["tender"]
    r = c.post(f"/evaluation/{t.id}/report", data={"format": "odt"})
    assert r.status_code == 303
    page = soup(c.get(f"/evaluation/{t.id}"))
    link = page.select_one("#reports a")
    download = c.get(link["href"])
    assert download.status_code == 200 and download.data[:2] == b"PK"
    stored = session.exec(select(TenderDocument).where(TenderDocument.piece == "RAO")).one()
    assert stored.sha256 == hashlib.sha256(download.data).hexdigest()
    assert "Alpha Sobriété" in stored.body_text
    scores_png = c.get(f"/evaluation/{t.id}/chart/scores.png")
    assert scores_png.data[:4] == b"\x89PNG"


def test_report_file_is_stored_with_the_tenders_documents(app, locked, session):
    """The RAO is written where the tender's documents are stored, but only the evaluation room
    lists and serves it, because blind scoring guards it there (issue 10)."""
    c = client_for(app, locked["buyer"])
    t = locked["tender"]
    assert c.post(f"/evaluation/{t.id}/report", data={"format": "docx"}).status_code == 303
    stored = session.exec(select(TenderDocument).where(TenderDocument.piece == "RAO")).one()
    path = app.extensions["procure.documents"].locate("tenders", t.id, stored.filename)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256
    with app.test_request_context():
        link = url_for("tenders.document", tender_id=t.id, document_id=stored.id)
    assert c.get(link).status_code == 404
    download = c.get(f"/evaluation/{t.id}/report/{stored.id}")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == stored.sha256


@pytest.mark.parametrize("organisation", ["Ministère de test", "Autre collectivité"])
def test_admin_without_buyer_role_has_no_access_to_an_evaluation(
    app, locked, session, make_user, organisation
):
    """One access policy for a tender: an admin who is not a buyer of the tender's organisation
    is refused its evaluation (page, offers, charts, report), like the tenders room refuses."""
    t, offer = locked["tender"], locked["offers"][0]
    doc, _path = ev.export_report(
        session=session,
        actor=Actor.of(locked["buyer"]),
        tender_id=t.id,
        fmt="docx",
        store=app.extensions["procure.documents"],
    )
    admin = client_for(app, make_user("admin", organisation=organisation))
    other_buyer = client_for(app, make_user("buyer", organisation="Autre collectivité"))
    for client in (admin, other_buyer):
        for url in (
            f"/evaluation/{t.id}",
            f"/evaluation/offers/{offer.id}",
            f"/evaluation/{t.id}/chart/scores.png",
            f"/evaluation/{t.id}/report/{doc.id}",
            f"/evaluation/{t.id}/declaration-template.json",
        ):
            assert client.get(url).status_code == 403, url
        assert client.post(f"/evaluation/{t.id}/report", data={"format": "odt"}).status_code == 403
        assert (
            client.post(f"/evaluation/{t.id}/unlock", data={"reason": "Motif assez long."})
        ).status_code == 403
        assert t.reference not in client.get("/evaluation/").get_data(as_text=True)
    with pytest.raises(Forbidden):
        ev.add_offer(
            session=session,
            actor=Actor.of(make_user("admin", organisation=organisation)),
            tender_id=t.id,
            supplier_name="Gamma",
        )
    assert len(ev.report_documents(session=session, tender_id=t.id)) == 1


def _ranked(name: str, rank: int, total: float, tied: bool = False, price: float = 100_000):
    offer = Offer(id=rank * 10 + len(name), tender_id=1, supplier_name=name, price=price)
    return {"rank": rank, "tied": tied, "offer": offer, "total": total}


def test_award_proposal_per_lot_and_with_a_tie_at_the_top():
    criteria = [{"name": "Prix", "weight": 60}, {"name": "Valeur technique", "weight": 40}]
    view = {
        "criteria": criteria,
        "ranking": [
            {"lot": "1", "rows": [_ranked("Alpha", 1, 90), _ranked("Beta", 2, 70)]},
            {
                "lot": "2",
                "rows": [
                    _ranked("Gamma", 1, 80, tied=True),
                    _ranked("Delta", 1, 80, tied=True),
                    _ranked("Epsilon", 3, 50),
                ],
            },
        ],
    }
    text = "\n".join(b.text for b in report.award_proposal(view) if hasattr(b, "text"))
    assert "d'attribuer le lot 1 du marché à Alpha" in text
    assert "90,00 sur 100" in text and "2. Beta (70,00 sur 100)" in text
    assert (
        "Pour le lot 2 du marché, les offres de Gamma, Delta sont classées premières ex æquo"
        in text
    )
    assert "départager" in text and "attribuer le lot 2 du marché à" not in text
    assert "1 (ex æquo). Gamma" in text and "3. Epsilon" in text
    # Without weights on every criterion, no "sur 100"; without any complete offer, no proposal.
    view["criteria"] = [{"name": "Prix", "weight": None}]
    assert "sur 100" not in "\n".join(
        b.text for b in report.award_proposal(view) if hasattr(b, "text")
    )
    empty = report.award_proposal({"criteria": criteria, "ranking": []})
    assert "aucune attribution n'est proposée" in empty[-1].text
