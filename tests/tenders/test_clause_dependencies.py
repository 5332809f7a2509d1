"""The tender side of the clause review: declared dependencies checked, departures computed."""

from __future__ import annotations

import procure.documents as documents
from procure.tenders import demo
from procure.tenders import services as svc
from procure.tenders.models import Tender
from tests.factories import actor_of, load_library, tender_data


def _departure_bullets(spec) -> list[str]:
    blocks = spec.blocks
    start = next(
        i
        for i, b in enumerate(blocks)
        if isinstance(b, documents.Heading) and b.text == "Dérogations au CCAG-TIC"
    )
    out = []
    for block in blocks[start + 1 :]:
        if isinstance(block, documents.Heading | documents.PageBreak):
            break
        out.append(block)
    return out


def test_demo_ccap_lists_exactly_the_articles_its_clauses_depart_from(session, engine, make_user):
    load_library(session)
    buyer = make_user("buyer", organisation="Ville de Démoville")
    demo.load(engine=engine, users={"buyer": buyer}, echo=lambda *_a: None)
    session.expire_all()
    tender = session.query(Tender).filter(Tender.title == demo.DEMO_TITLE).one()
    rows = svc.tender_clauses(session=session, tender=tender)
    expected = {
        d["article"]
        for r in rows
        for d in r.version.departures
        if not d.get("variants") or r.variant in d["variants"]
    }
    assert {"art. 14", "art. 43 à 46"} <= expected
    spec, _manifest = svc.build_spec(session=session, tender=tender, piece="CCAP")
    blocks = _departure_bullets(spec)
    texts = [b.text for b in blocks]
    assert not any("ne déroge à aucune" in t for t in texts)
    listed = [
        b.text.removesuffix(" du CCAG-TIC :")
        for b in blocks[1:]
        if isinstance(b, documents.Paragraph)
    ]
    reasons = [b.text for b in blocks if isinstance(b, documents.Bullet)]
    assert len(reasons) == sum(
        1
        for r in rows
        for d in r.version.departures
        if not d.get("variants") or r.variant in d["variants"]
    )
    assert sorted(listed) == sorted(expected)  # each article once, no other
    assert listed == sorted(listed, key=lambda a: int(a.split()[1].split(".")[0]))
    # Every clause the demo tender pins finds what it relies on in the tender.
    codes = [f.code for f in svc.check(session=session, tender=tender)]
    assert "DEPENDANCE-ABSENTE" not in codes


def test_ccap_without_departing_clause_says_so(session, make_user):
    load_library(session, keys={"auditabilite.journalisation"})
    buyer = make_user("buyer", organisation="Ville de Testville")
    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    spec, _m = svc.build_spec(session=session, tender=tender, piece="CCAP")
    texts = [b.text for b in _departure_bullets(spec)]
    assert texts == ["Le présent CCAP ne déroge à aucune stipulation du CCAG-TIC."]


def test_a_pinned_clause_whose_dependency_is_missing_is_an_error_with_a_link(session, make_user):
    load_library(session)
    buyer = make_user("buyer", organisation="Ville de Testville")
    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    rows = svc.tender_clauses(session=session, tender=tender)
    sla = next(r for r in rows if "niveaux-de-service" in r.version.covers)
    assert any(d["subject"] == "niveaux-de-service" for r in rows for d in r.version.depends)
    svc.remove_clause(
        session=session,
        actor=actor_of(buyer),
        tender_id=tender.id,
        link_id=sla.link.id,
        lock_version=tender.lock_version,
    )
    findings = svc.check(session=session, tender=session.get(Tender, tender.id))
    missing = [f for f in findings if f.code == "DEPENDANCE-ABSENTE"]
    assert missing and all(f.severity == "error" for f in missing)
    assert {f.fix["subject"] for f in missing} == {"niveaux-de-service"}
    assert all(f.fix["target"] == "library" and f.fix["basis"]["text"] for f in missing)
