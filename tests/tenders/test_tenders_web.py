"""Tenders through the web: pages, forms without JavaScript, htmx fragments, access rules, locking."""

from __future__ import annotations

import pytest
from sqlmodel import select

from procure.clause_library.models import Clause
from procure.core.models import AuditEvent
from procure.tenders import services as svc
from procure.tenders.models import Tender, TenderClause, TenderDocument
from tests.conftest import soup
from tests.factories import (
    CRITERIA,
    actor_of,
    load_library,
    new_version,
    pin_value,
    tender_data,
)

FORM = {
    "title": "Assistant <b>juridique</b> {{ x }}",
    "buyer": "Ville de Testville",
    "procedure": "aoo",
    "cpv": "72000000-5",
    "amount": "120 000",
    "lots": "Lot A\nLot B",
    "ai_high_risk": "on",
    "crit-1-name": "Prix",
    "crit-1-kind": "price",
    "crit-1-weight": "50",
    "crit-2-name": "Technique",
    "crit-2-kind": "technical",
    "crit-2-weight": "35",
    "crit-3-name": "Environnement",
    "crit-3-kind": "environment",
    "crit-3-weight": "15",
    "requests_per_year": "10000",
    "tokens_per_request": "300",
}


@pytest.fixture
def library(session):
    return load_library(session)


def make_tender(session, user, **over):
    return svc.create_tender(session=session, actor=actor_of(user), data=tender_data(**over))


def test_create_tender_without_javascript(client, login, session, library):
    login("buyer")
    page = soup(client.get("/tenders/new"))
    assert page.select_one("form#tender-form select#f-procedure option[value=aoo]")
    r = client.post("/tenders/new", data=FORM)
    assert r.status_code == 303
    tender = session.exec(select(Tender)).one()
    assert tender.reference.startswith("PRC-") and tender.lots[1]["title"] == "Lot B"
    page = soup(client.get(r.headers["Location"]))
    assert (
        page.select_one("h1").get_text()
        == f"{tender.reference} · Assistant <b>juridique</b> {{{{ x }}}}"
    )
    assert not page.select("h1 b")  # escaped, never markup
    keys = [tr["data-key"] for tr in page.select("#clause-list tr[data-key]")]
    assert (
        "auditabilite.journalisation" in keys
        and "supervision-humaine.mesures-controle-humain" in keys
    )
    link = page.select_one("#clause-list a[href='/tenders/rules#R04-haut-risque-journaux']")
    assert link and "26(6)" in link.find_next("span", class_="basis").get_text()
    assert page.select_one("#findings tr[data-code=RESUME]")


def test_bad_form_is_refused_with_each_field_named(client, login, session, library):
    login("buyer")
    bad = dict(FORM, title="", cpv="72000000-9 99999999", **{"crit-1-weight": "cent"})
    r = client.post("/tenders/new", data=bad)
    assert r.status_code == 422
    page = soup(r)
    assert page.select_one("#f-title")["aria-invalid"] == "true"
    assert "Intitulé" in page.select_one("#err-title").get_text()
    assert "72000000-9" in page.select_one("#err-cpv").get_text()
    assert "Critère 1" in page.select_one(".error-summary").get_text()
    assert page.select_one("#f-buyer")["value"] == "Ville de Testville"  # nothing valid lost
    assert session.exec(select(Tender)).first() is None


def test_cpv_search_fragment_and_no_js_search(client, login, library):
    login("buyer")
    r = client.get("/tenders/cpv?cpv_q=logiciel", headers={"HX-Request": "true"})
    assert r.status_code == 200
    fragment = soup(r)
    assert fragment.select_one("div#cpv-results") and not fragment.select_one("html")
    assert fragment.select("#cpv-results input[name=cpv_pick]")
    r = client.post(
        "/tenders/new", data=dict(FORM, action="search_cpv", cpv_q="servces informatiques")
    )
    page = soup(r)
    picks = [i["value"] for i in page.select("#cpv-results input[name=cpv_pick]")]
    assert picks and all(p.startswith("72") for p in picks[:3])  # typo-tolerant: IT services
    assert page.select_one("#f-title")["value"] == FORM["title"]


def test_values_form_preview_save_and_refusal(client, login, session, library):
    user = login("buyer")
    tender = make_tender(session, user)
    link = session.exec(select(TenderClause).where(TenderClause.tender_id == tender.id)).first()
    row = svc.get_clause_row(session=session, tender=tender, link_id=link.id)
    var = next(v for v in row.version.variables if v["type"] == "integer")
    url = f"/tenders/{tender.id}/clauses/{link.id}"
    page = soup(client.get(url))
    assert page.select_one(f"#f-v-{var['name']}")
    assert page.select_one("form#values-form")["hx-post"].endswith("/preview")
    # htmx preview, nothing written
    r = client.post(
        url + "/preview", data={f"v-{var['name']}": str(var["max"])}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and soup(r).select_one("section#apercu")
    assert (
        str(var["max"]).replace("000", " 000") in soup(r).get_text()
        or str(var["max"]) in soup(r).get_text()
    )
    # the same preview without JavaScript
    values = {
        f"v-{v['name']}": ", ".join(v["default"])
        if isinstance(v.get("default"), list)
        else str(v.get("default") or "")
        for v in row.version.variables
    }
    r = client.post(url, data=dict(values, action="preview", lock_version=tender.lock_version))
    assert r.status_code == 200 and soup(r).select_one("#apercu .clause-text p")
    # out of bounds: refused, field named, nothing saved
    before = dict(link.values)
    r = client.post(
        url,
        data=dict(
            values, **{f"v-{var['name']}": str(var["max"] + 1)}, lock_version=tender.lock_version
        ),
    )
    assert r.status_code == 422
    assert soup(r).select_one(f"#f-v-{var['name']}")["aria-invalid"] == "true"
    session.expire_all()
    assert session.get(TenderClause, link.id).values == before
    # valid: saved, audited
    r = client.post(
        url,
        data=dict(
            values, **{f"v-{var['name']}": str(var["min"])}, lock_version=tender.lock_version
        ),
    )
    assert r.status_code == 303
    session.expire_all()
    assert session.get(TenderClause, link.id).values[var["name"]] == var["min"]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "tender.clause_values")).one()


def test_second_save_gets_a_conflict(client, login, session, library):
    user = login("buyer")
    tender = make_tender(session, user)
    stale_version = tender.lock_version
    svc.update_tender(
        session=session,
        actor=actor_of(user),
        tender_id=tender.id,
        data=tender_data(title="Autre intitulé"),
        lock_version=stale_version,
    )
    r = client.post(f"/tenders/{tender.id}/edit", data=dict(FORM, lock_version=stale_version))
    assert r.status_code == 409
    page = soup(r)
    assert "modifié par ailleurs" in page.select_one("#conflit").get_text()
    assert "tender.update" in page.select_one("#conflit table").get_text()
    session.expire_all()
    assert session.get(Tender, tender.id).title == "Autre intitulé"


@pytest.mark.parametrize(
    "who,status",
    [
        ("owner", 200),
        ("same-org-buyer", 200),
        ("other-org-buyer", 403),
        ("legal", 403),
        ("admin", 403),
        ("anonymous", 302),
    ],
)
def test_access_rules(client, login, make_user, session, library, who, status):
    owner = make_user("buyer", organisation="Ville de Testville")
    tender = make_tender(session, owner)
    if who == "owner":
        login(user=owner)
    elif who == "same-org-buyer":
        login(user=make_user("buyer", organisation="Ville de Testville"))
    elif who == "other-org-buyer":
        login(user=make_user("buyer", organisation="Autre ministère"))
    elif who == "legal":
        login("legal")
    elif who == "admin":
        login(user=make_user("admin", organisation="Ville de Testville"))
    for url in (
        f"/tenders/{tender.id}",
        f"/tenders/{tender.id}/check",
        f"/tenders/{tender.id}/edit",
    ):
        assert client.get(url).status_code == status, url
    if who == "other-org-buyer":
        r = client.post(f"/tenders/{tender.id}/export", data={"piece": "CCAP", "format": "odt"})
        assert r.status_code == 403
        assert client.get("/tenders/99999").status_code == 404
        assert tender.reference not in client.get("/tenders/").get_data(as_text=True)


def test_export_from_the_page_and_download(client, login, session, library):
    user = login("buyer")
    tender = make_tender(session, user)
    r = client.post(f"/tenders/{tender.id}/export", data={"piece": "RC", "format": "odt"})
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/tenders/{tender.id}#documents"
    )
    # The page the buyer lands on lists the new export, with its download link.
    page = soup(client.get(r.headers["Location"]))
    doc = session.exec(select(TenderDocument)).one()
    assert doc.sha256 in page.select_one("#documents").get_text()
    download = client.get(page.select_one("#documents a")["href"])
    assert download.status_code == 200 and download.data[:2] == b"PK"
    import hashlib

    assert hashlib.sha256(download.data).hexdigest() == doc.sha256


def test_export_blocked_by_errors_in_the_page(client, login, session, library):
    user = login("buyer")
    tender = make_tender(session, user, award_criteria=CRITERIA[:2])
    page = soup(client.get(f"/tenders/{tender.id}"))
    assert page.select_one("#findings tr[data-code=CRITERE-ENVIRONNEMENTAL-ABSENT] a")[
        "href"
    ].endswith("#criteres")
    button = page.select_one("form[action$='/export'] button")
    assert button.has_attr("disabled") and button["aria-describedby"] == "export-blockers"
    # The blocking findings sit next to the disabled button, each with its fix link.
    blockers = page.select_one("#export-blockers")
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" in blockers.get_text()
    assert blockers.select_one("a")["href"].endswith("#criteres")
    r = client.post(f"/tenders/{tender.id}/export", data={"piece": "RC", "format": "docx"})
    assert r.status_code == 422
    assert "Export refusé" in soup(r).select_one("#export-error").get_text()
    assert session.exec(select(TenderDocument)).first() is None


def test_staleness_banner_diff_and_upgrade(client, login, session, library):
    user = login("buyer")
    tender = make_tender(session, user)
    key = "auditabilite.journalisation"
    old = library[key]
    new_vars = [
        dict(v, max=7300) if v["name"] == "duree_conservation_jours" else v for v in old.variables
    ]
    new_vars.append(
        {
            "name": "lieu_stockage",
            "type": "text",
            "label": "Lieu de stockage des journaux",
            "required": True,
        }
    )
    new_version(
        session,
        key,
        variables=new_vars,
        body=old.body.replace(
            "puis supprimés.", "puis supprimés de façon sûre, à {{ lieu_stockage }}."
        ),
    )
    page = soup(client.get(f"/tenders/{tender.id}"))
    assert "journalisation" in page.select_one("#perimees").get_text().lower()
    link = session.exec(
        select(TenderClause)
        .join(Clause, Clause.id == TenderClause.clause_id)
        .where(Clause.key == key, TenderClause.tender_id == tender.id)
    ).one()
    page = soup(client.get(f"/tenders/{tender.id}/clauses/{link.id}"))
    assert "de façon sûre" in page.select_one("#difference .diff ins").get_text() + "".join(
        i.get_text() for i in page.select("#difference .diff ins")
    )
    session.expire_all()
    r = client.post(
        f"/tenders/{tender.id}/clauses/{link.id}/upgrade",
        data={"lock_version": session.get(Tender, tender.id).lock_version},
    )
    assert r.status_code == 303 and "ask=lieu_stockage" in r.headers["Location"]
    page = soup(client.get(r.headers["Location"]))
    assert "ask" in page.select_one("#v-lieu_stockage")["class"]
    session.expire_all()
    link = session.get(TenderClause, link.id)
    assert link.values["duree_conservation_jours"] == 365  # still valid: kept
    findings = {f.code for f in svc.check(session=session, tender=session.get(Tender, tender.id))}
    assert "VARIABLE-VIDE" in findings


def test_rules_page_lists_every_rule(client, login):
    from procure.tenders.rules import RULES

    login("legal")
    page = soup(client.get("/tenders/rules"))
    assert [tr["id"] for tr in page.select("#regles tbody tr")] == [r.id for r in RULES]


def test_index_and_home_panel(client, login, session, library):
    user = login("buyer")
    tender = make_tender(session, user)
    page = soup(client.get("/tenders/"))
    assert page.select_one(f"#tender-{tender.id} a").get_text() == tender.reference
    home = soup(client.get("/"))
    assert tender.reference in home.get_text()


def test_profile_and_sub_criteria_round_trip_through_the_form(client, login, session, library):
    login("buyer")
    page = soup(client.get("/tenders/new"))
    # The new-tender form offers the environmental split the RC will publish.
    assert page.select_one("#crit-3-sub-1-name")["value"] == "Empreinte par unité fonctionnelle"
    assert page.select_one("#f-buyer_kind option[value=etat]")
    form = dict(
        FORM,
        buyer_kind="etat",
        launch_date="2026-10-01",
        interacts_with_people="on",
        particularly_sensitive_data="on",
        lots="",
        lots_reason="Prestation intégrée.",
        **{
            "crit-3-name": "Environnement",
            "crit-3-kind": "environment",
            "crit-3-weight": "15",
            "crit-3-method": "logarithmique",
            "crit-3-cap": "500",
            "crit-3-sub-1-name": "Empreinte",
            "crit-3-sub-1-weight": "60",
            "crit-3-sub-1-metric": "kgco2e_per_year",
            "crit-3-sub-2-name": "Démarche",
            "crit-3-sub-2-weight": "40",
            "crit-3-sub-2-metric": "",
        },
    )
    r = client.post("/tenders/new", data=form)
    assert r.status_code == 303, soup(r).select_one(".error-summary")
    tender = session.exec(select(Tender)).one()
    assert tender.buyer_kind == "etat" and tender.interacts_with_people
    assert tender.particularly_sensitive_data and str(tender.launch_date) == "2026-10-01"
    env = tender.award_criteria[2]
    assert env["cap"] == 500 and [s["weight"] for s in env["sub_criteria"]] == [60, 40]
    edit = soup(client.get(f"/tenders/{tender.id}/edit"))
    assert edit.select_one("#crit-3-sub-2-weight")["value"] == "40"
    assert edit.select_one("#f-buyer_kind option[selected]")["value"] == "etat"
    assert edit.select_one("input[name=interacts_with_people]").has_attr("checked")
    # A split that does not add up is refused, naming the criterion.
    bad = dict(form, **{"crit-3-sub-2-weight": "30"})
    r = client.post("/tenders/new", data=bad)
    assert r.status_code == 422 and "90 %" in soup(r).select_one(".error-summary").get_text()
    # The findings show their legal basis; the rules page too, with the EU thresholds.
    page = soup(client.get(f"/tenders/{tender.id}"))
    # (Narrowing the SecNumCloud hosting to France alone gives a warning citing 2018/1807.)
    pin_value(session, tender, "donnees.hebergement-secnumcloud", pays_hebergement=["France"])
    page = soup(client.get(f"/tenders/{tender.id}"))
    basis = page.select_one("#findings tr[data-code=HEBERGEMENT-FRANCE] td.basis")
    assert basis is not None and "2018/1807" in basis.get_text()
    rules = soup(client.get("/tenders/rules"))
    assert "art. 50" in rules.select_one("#R10-transparence td.basis").get_text()
    assert "140" in rules.select_one("#thresholds").get_text()


def test_cpv_picker_keeps_ticked_codes_across_searches(client, login, library):
    login("buyer")
    first = soup(client.get("/tenders/cpv?cpv_q=logiciel", headers={"HX-Request": "true"}))
    code = first.select_one("#cpv-results input[name=cpv_pick]")["value"]
    # The second search sends the ticked code (hx-include) and gets it back, still ticked.
    second = soup(
        client.get(
            "/tenders/cpv",
            query_string={"cpv_q": "traduction", "cpv_pick": [code]},
            headers={"HX-Request": "true"},
        )
    )
    kept = second.select_one(f"#cpv-picked input[value='{code}']")
    assert kept is not None and kept.has_attr("checked")
    assert len(second.select(f"input[value='{code}']")) == 1
    page = soup(client.get("/tenders/new"))
    assert "cpv_pick" in page.select_one("#f-cpv_q")["hx-include"]


def test_verify_from_the_ui_with_word_diff_and_audit(client, login, session, library, app, runner):
    import io

    import docx as python_docx

    user = login("buyer")
    tender = make_tender(
        session,
        user,
        award_criteria=CRITERIA,
        lots_reason="Prestation unique.",
    )
    clauses = {r.clause.key: r for r in svc.tender_clauses(session=session, tender=tender)}
    assert "auditabilite.journalisation" in clauses
    r = client.post(f"/tenders/{tender.id}/export", data={"piece": "CCTP", "format": "docx"})
    assert r.status_code == 303, soup(r).get_text()[:500]
    page = soup(client.get(r.headers["Location"]))
    original = client.get(page.select_one("#documents a")["href"]).data
    document = python_docx.Document(io.BytesIO(original))
    target = next(
        p for p in document.paragraphs if p.text.startswith("Les journaux sont conservés pendant")
    )
    target.runs[0].text = target.runs[0].text.replace("conservés", "gardés")
    edited = io.BytesIO()
    document.save(edited)
    r = client.post(
        "/tenders/verify",
        data={"file": (io.BytesIO(edited.getvalue()), "CCTP-modifie.docx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    report = soup(r).select_one("#verify-report")
    row = report.select_one("tr[data-key='auditabilite.journalisation']")
    assert row.select_one("del").get_text().strip() == "conservés"
    assert row.select_one("ins").get_text().strip() == "gardés"
    assert report.select_one("tr.verify-conforme")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "tender.verify")).first()
    assert event is not None and event.details["file"] == "CCTP-modifie.docx"
    assert event.details["summary"]["modifiee"] == 1
    # Refused: another type, an empty file; nothing written but the message beside the field.
    r = client.post(
        "/tenders/verify",
        data={"file": (io.BytesIO(b"hello"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and "DOCX ou ODT" in soup(r).select_one("#err-file").get_text()
    r = client.post(
        "/tenders/verify",
        data={"file": (io.BytesIO(b"PK not a zip"), "faux.docx")},
        content_type="multipart/form-data",
    )
    assert (
        r.status_code == 422
        and "pas un document DOCX lisible" in soup(r).select_one("#err-file").get_text()
    )
