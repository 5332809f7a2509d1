"""What the local model contributes to search, learnt at index time from the imported contracts.

Gemma 3 270M is a generative model: its mean-pooled hidden states are anisotropic (every text is
close to every other) and rank suppliers poorly on their own. Two things make them useful:

- **Centring.** The mean vector of the indexed contract objects is subtracted from every vector
  (contract objects, supplier profiles and the need) before L2 normalisation, so cosine measures
  what distinguishes texts rather than what they share.
- **A CPV head.** Every past contract is a labelled example (its object and its CPV code). At index
  time a small softmax regression is trained on the centred vectors of the contract objects to
  predict the CPV group (3 digits) and division (2 digits). At search time it gives the need's CPV
  classes with a probability, which the `cpv` component uses. On held-out buyers it finds the
  division of a contract from its object far better than matching the CPV labels' words
  (docs/sourcing.md, "Qualité mesurée").

The artefacts (mean vector, head weights) are stored in a LanceDB table beside the suppliers so that
they follow the index wherever it lives (folder or object storage). numpy only, no training
framework: a few seconds on 2 cores for tens of thousands of contracts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

TABLE = "semantic"
HEAD_LEVELS = (2, 3)  # division, group
MAX_TRAINING = 50_000  # contracts used to train the head (a deterministic sample beyond that)
MIN_TRAINING = 20
EPOCHS = 300
LEARNING_RATE = 2.0
L2 = 1e-4


def centred(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Subtract the corpus mean and L2-normalise each row."""
    x = np.asarray(vectors, dtype=np.float32) - mean
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


@dataclass
class Head:
    level: int
    classes: list[str]
    weights: np.ndarray  # (dim, classes)
    bias: np.ndarray

    def predict(self, vector: np.ndarray, top: int = 3) -> list[tuple[str, float]]:
        z = _scale(vector) @ self.weights + self.bias
        z = z - z.max()
        p = np.exp(z)
        p = p / p.sum()
        order = np.argsort(-p)[:top]
        return [(self.classes[i], float(p[i])) for i in order]


def _scale(x: np.ndarray) -> np.ndarray:
    """Unit vectors scaled so that logits start in a useful range for plain gradient descent."""
    return x * (np.sqrt(x.shape[-1]) / 4)


def train_head(vectors: np.ndarray, labels: list[str], level: int, seed: int = 0) -> Head | None:
    """Softmax regression (full-batch gradient descent, L2) from centred vectors to CPV prefixes."""
    pairs = [(i, lab[:level]) for i, lab in enumerate(labels) if lab and len(lab) >= level]
    if len(pairs) > MAX_TRAINING:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(pairs), MAX_TRAINING, replace=False))
        pairs = [pairs[i] for i in keep]
    classes = sorted({lab for _, lab in pairs})
    if len(pairs) < MIN_TRAINING or len(classes) < 2:
        return None
    index = {c: i for i, c in enumerate(classes)}
    x = _scale(vectors[[i for i, _ in pairs]].astype(np.float32))
    y = np.array([index[lab] for _, lab in pairs])
    n, dim = x.shape
    onehot = np.zeros((n, len(classes)), dtype=np.float32)
    onehot[np.arange(n), y] = 1.0
    w = np.zeros((dim, len(classes)), dtype=np.float32)
    b = np.zeros(len(classes), dtype=np.float32)
    for _ in range(EPOCHS):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / n
        w -= LEARNING_RATE * (x.T @ g + L2 * w)
        b -= LEARNING_RATE * g.sum(axis=0)
    return Head(level, classes, w, b)


@dataclass
class Semantic:
    """The model-derived artefacts of one index: the centring mean and the CPV heads."""

    mean: np.ndarray
    heads: dict[int, Head]
    trained_on: int = 0

    def need_vector(self, vector: list[float]) -> np.ndarray:
        return centred(np.asarray([vector], dtype=np.float32), self.mean)[0]

    def cpv_classes(self, vector: np.ndarray, top: int = 3) -> list[dict[str, Any]]:
        """The need's CPV classes predicted by the heads: (prefix, probability), finest first."""
        out: list[dict[str, Any]] = []
        for level in sorted(self.heads, reverse=True):
            for prefix, p in self.heads[level].predict(vector, top):
                out.append({"prefix": prefix, "probability": round(p, 4), "level": level})
        return out


def build(
    object_vectors: np.ndarray, labels: list[str], mean: np.ndarray | None = None
) -> Semantic:
    """Centre (with `mean` if given, else the objects' own mean) and train the heads."""
    vectors = np.asarray(object_vectors, dtype=np.float32)
    if mean is None:
        mean = vectors.mean(axis=0) if len(vectors) else np.zeros(vectors.shape[-1], np.float32)
    x = centred(vectors, mean) if len(vectors) else vectors
    heads = {}
    for level in HEAD_LEVELS:
        head = train_head(x, labels, level)
        if head is not None:
            heads[level] = head
    return Semantic(mean.astype(np.float32), heads, trained_on=len(vectors))


def digest(sem: Semantic) -> str:
    """SHA-256 of the artefacts' content: the key of the in-memory cache (`load_cached`)."""
    h = hashlib.sha256(sem.mean.astype(np.float32).tobytes())
    for level in sorted(sem.heads):
        head = sem.heads[level]
        h.update(json.dumps([level, head.classes]).encode())
        h.update(head.weights.astype(np.float32).tobytes())
        h.update(head.bias.astype(np.float32).tobytes())
    return h.hexdigest()


def save(db, sem: Semantic) -> None:
    """Write the artefacts as one LanceDB table (replaced on each save), their digest in the
    first row's metadata."""
    rows = [
        {
            "kind": "mean",
            "meta": json.dumps({"trained_on": sem.trained_on, "digest": digest(sem)}),
            "data": sem.mean.astype(np.float32).tobytes(),
        }
    ]
    for level, head in sem.heads.items():
        rows.append(
            {
                "kind": f"head{level}",
                "meta": json.dumps(
                    {"level": level, "classes": head.classes, "dim": int(head.weights.shape[0])}
                ),
                "data": np.concatenate([head.weights.ravel(), head.bias])
                .astype(np.float32)
                .tobytes(),
            }
        )
    db.create_table(TABLE, data=rows, mode="overwrite")


def load(db, table=None) -> Semantic | None:
    if table is None:
        try:
            table = db.open_table(TABLE)
        except (FileNotFoundError, ValueError):
            return None
    mean = None
    heads = {}
    trained_on = 0
    for row in table.to_arrow().to_pylist():
        meta = json.loads(row["meta"])
        data = np.frombuffer(row["data"], dtype=np.float32)
        if row["kind"] == "mean":
            mean = data.copy()
            trained_on = int(meta.get("trained_on", 0))
        else:
            dim, classes = meta["dim"], meta["classes"]
            w = data[: dim * len(classes)].reshape(dim, len(classes))
            heads[meta["level"]] = Head(meta["level"], classes, w, data[dim * len(classes) :])
    if mean is None:
        return None
    return Semantic(mean, heads, trained_on)


_CACHE: dict[str, tuple[str, Semantic | None]] = {}  # index location -> (digest, artefacts)


def _stored_digest(table) -> str:
    """The digest written at index time (only the small metadata column is read); an index
    written before digests existed is keyed by its table version and row count."""
    rows = table.search().where("kind = 'mean'").select(["meta"]).limit(1).to_list()
    meta = json.loads(rows[0]["meta"]) if rows else {}
    return str(meta.get("digest") or f"version:{table.version}:{table.count_rows()}")


def load_cached(db, key: str) -> Semantic | None:
    """`load`, but the artefacts (about a megabyte) are read and decoded once per content: a
    search only reads their digest. Keyed by content, not by LanceDB version: a table
    re-created with mode="overwrite" may start its versions again."""
    try:
        table = db.open_table(TABLE)
    except (FileNotFoundError, ValueError):
        _CACHE.pop(key, None)
        return None
    stored = _stored_digest(table)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stored:
        return hit[1]
    sem = load(db, table)
    _CACHE[key] = (stored, sem)
    return sem
