"""End to end in a real headless Chromium: login, a page visit, an htmx filter, logout."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import assert_accessible, screenshot

pytestmark = pytest.mark.e2e


def test_login_visit_and_logout(browser, live_server, make_user, tmp_path):
    admin = make_user("admin", email="admin-e2e@test.procure.fr", password="mot-de-passe-e2e")
    page = browser.new_page()
    page.goto(f"{live_server}/admin/users")
    assert page.url.startswith(f"{live_server}/login")
    assert_accessible(page)
    screenshot(page, "connexion")
    page.get_by_label("Adresse électronique").fill(admin.email)
    page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    assert "incorrect" in page.get_by_role("alert").inner_text()

    page.get_by_label("Mot de passe").fill("mot-de-passe-e2e")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}/admin/users")
    assert page.get_by_role("heading", level=1).inner_text() == "Comptes"
    assert admin.email in page.locator("table").inner_text()

    # The audit log filters as you type, through htmx, without reloading the page.
    page.get_by_role("link", name="Journal d'audit").click()
    page.wait_for_url("**/admin/audit")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Action").select_option(label="Connexion échouée")
    page.wait_for_url(lambda url: "login_failed" in url)  # no eval: the CSP forbids it
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(1)
    assert "Connexion échouée" in rows.first.inner_text()
    assert page.evaluate("window.__marker") == 1  # same document: swapped, not reloaded

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/login")
    assert "déconnecté" in page.locator(".flashes").inner_text()
    page.goto(f"{live_server}/admin/audit")
    assert page.url.startswith(f"{live_server}/login")
