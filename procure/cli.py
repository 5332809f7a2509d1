"""The `procure` command: every operation of Procure, calling the same services as the web app."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup

from procure.app import create_app
from procure.web import cli_support as common


def _create_app():
    return create_app()


def _recover_exports() -> None:
    """Quarantine the export files left without their row by a killed process (issue 15)."""
    from procure.tenders.services import recover_exports

    moved = recover_exports(
        current_app.extensions["procure.engine"], current_app.extensions["procure.documents"]
    )
    if moved:
        click.echo(
            f"{len(moved)} fichier(s) d'export sans ligne (arrêt brutal pendant un export) "
            "mis en quarantaine : " + ", ".join(moved),
            err=True,
        )


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    help="Procure : assistant d'achat public de systèmes d'IA.",
)
def main() -> None:
    pass


@main.group("db", help="Base de données.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Appliquer les migrations (crée la base au besoin).")
def db_upgrade() -> None:
    from procure.migrations import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("Base de données à jour.")


@main.command("demo", help="Charger les données de démonstration (sans effet si déjà chargées).")
def demo() -> None:
    from procure.accounts.demo import DEMO_USERS
    from procure.rooms import load_demo

    load_demo(common.engine(), echo=click.echo)
    click.echo("\nComptes de démonstration (adresse / mot de passe / rôles) :")
    for _key, email, password, roles, _name in DEMO_USERS:
        click.echo(f"  {email:<32} {password:<24} {', '.join(roles)}")


@main.command(
    "serve", help="Servir l'application (et exécuter les tâches, sauf PROCURE_JOBS_INPROCESS=0)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, envvar="PORT", type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    from procure.web.serving import serve as serve_app

    app = current_app._get_current_object()
    _recover_exports()
    app.extensions["procure.model"].warm()  # no cold start: the first search is not slower
    serve_app(app, host=host, port=port, threads=threads, echo=click.echo)


@main.command(
    "worker", help="Exécuter les tâches de fond (avec PROCURE_REDIS_URL, sur plusieurs machines)."
)
@click.option("--workers", default=2, show_default=True, type=int)
def worker(workers: int) -> None:
    from procure.core.jobs import recover_interrupted

    recover_interrupted(current_app.extensions["procure.engine"])
    _recover_exports()
    current_app.extensions["procure.jobs"].run_consumer(workers)


@main.command(
    "backup", help="Sauvegarder l'instance (base, index, exports, clé) dans le dossier PATH."
)
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@common.domain_errors
def backup_command(path: Path) -> None:
    from procure.core.backup import backup

    app = current_app._get_current_object()
    manifest = backup(settings=dict(app.config), engine=common.engine(), dest=path)
    rows = sum(manifest["database"]["rows"].values())
    click.echo(
        f"Sauvegarde écrite dans {path} : base {manifest['database']['backend']}"
        + (f" ({rows} lignes)" if rows else "")
        + f", {len(manifest['files'])} fichiers vérifiables (manifest.json)."
    )


@main.command("restore", help="Restaurer la sauvegarde PATH dans cette instance (vide).")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@common.domain_errors
def restore_command(path: Path) -> None:
    from procure.core.backup import restore

    app = current_app._get_current_object()
    manifest = restore(settings=dict(app.config), engine=common.engine(), src=path)
    click.echo(
        f"Sauvegarde du {manifest['created_at']} restaurée ({len(manifest['files'])} fichiers "
        "vérifiés). Mettez l'index à jour : procure index."
    )


@main.group("jobs", help="Tâches de fond : lister, relancer une tâche interrompue ou échouée.")
def jobs_group() -> None:
    pass


@jobs_group.command("list", help="Les dernières tâches et leur état.")
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True)
def jobs_list(limit: int, as_json: bool) -> None:
    from procure.core import jobs
    from procure.core.labels import STATUS_LABELS

    jobs.recover_interrupted(common.engine())
    _recover_exports()
    with common.cli_session() as session:
        rows = [jobs.job_summary(j) for j in jobs.recent_jobs(session=session, limit=limit)]
    if as_json:
        common.echo_json(rows)
        return
    for row in rows:
        status = STATUS_LABELS.get(row["status"], row["status"])
        click.echo(f"{row['id']:>6}  {status:<12} {row['kind']:<18} {row['message']}")


@jobs_group.command("rerun", help="Relancer maintenant (dans ce processus) une tâche JOB_ID.")
@click.argument("job_id", type=int)
@common.as_option
@common.domain_errors
def jobs_rerun(job_id: int, as_email: str | None) -> None:
    from procure.core import jobs

    jobs.recover_interrupted(common.engine())
    _recover_exports()
    with common.cli_session() as session:
        actor = common.resolve_actor(session, as_email)
        job = jobs.rerun_job(session=session, queue=None, actor=actor, job_id=job_id)
    assert job.id is not None
    done = jobs.run_job(common.engine(), job.id, common.resources())
    label = "terminée" if done.status == "done" else f"{done.status} : {done.message}"
    click.echo(f"Tâche {job_id} relancée (tâche {done.id}) : {label}")
    if done.status != "done":
        raise SystemExit(1)


@main.command("model", help="Décrire le modèle configuré (nom, empreinte du fichier).")
def model_info() -> None:
    common.echo_json(current_app.extensions["procure.model"].describe(load=True))


def _register_groups() -> None:
    from procure import rooms

    for group in rooms.command_groups():
        main.add_command(group)


_register_groups()
