"""Helpers shared by CLI commands: the app's engine, the acting user, errors, JSON output."""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app
from sqlmodel import Session
from tqdm import tqdm

from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.core.errors import DomainError
from procure.core.formatting import NumberError, parse_number


def engine():
    return current_app.extensions["procure.engine"]


@contextmanager
def cli_session() -> Iterator[Session]:
    with session_scope(engine()) as session:
        yield session


def operator() -> str:
    """Where a CLI action comes from, for the audit log: "cli:<OS user>" (the operator)."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        who = f"uid {os.getuid()}" if hasattr(os, "getuid") else "inconnu"
    return f"cli:{who}"[:64]


def resolve_actor(
    session: Session,
    email: str | None,
    *roles: str,
    approval: bool = False,
    confirmed: bool = False,
) -> Actor:
    """The user named by --as (checked for `roles`), or the system actor when none is named.

    --as is an operator's tool: it acts as the user without their password. Every event it
    writes records the operator's OS account ("cli:<user>") as its origin, and an approval
    (`approval=True`: clause approval or rejection, evaluation submission, final notes, lock,
    unlock) is refused unless the operator confirms with --confirm-as.
    """
    if not email:
        return Actor.system(operator())
    from procure.accounts.services import find_by_email

    user = find_by_email(session=session, email=email)
    if not user or not user.active:
        raise DomainError(f"Utilisateur inconnu ou désactivé : {email}.")
    if roles and not user.has_role(*roles):
        raise DomainError(f"{email} n'a pas le rôle requis ({', '.join(roles)}).", status=403)
    if approval and not confirmed:
        raise DomainError(
            f"Approbation au nom de {email} refusée sans confirmation : --as agit sans le mot de "
            "passe de cette personne. Ajoutez --confirm-as si elle vous l'a demandé ; votre "
            f"compte système ({operator()}) est inscrit au journal d'audit.",
            status=403,
        )
    return Actor.of(user, operator())


as_option = click.option(
    "--as",
    "as_email",
    envvar="PROCURE_USER",
    default=None,
    help="Adresse de l'utilisateur au nom duquel agir (ou PROCURE_USER) ; outil d'opérateur, "
    "sans mot de passe, journalisé avec votre compte système.",
)

confirm_as_option = click.option(
    "--confirm-as",
    "confirm_as",
    is_flag=True,
    help="Confirmer une approbation faite au nom de l'utilisateur --as.",
)


def fail(message: str, fields: dict | None = None, code: int = 1) -> None:
    click.echo(f"Erreur : {message}", err=True)
    for name, why in (fields or {}).items():
        click.echo(f"  - {name} : {why}", err=True)
    sys.exit(code)


def domain_errors(fn: Callable) -> Callable:
    """Print a domain error in French on stderr and exit 1, instead of a traceback."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            fail(exc.message, exc.fields)
        except Exception as exc:
            from procure.core.jobs import disk_full_message

            message = disk_full_message(exc)  # a full disk is the operator's to fix, in French
            if not message:
                raise
            fail(
                message.replace(
                    "la tâche n'a rien écrit, sa transaction",
                    "la commande n'a rien écrit, sa transaction",
                )
            )

    return wrapped


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def progress_bar(desc: str) -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """A tqdm bar fed by a job's progress(done, total, message); returns (hook, close)."""
    bar = tqdm(desc=desc, unit="élt", file=sys.stderr, dynamic_ncols=True)

    def hook(done: int, total: int, message: str = "") -> None:
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message[:40])
        bar.refresh()

    return hook, bar.close


def resources():
    """The app's shared resources (model provider, document store, settings), for inline jobs."""
    return current_app.extensions["procure.resources"]


class FrenchInteger(click.ParamType):
    """A whole number typed in French ("1 000 000", with any kind of space), read by the one parser."""

    name = "entier"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        try:
            return int(parse_number(value, integer=True))
        except NumberError as exc:
            self.fail(str(exc), param, ctx)


FRENCH_INT = FrenchInteger()
