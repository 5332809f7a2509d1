"""Sessions, login throttling, security headers, redirects after login, the health check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from procure.accounts import services as accounts
from procure.core.audit import Actor
from procure.core.models import AuditEvent, UserSession, utcnow
from tests.conftest import CsrfClient, soup

PASSWORD = "motdepasse-test"


def _client(app) -> CsrfClient:
    app.test_client_class = CsrfClient
    return app.test_client()


def _login(app, user, password=PASSWORD, addr="127.0.0.1"):
    c = _client(app)
    r = c.post(
        "/login",
        data={"email": user.email, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )
    return c, r


def _cookie(client) -> str:
    return client.get_cookie("session").value


# --- sessions -------------------------------------------------------------------------------------


def test_a_captured_cookie_dies_with_logout(app, make_user):
    user = make_user("buyer")
    c, r = _login(app, user)
    assert r.status_code == 303
    stolen = _cookie(c)
    thief = _client(app)
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 200  # the cookie works while the session lives
    c.csrf_token = None
    assert c.post("/logout").status_code == 303
    assert thief.get("/").status_code == 302  # revoked on the server: back to login


@pytest.mark.parametrize("how", ["deactivate", "password"])
def test_deactivation_and_password_change_end_every_session(app, session, make_user, how):
    admin, user = make_user("admin"), make_user("buyer")
    c1, _ = _login(app, user)
    c2, _ = _login(app, user)
    assert c1.get("/").status_code == c2.get("/").status_code == 200
    if how == "deactivate":
        accounts.set_active(session=session, actor=Actor.of(admin), user_id=user.id, active=False)
    else:
        accounts.set_password(
            session=session, actor=Actor.of(admin), user_id=user.id, password="nouveau-secret-1"
        )
    assert c1.get("/").status_code == c2.get("/").status_code == 302
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.details["sessions_ended"] == 2


def test_sessions_expire_when_idle_and_after_their_lifetime(app, session, make_user):
    user = make_user("buyer")
    c, _ = _login(app, user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    session.add(row)
    session.commit()
    assert c.get("/").status_code == 302
    c, _ = _login(app, user)
    row = session.exec(
        select(UserSession).where(UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
    ).one()
    row.created_at = utcnow() - timedelta(hours=app.config["SESSION_HOURS"] + 1)
    session.add(row)
    session.commit()
    assert c.get("/").status_code == 302


def test_cookie_flags_samesite_httponly_and_secure_option(app, make_user, tmp_path, db_url):
    from procure.app import create_app

    _c, r = _login(app, make_user("buyer"))
    cookie = r.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # a permanent cookie bounded by SESSION_HOURS
    secure = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "secure"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "x",
            "SECURE_COOKIES": True,
            "MODEL_PROVIDER": app.extensions["procure.model"],
        }
    )
    r = secure.test_client().get("/login")
    assert "Secure" in r.headers["Set-Cookie"]
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    secure.extensions["procure.engine"].dispose()


# --- proxy ------------------------------------------------------------------------------------------


def test_proxy_addresses_are_used_only_when_configured(app, make_user, tmp_path, db_url, session):
    from procure.app import create_app

    user = make_user("buyer")
    headers = {"X-Forwarded-For": "203.0.113.9"}
    _client(app).post("/login", data={"email": user.email, "password": PASSWORD}, headers=headers)
    behind = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "proxy"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "x",
            "PROXY_FIX": 1,
            "MODEL_PROVIDER": app.extensions["procure.model"],
        }
    )
    behind.test_client_class = CsrfClient
    behind.test_client().post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers=headers
    )
    behind.extensions["procure.engine"].dispose()
    session.expire_all()
    addrs = [
        e.client_addr
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    ]
    assert addrs == ["127.0.0.1", "203.0.113.9"]  # the header is ignored unless trusted


# --- login throttling and timing --------------------------------------------------------------------


def test_account_is_throttled_with_backoff_and_failures_are_aggregated(app, session, make_user):
    user = make_user("buyer")
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = [
        _login(app, user, "mauvais-mot-de-passe", addr="10.0.0.1" if i < limit else f"10.0.0.{i}")[
            1
        ].status_code
        for i in range(limit + 3)
    ]
    assert statuses[:limit] == [401] * limit
    assert statuses[limit:] == [429] * 3  # locked, even from other addresses
    _c, r = _login(app, user)  # even the right password waits for the lock to end
    assert (
        r.status_code == 429 and "réessayez dans" in soup(r).select_one("[role=alert]").get_text()
    )
    session.expire_all()
    logged = [
        e.action
        for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        if e.action.startswith("auth.login")
    ]
    assert logged == ["auth.login_failed", "auth.login_throttled"]  # not one per attempt
    # Backoff: the next lock lasts twice as long.
    from procure.core.models import LoginThrottle

    row = session.exec(
        select(LoginThrottle).where(LoginThrottle.key == f"account:{user.email}")
    ).one()
    first = row.locked_until - row.last_failure_at
    row.locked_until = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    for _ in range(limit):
        _login(app, user, "mauvais-mot-de-passe", addr="10.0.1.1")
    session.expire_all()
    row = session.exec(
        select(LoginThrottle).where(LoginThrottle.key == f"account:{user.email}")
    ).one()
    assert row.locked_until - row.last_failure_at == pytest.approx(
        2 * first, abs=timedelta(seconds=1)
    )


def test_address_is_throttled_across_accounts(app, make_user):
    limit = app.config["LOGIN_MAX_FAILURES_ADDR"]
    statuses = [
        _client(app)
        .post(
            "/login",
            data={"email": f"inconnu{i}@test.procure.fr", "password": "x" * 12},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        )
        .status_code
        for i in range(limit + 1)
    ]
    assert statuses[-1] == 429 and statuses[:limit] == [401] * limit
    user = make_user("buyer")  # a good login from another address still works
    assert _login(app, user, addr="198.51.100.8")[1].status_code == 303


def test_unknown_and_known_accounts_cost_the_same_hash_check(session, make_user, monkeypatch):
    """Every refusal runs exactly one real password hash check (the timing itself, 164 ms vs
    12 ms before, is measured in benchmarks/test_bench_security.py, not asserted here)."""
    user = make_user("buyer")
    inactive = make_user("buyer")
    inactive.active = False
    session.add(inactive)
    session.commit()
    limits = accounts.throttle.Limits(account=10_000, address=10_000)
    calls: list[str] = []
    real = accounts.check_password_hash

    def spy(pwhash, password):
        calls.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    for email in (user.email, "personne@test.procure.fr", inactive.email):
        calls.clear()
        accounts.authenticate(
            session=session, email=email, password="mauvais-mot-de-passe", limits=limits
        )
        assert len(calls) == 1 and calls[0] == user.password_hash.split("$", 1)[0], email


# --- headers, redirects, health ----------------------------------------------------------------------


def test_security_headers_and_a_csp_without_inline_script(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_handler():
    """The CSP forbids them, and a handler built from data (an e-mail) would be a stored XSS."""
    import re

    from tests.factories import ROOT

    bad = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"<script(?![^>]*\ssrc=)", text):
            bad.append(path.name)
        if re.search(r'\sstyle\s*=\s*"', text):
            bad.append(path.name)
    assert not bad


def test_admin_confirmation_does_not_run_an_email_as_script(client, login, make_user):
    login("admin")
    payload = "x');alert(document.domain);//@evil.fr"
    make_user("buyer", email=payload)
    page = soup(client.get("/admin/users"))
    buttons = [b for b in page.select("button[data-confirm]") if payload in b["data-confirm"]]
    assert buttons and not page.select("[onclick]")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.fr",
        "/\\evil.fr",
        "/\\/evil.fr",
        "\\\\evil.fr",
        "https://evil.fr",
        "/\t/evil.fr",
        "javascript:alert(1)",
        "/%0a/evil.fr\n",
    ],
)
def test_login_never_redirects_off_site(app, make_user, target):
    user = make_user("buyer")
    c = _client(app)
    r = c.post("/login", data={"email": user.email, "password": PASSWORD, "next": target})
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_login_follows_a_local_next(app, make_user):
    user = make_user("buyer")
    r = _client(app).post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/tenders/?q=1"}
    )
    assert r.headers["Location"] == "/tenders/?q=1"


def test_healthz_hides_credentials_of_a_model_server_url():
    from procure.home import redact_url

    assert (
        redact_url("https://user:secret@llm.example:8443/v1") == "https://***@llm.example:8443/v1"
    )
    assert redact_url("http://llm.example/v1") == "http://llm.example/v1"


def test_cli_password_change_ends_sessions(app, runner, make_user):
    user = make_user("buyer")
    c, _ = _login(app, user)
    result = runner.invoke(args=["users", "password", user.email, "--generate"])
    assert result.exit_code == 0, result.output
    new = result.output.strip().splitlines()[-1].split(": ", 1)[1]
    assert c.get("/").status_code == 302
    assert _login(app, user, new)[1].status_code == 303


def test_cli_actions_record_the_operators_os_account(runner, session, make_user):
    import getpass

    admin = make_user("admin")
    for extra in ([], ["--as", admin.email]):
        result = runner.invoke(
            args=[
                "users",
                "create",
                "--email",
                f"op{len(extra)}@test.procure.fr",
                "--role",
                "buyer",
                "--generate",
                *extra,
            ]
        )
        assert result.exit_code == 0, result.output
    session.expire_all()
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "user.create")).all()
    by_cli = [e for e in created if e.details["email"].startswith("op")]
    assert [e.client_addr for e in by_cli] == [f"cli:{getpass.getuser()}"] * 2
    assert [e.actor_email for e in by_cli] == ["systeme", admin.email]


def test_cli_as_is_refused_for_approvals_without_confirmation(runner, session, make_user):
    from tests.factories import make_tender

    buyer, lead = make_user("buyer"), make_user("evaluator")
    t = make_tender(session, buyer)
    for args in (
        ["evaluation", "lock", t.reference, "--as", lead.email],
        ["evaluation", "submit", t.reference, "--as", lead.email],
        ["evaluation", "unlock", t.reference, "--reason", "Motif suffisant.", "--as", lead.email],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "--confirm-as" in result.stderr, args
