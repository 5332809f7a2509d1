"""`procure clauses ...`: the clause library from the command line (same services as the UI)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from procure.clause_library import services as service
from procure.web.cli_support import (
    as_option,
    cli_session,
    confirm_as_option,
    domain_errors,
    echo_json,
    resolve_actor,
)


@click.group("clauses", cls=AppGroup, help="Gérer la bibliothèque de clauses types.")
def group() -> None:
    pass


@group.command(
    "sync",
    help="Importer un dossier de clauses (par défaut : clauses/) ; un fichier nouveau "
    "ou modifié devient un brouillon. Code de sortie 1 si un fichier est refusé.",
)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Rapport en JSON.")
@as_option
@domain_errors
def sync(directory, as_json, as_email):
    from procure.core.resources import resource_dir

    directory = directory or resource_dir("clauses")
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "legal")
        report = service.sync_directory(session=session, actor=actor, directory=directory)
    if as_json:
        echo_json(report.as_dict())
    else:
        for key, number in report.created:
            click.echo(f"brouillon créé   {key} (version {number})")
        click.echo(
            f"{len(report.created)} brouillon(s) créé(s), {len(report.unchanged)} clause(s) inchangée(s), "
            f"{len({e.file for e in report.errors})} fichier(s) refusé(s)."
        )
    for error in report.errors:
        click.echo(f"Refusé : {error}", err=True)
    if report.errors:
        sys.exit(1)


@group.command(
    "lint",
    help="Relire un dossier de clauses (par défaut : clauses/) avec les contrôles automatiques "
    "de la liste de relecture : articles du CCAG-TIC, dérogations, dépendances, variables, "
    "délais et conséquences, règles de droit. Code de sortie 1 au moindre constat.",
)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Constats en JSON.")
def lint(directory, as_json):
    from procure.core.resources import resource_dir

    directory = directory or resource_dir("clauses")
    if not directory.is_dir():
        click.echo(f"Dossier introuvable : {directory}.", err=True)
        sys.exit(1)
    report = service.lint_directory(directory)
    if as_json:
        echo_json(report.as_dict())
    else:
        for finding in report.findings:
            click.echo(str(finding))
        click.echo(
            f"{report.files} fichier(s) relu(s), {len(report.findings)} constat(s) "
            f"dans {len(report.refused_files())} fichier(s)."
        )
    if report.findings:
        sys.exit(1)


@group.command(
    "export",
    help="Écrire la dernière version approuvée de chaque clause dans DIR/<famille>/<nom>.md.",
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@domain_errors
def export(directory):
    with cli_session() as session:
        written = service.export_library(session=session, directory=directory)
    click.echo(f"{len(written)} clause(s) exportée(s) dans {directory}.")


@group.command("list", help="Lister les clauses (dernière version de chacune).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--q", "query", default="", help="Recherche plein texte.")
@click.option("--family", default="", help="Famille.")
@click.option(
    "--status", default="", help="Statut : draft, in_review, approved, deprecated, rejected."
)
@click.option("--piece", default="", help="Pièce : RC, CCAP, CCTP.")
@domain_errors
def list_(as_json, query, family, status, piece):
    with cli_session() as session:
        rows = service.list_library(
            session=session, q=query, family=family, status=status, piece=piece
        )
        data = [
            {
                **service.version_summary(r.clause, r.version),
                "approved_version": r.approved.number if r.approved else None,
            }
            for r in rows
        ]
    if as_json:
        echo_json(data)
        return
    for row in data:
        approved = (
            f"approuvée v{row['approved_version']}" if row["approved_version"] else "non approuvée"
        )
        click.echo(
            f"{row['key']:<55} v{row['version']:<3} {service.STATUS_LABELS[row['status']]:<13} "
            f"{approved:<16} {row['title']}"
        )


def _find(session, key: str, version: int | None):
    return service.get_version_by_number(session=session, key=key, number=version)


@group.command("show", help="Afficher une clause : la dernière version approuvée, ou --version N.")
@click.argument("key")
@click.option("--version", "number", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def show(key, number, as_json):
    with cli_session() as session:
        clause, version = _find(session, key, number)
        data = {
            **service.version_summary(clause, version),
            "summary": version.summary,
            "body": version.body,
            "change_note": version.change_note,
        }
        blocks = service.render_version(version)
    if as_json:
        echo_json(data)
        return
    click.echo(
        f"{data['title']} ({key}, version {data['version']}, {service.STATUS_LABELS[data['status']]})\n"
    )
    for kind, text in blocks:
        click.echo(("  - " if kind == "li" else "") + text + ("" if kind == "li" else "\n"))


def _review_command(name: str, help_text: str):
    def decorator(fn):
        fn = domain_errors(fn)
        fn = as_option(fn)
        fn = click.option(
            "--version", "number", type=int, required=True, help="Numéro de version."
        )(fn)
        fn = click.argument("key")(fn)
        return group.command(name, help=help_text)(fn)

    return decorator


def _review(
    key: str, number: int, as_email: str | None, action: str, confirmed: bool = False, **options
) -> None:
    with cli_session() as session:
        actor = resolve_actor(
            session,
            as_email,
            "legal",
            approval=action in ("approve", "reject"),
            confirmed=confirmed,
        )
        service.review_version(
            session=session, actor=actor, key=key, number=number, action=action, **options
        )


@_review_command("submit", "Soumettre un brouillon à relecture.")
def submit(key, number, as_email):
    _review(key, number, as_email, "submit")
    click.echo(f"{key} v{number} soumise à relecture.")


@_review_command("approve", "Approuver une version en relecture (un autre juriste que l'auteur).")
@click.option("--comment", default="", help="Commentaire.")
@confirm_as_option
def approve(key, number, as_email, comment, confirm_as):
    _review(key, number, as_email, "approve", confirm_as, comment=comment)
    click.echo(f"{key} v{number} approuvée.")


@_review_command("reject", "Rejeter une version en relecture (commentaire obligatoire).")
@click.option("--comment", default="", help="Motif du rejet (obligatoire).")
@confirm_as_option
def reject(key, number, as_email, comment, confirm_as):
    _review(key, number, as_email, "reject", confirm_as, comment=comment)
    click.echo(f"{key} v{number} rejetée.")


@_review_command("deprecate", "Retirer une version approuvée en disant laquelle la remplace.")
@click.option(
    "--replaced-by",
    "replaced_by",
    type=int,
    default=None,
    help="Numéro de la version qui la remplace.",
)
@click.option("--comment", default="", help="Motif (obligatoire sans remplacement).")
def deprecate(key, number, as_email, replaced_by, comment):
    _review(key, number, as_email, "deprecate", comment=comment, replaced_by=replaced_by)
    click.echo(
        f"{key} v{number} retirée"
        + (f", remplacée par la version {replaced_by}." if replaced_by else ".")
    )


@group.command("compare", help="Comparer deux versions d'une clause mot à mot.")
@click.argument("key")
@click.argument("a", type=int)
@click.argument("b", type=int)
@domain_errors
def compare(key, a, b):
    with cli_session() as session:
        va, vb = _find(session, key, a)[1], _find(session, key, b)[1]
        diff = service.compare(session=session, a_id=va.id, b_id=vb.id)
    if diff["same"]:
        click.echo("Les deux versions ont le même contenu.")
        return
    for part in ("title", "header", "body"):
        for op, text in diff[part]:
            click.echo(
                {"equal": text, "insert": f"[+{text}+]", "delete": f"[-{text}-]"}[op], nl=False
            )
        click.echo("\n")


GROUPS = [group]
