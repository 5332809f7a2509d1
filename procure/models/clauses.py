"""The clause library: clauses with a stable key, and their immutable versions."""

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procure.models.core import JSONField, TZDateTime

CLAUSE_STATUSES = ("draft", "in_review", "approved", "deprecated", "rejected")


class Clause(SQLModel, table=True):
    __tablename__ = "clause"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True, index=True)  # e.g. reversibilite.plan-de-reversibilite
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
    variables: list = JSONField(list)  # [{name, type, label, default, min, max, choices, required, max_length}]
    variants: list = JSONField(list)  # [{key, label}]
    conditions: dict = JSONField(dict)  # {ai_high_risk: true, ...}
    covers: list = JSONField(list)  # subjects, see docs/clause-format.md
    references: list = JSONField(list)  # [{source, article, note}]
    departures: list = JSONField(list)  # [{article, text}]
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
