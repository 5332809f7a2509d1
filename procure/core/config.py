"""Configuration from PROCURE_* environment variables, with defaults that need nothing else."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
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
    "SECURE_COOKIES": "1 : cookies de session `Secure` et en-tête HSTS, pour un service en HTTPS ; défaut 0",
    "PROXY_FIX": "Nombre de mandataires inverses de confiance devant Procure (X-Forwarded-For, -Proto, -Host) ; défaut 0 : ces en-têtes sont ignorés",
    "SESSION_HOURS": "Durée maximale d'une session, en heures, quelle que soit l'activité ; défaut 12",
    "SESSION_IDLE_MINUTES": "Fin de session après cette inactivité, en minutes ; défaut 120",
    "LOGIN_MAX_FAILURES": "Échecs de connexion tolérés sur un compte avant un blocage temporaire ; défaut 5",
    "LOGIN_MAX_FAILURES_ADDR": "Échecs de connexion tolérés depuis une même adresse avant un blocage temporaire ; défaut 20",
    "LOGIN_LOCK_SECONDS": "Durée du premier blocage, en secondes, doublée à chaque récidive (au plus une heure) ; défaut 60",
    "MODEL_TIMEOUT": "Attente maximale d'une réponse du serveur de modèle, en secondes ; défaut 30",
}


def _flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.lower() not in ("0", "false", "no", "non")


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
        "SECURE_COOKIES": _flag(_env("SECURE_COOKIES"), False),
        "PROXY_FIX": int(_env("PROXY_FIX") or 0),
        "SESSION_HOURS": float(_env("SESSION_HOURS") or 12),
        "SESSION_IDLE_MINUTES": float(_env("SESSION_IDLE_MINUTES") or 120),
        "LOGIN_MAX_FAILURES": int(_env("LOGIN_MAX_FAILURES") or 5),
        "LOGIN_MAX_FAILURES_ADDR": int(_env("LOGIN_MAX_FAILURES_ADDR") or 20),
        "LOGIN_LOCK_SECONDS": int(_env("LOGIN_LOCK_SECONDS") or 60),
    }
    cfg.update(overrides)
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _instance_secret(instance)
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_MB"] * 1024 * 1024
    # Flask's own cookie settings follow ours (set, not setdefault: Flask defines these keys).
    cfg.setdefault("SESSION_COOKIE_HTTPONLY", True)
    cfg.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    cfg.setdefault("SESSION_COOKIE_SECURE", bool(cfg["SECURE_COOKIES"]))
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=float(cfg["SESSION_HOURS"])))
    Path(cfg["EXPORT_PATH"]).mkdir(parents=True, exist_ok=True)
    return cfg


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, creating it once with owner-only permissions."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
