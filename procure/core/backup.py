"""`procure backup` and `procure restore`: a consistent copy of an instance, checked on the way back.

A backup is a folder:

- `database.sqlite` (SQLite online backup API: a consistent snapshot while the server writes) or
  `database.pgdump` (`pg_dump --format=custom`);
- `lancedb/` (the supplier index), `exports/` (exported documents), `uploads/` (imports not yet
  done), `secret_key` (the session signing key, when kept in the instance);
- `settings.json` (the instance's settings, without secrets) and `manifest.json`: format,
  Procure version, schema revision, row counts, and the size and SHA-256 of every file;
  `manifest.sha256` is the manifest's own checksum.

The database is copied first, then the files: exports are written before their row is
committed, so every document row of the snapshot has its file in the backup. The index may be a
little newer than the database; `procure index` brings it back in line after a restore.

`restore` checks every checksum and the schema revision before writing anything, and only
restores into an empty instance (no table rows, no exports, no index).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from procure.core.errors import ValidationError

FORMAT = "procure-backup"
FORMAT_VERSION = 1
FOLDERS = ("lancedb", "exports", "uploads")
SECRET_SETTINGS = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MODEL_URL")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from procure.migrations import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def _revision(engine: Engine) -> str | None:
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _row_counts(engine: Engine) -> dict[str, int]:
    from sqlmodel import SQLModel

    names = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in names:
                counts[table.name] = conn.execute(
                    text(f'SELECT count(*) FROM "{table.name}"')
                ).scalar_one()
    return counts


def _libpq(url: str) -> tuple[str, list[str]]:
    """A libpq URI for pg_dump/pg_restore, and the `-n schema` option a search_path implies."""
    parsed = make_url(url).set(drivername="postgresql")
    options = parsed.query.get("options", "")
    schema = []
    if isinstance(options, str) and "search_path=" in options:
        schema = ["--schema", options.split("search_path=", 1)[1].split()[0].split(",")[0]]
    return parsed.render_as_string(hide_password=False), schema


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)
    except FileNotFoundError as exc:
        raise ValidationError(
            f"{what} impossible : la commande {cmd[0]} est introuvable (installez postgresql-client)."
        ) from exc
    if done.returncode != 0:
        raise ValidationError(f"{what} impossible : {done.stderr.strip()[:500]}")


def _copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.part"))


def _space_error(exc: OSError, where: Path) -> ValidationError:
    return ValidationError(
        f"Écriture impossible dans {where} : {os.strerror(exc.errno or 0) or exc} "
        "(disque plein ou protégé ?) ; rien n'a été gardé de cette sauvegarde."
    )


def backup(*, settings: dict[str, Any], engine: Engine, dest: Path) -> dict[str, Any]:
    """Write a backup of the instance into `dest` (a new or empty folder); return its manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ValidationError(
            f"Le dossier de sauvegarde {dest} n'est pas vide : choisissez un nouveau dossier.",
            fields={"PATH": "dossier non vide"},
        )
    work = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        manifest = _write_backup(settings, engine, work)
        if dest.exists():
            dest.rmdir()
        work.rename(dest)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise _space_error(exc, dest) from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _write_backup(settings: dict[str, Any], engine: Engine, work: Path) -> dict[str, Any]:
    from procure import __version__

    backend = engine.dialect.name
    url = settings["DATABASE_URL"]
    if backend == "sqlite":
        db_file = "database.sqlite"
        source = sqlite3.connect(make_url(url).database or "")
        target = sqlite3.connect(work / db_file)
        try:
            with target:
                source.backup(target)  # the online backup API: one consistent snapshot
        finally:
            target.close()
            source.close()
    elif backend == "postgresql":
        db_file = "database.pgdump"
        uri, schema = _libpq(url)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-acl",
                *schema,
                "-f",
                str(work / db_file),
                uri,
            ],
            "Sauvegarde PostgreSQL",
        )
    else:
        raise ValidationError(f"Base {backend} non prise en charge par la sauvegarde.")
    # The snapshot is taken: its revision and counts describe it (later writes are not in it).
    revision, counts = _snapshot_facts(work / db_file, backend, engine)
    instance = Path(settings["INSTANCE_PATH"])
    sources = {
        "lancedb": Path(settings["LANCEDB_URI"]),
        "exports": Path(settings["EXPORT_PATH"]),
        "uploads": instance / "uploads",
    }
    for name in FOLDERS:
        if "://" not in str(sources[name]):
            _copy_tree(sources[name], work / name)
    secret_in_instance = (instance / "secret_key").is_file()
    if secret_in_instance:
        shutil.copy2(instance / "secret_key", work / "secret_key")
    public = {
        k: v
        for k, v in settings.items()
        if k.isupper() and k not in SECRET_SETTINGS and isinstance(v, str | int | float | bool)
    }
    (work / "settings.json").write_text(json.dumps(public, indent=2, ensure_ascii=False))
    files = {
        str(p.relative_to(work)): {"sha256": _sha256(p), "size": p.stat().st_size}
        for p in sorted(work.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "procure_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"backend": backend, "file": db_file, "revision": revision, "rows": counts},
        "secret_key": "instance" if secret_in_instance else "environment",
        "files": files,
    }
    body = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True)
    (work / "manifest.json").write_text(body)
    (work / "manifest.sha256").write_text(hashlib.sha256(body.encode()).hexdigest() + "\n")
    return manifest


def _snapshot_facts(db_path: Path, backend: str, engine: Engine) -> tuple[str | None, dict]:
    if backend == "sqlite":
        from procure.core.db import make_engine

        snap = make_engine(f"sqlite:///{db_path}")
        try:
            return _revision(snap), _row_counts(snap)
        finally:
            snap.dispose()
    # pg_dump's snapshot is its own transaction; the live counts are only indicative.
    return _revision(engine), {}


def read_manifest(src: Path) -> dict[str, Any]:
    """The backup's manifest, after checking it and every file against their checksums."""
    src = Path(src)
    manifest_path, sum_path = src / "manifest.json", src / "manifest.sha256"
    if not manifest_path.is_file() or not sum_path.is_file():
        raise ValidationError(
            f"{src} n'est pas une sauvegarde Procure (manifest.json ou manifest.sha256 absent).",
            fields={"PATH": "manifeste absent"},
        )
    body = manifest_path.read_bytes()
    if hashlib.sha256(body).hexdigest() != sum_path.read_text().strip():
        raise ValidationError(
            "Sauvegarde endommagée : manifest.json ne correspond pas à son empreinte "
            "(manifest.sha256).",
            fields={"manifest.json": "empreinte différente"},
        )
    try:
        manifest = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"Sauvegarde endommagée : manifest.json illisible ({exc}).") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            f"Format de sauvegarde non pris en charge : {manifest.get('format')} "
            f"v{manifest.get('format_version')} (attendu {FORMAT} v{FORMAT_VERSION})."
        )
    bad = {}
    for name, meta in manifest["files"].items():
        path = src / name
        if not path.is_file():
            bad[name] = "fichier absent"
        elif path.stat().st_size != meta["size"] or _sha256(path) != meta["sha256"]:
            bad[name] = "contenu différent de l'empreinte enregistrée"
    if bad:
        first = ", ".join(list(bad)[:5])
        raise ValidationError(
            f"Sauvegarde endommagée : {len(bad)} fichier(s) ne correspondent pas au manifeste "
            f"({first}). Rien n'a été restauré.",
            fields=bad,
        )
    return manifest


def _instance_content(settings: dict[str, Any], engine: Engine) -> list[str]:
    """What makes the target instance not empty (rows, exports, index), in French."""
    found = [f"{n} ligne(s) dans {t}" for t, n in _row_counts(engine).items() if n]
    for label, path in (
        ("documents exportés", Path(settings["EXPORT_PATH"])),
        ("index LanceDB", Path(settings["LANCEDB_URI"])),
    ):
        if path.is_dir() and any(p.is_file() for p in path.rglob("*")):
            found.append(f"{label} dans {path}")
    return found


def restore(*, settings: dict[str, Any], engine: Engine, src: Path) -> dict[str, Any]:
    """Restore the backup `src` into this (empty) instance; refuse a damaged or mismatched one."""
    src = Path(src)
    manifest = read_manifest(src)
    db = manifest["database"]
    backend = engine.dialect.name
    if db["backend"] != backend:
        raise ValidationError(
            f"Sauvegarde d'une base {db['backend']}, instance cible sur {backend} : "
            "restaurez dans une instance du même type."
        )
    expected = head_revision()
    if db.get("revision") and db["revision"] != expected:
        raise ValidationError(
            f"Sauvegarde d'une autre version du schéma ({db['revision']}) : cette version de "
            f"Procure attend {expected}. Restaurez avec la version de Procure qui l'a faite "
            f"({manifest.get('procure_version')}), puis mettez à jour (procure db upgrade)."
        )
    busy = _instance_content(settings, engine)
    if busy:
        raise ValidationError(
            "L'instance cible n'est pas vide : " + " ; ".join(busy[:5]) + ". "
            "Restaurez dans une instance neuve (base vide, sans exports ni index).",
            fields={"instance": "non vide"},
        )
    engine.dispose()
    url = settings["DATABASE_URL"]
    if backend == "sqlite":
        target = Path(make_url(url).database or "")
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(src / db["file"])
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        uri, schema = _libpq(url)
        if schema:  # an empty schema made by `procure db upgrade` or create_all: drop its tables
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema[1]}" CASCADE'))
        else:
            _drop_all(engine)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "-d",
                uri,
                str(src / db["file"]),
            ],
            "Restauration PostgreSQL",
        )
    instance = Path(settings["INSTANCE_PATH"])
    targets = {
        "lancedb": Path(settings["LANCEDB_URI"]),
        "exports": Path(settings["EXPORT_PATH"]),
        "uploads": instance / "uploads",
    }
    for name in FOLDERS:
        if (src / name).is_dir():
            shutil.rmtree(targets[name], ignore_errors=True)
            shutil.copytree(src / name, targets[name])
    if (src / "secret_key").is_file():
        shutil.copy2(src / "secret_key", instance / "secret_key")
        (instance / "secret_key").chmod(0o600)
    shutil.copy2(src / "settings.json", instance / "restored-settings.json")
    _record_restore(url, manifest, src)
    return manifest


def _record_restore(url: str, manifest: dict[str, Any], src: Path) -> None:
    from procure.core import audit
    from procure.core.audit import Actor
    from procure.core.db import make_engine, session_scope

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            audit.record(
                session,
                Actor.system(),
                "instance.restore",
                record_type="backup",
                record_id=src.name[:80],
                details={
                    "created_at": manifest["created_at"],
                    "procure_version": manifest["procure_version"],
                    "revision": manifest["database"].get("revision"),
                    "files": len(manifest["files"]),
                },
            )
            session.commit()
    finally:
        engine.dispose()


def _drop_all(engine: Engine) -> None:
    from sqlmodel import SQLModel

    with engine.begin() as conn:
        SQLModel.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if engine.dialect.name == "postgresql":
            # The trigger functions of the migrations outlive their tables; the dump creates them
            # again and pg_restore stops on "already exists" (found by the PostgreSQL test).
            found = conn.execute(
                text(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = current_schema() AND p.prorettype = 'trigger'::regtype"
                )
            ).scalars()
            for function in list(found):
                conn.execute(text(f"DROP FUNCTION IF EXISTS {function}"))
