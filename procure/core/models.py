"""Users, roles, the append-only audit log and background jobs."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Relationship, SQLModel

ROLES: dict[str, str] = {
    "buyer": "Acheteur",
    "legal": "Juriste",
    "sourcing": "Sourcing",
    "evaluator": "Évaluateur",
    "admin": "Administrateur",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def TZDateTime(**kw: Any) -> Any:  # noqa: N802 - reads like a column type
    """A timezone-aware timestamp column, defaulting to now."""
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), **kw))


def JSONField(default_factory: Any = dict) -> Any:  # noqa: N802
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(max_length=20)

    user: "User" = Relationship(back_populates="role_links")


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    created_at: datetime = TZDateTime(nullable=False)

    role_links: list["UserRole"] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"},
    )

    @property
    def roles(self) -> set[str]:
        return {link.role for link in self.role_links}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    # Flask-Login protocol, without importing Flask here.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class AuditEvent(SQLModel, table=True):
    """One change of state. Never updated or deleted: the ORM and database triggers refuse it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = TZDateTime(nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=80, index=True)
    record_type: str = Field(default="", max_length=60, index=True)
    record_id: str = Field(default="", max_length=80)
    details: dict = JSONField()
    client_addr: str = Field(default="", max_length=64)


class Job(SQLModel, table=True):
    """A piece of long work (import, indexing, batch scoring) and its progress."""

    __tablename__ = "job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60, index=True)
    label: str = Field(default="", max_length=200)
    status: str = Field(default="queued", max_length=20)  # queued, running, done, failed
    progress: int = Field(default=0)
    total: int = Field(default=0)
    message: str = Field(default="")
    params: dict = JSONField()
    result: dict = JSONField()
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = TZDateTime(nullable=False)
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

    @property
    def percent(self) -> int:
        """Progress in %, agreeing with the state: a finished job is at 100 %."""
        if self.status == "done":
            return 100
        return min(100, int(100 * self.progress / self.total)) if self.total else 0


class UserSession(SQLModel, table=True):
    """One login: the browser's cookie holds a random token whose hash is stored here, so a
    session can be revoked (logout, deactivation, password change) and expires."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 of the token
    created_at: datetime = TZDateTime(nullable=False)
    last_seen_at: datetime = TZDateTime(nullable=False)
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    client_addr: str = Field(default="", max_length=64)


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted per account ("account:<email>") or per address ("addr:<ip>"),
    with the lock that backs off; kept out of the audit log, which gets aggregated events."""

    __tablename__ = "login_throttle"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True, index=True)
    failures: int = Field(default=0)
    locks: int = Field(default=0)  # how many times this key was locked: the backoff exponent
    first_failure_at: datetime = TZDateTime(nullable=False)
    last_failure_at: datetime = TZDateTime(nullable=False)
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(OrmSession, "before_flush")
def _refuse_audit_changes(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly("Le journal d'audit ne peut être ni modifié ni effacé.")


# The same rule inside the database, for any path that bypasses the ORM.
AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ],
}


@event.listens_for(AuditEvent.__table__, "after_create")  # type: ignore[attr-defined]
def _create_audit_triggers(_table: Any, connection: Any, **_kw: Any) -> None:
    for statement in AUDIT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
