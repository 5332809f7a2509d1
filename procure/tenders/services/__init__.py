"""Tenders: the buyer's profile, proposed clauses, values, compliance check, exports, verify.

The room's public facade: views, the CLI, tests and other rooms call
`from procure.tenders import services as svc; svc.function(...)`. Each concern lives in its own
module (access, choices, forms, library, clauses, lifecycle, compliance, spec, export, verify,
cpv, pages, pending, locking). Keyword-only functions taking the session first; every change of state bumps the
tender's `lock_version` (optimistic locking), writes one audit event and commits once. No Flask.
"""

from __future__ import annotations

from procure.tenders.services.access import (
    can_access,
    find_by_reference,
    get_tender,
    list_tenders,
    tender_by_reference,
)
from procure.tenders.services.choices import (
    BUYER_KINDS,
    CRITERION_KINDS,
    FORMATS,
    MAX_CRITERIA,
    MAX_SUB_CRITERIA,
    METHODS,
    PIECES,
    PROCEDURES,
    SUB_METRICS,
    procedure_code,
)
from procure.tenders.services.clauses import (
    ClauseRow,
    add_clause,
    apply_proposals,
    check_values,
    clause_diff,
    get_clause_row,
    move_clause,
    preview,
    remove_clause,
    render_clause,
    set_clause_values,
    tender_clauses,
    upgrade_clause,
)
from procure.tenders.services.compliance import (
    Finding,
    check,
    check_tender,
    error_count,
    has_errors,
    library_stamp,
)
from procure.tenders.services.cpv import cpv_labels, is_known_cpv, search_cpv
from procure.tenders.services.criteria import (
    criterion_text,
    functional_unit_text,
    method_text,
    sub_criteria_text,
    tender_values,
    weight_text,
)
from procure.tenders.services.export import export, get_document, list_documents, recover_exports
from procure.tenders.services.forms import (
    form_to_data,
    parse_cpv,
    parse_criteria,
    parse_lots,
    parse_tender_data,
    tender_form,
)
from procure.tenders.services.library import (
    approved_versions,
    latest_approved,
    profile_of,
    proposals,
)
from procure.tenders.services.lifecycle import (
    SPEC_KEYS,
    create_from_spec,
    create_tender,
    update_tender,
)
from procure.tenders.services.pages import (
    ClausePage,
    TenderFormPage,
    TenderPage,
    clause_page,
    form_page,
    tender_page,
)
from procure.tenders.services.pending import pending_work
from procure.tenders.services.spec import build_spec
from procure.tenders.services.verify import (
    MAX_VERIFY_BYTES,
    diff_text,
    verify,
    verify_upload,
)

__all__ = [
    "BUYER_KINDS",
    "CRITERION_KINDS",
    "FORMATS",
    "MAX_CRITERIA",
    "MAX_SUB_CRITERIA",
    "SUB_METRICS",
    "procedure_code",
    "METHODS",
    "PIECES",
    "PROCEDURES",
    "SPEC_KEYS",
    "ClausePage",
    "ClauseRow",
    "Finding",
    "TenderFormPage",
    "TenderPage",
    "add_clause",
    "apply_proposals",
    "approved_versions",
    "build_spec",
    "can_access",
    "check",
    "check_tender",
    "check_values",
    "clause_page",
    "clause_diff",
    "cpv_labels",
    "criterion_text",
    "functional_unit_text",
    "method_text",
    "sub_criteria_text",
    "tender_values",
    "weight_text",
    "create_from_spec",
    "create_tender",
    "error_count",
    "export",
    "recover_exports",
    "form_page",
    "form_to_data",
    "get_clause_row",
    "get_document",
    "find_by_reference",
    "get_tender",
    "tender_by_reference",
    "has_errors",
    "is_known_cpv",
    "latest_approved",
    "library_stamp",
    "list_documents",
    "list_tenders",
    "move_clause",
    "parse_cpv",
    "parse_criteria",
    "parse_lots",
    "parse_tender_data",
    "pending_work",
    "preview",
    "profile_of",
    "proposals",
    "remove_clause",
    "render_clause",
    "search_cpv",
    "set_clause_values",
    "tender_clauses",
    "tender_form",
    "tender_page",
    "update_tender",
    "upgrade_clause",
    "verify",
    "verify_upload",
    "diff_text",
    "MAX_VERIFY_BYTES",
]
