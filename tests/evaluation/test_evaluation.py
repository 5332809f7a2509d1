"""Evaluation room: offers, declarations, access, scoring, consensus, lock, ranking, UI and CLI."""

from __future__ import annotations

import io
import json

import pytest
from sqlmodel import select

from procure.core.audit import Actor
from procure.core.models import AuditEvent
from procure.evaluation import services as ev
from procure.evaluation.models import Declaration, EvaluatorScore, FinalScore, Offer
from tests.conftest import soup
from tests.factories import GOOD_DECLARATION, client_for, make_tender


def events(session, prefix="evaluation.") -> list[AuditEvent]:
    session.expire_all()
    return [
        e
        for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        if e.action.startswith(prefix)
    ]


@pytest.fixture
def team(session, make_user):
    buyer = make_user("buyer")
    lead, second, outsider = make_user("evaluator"), make_user("evaluator"), make_user("evaluator")
    tender = make_tender(session, buyer)
    return {"buyer": buyer, "lead": lead, "second": second, "outsider": outsider, "tender": tender}


def full_scores(tender, note):
    return {
        c["name"]: {"score": note(c), "comment": f"Commentaire sur {c['name']}."}
        for c in tender.award_criteria
    }


# --- offers and declarations, through the UI -----------------------------------------------------


def test_buyer_records_offer_and_declaration_in_the_ui(app, team, session):
    c = client_for(app, team["buyer"])
    t = team["tender"]
    r = c.post(
        f"/evaluation/{t.id}/offers",
        data={
            "supplier_name": "Numérique Sobre",
            "siren": "552100554",
            "price": "182 000,50",
            "documents": "Acte d'engagement\nMémoire technique",
        },
    )
    assert r.status_code == 303
    offer = session.exec(select(Offer)).one()
    assert offer.price == 182000.5 and offer.documents == ["Acte d'engagement", "Mémoire technique"]
    r = c.post(
        f"/evaluation/offers/{offer.id}/declaration",
        data={**{k: str(v) for k, v in GOOD_DECLARATION.items()}, "labels": "Pacte CNDCP"},
    )
    assert r.status_code == 303
    page = soup(c.get(f"/evaluation/offers/{offer.id}"))
    decl = session.exec(select(Declaration)).one()
    kg_year = decl.footprint["kgco2e_per_year"]
    assert 1 <= kg_year < 1000  # so the page writes it in kgCO2e with three significant digits
    assert page.select_one("#kg-year").get_text(strip=True) == (
        f"{kg_year:.3g} kgCO2e".replace(".", ",")
    )
    defaulted = [row["id"] for row in page.select("#values-used tr.defaulted")]
    assert "value-hardware_lifetime_years" in defaulted and "value-pue" not in defaulted
    assert "par défaut" in page.select_one("#value-hardware_lifetime_years").get_text()
    params = page.select_one("#value-model_total_parameters td").get_text()
    billions = GOOD_DECLARATION["model_total_parameters"] / 1e9
    assert params == f"{billions:g} milliards de paramètres".replace(".", ",")
    assert page.select("#constants tbody tr")  # every constant shown with its source
    overview = soup(c.get(f"/evaluation/{t.id}"))
    assert overview.select_one("#footprints tbody tr td").get_text() == "Numérique Sobre"
    assert overview.select_one("img.chart")["alt"]
    png = c.get(f"/evaluation/{t.id}/chart/footprint.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert [e.action for e in events(session)] == [
        "evaluation.offer_add",
        "evaluation.declaration_save",
    ]


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("pue", "0.9", "au moins égal à 1"),
        ("measured_wh_per_1000_requests", "-5", "négative"),
        ("country", "FRANCE", "Code pays inconnu"),
        ("model_total_parameters", "8", "pas des milliards"),
        ("renewable_share", "90", "100 %"),
    ],
)
def test_bad_declaration_form_is_refused_and_nothing_saved(
    app, team, session, field, value, fragment
):
    c = client_for(app, team["buyer"])
    offer = ev.add_offer(
        session=session,
        actor=Actor.of(team["buyer"]),
        tender_id=team["tender"].id,
        supplier_name="X",
    )
    data = {**{k: str(v) for k, v in GOOD_DECLARATION.items()}, field: value}
    r = c.post(f"/evaluation/offers/{offer.id}/declaration", data=data)
    assert r.status_code == 422
    page = soup(r)
    assert fragment in page.select_one(f"#err-{field}").get_text()
    assert page.select_one(f"#d-{field}")["aria-invalid"] == "true"
    assert page.select_one(f"#d-{field}")["value"] == value  # what was typed is kept
    assert session.exec(select(Declaration)).all() == []
    assert [e.action for e in events(session)] == ["evaluation.offer_add"]


def test_declaration_import_json_csv_and_bad_file(app, team, session):
    c = client_for(app, team["buyer"])
    offer = ev.add_offer(
        session=session,
        actor=Actor.of(team["buyer"]),
        tender_id=team["tender"].id,
        supplier_name="X",
    )
    template = c.get(f"/evaluation/{team['tender'].id}/declaration-template.csv")
    assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    csv_text = (
        template.get_data(as_text=True)
        .replace("country,,", "country,SWE,")
        .replace("pue,,", "pue,1.1,")
    )
    r = c.post(
        f"/evaluation/offers/{offer.id}/declaration/import",
        data={"file": (io.BytesIO(csv_text.encode()), "declaration.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    decl = session.exec(select(Declaration)).one()
    assert decl.data == {"country": "SWE", "pue": 1.1} and decl.source == "declaration.csv"
    bad = json.dumps({**GOOD_DECLARATION, "pue": 0.5})
    r = c.post(
        f"/evaluation/offers/{offer.id}/declaration/import",
        data={"file": (io.BytesIO(bad.encode()), "fournisseur.json")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "PUE" in soup(r).select_one("#err-pue").get_text()
    session.expire_all()
    assert session.exec(select(Declaration)).one().data == {
        "country": "SWE",
        "pue": 1.1,
    }  # the valid one is kept


def test_bad_offer_is_refused_with_fields(app, team, session):
    c = client_for(app, team["buyer"])
    r = c.post(
        f"/evaluation/{team['tender'].id}/offers",
        data={"supplier_name": "", "siren": "123456789", "price": "beaucoup"},
    )
    assert r.status_code == 422
    page = soup(r)
    for field in ("supplier_name", "siren", "price"):
        assert page.select_one(f"#err-{field}").get_text(strip=True)
    assert session.exec(select(Offer)).all() == []


# --- access ----------------------------------------------------------------------------------


def test_access_rules(app, team, session, make_user):
    t = team["tender"]
    offer = ev.add_offer(
        session=session, actor=Actor.of(team["buyer"]), tender_id=t.id, supplier_name="X"
    )
    ev.assign_evaluators(
        session=session,
        actor=Actor.of(team["buyer"]),
        tender_id=t.id,
        user_ids=[team["lead"].id],
        lead_id=team["lead"].id,
    )
    outsider = client_for(app, team["outsider"])
    assert outsider.get(f"/evaluation/{t.id}").status_code == 403
    assert outsider.get(f"/evaluation/offers/{offer.id}").status_code == 403
    r = outsider.post(
        f"/evaluation/{t.id}/offers/{offer.id}/scores", data={"score-0": "10", "comment-0": "x"}
    )
    assert r.status_code == 403
    assert t.reference not in outsider.get("/evaluation/").get_data(as_text=True)
    other_buyer = client_for(app, make_user("buyer", organisation="Autre collectivité"))
    assert other_buyer.get(f"/evaluation/{t.id}").status_code == 403
    assert (
        other_buyer.post(f"/evaluation/{t.id}/offers", data={"supplier_name": "Y"}).status_code
        == 403
    )
    lead = client_for(app, team["lead"])
    assert lead.get(f"/evaluation/{t.id}").status_code == 200
    assert (
        lead.post(f"/evaluation/{t.id}/offers", data={"supplier_name": "Y"}).status_code == 403
    )  # evaluators do not add offers
    assert session.exec(select(EvaluatorScore)).all() == []


# --- the whole workflow, with the UI ---------------------------------------------------------------


def _score_form(tender, note, text="comment"):
    data = {}
    for i, c in enumerate(tender.award_criteria):
        data[f"score-{i}"] = str(note(c))
        data[f"{text}-{i}"] = f"Appréciation : {c['name']}."
    return data


def test_two_evaluators_score_reconcile_lock_and_unlock(app, team, session):
    t, buyer = team["tender"], team["buyer"]
    b = client_for(app, buyer)
    actor = Actor.of(buyer)
    a = ev.add_offer(
        session=session, actor=actor, tender_id=t.id, supplier_name="Alpha", price=100_000
    )
    z = ev.add_offer(
        session=session, actor=actor, tender_id=t.id, supplier_name="Zêta", price=200_000
    )
    ev.save_declaration(session=session, actor=actor, offer_id=a.id, data=GOOD_DECLARATION)
    ev.save_declaration(
        session=session, actor=actor, offer_id=z.id, data={"model_total_parameters": 70_000_000_000}
    )
    r = b.post(
        f"/evaluation/{t.id}/evaluators",
        data={"evaluators": [team["lead"].id, team["second"].id], "lead": team["lead"].id},
    )
    assert r.status_code == 303
    lead, second = client_for(app, team["lead"]), client_for(app, team["second"])

    # Proposed notes by formula are shown; the price proposal follows the hyperbolic formula.
    page = soup(lead.get(f"/evaluation/{t.id}"))
    proposals = [p.get_text() for p in page.select(f"#score-form-{z.id} .proposal")]
    assert any("10,00" in p for p in proposals)

    # Out of range and missing comment are refused, nothing written.
    r = lead.post(
        f"/evaluation/{t.id}/offers/{a.id}/scores", data={"score-0": "25", "comment-0": "trop"}
    )
    assert (
        r.status_code == 422
        and "entre 0 et 20" in soup(r).select_one(f"#err-score-{a.id}-0").get_text()
    )
    r = lead.post(
        f"/evaluation/{t.id}/offers/{a.id}/scores", data={"score-0": "12", "comment-0": ""}
    )
    assert (
        r.status_code == 422
        and "obligatoire" in soup(r).select_one(f"#err-score-{a.id}-0").get_text()
    )
    assert session.exec(select(EvaluatorScore)).all() == []

    # Submitting an incomplete set is refused.
    lead.post(f"/evaluation/{t.id}/offers/{a.id}/scores", data=_score_form(t, lambda c: 8))
    r = lead.post(f"/evaluation/{t.id}/submit")
    assert r.status_code == 422 and "Zêta" in soup(r).select_one("[role=alert]").get_text()
    lead.post(f"/evaluation/{t.id}/offers/{z.id}/scores", data=_score_form(t, lambda c: 6))
    second.post(f"/evaluation/{t.id}/offers/{a.id}/scores", data=_score_form(t, lambda c: 9))

    # Nobody sees the other's notes before submitting their own.
    def visible(client):
        return {
            td.get_text()
            for td in soup(client.get(f"/evaluation/{t.id}")).select(
                f"#scores-{a.id} tbody td:first-child"
            )
        }

    assert visible(lead) == {team["lead"].display_name}
    assert visible(second) == {team["second"].display_name}
    assert lead.post(f"/evaluation/{t.id}/submit").status_code == 303
    # The second evaluator's notes are a draft until submitted: their author's only.
    assert visible(lead) == {team["lead"].display_name}
    assert visible(second) == {team["second"].display_name}
    assert (
        soup(b.get(f"/evaluation/{t.id}")).select(f"#scores-{a.id}") == []
    )  # buyer: not before the lock

    # Submitted notes are frozen; the lead cannot reconcile before everyone submitted.
    assert (
        lead.post(
            f"/evaluation/{t.id}/offers/{a.id}/scores", data=_score_form(t, lambda c: 1)
        ).status_code
        == 409
    )
    assert (
        lead.post(
            f"/evaluation/{t.id}/offers/{a.id}/final",
            data=_score_form(t, lambda c: 8, "justification"),
        ).status_code
        == 409
    )
    second.post(f"/evaluation/{t.id}/offers/{z.id}/scores", data=_score_form(t, lambda c: 7))
    assert second.post(f"/evaluation/{t.id}/submit").status_code == 303

    # Only the lead reconciles; equal totals are shown as ties.
    assert (
        second.post(
            f"/evaluation/{t.id}/offers/{a.id}/final",
            data=_score_form(t, lambda c: 8, "justification"),
        ).status_code
        == 403
    )
    r = lead.post(
        f"/evaluation/{t.id}/offers/{a.id}/final", data={"score-0": "8", "justification-0": ""}
    )
    assert r.status_code == 422
    assert lead.post(f"/evaluation/{t.id}/lock").status_code == 422  # final notes missing
    for offer in (a, z):
        r = lead.post(
            f"/evaluation/{t.id}/offers/{offer.id}/final",
            data=_score_form(t, lambda c: c["max_score"] / 2, "justification"),
        )
        assert r.status_code == 303
    page = soup(lead.get(f"/evaluation/{t.id}"))
    ranks = [
        tr.select("td")[0].get_text(" ", strip=True) for tr in page.select("#ranking tbody tr")
    ]
    assert ranks == ["1 ex æquo", "1 ex æquo"]
    assert page.select_one("#ranking tbody td.num").get_text() == "50,00"

    assert lead.post(f"/evaluation/{t.id}/lock").status_code == 303
    assert soup(b.get(f"/evaluation/{t.id}")).select_one("#lock-status").get_text() == "verrouillée"
    # Locked: no change by anybody.
    assert b.post(f"/evaluation/{t.id}/offers", data={"supplier_name": "Tardif"}).status_code == 409
    assert b.post(f"/evaluation/offers/{a.id}/declaration", data={"pue": "1.1"}).status_code == 409
    assert (
        lead.post(
            f"/evaluation/{t.id}/offers/{a.id}/final",
            data=_score_form(t, lambda c: 1, "justification"),
        ).status_code
        == 409
    )
    assert (
        len(soup(b.get(f"/evaluation/{t.id}")).select(f"#scores-{a.id} tbody tr")) == 6
    )  # buyer sees all after lock

    # Unlocking needs a reason.
    r = lead.post(f"/evaluation/{t.id}/unlock", data={"reason": ""})
    assert r.status_code == 422 and soup(r).select_one("#err-reason")
    assert (
        lead.post(
            f"/evaluation/{t.id}/unlock", data={"reason": "Erreur matérielle sur le prix de Zêta."}
        ).status_code
        == 303
    )
    assert (
        "Erreur matérielle" in soup(b.get(f"/evaluation/{t.id}")).select_one("#unlocks").get_text()
    )
    assert (
        lead.post(
            f"/evaluation/{t.id}/offers/{z.id}/final",
            data={"score-0": "10", "justification-0": "Prix corrigé."},
        ).status_code
        == 303
    )

    actions = [e.action for e in events(session)]
    for action in (
        "evaluation.assign",
        "evaluation.score",
        "evaluation.submit",
        "evaluation.final_score",
        "evaluation.lock",
        "evaluation.unlock",
    ):
        assert action in actions
    unlock = next(e for e in events(session) if e.action == "evaluation.unlock")
    assert unlock.actor_email == team["lead"].email and unlock.details["reason"].startswith(
        "Erreur"
    )
    assert (
        session.exec(
            select(FinalScore).where(FinalScore.offer_id == z.id, FinalScore.criterion == "Prix")
        )
        .one()
        .score
        == 10
    )


def test_evaluator_cannot_be_removed_after_scoring(team, session):
    t, actor = team["tender"], Actor.of(team["buyer"])
    offer = ev.add_offer(session=session, actor=actor, tender_id=t.id, supplier_name="X")
    ev.assign_evaluators(
        session=session,
        actor=actor,
        tender_id=t.id,
        user_ids=[team["lead"].id, team["second"].id],
        lead_id=team["lead"].id,
    )
    ev.save_scores(
        session=session,
        actor=Actor.of(team["second"]),
        tender_id=t.id,
        offer_id=offer.id,
        entries={"Prix": {"score": 5, "comment": "ok"}},
    )
    with pytest.raises(ev.ValidationError) as exc:
        ev.assign_evaluators(
            session=session,
            actor=actor,
            tender_id=t.id,
            user_ids=[team["lead"].id],
            lead_id=team["lead"].id,
        )
    assert "déjà noté" in exc.value.fields["evaluators"]
    with pytest.raises(ev.ValidationError) as exc:
        ev.assign_evaluators(
            session=session,
            actor=actor,
            tender_id=t.id,
            user_ids=[team["lead"].id, team["second"].id, team["buyer"].id],
            lead_id=team["lead"].id,
        )
    assert "évaluateur actif" in exc.value.fields["evaluators"]


def test_functional_unit_required_for_footprints(session, make_user):
    buyer = make_user("buyer")
    tender = make_tender(
        session, buyer, reference="AO-SANS-UF", requests_per_year=None, tokens_per_request=None
    )
    offer = ev.add_offer(
        session=session, actor=Actor.of(buyer), tender_id=tender.id, supplier_name="X"
    )
    with pytest.raises(ev.ValidationError, match="unité fonctionnelle"):
        ev.save_declaration(
            session=session, actor=Actor.of(buyer), offer_id=offer.id, data=GOOD_DECLARATION
        )
    assert session.exec(select(Declaration)).all() == []


def test_pending_work_and_demo_are_idempotent(engine, session, make_user):
    from procure.accounts.demo import ensure_users
    from procure.evaluation import demo as evaluation_demo

    users = ensure_users(engine)
    tender = make_tender(session, users["buyer"], reference="DEMO-EVAL")
    evaluation_demo.load(engine=engine, users=users, echo=lambda _m: None)
    evaluation_demo.load(engine=engine, users=users, echo=lambda _m: None)
    offers = ev.list_offers(session=session, tender_id=tender.id)
    assert len(offers) == 3
    assert all(ev.declaration_of(session=session, offer_id=o.id) for o in offers)
    team = ev.assignments(session=session, tender_id=tender.id)
    assert {a.user_id for a in team} == {users["evaluator"].id, users["evaluator2"].id}
    assert [a.user_id for a in team if a.lead] == [users["evaluator"].id]
    panel = ev.pending_work(session=session, user=users["evaluator"])[0]
    item = panel["items"][0]
    assert (item["endpoint"], item["params"]) == ("evaluation.tender", {"tender_id": tender.id})


# --- CLI -----------------------------------------------------------------------------------


def test_cli_footprint_compute_json(runner, tmp_path):
    path = tmp_path / "decl.json"
    path.write_text(json.dumps(GOOD_DECLARATION), encoding="utf-8")
    result = runner.invoke(
        args=[
            "footprint",
            "compute",
            str(path),
            "--requests-per-year",
            "1000000",
            "--tokens",
            "400",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in (
        "wh_per_request",
        "kgco2e_per_1000_requests",
        "kgco2e_per_year",
        "kgco2e_per_year_use",
        "kgco2e_per_year_embodied",
        "water_l_per_year",
        "defaults_applied",
    ):
        assert key in data
    assert "hardware_lifetime_years" in data["defaults_applied"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"pue": 0.7, "country": "ZZZ"}), encoding="utf-8")
    result = runner.invoke(
        args=["footprint", "compute", str(bad), "--requests-per-year", "10", "--tokens", "10"]
    )
    assert result.exit_code == 1
    assert "pue" in result.output and "country" in result.output
    template = runner.invoke(args=["footprint", "template", "--format", "json"])
    assert set(json.loads(template.output)) >= {"model_total_parameters", "pue", "country"}


def test_cli_workflow_to_ranking(runner, team, session, tmp_path):
    t = team["tender"]
    lead, second, buyer = team["lead"].email, team["second"].email, team["buyer"].email
    decl = tmp_path / "decl.json"
    decl.write_text(json.dumps(GOOD_DECLARATION), encoding="utf-8")

    def ok(*args):
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    ok(
        "evaluation",
        "offer-add",
        t.reference,
        "--supplier",
        "Alpha",
        "--price",
        "100000",
        "--as",
        buyer,
    )
    ok(
        "evaluation",
        "offer-add",
        t.reference,
        "--supplier",
        "Beta",
        "--price",
        "125000",
        "--as",
        buyer,
    )
    ok("evaluation", "declare", t.reference, "Alpha", str(decl), "--as", buyer)
    ok(
        "evaluation",
        "assign",
        t.reference,
        "--evaluator",
        lead,
        "--evaluator",
        second,
        "--lead",
        lead,
        "--as",
        buyer,
    )
    refused = runner.invoke(
        args=[
            "evaluation",
            "score",
            t.reference,
            "Alpha",
            "--criterion",
            "Prix",
            "--score",
            "21",
            "--comment",
            "x",
            "--as",
            lead,
        ]
    )
    assert refused.exit_code == 1 and "entre 0 et 20" in refused.output
    outsider = runner.invoke(
        args=[
            "evaluation",
            "score",
            t.reference,
            "Alpha",
            "--criterion",
            "Prix",
            "--score",
            "2",
            "--comment",
            "x",
            "--as",
            team["outsider"].email,
        ]
    )
    assert outsider.exit_code == 1 and "pas évaluateur" in outsider.output
    notes = {
        "Alpha": {"Prix": 20, "Valeur technique": 12, "Environnement": 8},
        "Beta": {"Prix": 16, "Valeur technique": 15, "Environnement": 5},
    }
    for who in (lead, second):
        for supplier, by_crit in notes.items():
            for crit, score in by_crit.items():
                ok(
                    "evaluation",
                    "score",
                    t.reference,
                    supplier,
                    "--criterion",
                    crit,
                    "--score",
                    str(score),
                    "--comment",
                    "vu",
                    "--as",
                    who,
                )
        ok("evaluation", "submit", t.reference, "--as", who, "--confirm-as")
    for supplier, by_crit in notes.items():
        for crit, score in by_crit.items():
            ok(
                "evaluation",
                "final",
                t.reference,
                supplier,
                "--criterion",
                crit,
                "--score",
                str(score),
                "--justification",
                "Consensus.",
                "--as",
                lead,
                "--confirm-as",
            )
    ok("evaluation", "lock", t.reference, "--as", lead, "--confirm-as")
    ranking = json.loads(ok("evaluation", "ranking", t.reference, "--json", "--as", buyer))
    assert [(r["rank"], r["supplier"]) for r in ranking] == [(1, "Alpha"), (2, "Beta")]
    assert ranking[0]["total"] == pytest.approx(40 + 45 * 12 / 20 + 15 * 8 / 10)
    refused = runner.invoke(
        args=["evaluation", "unlock", t.reference, "--reason", "", "--as", lead, "--confirm-as"]
    )
    assert refused.exit_code == 1 and "reason" in refused.output


# --- French numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", " "])
def test_numbers_typed_with_any_space_are_accepted(app, runner, team, session, tmp_path, space):
    """Prices, declaration numbers and requests per year accept a (narrow) no-break space."""
    t, buyer = team["tender"], team["buyer"]
    c = client_for(app, buyer)
    r = c.post(
        f"/evaluation/{t.id}/offers",
        data={"supplier_name": "Alpha", "price": f"125{space}000,50{space}€"},
    )
    assert r.status_code == 303
    offer = session.exec(select(Offer)).one()
    assert offer.price == 125_000.5
    form = {name: "" for name in ("model_total_parameters", "pue", "country")}
    form |= {"model_total_parameters": f"8{space}000{space}000{space}000", "pue": "1,25"}
    form["country"] = "FRA"
    r = c.post(f"/evaluation/offers/{offer.id}/declaration", data=form)
    assert r.status_code == 303, soup(r).select_one(".error")
    decl = ev.declaration_of(session=session, offer_id=offer.id)
    assert decl.data["model_total_parameters"] == 8_000_000_000 and decl.data["pue"] == 1.25
    path = tmp_path / "decl.json"
    path.write_text(json.dumps(GOOD_DECLARATION), encoding="utf-8")
    result = runner.invoke(
        args=[
            "footprint",
            "compute",
            str(path),
            "--requests-per-year",
            f"1{space}000{space}000",
            "--tokens",
            "400",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["functional_unit"]["requests_per_year"] == 1_000_000
