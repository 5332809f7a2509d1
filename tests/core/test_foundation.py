"""The house: app, login, roles, CSRF, audit log, health check, errors."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text
from sqlmodel import select

from procure.core.models import AuditEvent, AuditLogIsAppendOnly, User
from tests.conftest import soup
from tests.factories import ROOT


def events(session, action: str | None = None) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query).all())


def test_login_page_is_french_and_accessible(client):
    page = soup(client.get("/login"))
    assert page.html["lang"] == "fr"
    assert page.select_one("main#contenu")
    email = page.select_one("input#email")
    assert page.select_one("label[for=email]").get_text(strip=True) == "Adresse électronique"
    assert email["type"] == "email"
    assert page.select_one("form input[name=csrf_token]")["value"]


def test_login_logout_and_audit(client, make_user, session):
    user = make_user("buyer", password="un-mot-de-passe")
    r = client.post("/login", data={"email": user.email.upper(), "password": "un-mot-de-passe"})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    home = soup(client.get("/"))
    assert "Acheteur" in home.select_one(".user-box").get_text()
    client.csrf_token = None
    r = client.post("/logout")
    assert r.status_code == 303 and r.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302  # back to login
    actions = [e.action for e in events(session)]
    assert actions[-2:] == ["auth.login", "auth.logout"]


@pytest.mark.parametrize(
    "email,password",
    [
        ("inconnu@test.procure.fr", "peu-importe-ici"),
        ("known", "mauvais-mot-de-passe"),
    ],
)
def test_failed_login_is_refused_and_only_audited(client, make_user, session, email, password):
    user = make_user("buyer")
    email = user.email if email == "known" else email
    before = session.exec(select(User)).all()
    r = client.post("/login", data={"email": email, "password": password})
    assert r.status_code == 401
    assert "incorrect" in soup(r).select_one("[role=alert]").get_text()
    failed = events(session, "auth.login_failed")
    assert len(failed) == 1 and failed[0].actor_email == email.lower()
    assert len(session.exec(select(User)).all()) == len(before)


def test_deactivated_user_cannot_log_in(client, make_user, session):
    from procure.accounts.services import set_active
    from procure.core.audit import Actor

    user = make_user("buyer")
    set_active(session=session, actor=Actor.system(), user_id=user.id, active=False)
    r = client.post("/login", data={"email": user.email, "password": "motdepasse-test"})
    assert r.status_code == 401


def test_post_without_csrf_token_is_refused(client, make_user, session):
    user = make_user("buyer")
    r = client.post("/login", data={"email": user.email, "password": "motdepasse-test"}, csrf=False)
    assert r.status_code == 400
    assert "CSRF" in soup(r).select_one("[role=alert]").get_text()
    assert events(session, "auth.login") == []


def test_htmx_request_without_csrf_header_is_refused(client, login):
    login("admin")
    r = client.post(
        "/admin/users", data={"email": "x@y.fr"}, headers={"HX-Request": "true"}, csrf=False
    )
    assert r.status_code == 400


def test_passwords_are_hashed(session, make_user):
    user = make_user("legal", password="secret-tres-long")
    assert "secret-tres-long" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_admin_creates_and_deactivates_user_in_ui(client, login, session):
    admin = login("admin")
    r = client.post(
        "/admin/users",
        data={
            "email": "nouvelle@test.procure.fr",
            "password": "assez-long-pour-passer",
            "roles": ["buyer", "evaluator"],
            "full_name": "Nouvelle",
            "organisation": "Ville de Test",
        },
    )
    assert r.status_code == 303
    created = session.exec(select(User).where(User.email == "nouvelle@test.procure.fr")).one()
    assert created.roles == {"buyer", "evaluator"}
    r = client.post(f"/admin/users/{created.id}/active", data={"active": "0"})
    assert r.status_code == 303
    session.refresh(created)
    assert created.active is False
    audit = [(e.action, e.actor_email) for e in events(session) if e.action.startswith("user.")]
    assert ("user.create", admin.email) in audit and ("user.deactivate", admin.email) in audit


def test_invalid_user_form_shows_field_errors_and_writes_nothing(client, login, session):
    login("admin")
    count = len(session.exec(select(User)).all())
    r = client.post(
        "/admin/users", data={"email": "pas-une-adresse", "password": "court", "roles": []}
    )
    assert r.status_code == 422
    page = soup(r)
    assert "invalide" in page.select_one("#err-email").get_text()
    assert "10 caractères" in page.select_one("#err-password").get_text()
    assert page.select_one("#f-email")["aria-invalid"] == "true"
    assert len(session.exec(select(User)).all()) == count
    assert (
        events(session, "user.create")[-1:] == events(session, "user.create")[:1]
    )  # only the admin's


@pytest.mark.parametrize(
    "role,url,expected",
    [
        (None, "/admin/users", 302),
        (None, "/admin/audit", 302),
        ("buyer", "/admin/users", 403),
        ("legal", "/admin/audit", 403),
        ("admin", "/admin/users", 200),
        ("admin", "/admin/audit", 200),
        ("buyer", "/", 200),
    ],
)
def test_access_rules(client, login, role, url, expected):
    if role:
        login(role)
    r = client.get(url)
    assert r.status_code == expected
    if expected == 403:
        assert "Accès refusé" in soup(r).select_one("h1").get_text()


def test_unknown_url_is_a_french_404(client):
    r = client.get("/nulle-part")
    assert r.status_code == 404
    assert "Page introuvable" in soup(r).select_one("h1").get_text()


def test_htmx_gets_fragment_and_vary_header(client, login):
    login("admin")
    full = client.get("/admin/audit")
    frag = client.get("/admin/audit", headers={"HX-Request": "true"})
    restore = client.get(
        "/admin/audit", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "HX-Request" in full.headers["Vary"]
    assert soup(full).select_one("html") and soup(restore).select_one("html")
    fragment = soup(frag)
    assert fragment.select_one("html") is None and fragment.select_one("#audit-table")


def test_audit_page_lists_events_and_filters(client, login, session):
    login("admin")
    page = soup(client.get("/admin/audit?action=auth.login"))
    rows = page.select("#audit-table tbody tr")
    assert rows and all("auth.login" in r.select("td")[3].get_text() for r in rows)


def test_audit_events_cannot_be_edited_or_deleted(session, make_user, engine):
    make_user("buyer")
    event = events(session)[0]
    event.action = "falsifié"
    session.add(event)
    with pytest.raises(AuditLogIsAppendOnly):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(AuditLogIsAppendOnly):
        session.commit()
    session.rollback()
    # Not even with raw SQL: the database refuses it.
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert events(session)[0].action == "user.create"


def test_audit_has_no_edit_route(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}


def test_healthz(client, app, login):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}  # public: no version, path or URL
    login("buyer")
    assert client.get("/healthz").get_json() == {"status": "ok"}
    login("admin")
    body = client.get("/healthz").get_json()
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] in ("sqlite", "postgresql")
    assert body["model"]["name"] == "gemma-3-270m-q4_k_m.gguf"
    assert len(body["model"]["file_sha256"]) == 64
    assert body["version"] == "0.1.0"


def test_vendored_htmx_matches_recorded_hash():
    table = (ROOT / "static" / "VENDORED.md").read_text()
    path = ROOT / "static" / "htmx-2.0.11.min.js"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"`{digest}`" in table
    base = (ROOT / "templates" / "base.html").read_text()
    assert "htmx-2.0.11.min.js" in base and "http" not in base.split("htmx")[0].split("<script")[-1]


def test_cli_users_create_and_list(runner, session):
    r = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@test.procure.fr",
            "--role",
            "legal",
            "--role",
            "buyer",
            "--generate",
        ]
    )
    assert r.exit_code == 0, r.output
    assert "Mot de passe" in r.output
    r = runner.invoke(args=["users", "list", "--json"])
    rows = json.loads(r.output)
    assert {"email": "cli@test.procure.fr", "roles": ["buyer", "legal"]}.items() <= rows[0].items()
    assert events(session, "user.create")[-1].client_addr.startswith("cli:")  # the OS account


def test_cli_users_create_bad_role_and_duplicate(runner):
    r = runner.invoke(
        args=["users", "create", "--email", "a@b.fr", "--role", "pirate", "--generate"]
    )
    assert r.exit_code != 0 and "pirate" in r.output
    assert (
        runner.invoke(
            args=["users", "create", "--email", "d@b.fr", "--role", "legal", "--generate"]
        ).exit_code
        == 0
    )
    r = runner.invoke(
        args=["users", "create", "--email", "d@b.fr", "--role", "legal", "--generate"]
    )
    assert r.exit_code == 1 and "existe déjà" in r.output


def test_demo_is_idempotent(runner, session):
    r1 = runner.invoke(args=["demo"])
    assert r1.exit_code == 0, r1.output
    count = len(session.exec(select(User)).all())
    r2 = runner.invoke(args=["demo"])
    assert r2.exit_code == 0, r2.output
    session.expire_all()
    assert len(session.exec(select(User)).all()) == count
    assert "demo-juriste-2026" in r2.output
    roles = set().union(*(u.roles for u in session.exec(select(User)).all()))
    assert roles == {"buyer", "legal", "sourcing", "evaluator", "admin"}
