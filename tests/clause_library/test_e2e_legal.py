"""End to end in a real headless Chromium: a lawyer searches the library, revises a clause with
the structured form, submits it; a second lawyer reads the comparison and approves it."""

from __future__ import annotations

import pytest

from procure.clause_library import services as service
from tests.browser import assert_accessible, log_in, screenshot
from tests.clause_library import test_clauses as base
from tests.clause_library.test_clauses import synced, version_of

pytestmark = pytest.mark.e2e
library = base.library  # a copy of three real clause files
KEY = "reversibilite.plan-de-reversibilite"
PASSWORD = "mot-de-passe-juriste"


def test_a_lawyer_revises_a_clause_and_another_approves_it(
    browser, live_server, session, library, make_user
):
    importer, first_reviewer = make_user("legal"), make_user("legal")
    synced(session, library, importer)
    base.approve_all(session, importer, first_reviewer, KEY)
    author = make_user("legal", email="claire.juriste@test.procure.fr", password=PASSWORD)
    reviewer = make_user("legal", email="marc.juriste@test.procure.fr", password=PASSWORD)

    page = browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm confirmations
    log_in(page, live_server, author.email, PASSWORD, then="/clauses/")

    # Search as you type: two words, one of them misspelt, the clause comes first.
    page.get_by_label("Rechercher (titre, texte, références)").fill("plan reversibilté")
    page.wait_for_url(lambda url: "reversibilt" in url)
    first = page.locator("#clause-results tbody tr").first
    first.locator("code", has_text=KEY).wait_for()
    assert_accessible(page)
    screenshot(page, "clauses-recherche")

    first.get_by_role("link").click()
    page.wait_for_url(f"**/clauses/{KEY}")
    assert page.get_by_role("heading", level=1).inner_text() == "Plan de réversibilité"
    assert_accessible(page)
    page.get_by_role("link", name="Créer une nouvelle version à partir de celle-ci").click()
    page.wait_for_url("**/versions/1/modifier")
    assert (
        page.get_by_label("Note de changement (ce que cet enregistrement change)").input_value()
        == ""
    )
    assert page.locator("textarea[name=variables]").count() == 0  # rows, not YAML
    assert_accessible(page)

    # Structured fields: "Ajouter une référence" adds a row (JavaScript), filled like a form.
    rows = page.locator("#rows-references .row-list > fieldset")
    before = rows.count()
    page.get_by_role("button", name="Ajouter une référence").click()
    assert rows.count() == before + 1
    new_row = rows.last
    new_row.get_by_label("Source").fill("Code de la commande publique")
    new_row.get_by_label("Article").fill("art. R2112-4")
    new_row.get_by_label("Note").fill("Clauses du marché.")
    page.locator("#f-variables-1-max").fill("120")  # observations: up to 120 days
    body = page.get_by_label("Texte de la clause")
    body.fill(body.input_value().replace("dans les quinze jours", "dans les dix jours"))
    page.get_by_label("Note de changement (ce que cet enregistrement change)").fill(
        "Délai de correction ramené à dix jours."
    )
    screenshot(page, "clauses-modifier")
    page.get_by_role("button", name="Créer le brouillon").click()
    page.wait_for_url("**/clauses/*version=2")
    assert "Nouvelle version 2 créée en brouillon" in page.locator(".flashes").inner_text()

    page.get_by_role("button", name="Soumettre à relecture").click()
    page.wait_for_url("**version=2")
    assert page.locator("#version-status").inner_text() == "en relecture"
    # The author is not offered a review they may not make, and is told why.
    assert page.get_by_role("button", name="Approuver").count() == 0
    assert page.get_by_role("button", name="Rejeter").count() == 0
    reason = page.locator("#review-refusal").inner_text()
    assert "vous avez écrit ou modifié cette version" in reason
    assert "un autre juriste doit l'approuver" in reason
    screenshot(page, "clauses-auteur-en-relecture")

    page.goto(f"{live_server}/")
    mine = page.locator("section.panel", has_text="Mes versions en relecture")
    assert "Plan de réversibilité (v2)" in mine.inner_text()
    to_review = page.locator("section.panel", has_text="Clauses à relire")
    assert "Plan de réversibilité" not in to_review.inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")

    # The second lawyer finds it on their home page and reads what changed.
    log_in(page, live_server, reviewer.email, PASSWORD)
    page.locator("section.panel", has_text="Clauses à relire").get_by_role(
        "link", name="Plan de réversibilité (v2)"
    ).click()
    page.wait_for_url("**version=2")
    compare = page.locator("#compare")
    assert compare.get_by_role("heading", name="Ce qui a changé").is_visible()
    changed = compare.locator(".diff-body")
    assert changed.locator("del").all_inner_texts() == ["quinze"]
    assert changed.locator("ins").all_inner_texts() == ["dix"]
    assert "{{" not in changed.inner_text()
    # Unchanged passages are folded; one opens on request.
    folded = changed.locator("details.diff-same").first
    assert not folded.locator("p").first.is_visible()
    folded.locator("summary").click()
    assert folded.locator("p").first.is_visible()
    fields = compare.locator("#diff-fields")
    assert "art. R2112-4" in fields.locator("#diff-field-references ins").inner_text()
    assert fields.locator("#diff-field-variables del").all_inner_texts() == ["90"]
    assert fields.locator("#diff-field-variables ins").all_inner_texts() == ["120"]
    assert "Délai de correction" in fields.locator("#diff-field-change_note").inner_text()
    # The comparison is above the clause text, where a reviewer looks first.
    assert compare.bounding_box()["y"] < page.locator("#clause-text").bounding_box()["y"]
    assert_accessible(page)
    screenshot(page, "clauses-comparaison")

    page.get_by_label("Commentaire d'approbation (facultatif)").fill("Délai raisonnable.")
    page.get_by_role("button", name="Approuver").click()
    page.wait_for_url("**version=2")
    assert page.locator("#version-status").inner_text() == "approuvée"
    assert "Version 2 approuvée" in page.locator(".flashes").inner_text()
    approved = version_of(session, KEY, 2)
    assert approved.status == "approved" and approved.reviewer_id == reviewer.id
    assert approved.author_id == author.id and "dix jours" in approved.body
    assert approved.references[-1]["article"] == "art. R2112-4"
    assert service.get_version_by_number(session=session, key=KEY, number=1)[1].status == (
        "approved"
    )


def test_without_javascript_blank_rows_add_an_item_and_folded_text_opens(
    browser, live_server, session, library, make_user
):
    importer, reviewer = make_user("legal"), make_user("legal")
    synced(session, library, importer)
    base.approve_all(session, importer, reviewer, KEY)
    author = make_user("legal", email="sans.js@test.procure.fr", password=PASSWORD)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, author.email, PASSWORD, then=f"/clauses/{KEY}/versions/1/modifier")
    # No script: no "Ajouter" button, but blank rows ready to fill.
    assert not page.get_by_role("button", name="Ajouter une dépendance").is_visible()
    blank = page.locator("#rows-depends .row-list > fieldset").first
    assert blank.get_by_label("Sujet").input_value() == ""
    blank.get_by_label("Sujet").fill("niveaux-de-service")
    blank.get_by_label("Note").fill("Les pénalités de retard s'ajoutent à celles des niveaux.")
    body = page.get_by_label("Texte de la clause")
    body.fill(body.input_value().replace("au moins tous les", "au minimum tous les"))
    page.get_by_role("button", name="Créer le brouillon").click()
    page.wait_for_url("**version=2")
    assert version_of(session, KEY, 2).depends == [
        {
            "subject": "niveaux-de-service",
            "note": "Les pénalités de retard s'ajoutent à celles des niveaux.",
        }
    ]
    # The comparison's folded passages open without a script (<details>).
    assert "niveaux-de-service" in page.locator("#diff-field-depends ins").inner_text()
    changed = page.locator("#compare .diff-body")
    assert changed.locator("ins").all_inner_texts() == ["minimum"]
    folded = changed.locator("details.diff-same").first
    assert not folded.locator("p").first.is_visible()
    folded.locator("summary").click()
    assert folded.locator("p").first.is_visible()
    context.close()  # (axe-core needs JavaScript: the pages were checked in the test above)
