"""The model missing, corrupt, down or slow: everything else keeps working, sourcing falls back
to full-text search and says so (issue 15).

The model server is llama-cpp-python's own OpenAI-compatible server (`python -m
llama_cpp.server`, the `llama-cpp-python[server]` extra), serving the default Gemma file,
started here and then stopped.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.suppliers import services as svc

from .procs import free_port

pytestmark = pytest.mark.model

DECP = Path(__file__).parents[1] / "data" / "decp_extract.json"
NEED = "développement et maintenance de logiciels pour collectivités"
NOTICE = "Modèle indisponible"


@pytest.fixture(scope="module")
def gguf(model_provider) -> Path:
    from sourcing.llm import assemble_default_model

    return assemble_default_model(model_provider.models_dir)


class ModelServer:
    def __init__(self, gguf: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias",
             "gemma-serveur", "--embedding", "true", "--host", "127.0.0.1", "--port",
             str(self.port), "--n_threads", "2"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, log.read_text()[-2000:]
            try:
                urllib.request.urlopen(self.url + "/v1/models", timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("le serveur llama_cpp ne répond pas")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self._log.close()


def _app(db_url: str, instance: Path, **config):
    from procure.app import create_app

    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": db_url,
            "LANCEDB_URI": str(instance / "lancedb"),
            "JOBS_IMMEDIATE": True,
            "SECRET_KEY": "test-secret",
            **config,
        }
    )


def _search(app):
    with session_scope(app.extensions["procure.engine"]) as session:
        return svc.search(
            session=session,
            actor=Actor.system(),
            model=svc.available_model(app.extensions["procure.model"]),
            uri=app.config["LANCEDB_URI"],
            need=NEED,
        )


def _web_checks(app, make_login) -> str:
    """As a sourcing officer and lawyer: the library and health pages answer; a search 200."""
    from tests.conftest import CsrfClient

    app.test_client_class = CsrfClient
    client = app.test_client()
    make_login(client)
    client.csrf_token = None  # the login starts a new session: fetch this session's token
    assert client.get("/healthz").status_code == 200
    assert client.get("/clauses/").status_code == 200
    resp = client.post("/sourcing/recherche", data={"need": NEED}, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


@pytest.fixture
def make_login(make_user):
    def do(client) -> None:
        user = make_user("sourcing", "legal", password="motdepasse-test")
        resp = client.post("/login", data={"email": user.email, "password": "motdepasse-test"})
        assert resp.status_code in (302, 303)

    return do


def test_model_server_up_then_down_then_slow(tmp_path, db_url, gguf, make_login, session):
    server = ModelServer(gguf, tmp_path / "llama-server.log")
    instance = tmp_path / "instance"
    try:
        app = _app(  # generous: the machine may be busy while the server embeds the index
            db_url, instance, MODEL_URL=server.url, MODEL_NAME="gemma-serveur", MODEL_TIMEOUT=300
        )
        with session_scope(app.extensions["procure.engine"]) as s:
            svc.import_data(
                session=s, actor=Actor.system(), data=DECP.read_bytes(), fmt="decp",
                filename=DECP.name,
            )  # fmt: skip
            model = app.extensions["procure.model"].get()
            svc.sync_index(
                session=s, actor=Actor.system(), model=model, uri=app.config["LANCEDB_URI"]
            )
        up = _search(app)
        assert up.model["name"] == "gemma-serveur" and "notice" not in up.method
        assert up.results
    finally:
        server.stop()
    down = _search(app)  # the server is gone: full-text results, and the notice
    assert NOTICE in down.method["notice"] and down.model["name"].startswith("aucun")
    assert {r["supplier_id"] for r in down.results} & {r["supplier_id"] for r in up.results}
    page = _web_checks(app, make_login)
    assert NOTICE in page and "Résultats de la recherche" in page
    app.extensions["procure.engine"].dispose()

    # A server that accepts the connection and never answers: the timeout, then the fallback.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        slow_app = _app(db_url, instance, MODEL_URL=url, MODEL_NAME="x", MODEL_TIMEOUT=1)
        started = time.monotonic()
        slow = _search(slow_app)
        assert time.monotonic() - started < 15
        assert NOTICE in slow.method["notice"] and slow.results
        slow_app.extensions["procure.engine"].dispose()
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_local_model_missing_or_corrupt(tmp_path, db_url, model_provider, problem, make_login):
    instance = tmp_path / "instance"
    good = _app(db_url, instance, MODEL_PROVIDER=model_provider)
    with session_scope(good.extensions["procure.engine"]) as s:
        svc.import_data(
            session=s, actor=Actor.system(), data=DECP.read_bytes(), fmt="decp", filename="d.json"
        )
        svc.sync_index(
            session=s,
            actor=Actor.system(),
            model=model_provider.get(),
            uri=good.config["LANCEDB_URI"],
        )
    good.extensions["procure.engine"].dispose()
    path = tmp_path / "modele.gguf"
    if problem == "corrupt":
        path.write_bytes(b"GGUF" + b"\x00" * 4096)
    app = _app(db_url, instance, MODEL_PATH=str(path))
    record = _search(app)
    assert NOTICE in record.method["notice"] and record.results
    assert NOTICE in _web_checks(app, make_login)
    app.extensions["procure.engine"].dispose()
