"""Indexing and searching through an OpenAI-compatible embedding server (PROCURE_MODEL_URL): the
real llama-cpp-python server (`python -m llama_cpp.server`) serving the default model, started here."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, create_engine

from sourcing import index as lindex
from sourcing import search as lsearch
from sourcing.ingest import apply_rows, read_rows
from sourcing.llm import RemoteModel

DATA = Path(__file__).parent.parent / "data"
pytestmark = pytest.mark.model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(model):
    pytest.importorskip("uvicorn", reason="needs the llama-cpp-python[server] extra")
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model.path),
            "--embedding",
            "true",
            "--n_threads",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=1) as r:  # noqa: S310
                    json.loads(r.read())
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("le serveur llama_cpp.server s'est arrêté au démarrage")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_index_and_search_through_an_openai_compatible_server(server, tmp_path):
    import procure.core.models  # noqa: F401 - every table, for create_all
    import sourcing.models  # noqa: F401

    remote = RemoteModel(server)
    vectors = remote.embed(["maintenance du parc informatique", "nettoyage des locaux"])
    assert len(vectors) == 2 and len(vectors[0]) == 640
    assert abs(sum(x * x for x in vectors[0]) - 1) < 1e-3  # normalised by the client

    engine = create_engine(f"sqlite:///{tmp_path / 'remote.db'}")
    SQLModel.metadata.create_all(engine)
    _src, rows = read_rows((DATA / "decp_extract.json").read_bytes(), "decp", "extrait")
    uri = str(tmp_path / "lancedb")
    with Session(engine) as session:
        apply_rows(session, rows, source="decp-v1", filename="extrait")
        session.commit()
        result = lindex.sync_index(session, uri=uri, embed=remote.embed)
    assert result["suppliers"] > 20 and result["embedded"] > 20
    out = lsearch.search(
        lindex.open_table(uri),
        lsearch.Query(need="logiciel de gestion financière", limit=5),
        embed=remote.embed,
        semantic=lindex.open_semantic(uri),
    )
    assert out["results"] and "no_match" in out
