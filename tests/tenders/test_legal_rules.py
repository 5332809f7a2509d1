"""Each legal rule of the compliance check: a tender that triggers it and one that does not.

Real library clauses and services. Every finding a rule raises names its legal basis.
"""

from __future__ import annotations

from datetime import date

import pytest

from procure.core.errors import ValidationError
from procure.tenders import legal
from procure.tenders import services as svc
from procure.tenders.models import Tender
from tests.factories import CRITERIA, actor_of, load_library, pin_value, tender_data

# Clauses that satisfy every subject the check may require, so a rule under test stands alone.
ALL_SUBJECTS = [
    "environnement.critere-environnemental",
    "environnement.declaration-empreinte",
    "auditabilite.journalisation",
    "auditabilite.documentation-technique",
    "supervision-humaine.mesures-controle-humain",
    "supervision-humaine.arret-suspension",
    "auditabilite.signalement-incidents",
    "auditabilite.appui-registre-analyse-impact",
    "supervision-humaine.transparence-usagers",
    "donnees.traitement-donnees-personnelles",
    "donnees.sous-traitants",
    "donnees.localisation-ue",
    "donnees.hebergement-secnumcloud",
    "donnees.hebergement-hds",
]


@pytest.fixture
def buyer(session, make_user):
    load_library(session)
    return make_user("buyer", organisation="Ville de Testville")


def make(session, buyer, keys=None, **over) -> Tender:
    data = tender_data(lots_reason="Prestation indissociable.", buyer_kind="collectivite")
    data.update(over)
    clauses = [{"key": k} for k in (ALL_SUBJECTS if keys is None else keys)]
    return svc.create_tender(session=session, actor=actor_of(buyer), data=data, clauses=clauses)


def codes(session, tender, severity=None) -> list[str]:
    return [
        f.code
        for f in svc.check(session=session, tender=tender)
        if severity is None or f.severity == severity
    ]


def required(session, tender) -> str:
    return " ".join(
        f.message for f in svc.check(session=session, tender=tender) if f.code == "CLAUSE-REQUISE"
    )


def test_every_finding_and_rule_has_a_basis_or_is_a_house_note(session, buyer):
    tender = make(session, buyer, keys=[], procedure="mapa", amount=900_000, lots_reason="")
    house = {"RESUME", "AUCUNE-CLAUSE", "CPV-ABSENT", "VERSION-PERIMEE", "VERSION-RETIREE"}
    for f in svc.check(session=session, tender=tender):
        assert f.basis or f.code in house, f.code
        assert f.to_dict()["basis"] == f.basis
    from procure.tenders import rules

    assert all(rule.basis for rule in rules.RULES)


# --- environmental award criterion and execution condition -----------------------------------


def test_environmental_criterion_required_from_21_august_2026(session, buyer):
    no_env = CRITERIA[:2]
    late = make(session, buyer, award_criteria=no_env, launch_date="2026-08-21")
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" in codes(session, late, "error")
    early = make(session, buyer, award_criteria=no_env, launch_date="2026-08-20")
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" not in codes(session, early)
    assert "CRITERE-ENVIRONNEMENTAL-FACULTATIF" in codes(session, early, "info")
    defence = make(
        session, buyer, award_criteria=no_env, launch_date="2026-12-01", defence_or_security=True
    )
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" not in codes(session, defence)
    with_env = make(session, buyer, launch_date="2026-12-01")
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" not in codes(session, with_env)


def test_a_single_life_cycle_cost_criterion_is_allowed(session, buyer):
    cost = [{"name": "Coût du cycle de vie", "kind": "life_cycle_cost", "weight": 100}]
    tender = make(session, buyer, award_criteria=cost, launch_date="2026-12-01")
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" not in codes(session, tender)
    # Beside other criteria, a life-cycle cost alone does not stand for the obligation.
    mixed = [dict(cost[0], weight=60), dict(CRITERIA[1], weight=40)]
    tender = make(session, buyer, award_criteria=mixed, launch_date="2026-12-01")
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" in codes(session, tender, "error")


def test_environmental_execution_condition_l2112_2(session, buyer):
    without = [k for k in ALL_SUBJECTS if k != "environnement.declaration-empreinte"]
    tender = make(session, buyer, keys=without, launch_date="2026-12-01")
    findings = svc.check(session=session, tender=tender)
    hit = [f for f in findings if f.code == "CLAUSE-REQUISE" and "empreinte" in f.message]
    assert hit and "L2112-2" in hit[0].basis
    tender = make(session, buyer, launch_date="2026-12-01")
    assert "empreinte" not in required(session, tender)
    early = make(session, buyer, keys=without, launch_date="2026-06-01")
    assert "empreinte" not in required(session, early)


# --- weights, procedure and amount, lots -------------------------------------------------------


def test_weights_not_summing_to_100_are_a_warning(session, buyer):
    odd = [dict(c) for c in CRITERIA]
    odd[0]["weight"] = 30
    tender = make(session, buyer, award_criteria=odd)
    assert "PONDERATIONS" in codes(session, tender, "warning")
    assert "PONDERATIONS" not in codes(session, tender, "error")
    assert "PONDERATIONS" not in codes(session, make(session, buyer))


@pytest.mark.parametrize(
    ("kind", "amount", "error"),
    [
        ("etat", 139_999, False),
        ("etat", 140_000, True),
        ("collectivite", 215_999, False),
        ("collectivite", 216_000, True),
        ("sante", 216_000, True),
        ("autre", 150_000, False),
    ],
)
def test_mapa_above_the_eu_threshold_is_an_error(session, buyer, kind, amount, error):
    tender = make(session, buyer, procedure="mapa", amount=amount, buyer_kind=kind)
    findings = [f for f in svc.check(session=session, tender=tender) if f.code == "PROCEDURE-SEUIL"]
    assert bool(findings) is error
    if error:
        assert findings[0].severity == "error"
        assert "2025/2152" in findings[0].message and "2025/2152" in findings[0].basis
        assert f"{legal.threshold(kind):,}".replace(",", "\u202f") in findings[0].message
    formal = make(session, buyer, procedure="aoo", amount=amount, buyer_kind=kind)
    assert "PROCEDURE-SEUIL" not in codes(session, formal)


def test_no_lots_without_reasons_is_a_warning(session, buyer):
    tender = make(session, buyer, lots_reason="")
    assert "ALLOTISSEMENT" in codes(session, tender, "warning")
    assert "ALLOTISSEMENT" not in codes(session, make(session, buyer))
    allotted = make(session, buyer, lots_reason="", lots=["Fourniture", "Maintenance"])
    assert "ALLOTISSEMENT" not in codes(session, allotted)


# --- AI Act ------------------------------------------------------------------------------------


def test_interacting_with_people_requires_transparency_art_50(session, buyer):
    without = [k for k in ALL_SUBJECTS if k != "supervision-humaine.transparence-usagers"]
    tender = make(session, buyer, keys=without, interacts_with_people=True, ai_high_risk=False)
    assert "information des usagers" in required(session, tender)
    proposed = make(session, buyer, keys=None, interacts_with_people=True, ai_high_risk=False)
    assert "information des usagers" not in required(session, proposed)
    quiet = make(session, buyer, keys=without, interacts_with_people=False, ai_high_risk=False)
    assert "information des usagers" not in required(session, quiet)
    # Proposed at creation from the profile, whether or not the system is high-risk.
    created = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(interacts_with_people=True, ai_high_risk=False),
    )
    keys = {r.clause.key for r in svc.tender_clauses(session=session, tender=created)}
    assert "supervision-humaine.transparence-usagers" in keys


@pytest.mark.parametrize(
    ("clause", "subject"),
    [
        ("auditabilite.journalisation", "journaux automatiques"),
        ("auditabilite.documentation-technique", "documentation technique"),
        ("supervision-humaine.mesures-controle-humain", "mesures de contrôle humain"),
        ("supervision-humaine.arret-suspension", "capacité d'arrêter"),
        ("auditabilite.signalement-incidents", "signalement des incidents"),
        ("auditabilite.appui-registre-analyse-impact", "analyse d'impact"),
    ],
)
def test_high_risk_requires_each_subject_on_its_own(session, buyer, clause, subject):
    without = [k for k in ALL_SUBJECTS if k != clause]
    tender = make(session, buyer, keys=without, ai_high_risk=True)
    assert subject in required(session, tender)
    assert subject not in required(session, make(session, buyer, ai_high_risk=True))
    light = make(session, buyer, keys=without, ai_high_risk=False, personal_data=False)
    assert subject not in required(session, light)


def test_a_training_clause_does_not_satisfy_human_oversight(session, buyer):
    keys = [
        k
        for k in ALL_SUBJECTS
        if k
        not in (
            "supervision-humaine.mesures-controle-humain",
            "supervision-humaine.arret-suspension",
        )
    ] + ["supervision-humaine.formation-operateurs"]
    tender = make(session, buyer, keys=keys, ai_high_risk=True)
    assert "mesures de contrôle humain" in required(session, tender)


def test_logs_kept_at_least_six_months(session, buyer):
    tender = make(session, buyer, ai_high_risk=True)
    row = next(
        r
        for r in svc.tender_clauses(session=session, tender=tender)
        if r.clause.key == "auditabilite.journalisation"
    )
    values = {
        k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in row.link.values.items()
    }
    # The library's clause itself refuses less than six months...
    with pytest.raises(ValidationError) as refused:
        svc.set_clause_values(
            session=session,
            actor=actor_of(buyer),
            tender_id=tender.id,
            link_id=row.link.id,
            variant=row.link.variant,
            values={**values, "duree_conservation_jours": "90"},
            lock_version=tender.lock_version,
        )
    assert "duree_conservation_jours" in refused.value.fields
    # ...and the check still catches a value pinned from an older, laxer version of it.
    pin_value(session, tender, "auditabilite.journalisation", duree_conservation_jours=90)
    finding = next(
        f for f in svc.check(session=session, tender=tender) if f.code == "JOURNAUX-DUREE"
    )
    assert finding.severity == "error" and "26(6)" in finding.basis
    assert "JOURNAUX-DUREE" not in codes(session, make(session, buyer, ai_high_risk=True))


# --- GDPR, hosting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "subject"),
    [
        ("donnees.traitement-donnees-personnelles", "sous-traitance au sens du RGPD"),
        ("donnees.sous-traitants", "sous-traitants"),
        ("donnees.localisation-ue", "pas de transfert hors de l'Union"),
    ],
)
def test_personal_data_requires_article_28_subprocessors_and_transfers(
    session, buyer, clause, subject
):
    # The SecNumCloud clause also frames transfers: leave it out too.
    without = [k for k in ALL_SUBJECTS if k not in (clause, "donnees.hebergement-secnumcloud")]
    tender = make(session, buyer, keys=without, personal_data=True, sensitive_data=False)
    finding = next(
        f
        for f in svc.check(session=session, tender=tender)
        if f.code == "CLAUSE-REQUISE" and subject in f.message
    )
    assert "art. 28" in finding.basis
    no_pd = make(session, buyer, keys=without, personal_data=False, ai_high_risk=False)
    assert subject not in required(session, no_pd)


def test_personal_data_proposes_dpia_support(session, buyer):
    created = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(ai_high_risk=False, personal_data=True),
    )
    rows = {r.clause.key: r for r in svc.tender_clauses(session=session, tender=created)}
    assert "auditabilite.appui-registre-analyse-impact" in rows


def test_secnumcloud_required_only_where_sren_art_31_applies(session, buyer):
    without = [k for k in ALL_SUBJECTS if k != "donnees.hebergement-secnumcloud"]
    state = make(session, buyer, keys=without, buyer_kind="etat", particularly_sensitive_data=True)
    finding = next(
        f
        for f in svc.check(session=session, tender=state)
        if f.code == "CLAUSE-REQUISE" and "SecNumCloud" in f.message
    )
    assert "2024-449" in finding.basis and "art. 31" in finding.basis
    local = make(
        session, buyer, keys=without, buyer_kind="collectivite", particularly_sensitive_data=True
    )
    assert "SecNumCloud" not in required(session, local)
    gdpr_sensitive = make(session, buyer, keys=without, buyer_kind="etat", sensitive_data=True)
    assert "SecNumCloud" not in required(session, gdpr_sensitive)
    # Proposed, not required, for sensitive data outside art. 31.
    created = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(buyer_kind="collectivite", sensitive_data=True, personal_data=False),
    )
    rows = {r.clause.key: r for r in svc.tender_clauses(session=session, tender=created)}
    assert rows["donnees.hebergement-secnumcloud"].link.proposed_by == "R13-secnumcloud-propose"


def test_health_data_requires_hds(session, buyer):
    without = [k for k in ALL_SUBJECTS if k != "donnees.hebergement-hds"]
    tender = make(session, buyer, keys=without, health_data=True)
    finding = next(
        f
        for f in svc.check(session=session, tender=tender)
        if f.code == "CLAUSE-REQUISE" and "HDS" in f.message
    )
    assert "L1111-8" in finding.basis
    assert "HDS" not in required(session, make(session, buyer, keys=without, health_data=False))


def test_france_only_hosting_needs_a_public_security_reason(session, buyer):
    def france_only(tender):
        pin_value(session, tender, "donnees.hebergement-secnumcloud", pays_hebergement=["France"])
        return tender

    # The SecNumCloud clause defaults to the EU: no warning until the buyer narrows it to France.
    assert "HEBERGEMENT-FRANCE" not in codes(session, make(session, buyer, sensitive_data=True))
    tender = france_only(make(session, buyer, sensitive_data=True))
    finding = next(
        f for f in svc.check(session=session, tender=tender) if f.code == "HEBERGEMENT-FRANCE"
    )
    assert "2018/1807" in finding.basis
    reasoned = france_only(
        make(
            session,
            buyer,
            sensitive_data=True,
            hosting_security_reason="Données de sécurité civile.",
        )
    )
    assert "HEBERGEMENT-FRANCE" not in codes(session, reasoned)
    no_france = make(
        session,
        buyer,
        keys=[k for k in ALL_SUBJECTS if k != "donnees.hebergement-secnumcloud"],
    )
    assert "HEBERGEMENT-FRANCE" not in codes(session, no_france)


# --- the profile ------------------------------------------------------------------------------


def test_migrated_profile_asks_the_buyer_to_confirm(session, buyer):
    tender = make(session, buyer)
    assert "PROFIL-A-CONFIRMER" not in codes(session, tender)
    tender.profile_confirmed = False  # what migration 0003 writes on existing rows
    session.add(tender)
    session.commit()
    assert "PROFIL-A-CONFIRMER" in codes(session, tender, "warning")
    svc.update_tender(
        session=session,
        actor=actor_of(buyer),
        tender_id=tender.id,
        data=tender_data(lots_reason="Prestation indissociable.", buyer_kind="collectivite"),
        lock_version=tender.lock_version,
    )
    assert "PROFIL-A-CONFIRMER" not in codes(session, tender)


def test_profile_fields_are_validated(session, buyer):
    from procure.core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        make(session, buyer, buyer_kind="ministere", launch_date="31/02/2026", procedure="xyz")
    assert {"buyer_kind", "launch_date", "procedure"} <= set(exc.value.fields)
    tender = make(session, buyer, launch_date="15/09/2026", procedure="appel d'offres ouvert")
    assert tender.launch_date == date(2026, 9, 15) and tender.procedure == "aoo"


def test_a_mapa_may_use_criteria_without_weights(session, buyer):
    unweighted = [{k: v for k, v in c.items() if k != "weight"} for c in CRITERIA]
    mapa = make(session, buyer, procedure="mapa", amount=50_000, award_criteria=unweighted)
    assert [c["weight"] for c in mapa.award_criteria] == [None, None, None]
    found = {f.code: f for f in svc.check(session=session, tender=mapa)}
    assert found["CRITERES-NON-PONDERES"].severity == "info"
    assert "PONDERATIONS" not in found
    rc = svc.build_spec(session=session, tender=mapa, piece="RC")[0]
    assert any("non pondéré" in getattr(b, "text", "") for b in rc.blocks)
    from procure.core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        make(session, buyer, procedure="aoo", award_criteria=unweighted)
    assert "criteria-1-weight" in exc.value.fields


@pytest.mark.parametrize("high_risk", [False, True])
@pytest.mark.parametrize("personal", [False, True])
@pytest.mark.parametrize("people", [False, True])
@pytest.mark.parametrize(
    ("kind", "particular", "health"), [("collectivite", False, False), ("etat", True, True)]
)
def test_every_profile_gets_the_clauses_its_rules_require(
    session, buyer, high_risk, personal, people, kind, particular, health
):
    """Proposals satisfy every requirement of the profile, and RC/CCTP agree with the tender."""
    tender = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(
            ai_high_risk=high_risk,
            personal_data=personal,
            interacts_with_people=people,
            buyer_kind=kind,
            particularly_sensitive_data=particular,
            health_data=health,
            hosting_security_reason="Données de souveraineté." if particular else "",
            lots_reason="Prestation unique.",
        ),
    )
    findings = svc.check(session=session, tender=tender)
    assert not [f for f in findings if f.severity == "error"], [
        (f.code, f.message) for f in findings if f.severity == "error"
    ]
    rc = svc.build_spec(session=session, tender=tender, piece="RC")[0]
    cctp = svc.build_spec(session=session, tender=tender, piece="CCTP")[0]
    text = " ".join(getattr(b, "text", "") for b in rc.blocks + cctp.blocks)
    assert "[valeur du marché" not in text
    assert "pondéré à 15 %" in text
