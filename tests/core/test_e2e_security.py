"""In a real headless Chromium: the CSP blocks nothing Procure needs (htmx swaps, confirmations)
and a confirmation built from an e-mail address stays text."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_csp_keeps_htmx_and_confirmations_working(browser, live_server, make_user, session):
    admin = make_user("admin", email="admin-csp@test.procure.fr", password="mot-de-passe-csp")
    victim = make_user("buyer", email="x');alert(1);//@evil.fr")
    page = browser.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    alerts: list[str] = []
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse électronique").fill(admin.email)
    page.get_by_label("Mot de passe").fill("mot-de-passe-csp")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}/")

    # A confirmation declared with data-confirm: refusing it keeps the account active.
    page.goto(f"{live_server}/admin/users")
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    row = page.locator("tr", has_text=victim.email)
    row.get_by_role("button", name="Désactiver").click()
    page.wait_for_timeout(300)
    assert alerts == [f"Désactiver le compte {victim.email} ?"]  # text, not script
    session.expire_all()
    assert session.get(type(victim), victim.id).active

    # htmx still swaps the audit table under the CSP.
    page.goto(f"{live_server}/admin/audit")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Action").select_option("auth.login")
    page.wait_for_url(lambda url: "auth.login" in url)  # no eval: the CSP forbids it
    page.wait_for_timeout(200)
    assert page.evaluate("window.__marker") == 1
    assert page.locator("#audit-table tbody tr").count() >= 1
    assert violations == []
