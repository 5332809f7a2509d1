"""Evaluation of offers: the room's public services (views, CLI, demo and other rooms use these).

Managing offers, declarations and evaluators follows the tenders room's access policy for a
tender (owner, buyers of its organisation); assigned evaluators score; the lead evaluator
reconciles, locks and unlocks. An evaluator sees the others' scores only after submitting their
own. A locked evaluation refuses every change (409) until unlocked with a reason.
"""

from procure.core.errors import Conflict, Forbidden, NotFound, ValidationError
from procure.evaluation.services.access import (
    access,
    assign_evaluators,
    assignments,
    can_manage,
    criteria,
    criterion_text,
    get_tender,
    lock_state,
    visible_tenders,
)
from procure.evaluation.services.charts import chart_png, footprint_chart, scores_chart
from procure.evaluation.services.consensus import (
    MIN_REASON,
    final_prefill,
    final_scores,
    lock,
    proposals,
    ranking,
    save_all_final_scores,
    save_final_scores,
    unlock,
    unlocks,
)
from procure.evaluation.services.offers import (
    add_offer,
    current_footprint,
    declaration_of,
    declaration_template,
    footprints_of,
    functional_unit,
    get_offer,
    import_declaration,
    list_offers,
    save_declaration,
)
from procure.evaluation.services.overview import overview
from procure.evaluation.services.pages import evaluation_list, offer_page, tender_page
from procure.evaluation.services.pending import pending_work
from procure.evaluation.services.report import (
    export_report,
    report_document,
    report_documents,
    report_spec,
)
from procure.evaluation.services.scores import (
    note_key,
    save_all_scores,
    save_scores,
    submit_scores,
    visible_scores,
)

__all__ = [
    "criterion_text",
    "MIN_REASON",
    "Conflict",
    "Forbidden",
    "NotFound",
    "ValidationError",
    "access",
    "add_offer",
    "assign_evaluators",
    "assignments",
    "can_manage",
    "chart_png",
    "criteria",
    "current_footprint",
    "declaration_of",
    "declaration_template",
    "evaluation_list",
    "export_report",
    "final_prefill",
    "final_scores",
    "footprint_chart",
    "footprints_of",
    "functional_unit",
    "get_offer",
    "get_tender",
    "import_declaration",
    "list_offers",
    "lock",
    "lock_state",
    "offer_page",
    "overview",
    "pending_work",
    "proposals",
    "ranking",
    "report_document",
    "report_documents",
    "report_spec",
    "note_key",
    "save_all_final_scores",
    "save_all_scores",
    "save_declaration",
    "save_final_scores",
    "save_scores",
    "scores_chart",
    "submit_scores",
    "tender_page",
    "unlock",
    "unlocks",
    "visible_scores",
    "visible_tenders",
]
