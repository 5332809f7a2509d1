"""A disk cache of embeddings (SQLite), keyed by the model's file hash and the text.

For experiments and evaluations: vectors computed once are not recomputed by the next run."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from array import array
from pathlib import Path


class CachedEmbedder:
    def __init__(self, model, path: str | Path):
        self.model = model
        self.name = model.name
        self.file_hash = model.file_hash
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        self._lock = threading.Lock()

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.file_hash}\x00{text}".encode()).hexdigest()

    def put(self, texts: list[str], vectors: list[list[float]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [
                    (self._key(t), array("f", v).tobytes())
                    for t, v in zip(texts, vectors, strict=True)
                ],
            )
            self._db.commit()

    def embed(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({marks})",  # noqa: S608 - placeholders
                    chunk,
                ):
                    found[key] = array("f", blob).tolist()
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            vectors = self.model.embed(missing)
            self.put(missing, vectors)
            for t, v in zip(missing, vectors, strict=True):
                found[self._key(t)] = v
        return [found[k] for k in keys]

    def generate_json(self, *args, **kwargs):
        return self.model.generate_json(*args, **kwargs)
