"""The model as the sourcing services use it: what they call on it and how they record it.

The model always comes from the app (`resources.model`, a ModelProvider whose `get()` returns a
guarded model raising `ModelUnavailable` in French); the services never build one.
"""

from __future__ import annotations

from typing import Any, Protocol

from procure.core.errors import ModelUnavailable
from procure.core.jobs import Resources


class SourcingModel(Protocol):
    """What the sourcing services need of a model: its name, file hash, embeddings, JSON answers."""

    name: str

    @property
    def file_hash(self) -> str: ...

    def embed(self, texts: list[str]) -> list[list[float]]: ...

    def generate_json(self, prompt: str, schema: dict, **kwargs: Any) -> Any: ...


def model_info(model: SourcingModel) -> dict[str, str]:
    """The model's name and file hash, recorded with every index, search and judgement."""
    return {"name": model.name, "file_hash": model.file_hash}


def app_model(resources: Resources) -> SourcingModel:
    """The app's configured model, for a job handler (never rebuilt from the job's parameters)."""
    if resources.model is None:
        raise ModelUnavailable("Aucun modèle n'est configuré pour cette tâche.")
    model: SourcingModel = resources.model.get()
    return model


def available_model(provider: Any) -> SourcingModel | None:
    """The app's model, or None when it cannot be loaded (missing or corrupt file, server
    down): the search then runs on the full-text index alone and says so."""
    try:
        model: SourcingModel = provider.get()
    except ModelUnavailable:
        return None
    return model


def lancedb_uri(resources: Resources) -> str:
    """Where the app keeps the supplier index."""
    return str(resources.settings["LANCEDB_URI"])
