"""What each tenders page shows, gathered by one service call per request.

Views parse the request, call one of these (or one action), and render: they run no query and
filter no data themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from procure.clause_library.models import Clause, ClauseVersion
from procure.core.audit import Actor
from procure.core.formatting import format_number
from procure.tenders.models import Tender, TenderDocument
from procure.tenders.services.access import get_tender
from procure.tenders.services.clauses import (
    ClauseRow,
    clause_diff,
    get_clause_row,
    preview,
    tender_clauses,
)
from procure.tenders.services.compliance import Finding, check, has_errors
from procure.tenders.services.cpv import cpv_labels, search_cpv
from procure.tenders.services.export import list_documents
from procure.tenders.services.forms import parse_cpv, tender_form
from procure.tenders.services.library import approved_versions


@dataclass
class TenderPage:
    tender: Tender
    rows: list[ClauseRow]
    findings: list[Finding]
    has_errors: bool
    library: list[tuple[Clause, ClauseVersion]]  # approved clauses the tender may still add
    documents: list[TenderDocument]
    cpv: list[tuple[str, str]]


def tender_page(*, session: Session, actor: Actor, tender_id: int, subject: str = "") -> TenderPage:
    """The tender page: clauses, findings, the library to add from (by subject), exports."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    rows = tender_clauses(session=session, tender=tender)
    findings = check(session=session, tender=tender, rows=rows)
    held = {r.clause.id for r in rows}
    library = [
        (c, v)
        for c, v in approved_versions(session)
        if c.id not in held and (not subject or subject in v.covers)
    ]
    return TenderPage(
        tender=tender,
        rows=rows,
        findings=findings,
        has_errors=has_errors(findings),
        library=library,
        documents=list_documents(session=session, tender=tender),
        cpv=cpv_labels(tender.cpv_codes),
    )


@dataclass
class TenderFormPage:
    tender: Tender | None  # None for a new tender
    form: dict
    cpv_current: list[tuple[str, str]]
    cpv_results: list[tuple[str, str, float]] = field(default_factory=list)


def form_page(
    *,
    session: Session,
    actor: Actor,
    tender_id: int | None = None,
    data: dict | None = None,
    cpv_query: str = "",
) -> TenderFormPage:
    """The tender form: the tender's values (or the posted `data`), with a CPV search if asked."""
    tender = (
        None if tender_id is None else get_tender(session=session, actor=actor, tender_id=tender_id)
    )
    form = tender_form(tender) if data is None else data
    return TenderFormPage(
        tender=tender,
        form=form,
        cpv_current=cpv_labels(parse_cpv(form.get("cpv", ""), {})),
        cpv_results=search_cpv(cpv_query) if cpv_query.strip() else [],
    )


def _as_form(value: Any) -> str:
    """A stored value as the form shows it: French numbers ("2 000", "99,5") and dates."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


@dataclass
class ClausePage:
    tender: Tender
    row: ClauseRow
    variant: str
    values: dict[str, str]  # as shown in the form
    blocks: list[tuple[str, str]]  # the clause rendered (with the typed values for a preview)
    preview_errors: dict[str, str]
    diff: list[tuple[str, str]]  # against the latest approved version, if stale


def clause_page(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    link_id: int,
    variant: str | None = None,
    values: dict | None = None,
) -> ClausePage:
    """A clause of a tender with its values form; with `values`, the preview of typed values."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    row = get_clause_row(session=session, tender=tender, link_id=link_id)
    errors: dict[str, str]
    if values is None:
        blocks, errors = row.blocks(), {}
        shown = {name: _as_form(value) for name, value in row.link.values.items()}
    else:
        blocks, errors = preview(row=row, variant=variant, values=values)
        shown = values
    return ClausePage(
        tender=tender,
        row=row,
        variant=variant or row.link.variant,
        values=shown,
        blocks=blocks,
        preview_errors=errors,
        diff=clause_diff(row=row) if row.stale else [],
    )
