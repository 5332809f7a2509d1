"""The sourcing room uses the app's resources: its model provider in jobs, its document store for
exports, a French message (never a 500 or a traceback) when the model server is down, and French
numbers wherever a count is typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from procure.app import create_app
from procure.cli import main
from procure.core import jobs
from procure.core.audit import Actor
from procure.core.models import Job
from procure.suppliers.services.search import parse_count
from procure.web.cli_support import FRENCH_INT
from sourcing.models import Shortlist, SourcingSearch
from tests.conftest import CsrfClient, soup
from tests.factories import DATA

# A closed port: a real server address where nothing answers (connection refused at once).
DOWN_URL = "http://127.0.0.1:9"
UNAVAILABLE = "Le modèle ne peut pas répondre pour l'instant"


def other_app(app, **config):
    """A second app on the same database, index and exports as `app`, configured with `config`."""
    settings = {
        key: app.config[key]
        for key in ("INSTANCE_PATH", "DATABASE_URL", "LANCEDB_URI", "EXPORT_PATH", "SECRET_KEY")
    }
    return create_app({"TESTING": True, "JOBS_IMMEDIATE": True, **settings, **config})


def logged_in_client(app, make_user, *roles):
    user = make_user(*roles, password="motdepasse-test")
    app.test_client_class = CsrfClient
    client = app.test_client()
    r = client.post("/login", data={"email": user.email, "password": "motdepasse-test"})
    assert r.status_code == 303
    client.csrf_token = None
    return client


def import_and_index(runner):
    r = runner.invoke(
        args=["suppliers", "import", str(DATA / "buyer_suppliers.csv"), "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["index", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_job_handlers_use_the_apps_configured_provider(app, session, model_provider, make_user):
    """The settings say MODEL_URL is a dead server, the app's provider is the real local model:
    the index job must use the provider (a handler rebuilding a model from settings or job
    parameters would call the dead server and fail)."""
    configured = other_app(app, MODEL_PROVIDER=model_provider, MODEL_URL=DOWN_URL)
    try:
        resources = configured.extensions["procure.resources"]
        assert resources.model is model_provider
        runner = configured.test_cli_runner()
        r = runner.invoke(
            main, ["suppliers", "import", str(DATA / "buyer_suppliers.csv"), "--format", "csv"]
        )
        assert r.exit_code == 0, r.output
        job = jobs.run_inline(
            engine=configured.extensions["procure.engine"],
            actor=Actor.system("test"),
            kind="sourcing.index",
            params={"rebuild": False},
            resources=resources,
        )
        assert job.status == "done", job.message
        assert job.result["model"] == {
            "name": model_provider.get().name,
            "file_hash": model_provider.get().file_hash,
        }
        assert job.result["embedded"] == job.result["suppliers"] > 0
        # the web button submits a job that runs with the same provider
        client = logged_in_client(configured, make_user, "sourcing")
        r = client.post("/sourcing/index", data={"rebuild": "1"})
        assert r.status_code == 303
        job = session.exec(select(Job).order_by(Job.id.desc())).first()
        assert job.status == "done" and job.params == {"rebuild": True}
    finally:
        configured.extensions["procure.engine"].dispose()


def test_model_server_down_gives_a_french_message_everywhere(runner, app, make_user, session):
    import_and_index(runner)  # with the real local model
    r = runner.invoke(args=["sourcing", "search", "logiciels pour les collectivités", "--json"])
    assert r.exit_code == 0, r.output
    search_id = json.loads(r.stdout)["id"]

    down = other_app(app, MODEL_URL=DOWN_URL)
    try:
        client = logged_in_client(down, make_user, "sourcing")
        # web search (issue 15): full-text results, with a visible notice, recorded as such
        r = client.post(
            "/sourcing/recherche", data={"need": "audit d'algorithmes"}, follow_redirects=True
        )
        assert r.status_code == 200
        assert "Modèle indisponible" in soup(r).select_one(".model-notice").get_text()
        session.expire_all()
        searches = session.exec(select(SourcingSearch).order_by(SourcingSearch.id)).all()
        assert len(searches) == 2 and "plein texte" in searches[-1].method["notice"]
        # the same for an htmx search
        r = client.post(
            "/sourcing/recherche", data={"need": "audit d'algorithmes"}, headers={"HX-Request": "1"}
        )
        assert r.status_code == 200 and soup(r).select_one(".model-notice")
        # web judge and index: the job fails and its page shows the French message
        for url in (f"/sourcing/recherche/{search_id}/jugement", "/sourcing/index"):
            r = client.post(url, data={"k": "1", "rebuild": "1"})
            assert r.status_code == 303
            page = soup(client.get(r.headers["Location"]))
            assert page.select_one(".badge-failed")
            assert UNAVAILABLE in page.select_one("[role=alert]").get_text()
        # CLI: the search falls back and says so; the index needs the model: message, exit 1
        cli = down.test_cli_runner()
        r = cli.invoke(main, ["sourcing", "search", "audit d'algorithmes"])
        assert r.exit_code == 0 and "Modèle indisponible" in r.output, r.output
        r = cli.invoke(main, ["index", "--rebuild"])
        assert r.exit_code == 1, r.output
        assert UNAVAILABLE in r.output and "Traceback" not in r.output
        assert r.exception is None or isinstance(r.exception, SystemExit)
    finally:
        down.extensions["procure.engine"].dispose()


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_counts_accept_every_kind_of_space(space):
    errors: dict = {}
    assert parse_count(f"1{space}000", default=3, field="k", errors=errors) == 1000
    assert parse_count("", default=3, field="k", errors=errors) == 3 and not errors
    assert FRENCH_INT.convert(f"1{space}000", None, None) == 1000


def test_typed_counts_in_the_search_form_and_cli(runner, client, login, session):
    import_and_index(runner)
    login("sourcing")
    r = client.post("/sourcing/recherche", data={"need": "logiciels", "limit": "1\u202f0"})
    assert r.status_code == 303
    record = session.exec(select(SourcingSearch)).one()
    assert record.filters["limit"] == 10
    r = client.post("/sourcing/recherche", data={"need": "logiciels", "limit": "1\u00a0000"})
    assert r.status_code == 422  # read as 1000, then refused by the range check
    assert "entre 1 et 100" in soup(r).select_one("#err-limit").get_text()
    r = client.post("/sourcing/recherche", data={"need": "logiciels", "limit": "dix"})
    assert r.status_code == 422
    assert "n'est pas un nombre entier" in soup(r).select_one("#err-limit").get_text()
    r = runner.invoke(args=["sourcing", "search", "logiciels", "--limit", "dix"])
    assert r.exit_code == 2 and "n'est pas un nombre entier" in r.output


def test_shortlist_report_lives_in_the_document_store(
    runner, client, login, session, app, tmp_path
):
    import_and_index(runner)
    r = runner.invoke(args=["sourcing", "search", "logiciels pour les collectivités", "--json"])
    data = json.loads(r.stdout)
    first = data["results"][0]
    target = tmp_path / "copie" / "rapport.docx"
    target.parent.mkdir()
    r = runner.invoke(
        args=[
            "sourcing",
            "shortlist",
            str(data["id"]),
            str(first["supplier_id"]),
            "--docx",
            str(target),
        ]
    )
    assert r.exit_code == 0, r.output
    shortlist = session.exec(select(Shortlist)).one()
    stored = list(
        (Path(app.config["EXPORT_PATH"]) / "shortlists" / str(shortlist.id)).glob("*.docx")
    )
    assert len(stored) == 1 and stored[0].read_bytes() == target.read_bytes()
    login("sourcing")
    r = client.get(f"/sourcing/preselections/{shortlist.id}.docx")
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    # A GET sends the last report written and writes nothing (issue 10).
    assert r.data == stored[0].read_bytes()
    assert len(list(stored[0].parent.glob("*.docx"))) == 1
