"""The sourcing room's services: import supplier data, index, search and judge, merges,
shortlists and their exports, the home panel.

Persistence and audit around the `sourcing` library (which knows nothing of Flask or Procure).
This package is the room's public facade; each concern lives in its own module.
"""

from .imports import (
    FORMAT_LABELS,
    HeldUpload,
    UploadRefused,
    hold_upload,
    import_data,
    propose_merges,
    save_upload,
    submit_import,
)
from .index import submit_index, sync_index
from .merges import decide_merge, merge_proposals, merges_page
from .model import SourcingModel, available_model, model_info
from .overview import overview
from .pending import pending_work
from .search import (
    get_search,
    judge_search,
    recent_searches,
    search,
    search_json,
    submit_judge,
)
from .shortlists import (
    CSV_BOM,
    DOCUMENT_KIND,
    component_text,
    create_shortlist,
    get_shortlist,
    latest_shortlist_docx,
    list_shortlists,
    shortlist_columns,
    shortlist_csv,
    shortlist_docx,
    shortlist_from_tokens,
    shortlists_page,
)
from .suppliers import (
    NO_COMPETITION,
    get_supplier,
    label,
    match_name,
    signals,
    stats,
    supplier_profile,
)

__all__ = [
    "CSV_BOM",
    "DOCUMENT_KIND",
    "component_text",
    "shortlist_columns",
    "FORMAT_LABELS",
    "HeldUpload",
    "UploadRefused",
    "hold_upload",
    "NO_COMPETITION",
    "SourcingModel",
    "create_shortlist",
    "decide_merge",
    "get_search",
    "get_shortlist",
    "latest_shortlist_docx",
    "get_supplier",
    "import_data",
    "judge_search",
    "label",
    "list_shortlists",
    "shortlists_page",
    "match_name",
    "merge_proposals",
    "merges_page",
    "model_info",
    "available_model",
    "overview",
    "pending_work",
    "propose_merges",
    "recent_searches",
    "save_upload",
    "search",
    "search_json",
    "shortlist_csv",
    "shortlist_docx",
    "shortlist_from_tokens",
    "signals",
    "stats",
    "submit_import",
    "submit_index",
    "submit_judge",
    "supplier_profile",
    "sync_index",
]
