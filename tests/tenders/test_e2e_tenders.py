"""A buyer's main workflow in a real headless Chromium: create a tender, add a clause, fill its
values, check compliance, export a piece; every page checked with axe-core."""

from __future__ import annotations

import re

import pytest

from procure.documents import read_text
from tests.browser import assert_accessible, log_in, screenshot
from tests.factories import load_library
from tests.french_numbers import dot_decimals

pytestmark = pytest.mark.e2e
NBSP = re.compile(r"[\u00a0\u202f]")


def seen(page, selector: str = "main") -> str:
    """The text a person sees, with French no-break spaces read as plain spaces."""
    return NBSP.sub(" ", page.locator(selector).first.inner_text())


def test_buyer_creates_fills_checks_and_exports_a_tender(
    browser, live_server, make_user, session, tmp_path
):
    load_library(session)
    session.commit()
    buyer = make_user(
        "buyer",
        email="acheteuse-e2e@test.procure.fr",
        password="mot-de-passe-e2e",
        organisation="Ville de Testville",
    )
    page = browser.new_page()
    log_in(page, live_server, buyer.email, "mot-de-passe-e2e", then="/tenders/")
    assert page.get_by_role("heading", level=1).inner_text() == "Marchés"
    assert_accessible(page)
    screenshot(page, "tenders-liste")

    # 1. Describe the tender, typing numbers the French way.
    page.get_by_role("link", name="Nouveau marché").click()
    page.wait_for_url("**/tenders/new")
    page.locator("#f-title").fill("Traduction automatique des courriers")
    page.locator("#f-buyer").fill("Ville de Testville")
    page.locator("#f-amount").fill("250 000,50")
    page.locator("#f-cpv").fill("72000000-5")
    page.locator("#f-lots").fill("Traduction\nRelecture")
    page.locator("#f-buyer_kind").select_option("collectivite")
    page.locator("#f-launch_date").fill("2027-01-15")
    page.get_by_label("Traitement de données personnelles (RGPD)").check()
    page.locator("#f-requests_per_year").fill("300 000")
    page.locator("#f-tokens_per_request").fill("800")
    assert_accessible(page)
    screenshot(page, "tenders-nouveau")
    page.get_by_role("button", name="Créer le marché et proposer les clauses").click()
    page.wait_for_url(re.compile(r".*/tenders/\d+$"))
    assert (
        "Traduction automatique des courriers" in page.get_by_role("heading", level=1).inner_text()
    )
    summary = seen(page, "#profil")
    assert "250 000,50 € HT" in summary
    assert "300 000 requêtes par an × 800 jetons" in summary
    assert "40 %" in seen(page, "#criteres")
    proposed = page.locator("#clause-list tbody tr[data-key]").count()
    assert proposed > 5  # the rules proposed the clauses the profile needs
    assert dot_decimals(seen(page)) == []
    assert_accessible(page)
    screenshot(page, "tenders-marche")

    # 2. Add a clause of the library that the rules did not propose.
    present = set(
        page.locator("#clause-list tbody tr[data-key]").evaluate_all(
            "rows => rows.map(r => r.dataset.key)"
        )
    )
    options = page.locator("#f-key option").evaluate_all("os => os.map(o => o.value)")
    extra = next(k for k in options if k not in present)
    page.locator("#f-key").select_option(extra)
    page.get_by_role("button", name="Ajouter", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(f"#clause-list tr[data-key='{extra}']").count() == 1
    assert page.locator("#clause-list tbody tr[data-key]").count() == proposed + 1
    assert "ajoutée" in seen(page, ".flashes") or extra in seen(page, "#clause-list")

    # 3. Fill a clause with numeric variables: French hints and values, a French error message.
    links = page.locator("#clause-list tbody td:nth-child(3) a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))"
    )
    for href in links:
        page.goto(live_server + href)
        if page.locator("[id^=hint-]", has_text="Entre").count():
            break
    else:
        pytest.fail("no clause with a bounded number among the proposed ones")
    hint = page.locator("[id^=hint-]", has_text="Entre").first
    assert re.fullmatch(r"Entre -?[\d\u202f]+(,\d+)? et [\d\u202f]+(,\d+)?\.", hint.inner_text())
    field = page.locator(f"#f-v-{hint.get_attribute('id').removeprefix('hint-')}")
    values = page.locator("#values-form input:not([type=hidden]):not([type=checkbox])")
    assert all(not dot_decimals(v) for v in values.evaluate_all("is => is.map(i => i.value)"))
    assert_accessible(page)
    screenshot(page, "tenders-clause")
    good = field.input_value()
    field.fill("beaucoup")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    error = page.locator(".field-error").first
    assert (
        "n'est pas un nombre" in error.inner_text()
        and field.get_attribute("aria-invalid") == "true"
    )
    assert_accessible(page)
    screenshot(page, "tenders-clause-erreur")
    field.fill(good)
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r".*/tenders/\d+(#.*)?$"))
    assert "enregistrées" in seen(page, ".flashes")

    # 4. Check compliance: nothing blocks the export.
    tender_url = page.url.split("#")[0]
    page.goto(tender_url + "/check")
    assert "Aucune erreur : l'export est possible" in seen(page, "#conformite")
    assert_accessible(page)
    screenshot(page, "tenders-conformite")

    # 5. Export the CCAP as DOCX and read what the download holds.
    page.goto(tender_url)
    page.locator("#f-piece").select_option("CCAP")
    page.locator("#f-format").select_option("docx")
    page.get_by_role("button", name="Exporter", exact=True).click()
    page.wait_for_url(re.compile(r".*#documents$"))
    row = page.locator("#documents tbody tr").first
    assert "CCAP" in row.inner_text() and ".docx" in row.inner_text()
    assert "exporté" in seen(page, ".flashes")
    assert_accessible(page)
    screenshot(page, "tenders-export")
    with page.expect_download() as download:
        row.get_by_role("link").click()
    path = tmp_path / "ccap.docx"
    download.value.save_as(path)
    text = read_text(path)
    assert "Traduction automatique des courriers" in text and "Ville de Testville" in text
    assert dot_decimals(text) == []
