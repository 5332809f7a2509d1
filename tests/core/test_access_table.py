"""Every route × every role (and anonymous), from one table: a new route without a rule fails.

The table says who may use each endpoint. A role outside it gets 403 (before any lookup, so the
ids in the URL need not exist); an anonymous visitor is sent to the login page; a role inside it
gets past the access check (a 404 for a record that does not exist, a 422 for an empty form...),
never a 403, a login redirect or a server error. The access rules by record (a buyer of another
organisation, an evaluator not assigned) are tested in each room's tests.

Decided policy: the `admin` role manages accounts, the audit log and operations (sourcing imports
and index); it reads the clause library; it has no access to tenders or evaluations, which hold the
buyers' confidential data (one policy for both rooms, see docs/architecture.md).
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, SQLModel

from procure.accounts import services as user_service
from procure.app import create_app
from procure.core.audit import Actor
from procure.core.db import make_engine
from tests.conftest import CsrfClient

PUBLIC = "public"  # anyone, logged in or not
ANY_USER = "any"  # any logged-in user
ROLES = ("buyer", "legal", "sourcing", "evaluator", "admin")
BUYER_SIDE = {"buyer"}
EVALUATION = {"evaluator", "buyer"}
LIBRARY_READ = {"legal", "buyer", "admin"}
SOURCING = {"sourcing", "admin"}

# (endpoint, method) -> who may use it.
RULES: dict[tuple[str, str], str | set[str]] = {
    ("static", "GET"): PUBLIC,
    ("main.healthz", "GET"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): ANY_USER,
    ("main.home", "GET"): ANY_USER,
    # accounts and audit
    ("admin.audit_log", "GET"): {"admin"},
    ("admin.audit_export", "GET"): {"admin"},
    ("admin.user_list", "GET"): {"admin"},
    ("admin.user_create", "POST"): {"admin"},
    ("admin.user_set_active", "POST"): {"admin"},
    ("admin.user_set_roles", "POST"): {"admin"},
    # clause library
    ("clauses.index", "GET"): LIBRARY_READ,
    ("clauses.show", "GET"): LIBRARY_READ,
    ("clauses.compare", "GET"): LIBRARY_READ,
    ("clauses.new", "GET"): {"legal"},
    ("clauses.create", "POST"): {"legal"},
    ("clauses.edit", "GET"): {"legal"},
    ("clauses.update", "POST"): {"legal"},
    ("clauses.review", "POST"): {"legal"},
    # tenders
    ("tenders.index", "GET"): BUYER_SIDE,
    ("tenders.new", "GET"): BUYER_SIDE,
    ("tenders.new", "POST"): BUYER_SIDE,
    ("tenders.show", "GET"): BUYER_SIDE,
    ("tenders.edit", "GET"): BUYER_SIDE,
    ("tenders.edit", "POST"): BUYER_SIDE,
    ("tenders.check", "GET"): BUYER_SIDE,
    ("tenders.cpv_search", "GET"): BUYER_SIDE,
    ("tenders.propose", "POST"): BUYER_SIDE,
    ("tenders.clause", "GET"): BUYER_SIDE,
    ("tenders.clause", "POST"): BUYER_SIDE,
    ("tenders.clause_add", "POST"): BUYER_SIDE,
    ("tenders.clause_move", "POST"): BUYER_SIDE,
    ("tenders.clause_preview", "POST"): BUYER_SIDE,
    ("tenders.clause_remove", "POST"): BUYER_SIDE,
    ("tenders.clause_upgrade", "POST"): BUYER_SIDE,
    ("tenders.export", "POST"): BUYER_SIDE,
    ("tenders.document", "GET"): BUYER_SIDE,
    ("tenders.verify_page", "GET"): BUYER_SIDE,
    ("tenders.verify_page", "POST"): BUYER_SIDE,
    ("tenders.rules_page", "GET"): {"buyer", "legal"},
    # sourcing
    ("sourcing.index", "GET"): SOURCING,
    ("sourcing.search", "POST"): SOURCING,
    ("sourcing.judge", "POST"): SOURCING,
    ("sourcing.upload", "POST"): SOURCING,
    ("sourcing.job", "GET"): SOURCING,
    ("sourcing.reindex", "POST"): SOURCING,
    ("sourcing.match", "GET"): SOURCING,
    ("sourcing.merges", "GET"): SOURCING,
    ("sourcing.merge_decide", "POST"): SOURCING,
    ("sourcing.supplier", "GET"): SOURCING,
    ("sourcing.shortlists", "GET"): SOURCING,
    ("sourcing.shortlist_create", "POST"): SOURCING,
    ("sourcing.shortlist", "GET"): SOURCING,
    ("sourcing.shortlist_csv", "GET"): SOURCING,
    ("sourcing.shortlist_docx", "GET"): SOURCING,
    ("sourcing.shortlist_report", "POST"): SOURCING,
    # evaluation
    ("evaluation.index", "GET"): EVALUATION,
    ("evaluation.tender", "GET"): EVALUATION,
    ("evaluation.chart", "GET"): EVALUATION,
    ("evaluation.declaration_template", "GET"): EVALUATION,
    ("evaluation.offer", "GET"): EVALUATION,
    ("evaluation.offer_add", "POST"): {"buyer"},
    ("evaluation.declaration_save", "POST"): {"buyer"},
    ("evaluation.declaration_import", "POST"): {"buyer"},
    ("evaluation.evaluators_assign", "POST"): {"buyer"},
    ("evaluation.scores_save", "POST"): {"evaluator"},
    ("evaluation.scores_save_all", "POST"): {"evaluator"},
    ("evaluation.scores_submit", "POST"): {"evaluator"},
    ("evaluation.final_save", "POST"): {"evaluator"},
    ("evaluation.final_save_all", "POST"): {"evaluator"},
    ("evaluation.lock", "POST"): {"evaluator"},
    ("evaluation.unlock", "POST"): EVALUATION,
    ("evaluation.report_export", "POST"): EVALUATION,
    ("evaluation.report_download", "GET"): EVALUATION,
}

PASSWORD = "motdepasse-test"


def _routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, a concrete URL) for every route of the app."""
    out = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<any\([^)]*\):{arg}>", "submit", url)
            url = re.sub(rf"<int:{arg}>", "999999", url)
            url = re.sub(rf"<(?:path:|string:)?{arg}>", "inconnu", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return sorted(out)


@pytest.fixture(scope="module")
def site(tmp_path_factory, model_provider):
    """One app on SQLite (access rules do not depend on the database) and a client per role."""
    instance = tmp_path_factory.mktemp("access") / "instance"
    url = f"sqlite:///{instance.parent / 'procure.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": url,
            "LANCEDB_URI": str(instance / "lancedb"),
            "JOBS_IMMEDIATE": True,
            "MODEL_PROVIDER": model_provider,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,  # this test is about roles; CSRF has its own tests
        }
    )
    app.test_client_class = CsrfClient
    clients = {None: app.test_client()}
    with Session(app.extensions["procure.engine"], expire_on_commit=False) as session:
        for role in ROLES:
            user = user_service.create_user(
                session=session,
                actor=Actor.system("test"),
                email=f"{role}@acces.procure.fr",
                password=PASSWORD,
                roles=[role],
                organisation="Ministère de test",
            )
            client = app.test_client()
            r = client.post("/login", data={"email": user.email, "password": PASSWORD})
            assert r.status_code == 303
            clients[role] = client
    yield app, clients
    app.extensions["procure.engine"].dispose()


def test_every_route_has_a_rule(site):
    app, _clients = site
    missing = [(e, m) for e, m, _u in _routes(app) if (e, m) not in RULES]
    stale = set(RULES) - {(e, m) for e, m, _u in _routes(app)}
    assert not missing, f"routes sans règle d'accès dans la table : {missing}"
    assert not stale, f"règles sans route : {sorted(stale)}"


def _expected_denied(rule: str | set[str], role: str | None) -> int | None:
    """The status a role must get, or None when it must get past the access check."""
    if rule == PUBLIC:
        return None
    if role is None:
        return 302
    if rule == ANY_USER or role in rule:
        return None
    return 403


@pytest.mark.parametrize(("endpoint", "method"), sorted(RULES))
def test_access_rule(site, endpoint, method):
    app, clients = site
    urls = [u for e, m, u in _routes(app) if (e, m) == (endpoint, method)]
    assert urls, f"{endpoint} {method} n'existe plus"
    url = urls[0]
    rule = RULES[(endpoint, method)]
    for role in (None, *ROLES):
        if endpoint == "auth.logout" and role is not None:
            continue  # logging out would end the shared client's session; checked below
        response = clients[role].open(url, method=method, data={})
        status = response.status_code
        denied = _expected_denied(rule, role)
        who = role or "anonyme"
        if denied == 302:
            assert status == 302 and "/login" in response.headers["Location"], (who, url, status)
        elif denied == 403:
            assert status == 403, (who, method, url, status)
        elif rule == PUBLIC:
            assert status < 500, (who, method, url, status)  # a failed login may answer 401
        else:
            assert status not in (401, 403) and status < 500, (who, method, url, status)
            if status == 302:
                assert "/login" not in response.headers["Location"], (who, url)


def test_logout_needs_a_session_and_works(site):
    app, clients = site
    assert clients[None].post("/logout").status_code == 302
    client = app.test_client()
    client.post("/login", data={"email": "legal@acces.procure.fr", "password": PASSWORD})
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code in (302, 303)
    assert client.get("/").status_code == 302


def test_navigation_shows_each_room_to_exactly_the_roles_it_admits():
    from procure.rooms import ROOMS

    for room in ROOMS:
        assert set(room.roles) == RULES[(f"{room.key}.index", "GET")], room.key
