"""Accounts: create, authenticate (throttled), sessions, passwords, roles, deactivation."""

from __future__ import annotations

import re
import secrets

from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from procure.accounts import sessions, throttle
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, DomainError, NotFound, ValidationError
from procure.core.formatting import format_number
from procure.core.models import ROLES, User, UserRole, utcnow

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


class TooManyAttempts(DomainError):
    """Logins refused for a while on this account or from this address."""

    status = 429


# Checked against when the account is unknown or inactive, so every refusal costs one hash
# check, like a wrong password: the time taken does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def authenticate(
    *,
    session: Session,
    email: str,
    password: str,
    client_addr: str = "",
    limits: throttle.Limits | None = None,
) -> User | None:
    """Return the user if the password matches an active account; count and log failures.

    Refused with `TooManyAttempts` (before any password check) while the account or the address
    is locked. Failures reach the audit log aggregated: the first of a window and each lock.
    """
    limits = limits or throttle.Limits()
    email = (email or "").strip().lower()[:254]
    until = throttle.locked_until(session=session, email=email, client_addr=client_addr)
    if until is not None:
        wait = max(1, int((until - utcnow()).total_seconds()))
        raise TooManyAttempts(
            "Trop de tentatives de connexion : réessayez dans "
            f"{format_number(wait, 0)} seconde{'s' if wait > 1 else ''}."
        )
    user = find_by_email(session=session, email=email)
    known = user is not None and user.active
    matches = check_password_hash(
        user.password_hash if known and user else _DUMMY_HASH, password or ""
    )
    if known and matches and user is not None:
        throttle.record_success(session=session, email=email)
        audit.record(
            session,
            Actor.of(user, client_addr),
            "auth.login",
            record_type="user",
            record_id=user.id,
        )
        session.commit()
        return user
    reason = "compte désactivé" if user and not user.active else "identifiants invalides"
    news = throttle.record_failure(
        session=session, email=email, client_addr=client_addr, limits=limits
    )
    if news:  # aggregated: the first failure of a window, and each lock, not every attempt
        locks = {n["kind"]: n["locked_until"].isoformat() for n in news if n["locked_until"]}
        audit.record(
            session,
            Actor(None, email, client_addr),
            "auth.login_throttled" if locks else "auth.login_failed",
            record_type="user",
            record_id=user.id if user else "",
            details={
                "reason": reason,
                "failures": {n["kind"]: n["failures"] for n in news},
                **({"locked_until": locks} if locks else {}),
            },
        )
    session.commit()
    return None


def login_session(*, session: Session, user: User, client_addr: str = "") -> str:
    """Open a revocable session for a user who just authenticated; the cookie's token."""
    token = sessions.start(session=session, user=user, client_addr=client_addr)
    session.commit()
    return token


def set_password(*, session: Session, actor: Actor, user_id: int, password: str) -> User:
    """Change a password; every open session of the account ends."""
    user = get_user(session=session, user_id=user_id)
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(
            "Mot de passe trop court.",
            fields={"password": f"Au moins {MIN_PASSWORD} caractères."},
        )
    user.password_hash = generate_password_hash(password)
    session.add(user)
    ended = sessions.revoke_all(session=session, user_id=user_id)
    audit.record(
        session,
        actor,
        "user.password",
        record_type="user",
        record_id=user.id,
        details={"email": user.email, "sessions_ended": ended},
    )
    session.commit()
    return user


def record_logout(*, session: Session, actor: Actor, token: str | None = None) -> None:
    """End the session of `token` and log the logout."""
    sessions.revoke(session=session, token=token)
    audit.record(session, actor, "auth.logout", record_type="user", record_id=actor.user_id)
    session.commit()


class LastActiveAdmin(DomainError):
    """The instance would be left with no active administrator."""

    status = 409


LAST_ADMIN = (
    "{email} est le dernier administrateur actif : nommez d'abord un autre administrateur, "
    "sinon plus personne ne pourrait gérer les comptes."
)
OWN_ACCOUNT = "Vous ne pouvez pas désactiver votre propre compte."


def _other_active_admins(session: Session, user_id: int | None) -> int:
    """Active administrators other than `user_id`. Every active admin's row stays locked until
    the commit (PostgreSQL), taken in id order: two admins deactivating each other at once
    queue up, and the second sees the first's change (instead of both succeeding)."""
    query = (
        select(User.id)
        .join(UserRole)
        .where(UserRole.role == "admin", User.active)
        .order_by(col(User.id))
        .with_for_update()
    )
    return sum(1 for admin_id in session.exec(query).all() if admin_id != user_id)


def deactivation_refusals(*, session: Session, actor: Actor, users: list[User]) -> dict[int, str]:
    """Why each active account in `users` cannot be deactivated by `actor`, if it cannot."""
    admins = {u.id for u in users_with_role(session=session, role="admin")}
    refusals: dict[int, str] = {}
    for user in users:
        if not user.active or user.id is None:
            continue
        last_admin = user.id in admins and admins == {user.id}
        if user.id == actor.user_id:
            also = " Vous êtes aussi le dernier administrateur actif." if last_admin else ""
            refusals[user.id] = OWN_ACCOUNT + also
        elif last_admin:
            refusals[user.id] = LAST_ADMIN.format(email=user.email)
    return refusals


def set_roles(*, session: Session, actor: Actor, user_id: int, roles: list[str]) -> User:
    """Replace a user's roles; the last active administrator keeps the admin role."""
    user = get_user(session=session, user_id=user_id)
    errors = _check(user.email, roles, None)
    if errors:
        raise ValidationError("Rôles invalides.", fields=errors)
    if (
        user.active
        and "admin" in user.roles
        and "admin" not in roles
        and not _other_active_admins(session, user.id)
    ):
        raise LastActiveAdmin(LAST_ADMIN.format(email=user.email), fields={"roles": "admin"})
    before = sorted(user.roles)
    # Kept roles keep their row: replacing every link would insert a duplicate (user, role)
    # before the old one is deleted.
    kept = [link for link in user.role_links if link.role in roles]
    user.role_links = kept + _role_links([r for r in roles if r not in user.roles])
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
    """Activate or deactivate an account; nobody deactivates their own account, and the last
    active administrator stays active (from the web and the CLI alike)."""
    user = get_user(session=session, user_id=user_id)
    if not active and user.id == actor.user_id:
        raise ValidationError(OWN_ACCOUNT)
    deactivating_admin = not active and user.active and "admin" in user.roles
    if deactivating_admin and not _other_active_admins(session, user.id):
        raise LastActiveAdmin(LAST_ADMIN.format(email=user.email))
    if user.active != active:
        user.active = active
        session.add(user)
        ended = 0 if active else sessions.revoke_all(session=session, user_id=user_id)
        audit.record(
            session,
            actor,
            "user.activate" if active else "user.deactivate",
            record_type="user",
            record_id=user.id,
            details={"email": user.email, **({} if active else {"sessions_ended": ended})},
        )
        session.commit()
    return user


def _role_links(roles: list[str]) -> list[UserRole]:
    # user_id is filled by the relationship when the user is flushed.
    return [UserRole(role=r) for r in sorted(set(roles))]  # type: ignore[call-arg]
