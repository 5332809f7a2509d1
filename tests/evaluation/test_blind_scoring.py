"""Blind scoring: nobody sees another evaluator's notes, the final notes, the ranking, the score
chart or the report before submitting their own, and a draft is seen by its author only.

Every surface is walked: the page, the chart, the report (export and download), the CLI.
"""

from __future__ import annotations

import json

import pytest

from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden
from procure.evaluation import services as ev
from tests.conftest import soup
from tests.factories import client_for, make_tender


def _entries(tender, note, text="comment"):
    return {
        c["name"]: {"score": note(c), text: f"Avis sur {c['name']}."} for c in tender.award_criteria
    }


@pytest.fixture
def locked_then_unlocked(session, make_user):
    """A tender scored by two evaluators, reconciled, locked, reported, then unlocked."""
    buyer = make_user("buyer")
    lead, second, late = make_user("evaluator"), make_user("evaluator"), make_user("evaluator")
    tender = make_tender(session, buyer)
    b = Actor.of(buyer)
    offer = ev.add_offer(
        session=session, actor=b, tender_id=tender.id, supplier_name="Alpha", price=1000
    )
    ev.assign_evaluators(
        session=session,
        actor=b,
        tender_id=tender.id,
        user_ids=[lead.id, second.id],
        lead_id=lead.id,
    )
    for user, note in ((lead, 7), (second, 9)):
        ev.save_scores(
            session=session,
            actor=Actor.of(user),
            tender_id=tender.id,
            offer_id=offer.id,
            entries=_entries(tender, lambda c, n=note: min(n, c["max_score"])),
        )
        ev.submit_scores(session=session, actor=Actor.of(user), tender_id=tender.id)
    ev.save_final_scores(
        session=session,
        actor=Actor.of(lead),
        tender_id=tender.id,
        offer_id=offer.id,
        entries=_entries(tender, lambda c: 5, "justification"),
    )
    ev.lock(session=session, actor=Actor.of(lead), tender_id=tender.id)
    return {
        "buyer": buyer,
        "lead": lead,
        "second": second,
        "late": late,
        "tender": tender,
        "offer": offer,
    }


def _unlock_and_add_late(session, ctx):
    t = ctx["tender"]
    ev.unlock(
        session=session,
        actor=Actor.of(ctx["lead"]),
        tender_id=t.id,
        reason="Une évaluatrice supplémentaire est désignée.",
    )
    ev.assign_evaluators(
        session=session,
        actor=Actor.of(ctx["buyer"]),
        tender_id=t.id,
        user_ids=[ctx["lead"].id, ctx["second"].id, ctx["late"].id],
        lead_id=ctx["lead"].id,
    )


def test_late_evaluator_sees_nothing_of_the_others_anywhere(
    app, runner, session, locked_then_unlocked, tmp_path
):
    ctx = locked_then_unlocked
    t, late = ctx["tender"], ctx["late"]
    doc, _path = ev.export_report(
        session=session,
        actor=Actor.of(ctx["buyer"]),
        tender_id=t.id,
        fmt="docx",
        store=app.extensions["procure.documents"],
    )
    _unlock_and_add_late(session, ctx)
    # The tenders room neither lists nor serves the report (the evaluation room guards it).
    buyer = client_for(app, ctx["buyer"])
    assert buyer.get(f"/tenders/{t.id}/documents/{doc.id}").status_code == 404
    c = client_for(app, late)
    page = soup(c.get(f"/evaluation/{t.id}"))
    text = page.get_text(" ")
    assert page.select(f"#score-form-{ctx['offer'].id}")  # they can score
    assert not page.select(f"#finals-{ctx['offer'].id}")
    assert not page.select(".ranking") and not page.select("#reports")
    for name in (ctx["lead"].display_name, ctx["second"].display_name):
        assert not page.select(f"#scores-{ctx['offer'].id}"), name
    assert "Avis sur" not in text
    assert c.get(f"/evaluation/{t.id}/chart/scores.png").status_code == 403
    assert c.get(f"/evaluation/{t.id}/report/{doc.id}").status_code == 403
    assert c.post(f"/evaluation/{t.id}/report", data={"format": "docx"}).status_code in (403, 409)
    # The same through the CLI.
    out = runner.invoke(args=["evaluation", "scores", t.reference, "--as", late.email, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["scores"] == [] and data["finals"] == []
    out = runner.invoke(args=["evaluation", "ranking", t.reference, "--as", late.email, "--json"])
    assert out.exit_code != 0 or json.loads(out.output) == []
    # The services refuse as well.
    with pytest.raises(Forbidden):
        ev.report_document(session=session, actor=Actor.of(late), tender_id=t.id, doc_id=doc.id)
    view = ev.overview(session=session, actor=Actor.of(late), tender_id=t.id)
    assert view["finals"] == {} and view["ranking"] == [] and view["scores"] == []


def test_lock_is_refused_while_an_evaluator_has_not_submitted(session, locked_then_unlocked):
    ctx = locked_then_unlocked
    _unlock_and_add_late(session, ctx)
    with pytest.raises(Conflict):
        ev.lock(session=session, actor=Actor.of(ctx["lead"]), tender_id=ctx["tender"].id)


def test_a_draft_is_seen_by_its_author_only(app, session, make_user):
    buyer = make_user("buyer")
    lead, second = make_user("evaluator"), make_user("evaluator")
    t = make_tender(session, buyer)
    offer = ev.add_offer(session=session, actor=Actor.of(buyer), tender_id=t.id, supplier_name="A")
    ev.assign_evaluators(
        session=session,
        actor=Actor.of(buyer),
        tender_id=t.id,
        user_ids=[lead.id, second.id],
        lead_id=lead.id,
    )
    ev.save_scores(
        session=session,
        actor=Actor.of(lead),
        tender_id=t.id,
        offer_id=offer.id,
        entries=_entries(t, lambda c: 4),
    )
    ev.submit_scores(session=session, actor=Actor.of(lead), tender_id=t.id)
    ev.save_scores(  # the second evaluator's draft, saved but not submitted
        session=session,
        actor=Actor.of(second),
        tender_id=t.id,
        offer_id=offer.id,
        entries=_entries(t, lambda c: 3),
    )
    seen = ev.visible_scores(session=session, actor=Actor.of(lead), tender=t)
    assert {s.user_id for s in seen} == {lead.id}
    own = ev.visible_scores(session=session, actor=Actor.of(second), tender=t)
    assert {s.user_id for s in own} == {second.id}
    page = soup(client_for(app, lead).get(f"/evaluation/{t.id}"))
    rows = page.select(f"#scores-{offer.id} tbody tr")
    assert rows and all(r.select_one("td").get_text() == lead.display_name for r in rows)


def test_buyer_sees_results_only_once_locked(app, session, locked_then_unlocked):
    ctx = locked_then_unlocked
    t = ctx["tender"]
    buyer = client_for(app, ctx["buyer"])
    assert soup(buyer.get(f"/evaluation/{t.id}")).select(".ranking")
    assert buyer.get(f"/evaluation/{t.id}/chart/scores.png").status_code == 200
    _unlock_and_add_late(session, ctx)
    page = soup(buyer.get(f"/evaluation/{t.id}"))
    assert not page.select(".ranking") and not page.select(f"#finals-{ctx['offer'].id}")
    assert buyer.get(f"/evaluation/{t.id}/chart/scores.png").status_code == 403


def test_the_audit_page_does_not_show_notes_to_an_admin(
    app, session, locked_then_unlocked, make_user
):
    c = client_for(app, make_user("admin"))
    page = soup(c.get("/admin/audit?action=evaluation"))
    assert page.select("#audit-table tbody tr")
    assert "Avis sur" not in page.get_text()  # comments and justifications stay in the log only
    assert "confidentiels" in page.get_text()
