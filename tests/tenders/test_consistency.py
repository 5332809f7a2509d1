"""A tender is one source of truth: change a criterion value and every piece follows.

Each value the tender owns (a weight, a scoring method, the sub-criteria split, the log scale's
cap, the functional unit, the lots) is changed in turn; the new value must then appear in every
place that shows it (RC, CCAP, CCTP, the evaluation page, the analysis report) and the old one
nowhere. Real library clauses, real services, the real evaluation page and report.
"""

from __future__ import annotations

import copy
import re

import pytest

import procure.documents as D  # noqa: N812
from procure.clause_library.models import ClauseVersion
from procure.core.audit import Actor
from procure.core.formatting import format_number
from procure.evaluation import services as ev
from procure.tenders import services as svc
from tests.conftest import soup
from tests.factories import GOOD_DECLARATION, actor_of, load_library, tender_data

ENV = {
    "name": "Performance environnementale",
    "kind": "environment",
    "weight": 17,
    "method": "logarithmique",
    "max_score": 20,
    "cap": 700,
    "sub_criteria": [
        {"name": "Empreinte par unité fonctionnelle", "weight": 65, "metric": "kgco2e_per_year"},
        {"name": "Qualité de la démarche", "weight": 35, "metric": ""},
    ],
}
BASE = [
    {"name": "Prix", "kind": "price", "weight": 38, "method": "proportionnelle"},
    {"name": "Valeur technique", "kind": "technical", "weight": 45, "method": "bareme"},
    ENV,
]
CLAUSES = [
    {"key": "environnement.critere-environnemental"},
    {"key": "environnement.declaration-empreinte"},
    {"key": "reversibilite.plan-de-reversibilite"},
]


def _spec_text(spec: D.DocumentSpec) -> str:
    parts = []
    for block in spec.blocks:
        if isinstance(block, D.Table):
            parts += [*block.headers, *(cell for row in block.rows for cell in row), block.caption]
        elif hasattr(block, "text"):
            parts.append(block.text)
    return "\n".join(parts)


def _criteria(env: dict) -> list[dict]:
    price = dict(BASE[0], weight=100 - 45 - env["weight"])
    return [price, BASE[1], env]


def _change(name: str) -> tuple[dict, dict, str, str, set[str]]:
    """(tender data before, after, old text, new text, where the value shows)."""
    env = copy.deepcopy(ENV)
    before = {"award_criteria": _criteria(env), "requests_per_year": 1_234_000}
    after = copy.deepcopy(before)
    new_env = after["award_criteria"][2]
    if name == "weight":
        new_env["weight"] = 23
        after["award_criteria"] = _criteria(new_env)
        return before, after, "17 %", "23 %", {"RC", "evaluation", "report"}
    if name == "method":
        new_env["method"] = "proportionnelle"
        new_env.pop("cap")
        return (
            before,
            after,
            "échelle logarithmique",
            "meilleure offre / offre notée",
            {"RC", "evaluation", "report"},
        )
    if name == "split":
        new_env["sub_criteria"][0]["weight"] = 55
        new_env["sub_criteria"][1]["weight"] = 45
        return before, after, "65 % du critère", "55 % du critère", {"RC", "evaluation", "report"}
    if name == "cap":
        new_env["cap"] = 350
        return before, after, "700 fois", "350 fois", {"RC", "evaluation", "report"}
    if name == "unit":
        after["requests_per_year"] = 2_345_000
        return (
            before,
            after,
            format_number(1_234_000),
            format_number(2_345_000),
            {"RC", "CCTP", "report"},
        )
    if name == "lots":
        before["lots"] = ["Fourniture de l'assistant"]
        after["lots"] = ["Exploitation du service"]
        return (
            before,
            after,
            "Fourniture de l'assistant",
            "Exploitation du service",
            {"RC", "CCAP", "CCTP"},
        )
    raise AssertionError(name)


def _locked_evaluation(session, buyer, lead, tender) -> None:
    actor = actor_of(buyer)
    offer = ev.add_offer(
        session=session,
        actor=actor,
        tender_id=tender.id,
        supplier_name="Alpha",
        price=100_000,
        lot="1" if tender.lots else "",
    )
    ev.save_declaration(session=session, actor=actor, offer_id=offer.id, data=GOOD_DECLARATION)
    ev.assign_evaluators(
        session=session, actor=actor, tender_id=tender.id, user_ids=[lead.id], lead_id=lead.id
    )
    entries = {c["name"]: {"score": 10, "comment": "Vu."} for c in tender.award_criteria}
    ev.save_scores(
        session=session,
        actor=Actor.of(lead),
        tender_id=tender.id,
        offer_id=offer.id,
        entries=entries,
    )
    ev.submit_scores(session=session, actor=Actor.of(lead), tender_id=tender.id)
    ev.save_final_scores(
        session=session,
        actor=Actor.of(lead),
        tender_id=tender.id,
        offer_id=offer.id,
        entries={n: {"score": 10, "justification": "Vu."} for n in entries},
    )
    ev.lock(session=session, actor=Actor.of(lead), tender_id=tender.id)


def _texts(session, client, buyer, lead, tender) -> dict[str, str]:
    session.expire_all()
    tender = svc.get_tender(session=session, actor=actor_of(buyer), tender_id=tender.id)
    out = {
        piece: _spec_text(svc.build_spec(session=session, tender=tender, piece=piece)[0])
        for piece in ("RC", "CCAP", "CCTP")
    }
    page = soup(client.get(f"/evaluation/{tender.id}"))
    out["evaluation"] = page.select_one("main").get_text(" ", strip=True)
    out["report"] = _spec_text(
        ev.report_spec(session=session, actor=Actor.of(lead), tender_id=tender.id)
    )
    return out


def _has(text: str, needle: str) -> bool:
    """The value as a whole token (so "17 %" does not match "117 %")."""
    return re.search(r"(?<![\d,])" + re.escape(needle), text.replace("\xa0", " ")) is not None


@pytest.mark.parametrize("name", ["weight", "method", "split", "cap", "unit", "lots"])
def test_each_value_shows_everywhere_from_the_tender(session, client, login, make_user, name):
    load_library(session)
    buyer = login("buyer")
    lead = make_user("evaluator")
    before, after, old, new, where = _change(name)
    tender = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(buyer_kind="collectivite", **before),
        clauses=CLAUSES,
    )
    _locked_evaluation(session, buyer, lead, tender)
    texts = _texts(session, client, buyer, lead, tender)
    for place in where:
        assert _has(texts[place], old), (place, old)
    svc.update_tender(
        session=session,
        actor=actor_of(buyer),
        tender_id=tender.id,
        data=tender_data(buyer_kind="collectivite", **after),
        lock_version=tender.lock_version,
    )
    texts = _texts(session, client, buyer, lead, tender)
    for place in where:
        assert _has(texts[place], new), (place, new, texts[place][:3000])
    for place, text in texts.items():
        assert not _has(text, old), (place, old)
    findings = svc.check(session=session, tender=session.get(type(tender), tender.id))
    assert not [f for f in findings if f.code.startswith("INCOHERENCE")]


def test_the_rc_and_the_evaluation_publish_the_same_split(session, make_user):
    """The evaluation proposes the measured part of the split the RC published, nothing more."""
    load_library(session)
    buyer = make_user("buyer")
    tender = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(award_criteria=BASE),
        clauses=CLAUSES,
    )
    rc = _spec_text(svc.build_spec(session=session, tender=tender, piece="RC")[0])
    assert "« Empreinte par unité fonctionnelle », pour 65 % du critère (13 points)" in rc
    assert "« Qualité de la démarche », pour 35 % du critère (7 points)" in rc
    hosting = dict(ENV, sub_criteria=[{"name": "Hébergement", "weight": 100, "metric": "hosting"}])
    text = svc.criterion_text(hosting)
    assert "seuils de référence" in text and "logarithmique" not in text
    actor = actor_of(buyer)
    for name, price in (("A", 100_000), ("B", 120_000)):
        offer = ev.add_offer(
            session=session, actor=actor, tender_id=tender.id, supplier_name=name, price=price
        )
        ev.save_declaration(session=session, actor=actor, offer_id=offer.id, data=GOOD_DECLARATION)
    proposals = ev.proposals(session=session, tender=tender)
    env = [p[ENV["name"]] for p in proposals.values()]
    assert all(p["partial"] for p in env)
    assert all(p["score"] <= 13 + 1e-9 for p in env)
    assert all(
        "Qualité de la démarche : à apprécier par les évaluateurs (sur 7)" in p["detail"]
        for p in env
    )


def test_an_old_clause_version_that_repeats_a_weight_is_an_error(session, make_user):
    """A pinned version written before the criteria moved to the tender, and disagreeing."""
    library = load_library(session)
    buyer = make_user("buyer")
    tender = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(award_criteria=BASE),
        clauses=CLAUSES,
    )
    version = library["environnement.critere-environnemental"]
    row = next(
        r for r in svc.tender_clauses(session=session, tender=tender) if r.version.id == version.id
    )
    # What the old library stored: a weight variable and a method variant (an older version).
    old = ClauseVersion(
        clause_id=version.clause_id,
        number=0,
        status="approved",
        title=version.title,
        piece="RC",
        body="Critère pondéré à {{ ponderation_pct }} %.\n\n::: variante proportionnelle\nFormule.\n:::",
        variables=[
            {"name": "ponderation_pct", "type": "integer", "label": "Pondération", "default": 15}
        ],
        variants=[{"key": "proportionnelle", "label": "Proportionnelle"}],
        covers=version.covers,
        content_hash="0" * 64,
    )
    session.add(old)
    session.flush()
    row.link.clause_version_id = old.id
    row.link.values = {"ponderation_pct": 15}
    row.link.variant = "proportionnelle"
    session.add(row.link)
    session.commit()
    findings = svc.check(session=session, tender=tender)
    messages = [f.message for f in findings if f.code == "INCOHERENCE-MARCHE"]
    assert any("vaut 15, le marché indique 17" in m for m in messages)
    assert any("« proportionnelle »" in m and "logarithmique" in m for m in messages)
    assert all(
        f.severity == "error" and f.basis for f in findings if f.code == "INCOHERENCE-MARCHE"
    )


def test_no_clause_file_repeats_a_tender_value():
    """Weights, methods, the functional unit and lots live in the tender, never in a clause."""
    from pathlib import Path

    from procure.clause_library.services import parse_clause_text

    repeated = re.compile(
        r"ponderation|poids|note_max|plafond_rapport|unite_fonctionnelle|volume_annuel|requetes|jetons|lots?$"
    )
    root = Path(__file__).resolve().parents[2] / "clauses"
    for path in sorted(root.rglob("*.md")):
        spec = parse_clause_text(path.read_text(encoding="utf-8"), filename=path.name)
        names = [v["name"] for v in spec.variables]
        assert not [n for n in names if repeated.search(n)], (spec.key, names)
        assert not {v["key"] for v in spec.variants} & set(svc.METHODS), spec.key
