"""Fixtures: a temporary instance per test, on SQLite and (when configured) PostgreSQL.

`PROCURE_TEST_POSTGRES_URL` adds PostgreSQL to every database test; under CI an unreachable
server fails the run instead of skipping. The real local model is loaded once per session.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session, SQLModel

import procure.schema  # noqa: F401
from procure.accounts import services as user_service
from procure.accounts.demo import DEMO_USERS
from procure.app import create_app
from procure.core.audit import Actor
from procure.core.db import make_engine

PG_URL = os.environ.get("PROCURE_TEST_POSTGRES_URL")
pytest_plugins = ["tests.browser"]  # browser, live_server: real Chromium for e2e tests

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL or IN_CI else [])

PASSWORDS = {email: password for _k, email, password, _r, _n in DEMO_USERS}


def _pg_schema_engine():
    """A fresh PostgreSQL schema holding every table, for one test session."""
    if not PG_URL:
        pytest.fail(
            "CI=true mais PROCURE_TEST_POSTGRES_URL n'est pas défini : PostgreSQL est obligatoire en CI."
        )
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        if IN_CI:
            pytest.fail(f"PostgreSQL injoignable en CI ({PG_URL}) : {exc}")
        pytest.skip(f"PostgreSQL injoignable : {exc}")
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    return admin, engine, url, schema


@pytest.fixture(scope="session")
def _pg():
    if "postgresql" not in BACKENDS:
        yield None
        return
    admin, engine, url, schema = _pg_schema_engine()
    yield engine, url
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, _pg):
    """A database URL with every table created and empty: SQLite file or a PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'procure.db'}"
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    engine, url = _pg
    yield url
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def model_provider(tmp_path_factory):
    """The real default model, assembled and loaded once for the whole test session."""
    from procure.core.model_provider import ModelProvider

    cache = Path(
        os.environ.get("PROCURE_TEST_MODEL_DIR", tmp_path_factory.mktemp("model-instance"))
    )
    return ModelProvider(path=None, url=None, name=None, instance_path=str(cache))


@pytest.fixture
def app(db_url, tmp_path, model_provider):
    instance = tmp_path / "instance"
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": db_url,
            "LANCEDB_URI": str(instance / "lancedb"),
            "JOBS_IMMEDIATE": True,
            "MODEL_PROVIDER": model_provider,
            "SECRET_KEY": "test-secret",
        }
    )
    yield app
    app.extensions["procure.engine"].dispose()


@pytest.fixture
def engine(app):
    return app.extensions["procure.engine"]


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def model(model_provider):
    return model_provider.get()


class CsrfClient(FlaskClient):
    """A test client that sends the page's CSRF token with every unsafe request, like a browser."""

    csrf_token: str | None = None

    def fetch_token(self) -> str:
        html = self.get("/login", follow_redirects=True).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert match, "chaque page doit porter un jeton CSRF"
        self.csrf_token = match.group(1)
        return self.csrf_token

    def open(self, *args, csrf: bool = True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            if "X-CSRFToken" not in headers:
                headers["X-CSRFToken"] = self.csrf_token or self.fetch_token()
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = CsrfClient
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs the `procure` command against the test app: runner.invoke(args=[...])."""
    from procure.cli import main

    cli_runner = app.test_cli_runner()
    invoke = cli_runner.invoke
    cli_runner.invoke = lambda cli=None, args=None, **kw: invoke(cli or main, args, **kw)
    return cli_runner


@pytest.fixture
def make_user(session):
    """Create a user: make_user("legal") or make_user("buyer", "legal", email=..., organisation=...)."""
    counter = iter(range(1, 10_000))

    def make(
        *roles: str,
        email: str | None = None,
        password: str = "motdepasse-test",
        organisation: str = "Ministère de test",
    ):
        email = email or f"{'-'.join(roles) or 'user'}{next(counter)}@test.procure.fr"
        return user_service.create_user(
            session=session,
            actor=Actor.system("test"),
            email=email,
            password=password,
            roles=list(roles),
            organisation=organisation,
        )

    return make


@pytest.fixture
def login(client, make_user):
    """Log in as a new user holding `roles`; returns the user."""

    def do(*roles: str, user=None, password: str = "motdepasse-test"):
        user = user or make_user(*roles, password=password)
        client.csrf_token = None
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        client.csrf_token = None  # the session changed: take a fresh token
        return user

    return do


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")
