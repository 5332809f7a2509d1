"""Supplier tables (SQLModel, no Flask): suppliers, their name variants and past contracts,
sourcing searches with their persisted results, judgements, shortlists and merge proposals."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), **kw))


def _json(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


SIZES = {
    "PME": "PME (petite ou moyenne entreprise)",
    "ETI": "ETI (taille intermédiaire)",
    "GE": "Grande entreprise",
}


class Supplier(SQLModel, table=True):
    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    siren: str | None = Field(default=None, max_length=9, unique=True, index=True)
    siret: str = Field(default="", max_length=14)
    name: str = Field(
        max_length=300
    )  # displayed name: SIRENE name, else the most frequent spelling
    sirene_name: str = Field(default="", max_length=300)
    normalized_name: str = Field(default="", max_length=300, index=True)
    legal_form: str = Field(default="", max_length=40)
    # SIRENE continuity: etatAdministratifUniteLegale ("A" active, "C" ceased) and creation date
    activity_status: str = Field(default="", max_length=1)
    founded_on: date | None = Field(default=None)
    naf_code: str = Field(default="", max_length=10)
    headcount_band: str = Field(default="", max_length=4)
    size: str = Field(default="", max_length=3)  # PME, ETI, GE or unknown
    department: str = Field(default="", max_length=3, index=True)
    postal_code: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=120)
    description: str = Field(default="")
    website: str = Field(default="", max_length=300)
    certifications: list = _json(list)
    cpv_codes: list = _json(
        list
    )  # declared by the supplier or the buyer (contracts carry their own)
    sources: list = _json(list)  # e.g. ["decp", "sirene", "csv:liste.csv"]
    source_ref: str = Field(default="", max_length=300)
    content_hash: str = Field(default="", max_length=64)  # of the indexed profile text
    merged_into_id: int | None = Field(default=None, foreign_key="supplier.id")
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class SupplierName(SQLModel, table=True):
    """One spelling of a supplier's name as found in a source, with how often it was seen."""

    __tablename__ = "supplier_name"
    __table_args__ = (UniqueConstraint("supplier_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    name: str = Field(max_length=300)
    normalized: str = Field(default="", max_length=300)
    occurrences: int = Field(default=1)


class PastContract(SQLModel, table=True):
    """A public contract a supplier won (DECP)."""

    __tablename__ = "supplier_contract"
    __table_args__ = (UniqueConstraint("supplier_id", "contract_key"),)

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    contract_key: str = Field(max_length=200)  # source + buyer + contract id
    contract_id: str = Field(default="", max_length=120)
    buyer_siret: str = Field(default="", max_length=14, index=True)
    buyer_name: str = Field(default="", max_length=300)
    object: str = Field(default="")
    cpv: str = Field(default="", max_length=10, index=True)
    amount: float | None = Field(default=None)  # None: unknown (absent or a placeholder 0 / 1)
    notified_on: date | None = Field(default=None)
    place_code: str = Field(default="", max_length=20)
    place_name: str = Field(default="", max_length=200)
    department: str = Field(default="", max_length=3)
    procedure: str = Field(default="", max_length=200)
    nature: str = Field(default="", max_length=80)
    offers_received: int | None = Field(default=None)
    winner_name: str = Field(default="", max_length=300)  # the spelling this contract gave
    source: str = Field(default="decp", max_length=40)


class SourcingSearch(SQLModel, table=True):
    """A persisted search: inputs, model, weights, CPV classes found for the need, results."""

    __tablename__ = "sourcing_search"

    id: int | None = Field(default=None, primary_key=True)
    need: str = Field(default="")
    filters: dict = _json()
    weights: dict = _json()
    method: dict = _json()  # retrieval parameters
    model: dict = _json()  # name, file hash
    cpv_classes: list = _json(list)
    results: list = _json(list)
    judged: int = Field(default=0)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _ts(nullable=False)


class SourcingJudgement(SQLModel, table=True):
    """The model's bounded fit judgement of one supplier for one search."""

    __tablename__ = "sourcing_judgement"

    id: int | None = Field(default=None, primary_key=True)
    search_id: int = Field(foreign_key="sourcing_search.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    fit: int = Field(default=0)  # 0..4
    reasons: list = _json(list)
    concerns: list = _json(list)
    injection_flags: list = _json(list)
    prompt: str = Field(default="")
    raw: str = Field(default="")
    model: dict = _json()
    created_at: datetime = _ts(nullable=False)


class Shortlist(SQLModel, table=True):
    __tablename__ = "sourcing_shortlist"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    need: str = Field(default="")
    search_id: int | None = Field(default=None, foreign_key="sourcing_search.id")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _ts(nullable=False)


class ShortlistItem(SQLModel, table=True):
    __tablename__ = "sourcing_shortlist_item"
    __table_args__ = (UniqueConstraint("shortlist_id", "supplier_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shortlist_id: int = Field(foreign_key="sourcing_shortlist.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    score: float = Field(default=0.0)
    components: dict = _json()
    evidence: list = _json(list)
    judgement: dict = _json()
    note: str = Field(default="")


class MergeProposal(SQLModel, table=True):
    """Two suppliers that look like one company; a person accepts, rejects or undoes the merge."""

    __tablename__ = "supplier_merge"
    __table_args__ = (UniqueConstraint("source_id", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="supplier.id")  # merged into target when accepted
    target_id: int = Field(foreign_key="supplier.id")
    score: float = Field(default=0.0)
    reason: str = Field(default="")
    status: str = Field(default="proposed", max_length=20)  # proposed, merged, rejected, undone
    moved: dict = _json()  # what the merge moved, for undo
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
