"""One notes form for every offer (nothing typed is lost), the lead's prefilled final notes
within blind scoring, and the footprint's human units."""

from __future__ import annotations

import pytest
from sqlmodel import select

from procure.core.audit import Actor
from procure.core.models import AuditEvent
from procure.evaluation import services as ev
from procure.evaluation import units
from procure.evaluation.models import EvaluatorScore, FinalScore, Offer
from tests.conftest import soup
from tests.factories import client_for, make_panel


@pytest.fixture
def two_offers(session, make_user):
    buyer, lead, second = make_user("buyer"), make_user("evaluator"), make_user("evaluator")
    tender, offers = make_panel(
        session,
        buyer,
        lead,
        second,
        reference="AO-FORM-1",
        offers={"Alpha": 100_000, "Beta": 150_000},
    )
    return {"tender": tender, "lead": lead, "second": second, "offers": offers}


def notes_form(offers, notes) -> dict[str, str]:
    """The page's one form: {offer: [(score, comment), ...]} as `score-<offer>-<i>` fields."""
    data = {}
    for offer in offers:
        for i, (score, comment) in enumerate(notes.get(offer.id, [])):
            data[f"score-{offer.id}-{i}"] = score
            data[f"comment-{offer.id}-{i}"] = comment
    return data


def test_one_form_saves_every_offer_or_none_and_keeps_what_was_typed(app, two_offers, session):
    t, (a, b) = two_offers["tender"], two_offers["offers"]
    lead = client_for(app, two_offers["lead"])
    page = soup(lead.get(f"/evaluation/{t.id}"))
    form = page.select_one("#scores-form")
    assert form is not None and form.has_attr("data-warn-unsaved")
    assert len(page.select("#scores-form button[type=submit]")) == 1  # one save for all offers
    assert form.select_one(f"#score-{a.id}-0") and form.select_one(f"#score-{b.id}-2")

    typed = notes_form(
        [a, b],
        {
            a.id: [("18", "Prix bas."), ("12,5", "Solide."), ("8", "Sobre.")],
            b.id: [("15", "Cher."), ("14", ""), ("", "")],
        },
    )
    r = lead.post(f"/evaluation/{t.id}/scores", data=typed)
    assert r.status_code == 422
    page = soup(r)
    assert "obligatoire" in page.select_one(f"#err-score-{b.id}-1").get_text()
    assert page.select_one("#scores-form").has_attr("data-dirty")  # leaving still warns
    assert page.select_one(f"#score-{a.id}-1")["value"] == "12,5"
    assert page.select_one(f"#comment-{a.id}-2").get_text() == "Sobre."
    assert page.select_one(f"#score-{b.id}-0")["value"] == "15"
    assert session.exec(select(EvaluatorScore)).all() == []  # all or nothing

    typed[f"comment-{b.id}-1"] = "Démonstration convaincante."
    r = lead.post(f"/evaluation/{t.id}/scores", data=typed)
    assert r.status_code == 303
    rows = session.exec(select(EvaluatorScore)).all()
    assert {(s.offer_id, s.criterion): s.score for s in rows} == {
        (a.id, "Prix"): 18,
        (a.id, "Valeur technique"): 12.5,
        (a.id, "Environnement"): 8,
        (b.id, "Prix"): 15,
        (b.id, "Valeur technique"): 14,
    }
    scored = [
        e.record_id
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == "evaluation.score"))
    ]
    assert sorted(scored) == sorted([str(a.id), str(b.id)])  # one audit event per offer

    # Saving again with one offer left blank keeps that offer's saved notes.
    r = lead.post(
        f"/evaluation/{t.id}/scores",
        data=notes_form([b], {b.id: [("", ""), ("", ""), ("5", "Hébergement moyen.")]}),
    )
    assert r.status_code == 303
    session.expire_all()
    assert len(session.exec(select(EvaluatorScore)).all()) == 6
    page = soup(lead.get(f"/evaluation/{t.id}"))
    assert page.select_one(f"#score-{a.id}-1")["value"] == "12,5"


def test_comment_length_is_bounded(app, two_offers, session):
    t, (a, _b) = two_offers["tender"], two_offers["offers"]
    lead = client_for(app, two_offers["lead"])
    r = lead.post(
        f"/evaluation/{t.id}/scores",
        data=notes_form([a], {a.id: [("10", "x" * 4001)]}),
    )
    assert r.status_code == 422
    assert "trop longue" in soup(r).select_one(f"#err-score-{a.id}-0").get_text()
    assert session.exec(select(EvaluatorScore)).all() == []


def _score(session, who, tender, offer, notes):
    ev.save_scores(
        session=session,
        actor=Actor.of(who),
        tender_id=tender.id,
        offer_id=offer.id,
        entries={
            c["name"]: {"score": n, "comment": f"{who.email} : {n}"}
            for c, n in zip(tender.award_criteria, notes, strict=True)
        },
    )


def test_final_form_is_prefilled_only_when_blind_scoring_allows(app, two_offers, session):
    t, (a, b) = two_offers["tender"], two_offers["offers"]
    lead_user, second_user = two_offers["lead"], two_offers["second"]
    for offer, lead_notes, second_notes in (
        (a, (18, 12, 8), (18, 4, 7)),
        (b, (14, 15, 5), (14, 15, 5)),
    ):
        _score(session, lead_user, t, offer, lead_notes)
        _score(session, second_user, t, offer, second_notes)
    lead = client_for(app, lead_user)

    # The lead submitted, the second has not: no prefill, no sight of the second's draft.
    ev.submit_scores(session=session, actor=Actor.of(lead_user), tender_id=t.id)
    page = soup(lead.get(f"/evaluation/{t.id}"))
    assert page.select("#final-form") == [] and "prefill-origin" not in str(page)
    assert second_user.email not in page.select_one(f"#scores-{a.id}").get_text()
    view = ev.tender_page(session=session, actor=Actor.of(lead_user), tender_id=t.id)
    assert view["prefill"] == {}

    ev.submit_scores(session=session, actor=Actor.of(second_user), tender_id=t.id)
    page = soup(lead.get(f"/evaluation/{t.id}"))
    assert page.select_one("#final-form").has_attr("data-warn-unsaved")
    # Agreement: the common note, shown as agreement; disagreement: the mean and its spread.
    assert page.select_one(f"#final-score-{b.id}-1")["value"] == "15"
    assert "accord des évaluateurs" in page.select_one(f"#origin-{b.id}-1").get_text()
    assert (
        page.select_one(f"#justification-{b.id}-1")
        .get_text()
        .startswith("Accord des 2 évaluateurs.")
    )
    assert page.select_one(f"#final-score-{a.id}-1")["value"] == "8"
    origin = page.select_one(f"#origin-{a.id}-1").get_text(" ", strip=True)
    assert "moyenne des évaluateurs" in origin and "écart de 8, à discuter" in origin
    wide = [fs.select_one("input")["id"] for fs in page.select("#final-form fieldset.spread-wide")]
    assert wide == [f"final-score-{a.id}-1"]  # only the note where they disagree widely
    # Other roles never get a prefill: the second evaluator is not the lead.
    view = ev.tender_page(session=session, actor=Actor.of(second_user), tender_id=t.id)
    assert view["prefill"] == {}

    # The prefill is a proposal: saving it (as is) records the final notes.
    form = {
        field["name"]: field.get("value", "")
        for field in page.select("#final-form input[name^=score-]")
    }
    form.update({ta["name"]: ta.get_text() for ta in page.select("#final-form textarea")})
    assert lead.post(f"/evaluation/{t.id}/final", data=form).status_code == 303
    finals = {(f.offer_id, f.criterion): f.score for f in session.exec(select(FinalScore))}
    assert finals[(a.id, "Valeur technique")] == 8 and finals[(b.id, "Prix")] == 14
    assert len(finals) == 6
    page = soup(lead.get(f"/evaluation/{t.id}"))
    assert "note finale enregistrée" in page.select_one(f"#origin-{a.id}-1").get_text()


def test_final_form_refuses_all_on_one_error(app, two_offers, session):
    t, (a, b) = two_offers["tender"], two_offers["offers"]
    for who in (two_offers["lead"], two_offers["second"]):
        for offer in (a, b):
            _score(session, who, t, offer, (10, 10, 5))
        ev.submit_scores(session=session, actor=Actor.of(who), tender_id=t.id)
    lead = client_for(app, two_offers["lead"])
    data = {
        f"score-{a.id}-0": "12",
        f"justification-{a.id}-0": "Accord.",
        f"score-{b.id}-0": "25",
        f"justification-{b.id}-0": "Hors barème.",
    }
    r = lead.post(f"/evaluation/{t.id}/final", data=data)
    assert r.status_code == 422
    page = soup(r)
    assert "entre 0 et 20" in page.select_one(f"#err-score-{b.id}-0").get_text()
    assert page.select_one(f"#final-score-{a.id}-0")["value"] == "12"  # what was typed
    assert session.exec(select(FinalScore)).all() == []


@pytest.mark.parametrize(
    "func,value,expected",
    [
        (lambda v: units.count(v, "paramètres"), 141_000_000_000, "141 milliards de paramètres"),
        (lambda v: units.count(v, "paramètres"), 1_500_000_000, "1,5 milliard de paramètres"),
        (lambda v: units.count(v, "paramètres"), 7_000_000, "7 millions de paramètres"),
        (units.energy, 0.0371, "0,0371 Wh"),
        (units.energy, 1340, "1,34 kWh"),
        (units.energy, 2_500_000, "2,5 MWh"),
        (units.co2, 0.000612, "0,612 gCO2e"),
        (units.co2, 4.4567, "4,46 kgCO2e"),
        (units.co2, 12_345, "12,3 tCO2e"),
        (units.water, 145.2, "145 L"),
        (units.water, 6420, "6,42 m³"),
        (lambda v: units.value_text("server_power_kw", v), 1.2, "1,2 kW"),
        (lambda v: units.value_text("renewable_share", v), 0.75, "75 %"),
        (lambda v: units.value_text("hardware_lifetime_years", v), 1, "1 an"),
        (units.constant_text, "1.167e-06 / -0.01121", "0,000001167 / -0,01121"),
    ],
)
def test_human_units(func, value, expected):
    assert func(value).replace("\u202f", " ").replace("\xa0", " ") == expected


def test_prefill_rules_without_a_database():
    """Final note first; else agreement, a single note, or the mean with its spread."""
    from procure.tenders.models import Tender

    tender = Tender(
        reference="AO-PUR",
        title="t",
        buyer="b",
        award_criteria=[
            {"name": "Prix", "weight": 50, "max_score": 20},
            {"name": "Technique", "weight": 50, "max_score": 10},
        ],
    )
    offers = [
        Offer(id=1, tender_id=1, supplier_name="A"),
        Offer(id=2, tender_id=1, supplier_name="B"),
    ]
    notes = [
        EvaluatorScore(offer_id=1, user_id=7, criterion="Prix", score=12, comment="c7"),
        EvaluatorScore(offer_id=1, user_id=8, criterion="Prix", score=12, comment="c8"),
        EvaluatorScore(offer_id=1, user_id=7, criterion="Technique", score=2, comment="t7"),
        EvaluatorScore(offer_id=1, user_id=8, criterion="Technique", score=5, comment="t8"),
        EvaluatorScore(offer_id=2, user_id=7, criterion="Prix", score=9.5, comment="seul"),
    ]
    final = FinalScore(offer_id=2, criterion="Technique", score=6, justification="Arrêtée.")
    pre = ev.final_prefill(
        tender=tender,
        offers=offers,
        scores=notes,
        finals={(2, "Technique"): final},
        names={7: "Zoé", 8: "Anne"},
    )
    assert pre[(1, "Prix")]["origin"] == "agreement" and pre[(1, "Prix")]["score"] == 12
    assert pre[(1, "Prix")]["justification"].splitlines() == [
        "Accord des 2 évaluateurs.",
        "— Anne (12) : c8",
        "— Zoé (12) : c7",
    ]
    tech = pre[(1, "Technique")]
    assert (tech["origin"], tech["score"], tech["spread"], tech["wide"]) == ("mean", 3.5, 3, True)
    assert pre[(2, "Prix")]["justification"].startswith("Note du seul évaluateur.")
    assert pre[(2, "Technique")]["origin"] == "final" and pre[(2, "Technique")]["score"] == 6
    assert pre[(2, "Technique")]["justification"] == "Arrêtée."
