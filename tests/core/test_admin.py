"""The admins' room: the last active administrator stays, the audit log reads in French,
filters by action, author and days, and exports a CSV (issue 14)."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from procure.accounts import services as accounts
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import ValidationError
from procure.core.formatting import parse_date
from procure.core.models import AuditEvent, User
from tests.conftest import soup


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _old_event(session, action: str, at: datetime, **details) -> AuditEvent:
    """An event written on a past day (the log is append-only: inserting is allowed)."""
    event = audit.record(session, Actor.system("test"), action, details=details)
    event.at = at
    session.commit()
    return event


# --- the last active administrator ---------------------------------------------------------


def test_the_last_active_admin_cannot_be_deactivated_nor_lose_the_admin_role(session, make_user):
    only = make_user("admin")
    with pytest.raises(accounts.LastActiveAdmin, match="dernier administrateur actif"):
        accounts.set_active(session=session, actor=Actor.system(), user_id=only.id, active=False)
    with pytest.raises(accounts.LastActiveAdmin, match="dernier administrateur actif"):
        accounts.set_roles(session=session, actor=Actor.system(), user_id=only.id, roles=["buyer"])
    session.rollback()
    session.refresh(only)
    assert only.active and "admin" in only.roles
    assert _events(session, "user.deactivate") == [] and _events(session, "user.roles") == []

    # With a second admin, either may go; then the one left stays.
    other = make_user("admin", "buyer")
    accounts.set_active(session=session, actor=Actor.of(other), user_id=only.id, active=False)
    assert [e.record_id for e in _events(session, "user.deactivate")] == [str(only.id)]
    with pytest.raises(accounts.LastActiveAdmin):
        accounts.set_active(session=session, actor=Actor.system(), user_id=other.id, active=False)
    with pytest.raises(accounts.LastActiveAdmin):
        accounts.set_roles(session=session, actor=Actor.system(), user_id=other.id, roles=["buyer"])
    session.rollback()
    # Keeping the admin role among others is fine; a reactivated admin counts again.
    accounts.set_roles(
        session=session, actor=Actor.system(), user_id=other.id, roles=["admin", "legal"]
    )
    accounts.set_active(session=session, actor=Actor.of(other), user_id=only.id, active=True)
    accounts.set_roles(session=session, actor=Actor.system(), user_id=other.id, roles=["legal"])
    session.refresh(other)
    assert other.roles == {"legal"}


def test_nobody_deactivates_their_own_account(session, make_user):
    admin, _ = make_user("admin"), make_user("admin")
    with pytest.raises(ValidationError, match="votre propre compte"):
        accounts.set_active(session=session, actor=Actor.of(admin), user_id=admin.id, active=False)
    refusals = accounts.deactivation_refusals(
        session=session, actor=Actor.of(admin), users=accounts.list_users(session=session)
    )
    assert refusals == {admin.id: accounts.OWN_ACCOUNT}


def test_refusals_name_the_last_admin_and_skip_inactive_accounts(session, make_user):
    admin, buyer = make_user("admin"), make_user("buyer")
    accounts.set_active(session=session, actor=Actor.system(), user_id=buyer.id, active=False)
    refusals = accounts.deactivation_refusals(
        session=session, actor=Actor.system(), users=accounts.list_users(session=session)
    )
    assert set(refusals) == {admin.id} and admin.email in refusals[admin.id]
    mine = accounts.deactivation_refusals(
        session=session, actor=Actor.of(admin), users=accounts.list_users(session=session)
    )
    assert mine[admin.id].startswith(accounts.OWN_ACCOUNT) and "dernier" in mine[admin.id]


def test_users_page_offers_no_deactivation_of_ones_own_account(client, login, make_user, session):
    me = login("admin")
    buyer = make_user("buyer")
    page = soup(client.get("/admin/users"))
    mine, theirs = page.select_one(f"#user-{me.id}"), page.select_one(f"#user-{buyer.id}")
    assert mine.select("button") == [] and "votre propre compte" in mine.get_text()
    assert theirs.select_one("button").get_text() == "Désactiver"

    # Posting anyway is refused with the reason, and nothing changes.
    r = client.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    assert r.status_code == 303
    page = soup(client.get("/admin/users"))
    assert "votre propre compte" in page.select_one(".flash-error").get_text()
    session.refresh(me)
    assert me.active


def test_web_deactivates_another_admin_then_keeps_the_last(client, login, make_user, session):
    me = login("admin")
    other = make_user("admin")
    page = soup(client.get("/admin/users"))
    assert page.select_one(f"#user-{other.id} button").get_text() == "Désactiver"
    assert client.post(f"/admin/users/{other.id}/active", data={"active": "0"}).status_code == 303
    session.refresh(other)
    assert not other.active
    # I am now the last active admin: my admin role cannot be removed either.
    r = client.post(f"/admin/users/{me.id}/roles", data={"roles": ["buyer"]})
    assert r.status_code == 303
    page = soup(client.get("/admin/users"))
    assert "dernier administrateur actif" in page.select_one(".flash-error").get_text()
    session.refresh(me)
    assert "admin" in me.roles


def test_cli_refuses_to_deactivate_the_last_admin(runner, make_user, session):
    first = make_user("admin")
    r = runner.invoke(args=["users", "deactivate", first.email])
    assert r.exit_code == 1 and "dernier administrateur actif" in r.output
    second = make_user("admin")
    r = runner.invoke(args=["users", "deactivate", first.email])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "deactivate", second.email, "--as", second.email])
    assert r.exit_code == 1 and "propre compte" in r.output
    session.expire_all()
    assert session.get(User, second.id).active and not session.get(User, first.id).active


# --- the audit log, readable and filtered ----------------------------------------------------


def test_audit_details_read_in_french_with_links(client, login, make_user):
    login("admin")
    created = make_user("buyer", "evaluator", organisation="Mairie de Sainte-Hélène")
    page = soup(client.get("/admin/audit?action=user.create"))
    row = next(r for r in page.select("#audit-table tbody tr") if created.email in r.get_text())
    cells = row.select("td")
    assert cells[3].get_text(" ", strip=True).startswith("Compte créé")
    details = {
        dt.get_text(): dd.get_text()
        for dt, dd in zip(row.select("dt"), row.select("dd"), strict=True)
    }
    assert details["organisation"] == "Mairie de Sainte-Hélène"  # as is, no \u00e9
    assert details["rôles"] == "Acheteur, Évaluateur"
    assert "\\u00" not in page.get_text() and "{" not in cells[5].get_text()
    link = cells[4].select_one("a")
    assert link["href"] == f"/admin/users#user-{created.id}" and "Compte" in link.get_text()


def test_audit_action_list_filters_by_action_or_area(client, login, make_user):
    me = login("admin")
    make_user("buyer")
    client.post("/logout")
    login(user=me)
    page = soup(client.get("/admin/audit"))
    options = {o["value"]: o.get_text() for o in page.select("#q-action option")}
    assert options["auth.login_failed"] == "Connexion échouée"
    assert options["user.create"] == "Compte créé" and options["user"] == "Comptes : toutes"
    assert page.select_one("#q-action optgroup[label=Connexions]")

    def actions(url):
        rows = soup(client.get(url)).select("#audit-table tbody tr td:nth-of-type(4) code")
        return {c.get_text() for c in rows}

    assert actions("/admin/audit?action=auth.login") == {"auth.login"}
    assert actions("/admin/audit?action=auth") == {"auth.login", "auth.logout"}
    page = soup(client.get("/admin/audit?action=user.create"))
    assert page.select_one("#q-action option[selected]")["value"] == "user.create"


def test_audit_filters_by_author_and_days(client, login, session):
    me = login("admin")
    _old_event(session, "instance.restore", datetime(2025, 3, 14, 23, 59, 59, tzinfo=UTC), files=3)
    _old_event(session, "instance.restore", datetime(2025, 3, 16, 0, 0, 1, tzinfo=UTC), files=4)

    def files(url):
        page = soup(client.get(url))
        return [dd.get_text() for dd in page.select("#audit-table dd")]

    base = "/admin/audit?action=instance.restore"
    assert files(base) == ["4", "3"]  # newest first
    assert files(f"{base}&since=2025-03-15") == ["4"]
    assert files(f"{base}&until=15/03/2025") == ["3"]  # typed the French way
    assert files(f"{base}&since=14/03/2025&until=2025-03-16") == ["4", "3"]
    assert files(f"{base}&since=2025-03-15&until=2025-03-15") == []
    assert files(f"{base}&actor_email=systeme") == ["4", "3"]
    own = soup(client.get(f"/admin/audit?actor_email={me.email}"))
    assert {r.select("td")[2].get_text() for r in own.select("#audit-table tbody tr")} == {me.email}


def test_audit_refuses_a_bad_date_naming_the_field(client, login):
    login("admin")
    r = client.get("/admin/audit?since=31/02/2026&until=hier")
    assert r.status_code == 422
    page = soup(r)
    assert "n'est pas une date qui existe" in page.select_one("#err-since").get_text()
    assert page.select_one("#err-until").get_text().startswith("Au :")
    assert page.select_one("#q-since")["aria-invalid"] == "true"
    assert page.select_one("#q-since")["value"] == "31/02/2026"  # what was typed stays
    assert page.select_one("#audit-table [role=alert]")  # also in the fragment htmx swaps
    r = client.get("/admin/audit?since=2026-03-02&until=2026-03-01")
    assert "précède" in soup(r).select_one("#err-until").get_text()
    assert client.get("/admin/audit.csv?since=demain").status_code == 422


def test_htmx_fragment_carries_the_filtered_export_link(client, login):
    login("admin")
    frag = soup(
        client.get("/admin/audit?action=auth&since=2026-01-02", headers={"HX-Request": "true"})
    )
    assert frag.select_one("html") is None
    href = frag.select_one("#audit-table .audit-export a")["href"]
    assert href.startswith("/admin/audit.csv?") and "action=auth" in href
    assert "since=02/01/2026" in href  # the day as the field shows it, jj/mm/aaaa
    # A bad day still gets its message in the fragment, with a 200 (htmx swaps only a 2xx).
    frag = client.get("/admin/audit?since=99/99/2026", headers={"HX-Request": "true"})
    assert frag.status_code == 200
    assert "Du :" in soup(frag).select_one("#audit-table [role=alert]").get_text()


def test_parse_date_reads_french_and_iso_days():
    assert parse_date("01/12/2026") == parse_date("2026-12-01") == date(2026, 12, 1)
    assert parse_date(" 1/2/2026 ") == date(2026, 2, 1)
    for bad in ("2026-13-01", "32/01/2026", "demain", "01/12/26", "1" * 500):
        with pytest.raises(ValueError, match="date"):
            parse_date(bad)


# --- the export -----------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "UTF-8 with a BOM, for spreadsheets"
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))


def test_export_is_a_french_csv_of_the_filtered_view_and_is_audited(
    client, login, make_user, session
):
    me = login("admin")
    make_user("buyer", organisation='=HYPERLINK("http://evil.fr")')
    make_user("legal", organisation="Préfecture d'Île-de-France")
    _old_event(
        session, "user.create", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), email="vieux@x.fr"
    )
    r = client.get("/admin/audit.csv?action=user.create&since=2025-01-01")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith("attachment; filename=journal-audit-")
    rows = _csv(r)
    assert rows[0][:5] == ["N°", "Date (UTC)", "Auteur", "Action", "Code de l'action"]
    body = rows[1:]
    assert {row[4] for row in body} == {"user.create"} and {row[3] for row in body} == {
        "Compte créé"
    }
    assert not any("vieux@x.fr" in row[7] for row in body)  # before the `since` day
    details = [row[7] for row in body]
    assert any("organisation : Préfecture d'Île-de-France" in d for d in details)
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)
    day = body[0][1]
    assert len(day) == 19 and day[2] == day[5] == "/"  # 01/12/2026 15:59:31

    export = _events(session, "audit.export")[-1]
    assert export.actor_email == me.email
    assert export.details["rows"] == len(body)
    assert export.details["filters"]["action"] == "Compte créé"
    assert export.details["filters"]["since"] == "1 janvier 2025"


def test_export_defuses_a_formula_at_the_start_of_a_cell(client, login, session):
    login("admin")
    event = audit.record(session, Actor(None, "=cmd|' /C calc'!A0", "@evil"), "auth.login_failed")
    session.commit()
    rows = _csv(client.get("/admin/audit.csv?action=auth.login_failed"))
    row = next(r for r in rows if r[0] == str(event.id))
    assert row[2] == "'=cmd|' /C calc'!A0" and row[8] == "'@evil"


def test_export_beyond_its_bound_asks_to_narrow_the_filter(client, login, monkeypatch, session):
    login("admin")
    monkeypatch.setattr(audit, "EXPORT_MAX_ROWS", 1)
    r = client.get("/admin/audit.csv")
    assert r.status_code == 422
    assert "L'export est limité à 1 événements" in soup(r).get_text()
    assert _events(session, "audit.export") == []


def test_every_record_page_link_builds_for_whom_may_open_it(client, login, session):
    """Each linked record type gets its page's address; a role that cannot open it gets text."""
    login("admin", "buyer", "legal", "sourcing")
    for record_type in ("user", "tender", "clause_version", "sourcing_shortlist", "supplier_merge"):
        audit.record(
            session,
            Actor.system("test"),
            "job.done",
            record_type=record_type,
            record_id=7,
            details={"key": "CLAUSE-EXEMPLE"},
        )
    audit.record(session, Actor.system("test"), "job.done", record_type="offer", record_id=7)
    session.commit()
    page = soup(client.get("/admin/audit?action=job.done"))
    links = {a.get_text(): a["href"] for a in page.select("#audit-table td:nth-of-type(5) a")}
    assert links == {
        "Compte n° 7": "/admin/users#user-7",
        "Marché n° 7": "/tenders/7",
        "Version de clause n° 7": "/clauses/CLAUSE-EXEMPLE",
        "Présélection n° 7": "/sourcing/preselections/7",
        "Fusion de fournisseurs n° 7": "/sourcing/fusions",
    }
    assert "Offre n° 7" in page.get_text()  # no page an admin may open: plain text


def test_record_links_follow_the_viewers_roles(client, login, session):
    login("admin")
    audit.record(session, Actor.system("test"), "job.done", record_type="tender", record_id=3)
    session.commit()
    page = soup(client.get("/admin/audit?action=job.done"))
    assert "Marché n° 3" in page.get_text() and not page.select("#audit-table td a")


def test_two_admins_deactivating_each_other_at_once_leave_one(engine, make_user):
    """PostgreSQL: the second deactivation waits for the first, then sees it and is refused."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite has one writer at a time)")
    from sqlmodel import Session

    x, y = make_user("admin"), make_user("admin")
    first, second = Session(engine), Session(engine)
    outcome: list[object] = []
    try:
        assert accounts._other_active_admins(first, x.id) == 1  # holds the admins' rows

        def deactivate_y():
            try:
                accounts.set_active(session=second, actor=Actor.of(x), user_id=y.id, active=False)
                outcome.append("deactivated")
            except accounts.LastActiveAdmin as exc:
                outcome.append(exc)

        thread = threading.Thread(target=deactivate_y)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive() and outcome == []  # waiting for the first transaction
        first.get(User, x.id).active = False
        first.commit()
        thread.join(10)
        assert len(outcome) == 1 and isinstance(outcome[0], accounts.LastActiveAdmin)
    finally:
        second.rollback()
        first.close(), second.close()
    with Session(engine) as check:
        assert [u.active for u in (check.get(User, x.id), check.get(User, y.id))] == [False, True]
