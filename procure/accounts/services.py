"""Accounts: create, authenticate, change roles, deactivate."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, NotFound, ValidationError
from procure.core.models import ROLES, User, UserRole

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


def _check(email: str, roles: list[str], password: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(email or ""):
        errors["email"] = "Adresse électronique invalide."
    if not roles:
        errors["roles"] = "Choisissez au moins un rôle."
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        errors["roles"] = (
            f"Rôle inconnu : {', '.join(unknown)} (rôles possibles : {', '.join(ROLES)})."
        )
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères."
    return errors


def create_user(
    *,
    session: Session,
    actor: Actor,
    email: str,
    password: str,
    roles: list[str],
    full_name: str = "",
    organisation: str = "",
) -> User:
    """Create an active user with hashed password; refuses bad fields and duplicate emails."""
    email = (email or "").strip().lower()
    errors = _check(email, roles, password)
    if errors:
        raise ValidationError(
            "Le compte n'a pas été créé : corrigez les champs signalés.", fields=errors
        )
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(
            f"Un compte existe déjà pour {email}.", fields={"email": "Adresse déjà utilisée."}
        )
    user = User(
        email=email,
        full_name=full_name.strip(),
        organisation=organisation.strip(),
        password_hash=generate_password_hash(password),
    )
    user.role_links = _role_links(roles)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        record_type="user",
        record_id=user.id,
        details={"email": email, "roles": sorted(set(roles)), "organisation": user.organisation},
    )
    session.commit()
    return user


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if not user:
        raise NotFound("Utilisateur introuvable.")
    return user


def find_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == (email or "").strip().lower())).first()


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.email)).all())


def users_with_role(*, session: Session, role: str) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role, User.active)
            .order_by(User.email)
        ).all()
    )


def authenticate(
    *, session: Session, email: str, password: str, client_addr: str = ""
) -> User | None:
    """Return the user if the password matches an active account; log failed attempts."""
    user = find_by_email(session=session, email=email)
    if user and user.active and check_password_hash(user.password_hash, password or ""):
        audit.record(
            session,
            Actor.of(user, client_addr),
            "auth.login",
            record_type="user",
            record_id=user.id,
        )
        session.commit()
        return user
    audit.record(
        session,
        Actor(None, (email or "").strip().lower()[:254], client_addr),
        "auth.login_failed",
        record_type="user",
        record_id=user.id if user else "",
        details={
            "reason": "compte désactivé" if user and not user.active else "identifiants invalides"
        },
    )
    session.commit()
    return None


def record_logout(*, session: Session, actor: Actor) -> None:
    audit.record(session, actor, "auth.logout", record_type="user", record_id=actor.user_id)
    session.commit()


def set_roles(*, session: Session, actor: Actor, user_id: int, roles: list[str]) -> User:
    user = get_user(session=session, user_id=user_id)
    errors = _check(user.email, roles, None)
    if errors:
        raise ValidationError("Rôles invalides.", fields=errors)
    before = sorted(user.roles)
    user.role_links = _role_links(roles)
    session.add(user)
    audit.record(
        session,
        actor,
        "user.roles",
        record_type="user",
        record_id=user.id,
        details={"before": before, "after": sorted(set(roles))},
    )
    session.commit()
    return user


def set_active(*, session: Session, actor: Actor, user_id: int, active: bool) -> User:
    """Activate or deactivate an account; an admin cannot deactivate their own."""
    user = get_user(session=session, user_id=user_id)
    if not active and user.id == actor.user_id:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    if user.active != active:
        user.active = active
        session.add(user)
        audit.record(
            session,
            actor,
            "user.activate" if active else "user.deactivate",
            record_type="user",
            record_id=user.id,
            details={"email": user.email},
        )
        session.commit()
    return user


def _role_links(roles: list[str]) -> list[UserRole]:
    # user_id is filled by the relationship when the user is flushed.
    return [UserRole(role=r) for r in sorted(set(roles))]  # type: ignore[call-arg]
