"""The clause library's public facade: views, CLI, demo, tests and other rooms import from here.

    from procure.clause_library import services as library
    library.render_blocks(...)

The clause format itself (parsing, values, rendering, word diff) is Flask- and database-free:
vocabulary, clause_spec, clause_checks, clause_format, values, rendering, diff. The library
services work on the tables: catalogue, search, forms, drafts, workflow, sync, history, pages,
pending.
"""

from procure.clause_library.models import CLAUSE_STATUSES
from procure.clause_library.services.catalogue import (
    approved_library,
    get_clause,
    get_version,
    get_version_by_number,
    latest_approved,
    render_version,
    spec_of,
    version_summary,
    versions_of,
)
from procure.clause_library.services.ccag import sort_key as ccag_sort_key
from procure.clause_library.services.clause_format import parse_clause_text
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec
from procure.clause_library.services.diff import word_diff
from procure.clause_library.services.drafts import create_draft, new_draft_from, update_draft
from procure.clause_library.services.forms import (
    BLANK_ROWS,
    FIELD_LABELS,
    MAX_CELL,
    MAX_ROWS,
    ROW_FIELDS,
    ROW_NOUNS,
    blank_row,
    form_of,
    rows_from_fields,
    spec_from_form,
)
from procure.clause_library.services.history import ACTION_LABELS, compare, timeline
from procure.clause_library.services.lint import LintReport, lint_directory, lint_texts
from procure.clause_library.services.pages import (
    clause_page,
    compare_clause_versions,
    edit_form,
    review_version,
    save_version,
)
from procure.clause_library.services.pending import pending_work
from procure.clause_library.services.rendering import (
    body_variants,
    render_blocks,
    variant_variables,
)
from procure.clause_library.services.search import LibraryRow, list_library, search_text, terms
from procure.clause_library.services.sync import SyncReport, export_library, sync_directory
from procure.clause_library.services.values import format_value, validate_values
from procure.clause_library.services.vocabulary import (
    CONDITIONS,
    CONTENT_FIELDS,
    COVERS,
    DEPARTURE_EFFECTS,
    FAMILIES,
    FAMILY_LABELS,
    FORM_FIELDS,
    PIECES,
    PLACEHOLDER_RE,
    TENDER_PLACEHOLDERS,
    VARIABLE_TYPES,
)
from procure.clause_library.services.workflow import approve, deprecate, reject, submit
from procure.core.errors import Conflict
from procure.core.labels import STATUS_LABELS

__all__ = [
    "ACTION_LABELS",
    "BLANK_ROWS",
    "FIELD_LABELS",
    "MAX_CELL",
    "MAX_ROWS",
    "ROW_FIELDS",
    "ROW_NOUNS",
    "blank_row",
    "rows_from_fields",
    "CLAUSE_STATUSES",
    "CONDITIONS",
    "CONTENT_FIELDS",
    "COVERS",
    "FAMILIES",
    "FAMILY_LABELS",
    "FORM_FIELDS",
    "PIECES",
    "PLACEHOLDER_RE",
    "STATUS_LABELS",
    "TENDER_PLACEHOLDERS",
    "VARIABLE_TYPES",
    "ClauseFormatError",
    "ClauseSpec",
    "Conflict",
    "LibraryRow",
    "SyncReport",
    "approve",
    "approved_library",
    "body_variants",
    "clause_page",
    "compare",
    "compare_clause_versions",
    "create_draft",
    "deprecate",
    "edit_form",
    "export_library",
    "form_of",
    "format_value",
    "get_clause",
    "get_version",
    "get_version_by_number",
    "latest_approved",
    "list_library",
    "new_draft_from",
    "parse_clause_text",
    "pending_work",
    "reject",
    "render_blocks",
    "render_version",
    "review_version",
    "save_version",
    "search_text",
    "spec_from_form",
    "spec_of",
    "submit",
    "sync_directory",
    "LintReport",
    "ccag_sort_key",
    "lint_directory",
    "lint_texts",
    "variant_variables",
    "DEPARTURE_EFFECTS",
    "terms",
    "timeline",
    "update_draft",
    "validate_values",
    "version_summary",
    "versions_of",
    "word_diff",
]
