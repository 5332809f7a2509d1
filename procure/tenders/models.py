"""Tenders: the profile, award criteria, the pinned clause versions and exported documents."""

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procure.core.models import JSONField, TZDateTime


class Tender(SQLModel, table=True):
    __tablename__ = "tender"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=60, unique=True, index=True)
    title: str = Field(max_length=300)
    buyer: str = Field(max_length=200)  # buyer organisation shown on the documents
    organisation: str = Field(
        default="", max_length=200, index=True
    )  # owner's organisation (access)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    procedure: str = Field(max_length=60)
    cpv_codes: list = JSONField(list)  # ["72000000-5", ...]
    amount: float | None = None  # estimated amount, euros HT
    lots: list = JSONField(list)  # [{number, title}]
    ai_high_risk: bool = False
    personal_data: bool = False
    sensitive_data: bool = False
    hosting: str = Field(default="", max_length=200)  # hosting constraints, free text
    # The profile the law depends on (issue 12): see procure/tenders/legal.py and rules.py.
    buyer_kind: str = Field(default="autre", max_length=20)  # etat, collectivite, sante, autre
    interacts_with_people: bool = False  # chatbot or content for the public: AI Act art. 50
    health_data: bool = False  # HDS-certified hosting
    particularly_sensitive_data: bool = False  # loi SREN art. 31 (not GDPR art. 9 data)
    defence_or_security: bool = False  # outside the environmental award-criterion obligation
    launch_date: date | None = None  # launch of the consultation (décret 2022-767)
    lots_reason: str = Field(default="", max_length=2000)  # why not divided (L2113-11)
    hosting_security_reason: str = Field(default="", max_length=2000)  # France-only hosting
    # False for tenders migrated with defaulted profile fields, until the buyer confirms them.
    profile_confirmed: bool = True
    # [{name, kind: price|technical|environment|other, weight, method, max_score, sub_criteria: [...]}]
    award_criteria: list = JSONField(list)
    # Functional unit for the environmental comparison of offers (evaluation room).
    requests_per_year: int | None = None
    tokens_per_request: int | None = None
    status: str = Field(default="draft", max_length=20)
    lock_version: int = Field(default=1)  # optimistic locking
    created_at: datetime = TZDateTime(nullable=False)
    updated_at: datetime = TZDateTime(nullable=False)


class TenderClause(SQLModel, table=True):
    """A clause version pinned by a tender, with its variant and variable values."""

    __tablename__ = "tender_clause"
    __table_args__ = (UniqueConstraint("tender_id", "clause_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    clause_id: int = Field(foreign_key="clause.id")
    clause_version_id: int = Field(foreign_key="clause_version.id")
    position: int = 0
    variant: str = Field(default="", max_length=60)
    values: dict = JSONField(dict)
    proposed_by: str = Field(
        default="", max_length=200
    )  # the rule that proposed it, or "ajout manuel"


class TenderDocument(SQLModel, table=True):
    """An exported piece: never regenerated; the file hash and the manifest of clauses used."""

    __tablename__ = "tender_document"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    piece: str = Field(max_length=10)  # RC, CCAP, CCTP, RAO (evaluation report)
    format: str = Field(max_length=5)  # docx, odt
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    manifest: list = JSONField(list)  # [{key, version, content_hash, variant, title}]
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = TZDateTime(nullable=False)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
