"""Configuration from PROCURE_* environment variables, with defaults that need nothing else."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Every setting Procure reads, with its default and meaning; the docs list the same table.
SETTINGS: dict[str, str] = {
    "INSTANCE_PATH": "Dossier de l'instance (base, index, modèle, exports) ; défaut ./instance",
    "DATABASE_URL": "URL SQLAlchemy de la base ; défaut SQLite dans l'instance",
    "LANCEDB_URI": "Emplacement LanceDB (dossier ou s3://...) ; défaut <instance>/lancedb",
    "MODEL_PATH": "Fichier GGUF du modèle local ; défaut Gemma 3 270M assemblé dans l'instance",
    "MODEL_URL": "URL d'un serveur compatible OpenAI, à la place du modèle local",
    "MODEL_NAME": "Nom du modèle demandé au serveur compatible OpenAI",
    "SECRET_KEY": "Clé de signature des sessions ; défaut générée et gardée dans l'instance",
    "REDIS_URL": "URL Redis pour la file de tâches ; défaut file SQLite dans l'instance",
    "MAX_UPLOAD_MB": "Taille maximale d'un fichier envoyé, en Mo ; défaut 50",
    "JOBS_INPROCESS": "1 : le serveur web exécute aussi les tâches (défaut) ; 0 : lancer `procure worker`",
    "MODEL_THREADS": "Nombre de fils d'exécution du modèle ; défaut : tous les cœurs",
    "MODEL_TIMEOUT": "Attente maximale d'une réponse du serveur de modèle, en secondes ; défaut 30",
}


def _env(name: str) -> str | None:
    value = os.environ.get(f"PROCURE_{name}")
    return value if value not in (None, "") else None


def load_settings(overrides: dict | None = None) -> dict:
    """Return the app settings: defaults, then PROCURE_* variables, then explicit overrides."""
    overrides = dict(overrides or {})
    instance = Path(
        overrides.get("INSTANCE_PATH") or _env("INSTANCE_PATH") or Path.cwd() / "instance"
    ).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    cfg: dict = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": _env("DATABASE_URL") or f"sqlite:///{instance / 'procure.db'}",
        "LANCEDB_URI": _env("LANCEDB_URI") or str(instance / "lancedb"),
        "MODEL_PATH": _env("MODEL_PATH"),
        "MODEL_URL": _env("MODEL_URL"),
        "MODEL_NAME": _env("MODEL_NAME"),
        "MODEL_THREADS": int(_env("MODEL_THREADS") or 0) or None,
        "MODEL_TIMEOUT": float(_env("MODEL_TIMEOUT") or 30),
        "REDIS_URL": _env("REDIS_URL"),
        "MAX_UPLOAD_MB": int(_env("MAX_UPLOAD_MB") or 50),
        "JOBS_INPROCESS": (_env("JOBS_INPROCESS") or "1") not in ("0", "false", "no"),
        "SECRET_KEY": _env("SECRET_KEY"),
        "EXPORT_PATH": str(instance / "exports"),
    }
    cfg.update(overrides)
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _instance_secret(instance)
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_MB"] * 1024 * 1024
    Path(cfg["EXPORT_PATH"]).mkdir(parents=True, exist_ok=True)
    return cfg


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, creating it once with owner-only permissions."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
