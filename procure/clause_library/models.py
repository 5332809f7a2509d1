"""The clause library: clauses with a stable key, and their immutable versions."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from procure.core.models import JSONField, TZDateTime

CLAUSE_STATUSES = ("draft", "in_review", "approved", "deprecated", "rejected")


class Clause(SQLModel, table=True):
    __tablename__ = "clause"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(
        max_length=120, unique=True, index=True
    )  # e.g. reversibilite.plan-de-reversibilite
    family: str = Field(max_length=40, index=True)
    created_at: datetime = TZDateTime(nullable=False)


class ClauseVersion(SQLModel, table=True):
    """One version of a clause. Once approved, never changed again (a change is a new version)."""

    __tablename__ = "clause_version"
    __table_args__ = (UniqueConstraint("clause_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    clause_id: int = Field(foreign_key="clause.id", index=True)
    number: int
    status: str = Field(default="draft", max_length=20, index=True)
    title: str = Field(max_length=200)
    piece: str = Field(max_length=10)  # CCAP, CCTP, RC
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body: str = Field(sa_column=Column(Text, nullable=False))
    variables: list = JSONField(
        list
    )  # [{name, type, label, default, min, max, choices, required, max_length}]
    variants: list = JSONField(list)  # [{key, label}]
    conditions: dict = JSONField(dict)  # {ai_high_risk: true, ...}
    covers: list = JSONField(list)  # subjects, see docs/clause-format.md
    references: list = JSONField(list)  # [{source, article, note}]
    departures: list = JSONField(list)  # [{article, text, effect?, variants?}]
    depends: list = JSONField(list)  # [{subject, note}]: subjects the clause relies on
    change_note: str = Field(default="", max_length=1000)
    content_hash: str = Field(max_length=64, index=True)  # sha256 of the canonical content
    author_id: int | None = Field(default=None, foreign_key="user.id")
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    review_comment: str = Field(default="", max_length=2000)
    replaced_by_id: int | None = Field(default=None, foreign_key="clause_version.id")
    lock_version: int = Field(default=1)  # optimistic locking of drafts
    created_at: datetime = TZDateTime(nullable=False)
    submitted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))

    updated_by_id: int | None = Field(default=None, foreign_key="user.id")  # last saver of a draft
    updated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Derived search index (French stems of title, summary, body and references), set at creation.
    search_terms: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ClauseVersionIsImmutable(RuntimeError):
    """A reviewed version's content cannot change; an approved one can only be deprecated."""


# Columns that make up a version's content: never changed once the version left the draft state.
CONTENT_COLUMNS = (
    "clause_id",
    "number",
    "title",
    "piece",
    "summary",
    "body",
    "variables",
    "variants",
    "conditions",
    "covers",
    "references",
    "departures",
    "depends",
    "content_hash",
    "author_id",
    "created_at",
)
# What each status may still change, and into which status it may move.
ALLOWED_CHANGES = {
    "in_review": (
        {"status", "reviewer_id", "review_comment", "reviewed_at"},
        {"approved", "rejected"},
    ),
    "approved": ({"status", "replaced_by_id", "review_comment"}, {"deprecated"}),
    "deprecated": (set(), set()),
    "rejected": (set(), set()),
}


@event.listens_for(OrmSession, "before_flush")
def _guard_clause_versions(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, ClauseVersion) and obj.status in ("approved", "deprecated"):
            raise ClauseVersionIsImmutable("Une version approuvée ne peut pas être supprimée.")
    for obj in session.dirty:
        if not isinstance(obj, ClauseVersion):
            continue
        state = inspect(obj)
        changed = {a.key for a in state.attrs if a.history.has_changes()}
        status_hist = state.attrs.status.history
        before = status_hist.deleted[0] if status_hist.deleted else obj.status
        if before == "draft" or not changed:
            continue
        allowed, moves = ALLOWED_CHANGES.get(before, (set(), set()))
        if changed - allowed or (obj.status != before and obj.status not in moves):
            raise ClauseVersionIsImmutable(
                f"La version {obj.number} est {before} : son contenu ne peut plus être modifié "
                "(toute modification est une nouvelle version)."
            )


def _trigger_condition(old: str, new: str, cast: str) -> str:
    changed = " OR ".join(
        f'{new}."{c}"{cast} IS DISTINCT FROM {old}."{c}"{cast}' for c in CONTENT_COLUMNS
    )
    return changed


# The same rule inside the database, for any path that bypasses the ORM (raw SQL).
CLAUSE_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER clause_version_immutable BEFORE UPDATE ON clause_version "
        "WHEN OLD.status <> 'draft' AND ("
        + _trigger_condition("OLD", "NEW", "").replace("IS DISTINCT FROM", "IS NOT")
        + " OR (OLD.status IN ('deprecated', 'rejected') AND NEW.status <> OLD.status)"
        " OR (OLD.status = 'approved' AND NEW.status NOT IN ('approved', 'deprecated'))) "
        "BEGIN SELECT RAISE(ABORT, 'clause_version is immutable once reviewed'); END",
        "CREATE TRIGGER clause_version_no_delete BEFORE DELETE ON clause_version "
        "WHEN OLD.status IN ('approved', 'deprecated') "
        "BEGIN SELECT RAISE(ABORT, 'clause_version is immutable once reviewed'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION clause_version_immutable() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN "
        "  IF OLD.status IN ('approved', 'deprecated') THEN "
        "    RAISE EXCEPTION 'clause_version is immutable once reviewed'; END IF; RETURN OLD; END IF; "
        "IF OLD.status <> 'draft' AND ("
        + _trigger_condition("OLD", "NEW", "::text")
        + " OR (OLD.status IN ('deprecated', 'rejected') AND NEW.status <> OLD.status)"
        " OR (OLD.status = 'approved' AND NEW.status NOT IN ('approved', 'deprecated'))) THEN "
        "  RAISE EXCEPTION 'clause_version is immutable once reviewed'; END IF; "
        "RETURN NEW; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER clause_version_immutable BEFORE UPDATE OR DELETE ON clause_version "
        "FOR EACH ROW EXECUTE FUNCTION clause_version_immutable()",
    ],
}


@event.listens_for(ClauseVersion.__table__, "after_create")
def _create_clause_triggers(_table: Any, connection: Any, **_kw: Any) -> None:
    for statement in CLAUSE_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
