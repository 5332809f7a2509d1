"""Evaluation: offers, environmental declarations, evaluators, scores, consensus and lock."""

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procure.core.models import JSONField, TZDateTime


class Offer(SQLModel, table=True):
    """An offer received for a tender (one lot)."""

    __tablename__ = "offer"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    supplier_name: str = Field(max_length=200)
    siren: str = Field(default="", max_length=9)
    lot: str = Field(default="", max_length=60)
    price: float | None = None  # euros HT, as compared by the price criterion
    documents: list = JSONField(list)  # references of the offer's documents
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = TZDateTime(nullable=False)


class Declaration(SQLModel, table=True):
    """The supplier's environmental declaration for an offer, and the footprint computed from it."""

    __tablename__ = "environmental_declaration"

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offer.id", unique=True, index=True)
    data: dict = JSONField(
        dict
    )  # validated declaration, fields as in procure.evaluation.footprint.FIELDS
    source: str = Field(default="form", max_length=200)  # form, or the imported file's name
    footprint: dict = JSONField(
        dict
    )  # procure.evaluation.footprint.compute(...) for the tender's unit
    method: str = Field(default="", max_length=100)  # e.g. "EcoLogits 0.11.3"
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = TZDateTime(nullable=False)


class EvaluatorAssignment(SQLModel, table=True):
    """An evaluator assigned to a tender; `submitted_at` once their scores are final."""

    __tablename__ = "evaluator_assignment"
    __table_args__ = (UniqueConstraint("tender_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    lead: bool = False
    submitted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class EvaluatorScore(SQLModel, table=True):
    """One evaluator's note for one offer on one criterion, with the mandatory comment."""

    __tablename__ = "evaluator_score"
    __table_args__ = (UniqueConstraint("offer_id", "user_id", "criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    criterion: str = Field(max_length=200)
    score: float
    comment: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = TZDateTime(nullable=False)


class FinalScore(SQLModel, table=True):
    """The lead evaluator's reconciled note for an offer on a criterion, with its justification."""

    __tablename__ = "final_score"
    __table_args__ = (UniqueConstraint("offer_id", "criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    offer_id: int = Field(foreign_key="offer.id", index=True)
    criterion: str = Field(max_length=200)
    score: float
    justification: str = Field(sa_column=Column(Text, nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime = TZDateTime(nullable=False)


class EvaluationLock(SQLModel, table=True):
    """The evaluation's state for a tender: open, or locked by the lead evaluator."""

    __tablename__ = "evaluation_lock"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", unique=True, index=True)
    status: str = Field(default="open", max_length=20)  # open, locked
    locked_by: int | None = Field(default=None, foreign_key="user.id")
    locked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class EvaluationUnlock(SQLModel, table=True):
    """Why and by whom a locked evaluation was reopened (never edited)."""

    __tablename__ = "evaluation_unlock"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = TZDateTime(nullable=False)
