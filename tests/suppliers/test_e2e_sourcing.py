"""Sourcing staff's main workflow in a real headless Chromium: search a need, read French
numbers, shortlist, export the CSV and the report, and an import error that keeps the file."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from procure.documents import read_text
from tests.browser import assert_accessible, log_in, screenshot
from tests.factories import DATA
from tests.french_numbers import dot_decimals

pytestmark = pytest.mark.e2e
FRENCH_SCORE = re.compile(r"\d{1,3},\d")


def test_sourcing_search_shortlist_exports_and_import(
    browser, live_server, runner, make_user, tmp_path
):
    for path, fmt in ((DATA / "decp_extract.json", "decp"), (DATA / "buyer_suppliers.csv", "csv")):
        out = runner.invoke(args=["suppliers", "import", str(path), "--format", fmt, "--json"])
        assert out.exit_code == 0, out.output
    out = runner.invoke(args=["index", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["suppliers"] > 30, out.output
    staff = make_user(
        "sourcing",
        email="sourcing-e2e@test.procure.fr",
        password="mot-de-passe-e2e",
        organisation="Direction des achats de test",
    )
    page = browser.new_page()
    log_in(page, live_server, staff.email, "mot-de-passe-e2e", then="/sourcing/")
    assert page.get_by_role("heading", level=1).inner_text() == "Sourcing des fournisseurs"
    assert_accessible(page)

    # 0. A search without a need: the refusal (422) is swapped in, with one banner.
    page.get_by_role("button", name="Chercher").click()
    page.locator("#results-error").wait_for()
    assert page.locator(".error-summary").count() == 1
    assert "besoin" in page.locator("#results-error").inner_text().lower()

    # 1. Search a need (htmx swaps the results in place).
    page.get_by_label("Besoin").fill("logiciels de gestion pour les collectivités")
    page.get_by_label("Résultats").fill("5")
    page.get_by_role("button", name="Chercher").click()
    page.locator("table.results").wait_for()
    rows = page.locator("table.results tr.result")
    assert 1 <= rows.count() <= 5
    scores = page.locator("table.results td.score").all_inner_texts()
    assert all(FRENCH_SCORE.fullmatch(s.strip()) for s in scores), scores
    values = [float(s.replace(",", ".")) for s in scores]
    assert values == sorted(values, reverse=True)
    assert dot_decimals(page.locator("#results").inner_text()) == []
    assert_accessible(page)
    screenshot(page, "sourcing-recherche")

    # 2. Shortlist the first two and open the shortlist.
    names = [rows.nth(i).locator("td:nth-child(2) a").inner_text() for i in range(2)]
    for i in range(2):
        rows.nth(i).locator("input[type=checkbox]").check()
    page.get_by_label("Titre de la présélection").fill("Logiciels de gestion")
    page.get_by_role("button", name="Créer la présélection").click()
    page.wait_for_url(re.compile(r".*/preselections/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Logiciels de gestion"
    table = page.locator("main table").inner_text()
    assert all(n in table for n in names) and dot_decimals(table) == []
    assert "semantique" not in table  # components under their French names
    assert_accessible(page)
    screenshot(page, "sourcing-preselection")

    # 3. Export the CSV: BOM, semicolons, unique French headers, decimal commas.
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    raw = tmp_path / "preselection.csv"
    download.value.save_as(raw)
    body = raw.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    header, *lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert len(header) == len(set(header)) and header[:3] == ["SIREN", "Nom", "Score (sur 100)"]
    assert [line[1] for line in lines] == names
    assert all(FRENCH_SCORE.fullmatch(line[2][:-1]) for line in lines)  # "19,17"
    assert not any(re.fullmatch(r"-?\d+\.\d+", cell) for line in lines for cell in line)

    # 4. The DOCX report: the organisation on its cover, not the e-mail.
    with page.expect_download() as download:
        page.get_by_role("button", name="Générer le rapport de sourcing (DOCX)").click()
    report = tmp_path / "rapport.docx"
    download.value.save_as(report)
    text = read_text(report)
    assert "Direction des achats de test" in text and staff.email not in text
    assert text.count("Rapport de sourcing") == 1 and dot_decimals(text) == []

    # 5. Import without choosing the format: one error, and the file is kept.
    page.goto(f"{live_server}/sourcing/#import")
    page.locator("#f-fichier").set_input_files(str(DATA / "decp_extract.json"))
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    assert "Choisissez le format du fichier" in page.locator("#import-error").inner_text()
    assert "Fichier conservé : decp_extract.json" in page.locator("#held-file").inner_text()
    assert_accessible(page)
    screenshot(page, "sourcing-import-erreur")
    page.locator("#f-format").select_option("decp")
    page.get_by_role("button", name="Importer").click()  # no file chosen again
    page.wait_for_url(re.compile(r".*/taches/\d+(#import)?$"))  # a redirect keeps the anchor
    job = page.locator("#job")
    assert "terminée" in job.inner_text() and "100 %" in job.inner_text()
    assert "en cours" not in job.inner_text() and job.get_attribute("hx-get") is None
    assert page.locator("table.counts tbody td").first.inner_text() == "43"
    assert_accessible(page)
    screenshot(page, "sourcing-tache")
