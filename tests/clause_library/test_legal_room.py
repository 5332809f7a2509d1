"""The legal users' room as a lawyer uses it (issue 14): partial-match search on the real
library, the structured edit form, the readable comparison, only the allowed review actions."""

from __future__ import annotations

import pytest

from procure.clause_library import services as service
from tests.clause_library import test_clauses as base
from tests.clause_library.test_clauses import actor, browser_form, synced, version_of
from tests.conftest import soup
from tests.factories import ROOT

library = base.library  # a copy of three real clause files
jurists = base.jurists
KEY = "reversibilite.plan-de-reversibilite"


@pytest.fixture
def whole_library(session, make_user):
    report = service.sync_directory(
        session=session, actor=actor(make_user("legal")), directory=ROOT / "clauses"
    )
    assert not report.errors
    return report


def keys(rows):
    return [r.clause.key for r in rows]


def test_search_returns_partial_matches_ranked_by_words_matched(session, whole_library):
    # No clause says both words: every word required returned nothing.
    rows = service.list_library(session=session, q="empreinte carbone")
    assert rows and all(len(r.matched) == 1 and r.of_words == 2 for r in rows)
    assert keys(rows)[0] == "environnement.declaration-empreinte"
    assert "environnement.allegations-verifiables" in keys(rows)  # « neutralité carbone »
    # Clauses matching more of the words come first, then the partial ones.
    rows = service.list_library(session=session, q="hébergement souverain secnumcloud")
    counts = [len(r.matched) for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2 and counts[-1] == 1
    assert keys(rows)[0] == "donnees.hebergement-secnumcloud"
    # Typos in both words still find the clause, and partial matches still come back.
    rows = service.list_library(session=session, q="journalisaton des évènemants")
    assert keys(rows)[0] == "auditabilite.journalisation"
    assert len(rows[0].matched) == 2 and len(rows) > 1
    rows = service.list_library(session=session, q="emprainte carbonne")
    assert "environnement.declaration-empreinte" in keys(rows)[:3]
    assert service.list_library(session=session, q="zzzz qqqq") == []


def test_search_page_says_which_words_a_partial_match_has(client, login, session, whole_library):
    login("buyer")
    page = soup(client.get("/clauses/", query_string={"q": "empreinte carbone"}))
    first = page.select_one("#clause-results tbody tr")
    assert first.select_one("code").get_text() == "environnement.declaration-empreinte"
    assert first.select_one(".badge-partial").get_text() == "1 mot sur 2 : empreinte"


ROWS = {
    "variables-0-name": "duree_jours",
    "variables-0-label": "Durée (jours)",
    "variables-0-type": "integer",
    "variables-0-default": "2",
    "variables-0-min": "1",
    "variables-0-max": "10",
    "variables-0-required": "1",
    "variables-1-type": "text",  # a blank row: its type select always posts a value
    "references-0-source": "CCAG-TIC",
    "references-0-article": "art. 42",
    "references-0-note": "Réversibilité.",
    "references-1-source": "",
}
FORM = {
    "family": "competences",
    "name": "atelier-essai",
    "title": "Atelier d'essai",
    "piece": "CCAP",
    "summary": "Une clause créée dans l'interface.",
    "covers": ["competences"],
    "body": "Le titulaire anime un atelier de {{ duree_jours }} jours.",
}


def test_structured_rows_create_a_clause_and_errors_name_row_and_field(client, login, session):
    login("legal")
    blank = soup(client.get("/clauses/nouvelle"))
    assert blank.select_one("#f-variables-0-name") and blank.select_one("#f-variables-1-name")
    assert blank.select_one("template#tpl-variables")  # what "Ajouter" copies (with JS)
    assert not blank.select("textarea[name=variables]")  # no YAML to type
    bad = client.post("/clauses/nouvelle", data={**FORM, **ROWS, "variables-0-max": "beaucoup"})
    assert bad.status_code == 422
    page = soup(bad)
    message = page.select_one("#err-variables").get_text()
    assert message.startswith("Variable 1, champ « Maximum »"), message
    assert page.select_one("#f-variables-0-max")["aria-invalid"] == "true"
    # Nothing typed is lost: every row comes back, plus blank rows to add more.
    assert page.select_one("#f-variables-0-max")["value"] == "beaucoup"
    assert page.select_one("#f-variables-0-label")["value"] == "Durée (jours)"
    assert page.select_one("#f-variables-0-required").has_attr("checked")
    assert page.select_one("#f-references-0-article")["value"] == "art. 42"
    assert page.select_one("#f-title")["value"] == "Atelier d'essai"
    bad = client.post("/clauses/nouvelle", data={**FORM, **ROWS, "references-0-article": "art. 98"})
    assert bad.status_code == 422
    assert (
        soup(bad)
        .select_one("#err-references")
        .get_text()
        .startswith("Référence 1, champ « Article »")
    )
    created = client.post("/clauses/nouvelle", data={**FORM, **ROWS})
    assert created.status_code == 303, soup(created).select_one(".error-summary")
    version = version_of(session, "competences.atelier-essai")
    assert version.variables == [
        {
            "name": "duree_jours",
            "type": "integer",
            "label": "Durée (jours)",
            "default": 2,
            "min": 1,
            "max": 10,
            "required": True,
        }
    ]
    assert version.references == [
        {"source": "CCAG-TIC", "article": "art. 42", "note": "Réversibilité."}
    ]


def test_edit_form_round_trips_rows_has_empty_note_and_removes_a_row(
    client, login, session, library, jurists
):
    author, _ = jurists
    synced(session, library, author)
    before = version_of(session, KEY)
    references, note, digest = list(before.references), before.change_note, before.content_hash
    login(user=author, password="motdepasse-test")
    url = f"/clauses/{KEY}/versions/1/modifier"
    page = soup(client.get(url))
    assert page.select_one("#f-change_note")["value"] == ""
    assert note in page.select_one("#current-note").get_text()
    assert page.select_one("#f-variables-3-default")["value"] == "200"  # French number
    # Saved unchanged from the browser's form, the clause is the same (the rows round-trip).
    assert client.post(url, data=browser_form(page)).status_code == 303
    assert version_of(session, KEY).content_hash == digest
    data = browser_form(soup(client.get(url)))
    data["references-0-remove"] = "1"
    data["change_note"] = "Référence à l'article 42 retirée."
    assert client.post(url, data=data).status_code == 303
    after = version_of(session, KEY)
    assert after.references == references[1:]
    assert after.change_note == "Référence à l'article 42 retirée."


def _second_version(session, library, author, reviewer, *changes: tuple[str, str]):
    synced(session, library, author)
    base.approve_all(session, author, reviewer, KEY)
    path = library / base.SAMPLE[0]
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    service.sync_directory(session=session, actor=actor(author), directory=library)
    return version_of(session, KEY, 1), version_of(session, KEY, 2)


def test_comparison_reads_as_text_with_changed_words_and_folded_passages(
    client, login, session, library, jurists
):
    author, reviewer = jurists
    # A one-character change in the text, another in the summary.
    v1, v2 = _second_version(
        session,
        library,
        author,
        reviewer,
        ("quinze jours suivant", "quinze jours suivants"),
        ("pendant toute", "pendant tout"),
    )
    comparison = service.compare(session=session, a_id=v1.id, b_id=v2.id)
    assert comparison["fields"] and comparison["fields"][0]["field"] == "summary"
    login("buyer")
    page = soup(client.get(f"/clauses/{KEY}?version=2"))
    result = page.select_one("#compare #compare-result")
    # The comparison comes before the clause text, comparing with the previous version.
    assert page.select_one("#compare").find_next("section", id="clause-text")
    body = result.select_one(".diff-body")
    assert [d.get_text() for d in body.select("del")] == ["suivant"]
    assert [i.get_text() for i in body.select("ins")] == ["suivants"]
    text = body.get_text()
    assert "{{" not in text and "[Délai de remise du plan après notification (en mois)]" in text
    folded = body.select("details.diff-same")
    assert folded and all(d.select_one("summary") for d in folded)
    assert not body.select("details.diff-same del, details.diff-same ins")
    row = result.select_one("#diff-field-summary")
    assert row.select_one("th").get_text() == "Résumé"
    assert [d.get_text() for d in row.select("del")] == ["toute"]
    assert result.select_one("#diff-field-status")  # approved -> draft


def test_author_sees_why_there_is_no_approve_button_and_home_lists_it(
    client, login, session, library, jurists
):
    author, reviewer = jurists
    synced(session, library, author)
    service.submit(session=session, actor=actor(author), version_id=version_of(session, KEY).id)
    login(user=author, password="motdepasse-test")
    page = soup(client.get(f"/clauses/{KEY}?version=1"))
    assert page.select_one("#approve-form") is None and page.select_one("#reject-form") is None
    assert "un autre juriste doit l'approuver" in page.select_one("#review-refusal").get_text()
    # Posted anyway (a page opened before): refused, on the clause page, not a dead end.
    refused = client.post(f"/clauses/{KEY}/versions/1/approve")
    assert refused.status_code == 403
    page = soup(refused)
    assert "quatre yeux" in page.select_one(".error-summary").get_text()
    assert page.select_one("#version-status").get_text() == "en relecture"
    assert version_of(session, KEY).status == "in_review"
    home = soup(client.get("/"))
    panel = next(
        s for s in home.select("section.panel") if "Mes versions en relecture" in s.get_text()
    )
    assert "Plan de réversibilité (v1)" in panel.get_text()
    client.post("/logout")
    login(user=reviewer, password="motdepasse-test")
    page = soup(client.get(f"/clauses/{KEY}?version=1"))
    assert page.select_one("#review-refusal") is None
    assert page.select_one("#approve-form button").get_text() == "Approuver"


def test_rows_from_fields_are_bounded_and_drop_blank_and_removed_rows():
    fields = {
        "references-0-source": "CCAG-TIC",
        "references-0-article": "art. 42",
        "references-1-source": "  ",  # blank
        "references-2-source": "Data Act",
        "references-2-remove": "1",  # ticked "Retirer cette ligne"
        "references-3-note": "x" * 5000,
        f"references-{service.MAX_ROWS}-source": "beyond the bound",
        "references-0-unknown": "ignored",
        "variables-0-type": "integer",  # a blank variable row: only its select posts
        "title": "not a row",
    }
    rows = service.rows_from_fields(fields)
    assert set(rows) == {"references", "variables"} and rows["variables"] == []
    assert [r["source"] for r in rows["references"]] == ["CCAG-TIC", ""]
    assert len(rows["references"][1]["note"]) == service.MAX_CELL
    assert set(rows["references"][0]) == {"source", "article", "note"}


def test_readable_text_names_variables_variants_and_tender_values():
    from procure.clause_library.services.rendering import readable_paragraphs

    body = (
        "Le titulaire cède les droits pendant {{ duree }} ans.\n\n"
        "::: variante cession\nCession exclusive.\n:::\n\n"
        "- selon {{ marche.criteres }} ;\n- sans délai."
    )
    paragraphs = readable_paragraphs(
        body,
        [{"name": "duree", "label": "Durée de la cession", "type": "integer"}],
        [{"key": "cession", "label": "Cession des droits"}],
    )
    assert paragraphs == [
        "Le titulaire cède les droits pendant [Durée de la cession] ans.",
        "Variante « Cession des droits » :",
        "Cession exclusive.",
        "Fin de la variante.",
        "• selon [valeur du marché : critères d'attribution et leurs pondérations] ;",
        "• sans délai.",
    ]
