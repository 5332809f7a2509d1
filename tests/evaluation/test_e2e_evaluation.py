"""The evaluators' room in a real headless Chromium: an evaluator scores every offer without
losing what they typed, is warned before leaving unsaved notes, submits; the lead reconciles
from prefilled final notes, locks and exports the analysis report; the footprint page reads in
human units. Every main page passes axe-core (no serious or critical violation)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from procure.core.audit import Actor
from procure.evaluation import services as ev
from procure.evaluation.models import EvaluatorScore, FinalScore
from tests.browser import assert_accessible, log_in, screenshot
from tests.factories import GOOD_DECLARATION, make_panel, make_tender

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-e2e"


@pytest.fixture
def evaluation(session, make_user):
    """A tender with two offers and declarations, a lead and a second evaluator; the second
    evaluator has submitted (agreeing with the lead on price, not on technical value)."""
    buyer = make_user("buyer", email="acheteuse-e2e@test.procure.fr", password=PASSWORD)
    lead = make_user("evaluator", email="principale-e2e@test.procure.fr", password=PASSWORD)
    second = make_user("evaluator", email="second-e2e@test.procure.fr", password=PASSWORD)
    tender, (alpha, beta) = make_panel(
        session,
        buyer,
        lead,
        second,
        reference="AO-E2E-EVAL",
        offers={"Alpha": 100_000, "Beta": 125_000},
    )
    actor = Actor.of(buyer)
    ev.save_declaration(session=session, actor=actor, offer_id=alpha.id, data=GOOD_DECLARATION)
    ev.save_declaration(
        session=session,
        actor=actor,
        offer_id=beta.id,
        data={"model_total_parameters": 141_000_000_000, "server_power_kw": 1.2},
    )
    second_notes = {alpha.id: (20, 6, 7), beta.id: (16, 15, 5)}
    for offer_id, notes in second_notes.items():
        ev.save_scores(
            session=session,
            actor=Actor.of(second),
            tender_id=tender.id,
            offer_id=offer_id,
            entries={
                c["name"]: {"score": n, "comment": f"Second : {c['name']} {n}."}
                for c, n in zip(tender.award_criteria, notes, strict=True)
            },
        )
    ev.submit_scores(session=session, actor=Actor.of(second), tender_id=tender.id)
    return {"tender": tender, "lead": lead, "second": second, "alpha": alpha, "beta": beta}


def type_notes(page, offer_id: int, notes: list[tuple[str, str]]) -> None:
    """Type an offer's notes as a person does (click, then keys), criterion by criterion."""
    for i, (score, comment) in enumerate(notes):
        page.locator(f"#score-{offer_id}-{i}").click()
        page.locator(f"#score-{offer_id}-{i}").press_sequentially(score)
        if comment:
            page.locator(f"#comment-{offer_id}-{i}").press_sequentially(comment)


def test_evaluator_scores_without_losing_work_and_lead_reconciles(
    browser, live_server, evaluation, session
):
    t, alpha, beta = evaluation["tender"], evaluation["alpha"], evaluation["beta"]
    page = browser.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        # A leave-warning is refused (stay on the page); confirmations are accepted.
        dialog.dismiss() if dialog.type == "beforeunload" else dialog.accept()

    page.on("dialog", on_dialog)
    log_in(page, live_server, evaluation["lead"].email, PASSWORD, then="/evaluation/")
    assert_accessible(page)
    page.get_by_role("link", name="AO-E2E-EVAL").click()
    page.wait_for_url(f"**/evaluation/{t.id}")
    assert page.locator("#scores-form").count() == 1  # one form for every offer
    # Blind scoring: before submitting, the lead sees only their own notes, no final form.
    assert page.locator(f"#scores-{alpha.id}").count() == 0
    assert page.locator("#final-form").count() == 0
    assert_accessible(page)
    page.keyboard.press("End")  # the save bar sticks to the screen's bottom: show it in place
    screenshot(page, "evaluation-notation")

    # Offer 1 fully typed, then offer 2 with a comment missing: the save is refused, and
    # nothing typed is lost, for either offer.
    type_notes(page, alpha.id, [("18", "Prix bas."), ("12,5", "Mémoire solide."), ("8", "Sobre.")])
    type_notes(page, beta.id, [("15", "Plus cher."), ("14", "")])
    page.get_by_role("button", name="Enregistrer mes notes").click()
    page.wait_for_load_state()
    assert "Notes non enregistrées" in page.locator("#notes-error").inner_text()
    assert "Commentaire obligatoire" in page.locator(f"#err-score-{beta.id}-1").inner_text()
    assert page.locator(f"#score-{alpha.id}-1").input_value() == "12,5"
    assert page.locator(f"#comment-{alpha.id}-2").input_value() == "Sobre."
    assert page.locator(f"#score-{beta.id}-1").input_value() == "14"
    assert (
        session.exec(
            select(EvaluatorScore).where(EvaluatorScore.user_id == evaluation["lead"].id)
        ).all()
        == []
    )

    # The refused form still holds unsaved work: leaving asks first, and staying keeps it.
    page.locator(".breadcrumb").get_by_role("link", name="Évaluation").click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert f"/evaluation/{t.id}" in page.url  # still on the page (the refused form's answer)
    assert page.locator(f"#score-{alpha.id}-0").input_value() == "18"

    page.locator(f"#comment-{beta.id}-1").press_sequentially("Bonne démonstration.")
    type_notes(page, beta.id, [("", ""), ("", ""), ("6", "Hébergement moyen.")])
    page.get_by_role("button", name="Enregistrer mes notes").click()
    page.wait_for_load_state()
    assert "Notes enregistrées (6 notes)" in page.locator(".flashes").inner_text()
    session.expire_all()
    saved = {
        (s.offer_id, s.criterion): s.score
        for s in session.exec(
            select(EvaluatorScore).where(EvaluatorScore.user_id == evaluation["lead"].id)
        ).all()
    }
    assert saved[(alpha.id, "Valeur technique")] == 12.5 and saved[(beta.id, "Environnement")] == 6
    assert len(saved) == 6
    assert page.locator(f"#score-{alpha.id}-1").input_value() == "12,5"  # shown again, French
    assert "second-e2e" not in page.locator(f"#scores-{alpha.id}").inner_text()  # still blind

    # Typing marks the form as changed: leaving asks; once saved, leaving does not.
    page.locator(f"#comment-{alpha.id}-0").press_sequentially(" Très bas.")
    page.locator(".breadcrumb").get_by_role("link", name="Évaluation").click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload", "beforeunload"] and f"/evaluation/{t.id}" in page.url
    page.get_by_role("button", name="Enregistrer mes notes").click()
    page.wait_for_load_state()
    page.locator(".breadcrumb").get_by_role("link", name="Évaluation").click()
    page.wait_for_url("**/evaluation/")
    assert dialogs == ["beforeunload", "beforeunload"]

    # Submit (a confirmation), then the others' notes and the prefilled final form appear.
    page.goto(f"{live_server}/evaluation/{t.id}")
    page.get_by_role("button", name="Soumettre mes notes").click()
    page.wait_for_load_state()
    assert dialogs[-1] == "confirm"
    assert "Notes soumises" in page.locator(".flashes").inner_text()
    assert page.locator(f"#scores-{alpha.id}").inner_text().count("second-e2e") == 3
    final = page.locator("#final-form")
    assert final.count() == 1
    # Price of Alpha: both gave 18 and 20 -> mean 19; Beta's price: 15 and 16 -> mean 15,5.
    # Alpha's technical value: 12,5 and 6, a spread above a fifth of 20: highlighted.
    assert page.locator(f"#final-score-{alpha.id}-0").input_value() == "19"
    assert page.locator(f"#final-score-{alpha.id}-1").input_value() == "9,25"
    tech = page.locator(f"#final-form-{alpha.id} fieldset").nth(1)
    assert "spread-wide" in (tech.get_attribute("class") or "")
    assert "écart de 6,5, à discuter" in tech.inner_text()
    assert "moyenne des évaluateurs" in tech.inner_text()
    justification = page.locator(f"#justification-{alpha.id}-1").input_value()
    assert justification.startswith("Moyenne des 2 évaluateurs (de 6 à 12,5).")
    assert "Mémoire solide." in justification and "Second : Valeur technique 6." in justification
    assert_accessible(page)
    page.keyboard.press("End")
    screenshot(page, "evaluation-notes-finales")

    # The lead keeps the prefill but settles Alpha's technical value after discussion.
    page.locator(f"#final-score-{alpha.id}-1").fill("10")
    page.locator(f"#justification-{alpha.id}-1").fill(
        "Après échange : 10, démonstration partielle."
    )
    page.get_by_role("button", name="Enregistrer les notes finales").click()
    page.wait_for_load_state()
    assert "Notes finales enregistrées (6 notes)" in page.locator(".flashes").inner_text()
    session.expire_all()
    finals = {
        (f.offer_id, f.criterion): f
        for f in session.exec(select(FinalScore).where(FinalScore.tender_id == t.id)).all()
    }
    assert finals[(alpha.id, "Valeur technique")].score == 10
    assert finals[(alpha.id, "Prix")].score == 19
    assert finals[(beta.id, "Valeur technique")].score == 14.5
    assert "final" in page.locator(f"#origin-{alpha.id}-1").inner_text()

    page.get_by_role("button", name="Verrouiller l'évaluation").click()
    page.wait_for_load_state()
    ranking = page.locator("#ranking tbody tr")
    assert ranking.count() == 2
    page.get_by_label("Format").select_option("docx")
    page.get_by_role("button", name="Exporter le rapport").click()
    page.wait_for_load_state()
    assert "Rapport d'analyse exporté (DOCX" in page.locator(".flashes").inner_text()
    assert page.locator("#reports a").count() == 1
    assert_accessible(page)
    screenshot(page, "evaluation-verrouillee")

    # The footprint page of an offer: human units, French decimals, the defaults marked.
    page.locator("#offers").get_by_role("link", name="Beta").click()
    page.wait_for_url(f"**/evaluation/offers/{beta.id}")
    values = page.locator("#values-used")
    assert (
        "141 milliards de paramètres"
        in values.locator("#value-model_total_parameters").inner_text()
    )
    assert "1,2 kW" in values.locator("#value-server_power_kw").inner_text()
    assert "par défaut" in values.locator("#value-pue").inner_text()
    assert "par défaut" not in values.locator("#value-model_total_parameters").inner_text()
    assert page.locator("#wh-request").inner_text().endswith(" Wh")
    assert page.locator("#energy-year").inner_text().endswith((" kWh", " MWh"))
    assert "141000000000" not in page.content()
    assert_accessible(page)
    screenshot(page, "evaluation-empreinte")
    page.close()


def test_buyer_records_an_offer_and_its_declaration(browser, live_server, session, make_user):
    buyer = make_user("buyer", email="acheteur-e2e@test.procure.fr", password=PASSWORD)
    t = make_tender(session, buyer, reference="AO-E2E-OFFRE")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    log_in(page, live_server, buyer.email, PASSWORD, then=f"/evaluation/{t.id}")
    page.get_by_text("Enregistrer une offre").click()
    page.get_by_label("Soumissionnaire").fill("Gamma Calcul")
    page.get_by_label("Prix (€ HT)").fill("98 500,50")
    assert_accessible(page)
    screenshot(page, "evaluation-offres")
    page.get_by_role("button", name="Enregistrer l'offre").click()
    page.wait_for_url("**/evaluation/offers/*")
    assert "98 500,50 € HT" in page.locator("#offer-summary").inner_text().replace("\u202f", " ")

    # The declaration form: its defaults are shown in human units; a bad value keeps the rest.
    label = page.locator("label[for=d-model_total_parameters]").inner_text()
    assert "70 milliards de paramètres" in label
    page.locator("#d-model_total_parameters").fill("141000000000")
    page.locator("#d-pue").fill("0,9")
    page.get_by_role("button", name="Enregistrer et calculer l'empreinte").click()
    page.wait_for_load_state()
    assert "au moins égal à 1" in page.locator("#err-pue").inner_text()
    assert page.locator("#d-model_total_parameters").input_value() == "141000000000"
    page.locator(".breadcrumb").get_by_role("link", name="AO-E2E-OFFRE").click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]  # the refused declaration is not saved: leaving warns
    page.locator("#d-pue").fill("1,3")
    page.get_by_role("button", name="Enregistrer et calculer l'empreinte").click()
    page.wait_for_load_state()
    assert (
        "141 milliards de paramètres" in page.locator("#value-model_total_parameters").inner_text()
    )
    assert "déclarée" in page.locator("#value-pue").inner_text()
    assert_accessible(page)
    page.close()
