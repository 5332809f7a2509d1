"""`procure users ...`: accounts from the command line."""

from __future__ import annotations

import getpass
import secrets

import click
from flask.cli import AppGroup

from procure.accounts import services as users
from procure.core.models import ROLES
from procure.web.cli_support import as_option, cli_session, domain_errors, echo_json, resolve_actor


@click.group("users", cls=AppGroup, help="Gérer les comptes.")
def group() -> None:
    pass


@group.command("create", help="Créer un compte (mot de passe demandé, ou généré avec --generate).")
@click.option("--email", required=True, help="Adresse électronique.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(list(ROLES)),
    help="Rôle (répétable).",
)
@click.option("--name", "full_name", default="", help="Nom complet.")
@click.option("--organisation", default="", help="Organisation (ministère, collectivité...).")
@click.option("--password", default=None, help="Mot de passe (sinon demandé ou généré).")
@click.option("--generate", is_flag=True, help="Générer un mot de passe et l'afficher.")
@as_option
@domain_errors
def create(email, roles, full_name, organisation, password, generate, as_email):
    if generate:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = getpass.getpass("Mot de passe : ")
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "admin")
        user = users.create_user(
            session=session,
            actor=actor,
            email=email,
            password=password,
            roles=list(roles),
            full_name=full_name,
            organisation=organisation,
        )
    click.echo(f"Compte créé : {user.email} ({', '.join(sorted(roles))})")
    if generate:
        click.echo(f"Mot de passe : {password}")


@group.command("list", help="Lister les comptes.")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json):
    with cli_session() as session:
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "roles": sorted(u.roles),
                "active": u.active,
                "organisation": u.organisation,
            }
            for u in users.list_users(session=session)
        ]
    if as_json:
        echo_json(rows)
    else:
        for r in rows:
            click.echo(
                f"{r['id']:>4}  {r['email']:<40} {','.join(r['roles']):<30} {'actif' if r['active'] else 'désactivé'}"
            )


def _account(session, email: str):
    user = users.find_by_email(session=session, email=email)
    if not user:
        raise users.NotFound(f"Aucun compte pour {email}.")
    return user


@group.command("deactivate", help="Désactiver un compte.")
@click.argument("email")
@as_option
@domain_errors
def deactivate(email, as_email):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "admin")
        user = _account(session, email)
        users.set_active(session=session, actor=actor, user_id=user.id, active=False)
    click.echo(f"Compte désactivé : {email}")


@group.command(
    "password",
    help="Changer le mot de passe d'un compte (demandé, ou généré avec --generate) ; "
    "toutes ses sessions ouvertes prennent fin.",
)
@click.argument("email")
@click.option("--generate", is_flag=True, help="Générer un mot de passe et l'afficher.")
@as_option
@domain_errors
def password(email, generate, as_email):
    new = secrets.token_urlsafe(12) if generate else getpass.getpass("Nouveau mot de passe : ")
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "admin")
        user = _account(session, email)
        users.set_password(session=session, actor=actor, user_id=user.id, password=new)
    click.echo(f"Mot de passe changé : {email} (sessions ouvertes fermées)")
    if generate:
        click.echo(f"Mot de passe : {new}")


GROUPS = [group]
