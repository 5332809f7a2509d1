"""The sourcing room's tables: defined in the Flask-free `sourcing` library, which owns them."""

from sourcing.models import (
    SIZES,
    MergeProposal,
    PastContract,
    Shortlist,
    ShortlistItem,
    SourcingJudgement,
    SourcingSearch,
    Supplier,
    SupplierName,
)

__all__ = [
    "SIZES",
    "MergeProposal",
    "PastContract",
    "Shortlist",
    "ShortlistItem",
    "SourcingJudgement",
    "SourcingSearch",
    "Supplier",
    "SupplierName",
]
