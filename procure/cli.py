"""The `procure` command: every operation of Procure, calling the same services as the web app."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup

from procure.app import create_app
from procure.web import cli_support as common


def _create_app():
    return create_app()


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
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()
    if app.config["JOBS_INPROCESS"]:
        app.extensions["procure.jobs"].start_consumer()
    app.extensions["procure.model"].warm()  # no cold start: the first search is not slower
    click.echo(f"Procure est servi sur http://{host}:{port} (Ctrl+C pour arrêter)")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.command(
    "worker", help="Exécuter les tâches de fond (avec PROCURE_REDIS_URL, sur plusieurs machines)."
)
@click.option("--workers", default=2, show_default=True, type=int)
def worker(workers: int) -> None:
    current_app.extensions["procure.jobs"].run_consumer(workers)


@main.command("model", help="Décrire le modèle configuré (nom, empreinte du fichier).")
def model_info() -> None:
    common.echo_json(current_app.extensions["procure.model"].describe(load=True))


def _register_groups() -> None:
    from procure import rooms

    for group in rooms.command_groups():
        main.add_command(group)


_register_groups()
