"""The admins' room in a real headless Chromium: accounts (nobody deactivates themselves, the
last admin stays), the audit log filtered from its lists, read in French, exported as CSV; and
the home page of every role, checked with axe-core (issue 14)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from procure.core.models import User
from tests.browser import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "mot-de-passe-admin-e2e"


def test_admin_room(browser, live_server, make_user, session):
    me = make_user("admin", email="premiere-admin@test.procure.fr", password=PASSWORD)
    other = make_user("admin", email="second-admin@test.procure.fr")
    make_user("buyer", email="acheteuse@test.procure.fr", organisation="Mairie de Sainte-Hélène")
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    log_in(page, live_server, me.email, PASSWORD, then="/admin/users")
    assert_accessible(page)

    # My own row offers no "Désactiver" and says why; the other admin's row does.
    mine, theirs = page.locator(f"#user-{me.id}"), page.locator(f"#user-{other.id}")
    expect(mine.get_by_role("button")).to_have_count(0)
    expect(mine).to_contain_text("Vous ne pouvez pas désactiver votre propre compte.")
    theirs.get_by_role("button", name="Désactiver").click()
    expect(page.locator(".flashes")).to_contain_text(f"Compte désactivé : {other.email}.")
    assert dialogs == [f"Désactiver le compte {other.email} ?"]
    expect(theirs).to_contain_text("désactivé")
    expect(theirs.get_by_role("button")).to_have_text("Réactiver")
    # Now the last active admin: still no button on my row, and it says so.
    expect(mine.get_by_role("button")).to_have_count(0)
    expect(mine).to_contain_text("Vous êtes aussi le dernier administrateur actif.")
    session.expire_all()
    assert not session.get(User, other.id).active and session.get(User, me.id).active
    assert_accessible(page)
    screenshot(page, "admin-comptes")

    # The audit log, filtered from the action list (htmx swaps the table in place).
    page.get_by_role("link", name="Journal d'audit").click()
    page.wait_for_url("**/admin/audit")
    assert_accessible(page)
    page.evaluate("window.__marker = 1")
    rows = page.locator("#audit-table tbody tr")
    page.get_by_label("Action").select_option(label="Compte désactivé")
    page.wait_for_url(lambda url: "action=user.deactivate" in url)
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("Compte désactivé")
    expect(row.locator("dd").first).to_have_text(other.email)
    expect(row.get_by_role("link", name=f"Compte n° {other.id}")).to_be_visible()

    # By author and by days (typed jj/mm/aaaa): today (UTC) keeps the row, yesterday empties it.
    today = datetime.now(UTC).date()
    page.get_by_label("Auteur").fill(me.email)
    page.wait_for_url(lambda url: "actor_email=premiere-admin" in url)
    fr_today, fr_yesterday = (d.strftime("%d/%m/%Y") for d in (today, today - timedelta(days=1)))
    page.get_by_label("Du", exact=True).fill(fr_today)
    page.get_by_label("Au", exact=True).fill(fr_today)
    page.get_by_label("Au", exact=True).press("Enter")
    page.wait_for_url(lambda url: "until=" + quote(fr_today, safe="") in url)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(me.email)
    page.get_by_label("Du", exact=True).fill(fr_yesterday)
    page.get_by_label("Au", exact=True).fill(fr_yesterday)
    page.get_by_label("Au", exact=True).press("Enter")
    page.wait_for_url(lambda url: "until=" + quote(fr_yesterday, safe="") in url)
    expect(rows).to_have_text(["Aucun événement."])
    # A day that does not exist is named, beside the table, and filters nothing out.
    page.get_by_label("Au", exact=True).fill("31/02/2026")
    page.get_by_label("Au", exact=True).press("Enter")
    expect(page.locator("#audit-table [role=alert]")).to_contain_text(
        "Au : « 31/02/2026 » n'est pas une date qui existe."
    )
    page.get_by_label("Au", exact=True).fill(fr_today)
    page.get_by_label("Au", exact=True).press("Enter")
    expect(rows).to_have_count(1)
    expect(page.locator("#audit-table [role=alert]")).to_have_count(0)

    # A readable detail: accents as they are, roles in French, no JSON.
    page.get_by_label("Auteur").fill("")
    page.get_by_label("Action").select_option(label="Compte créé")
    page.wait_for_url(lambda url: "action=user.create" in url and "actor_email=&" in url)
    buyer_row = rows.filter(has_text="acheteuse@test.procure.fr")
    expect(buyer_row).to_contain_text("Mairie de Sainte-Hélène")
    expect(buyer_row).to_contain_text("Acheteur")
    assert "\\u00e9" not in page.locator("#audit-table").inner_text()
    assert "{" not in buyer_row.inner_text()
    assert page.evaluate("window.__marker") == 1  # every filter swapped, none reloaded
    assert_accessible(page)
    screenshot(page, "admin-audit")

    # Export what is shown: the same filter, in a French CSV.
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Exporter en CSV")).click()
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert table[0][3] == "Action" and len(table) == 1 + rows.count() == 4  # three accounts
    assert {r[3] for r in table[1:]} == {"Compte créé"}
    assert any("Mairie de Sainte-Hélène" in r[7] for r in table[1:])
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", table[1][1])

    # The export is in the log, by me.
    page.get_by_label("Action").select_option(label="Journal d'audit exporté")
    page.wait_for_url(lambda url: "action=audit.export" in url)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(me.email)
    expect(rows.first).to_contain_text("Compte créé")  # the filter it exported


@pytest.mark.parametrize("role", ["buyer", "legal", "sourcing", "evaluator", "admin"])
def test_home_page_is_accessible_for_each_role(browser, live_server, make_user, role):
    user = make_user(role, password=PASSWORD)
    page = browser.new_page()
    log_in(page, live_server, user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon travail en attente")
    expect(page.get_by_role("navigation", name="Navigation principale")).to_be_visible()
    assert_accessible(page)
    if role == "buyer":
        screenshot(page, "accueil")
