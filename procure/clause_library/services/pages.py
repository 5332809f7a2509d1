"""What the room's pages need, one call each: a clause page, a comparison, the edit form, and
the form and review actions addressed by clause key and version number."""

from __future__ import annotations

from sqlmodel import Session

from procure.clause_library.models import ClauseVersion
from procure.clause_library.services.access import review_refusal
from procure.clause_library.services.catalogue import (
    get_clause,
    get_version_by_number,
    render_version,
    spec_of,
    stored_id,
    versions_of,
)
from procure.clause_library.services.drafts import new_draft_from, update_draft
from procure.clause_library.services.forms import form_of
from procure.clause_library.services.history import compare, timeline
from procure.clause_library.services.workflow import approve, deprecate, reject, submit
from procure.core.audit import Actor
from procure.core.errors import DomainError, ValidationError

REVIEW_ACTIONS = ("submit", "approve", "reject", "deprecate")


def clause_page(
    *,
    session: Session,
    key: str,
    number: int | None = None,
    variant: str | None = None,
    a_id: int | None = None,
    b_id: int | None = None,
    actor: Actor | None = None,
) -> dict:
    """A clause's page: version N (or the one in force), its versions, its text in `variant`
    (an unknown variant means the default one), its timeline, the comparison of two versions
    (given ids, else the version shown against the one before it) and, for a legal `actor` on a
    version in review, why the four-eyes rule bars them from reviewing it (None if it does not)."""
    clause, version = get_version_by_number(session=session, key=key, number=number)
    if variant not in {v["key"] for v in version.variants}:
        variant = None
    versions = versions_of(session=session, clause_id=stored_id(clause))
    if not (a_id and b_id):
        before = [v for v in versions if v.number < version.number]
        a_id, b_id = (before[-1].id, version.id) if before else (None, None)
    refusal = (
        review_refusal(session, actor, version)
        if actor is not None and version.status == "in_review"
        else None
    )
    return {
        "clause": clause,
        "version": version,
        "versions": versions,
        "blocks": render_version(version, variant),
        "variant": variant,
        "timeline": timeline(session=session, clause_id=stored_id(clause)),
        "comparison": compare(session=session, a_id=a_id, b_id=b_id) if a_id and b_id else None,
        "review_refusal": refusal,
    }


def compare_clause_versions(
    *, session: Session, key: str, a_id: int | None, b_id: int | None
) -> dict:
    """Two versions of the clause `key` compared word by word: {"clause", "comparison"}."""
    clause = get_clause(session=session, key=key)
    if not (a_id and b_id):
        raise ValidationError(
            "Choisissez deux versions à comparer.", fields={"a": "version A", "b": "version B"}
        )
    comparison = compare(session=session, a_id=a_id, b_id=b_id)
    if comparison["a"].clause_id != clause.id:
        raise ValidationError("Ces versions n'appartiennent pas à cette clause.")
    return {"clause": clause, "comparison": comparison}


def edit_form(*, session: Session, key: str, number: int) -> dict:
    """The edit page of version N: the form, and the lock and text the edit starts from."""
    clause, version = get_version_by_number(session=session, key=key, number=number)
    form = form_of(clause, version)
    # Empty: a note says what this save changes; the version's current note is shown beside.
    form["change_note"] = ""
    return {
        "clause": clause,
        "version": version,
        "form": form,
        "base_text": spec_of(clause, version).to_front_matter_text(),
        "lock_version": version.lock_version,
    }


def save_version(
    *,
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    data: dict,
    lock_version: int,
    base_text: str = "",
    change_note: str = "",
) -> tuple[ClauseVersion, bool]:
    """Save the edit form of version N: a draft is updated in place, a reviewed version gets a
    new draft version. Returns (the saved version, whether it is a new version). On a refusal
    nothing is written and the session is rolled back."""
    try:
        _clause, version = get_version_by_number(session=session, key=key, number=number)
        if version.status == "draft":
            saved = update_draft(
                session=session,
                actor=actor,
                version_id=stored_id(version),
                data=data,
                lock_version=lock_version,
                base_text=base_text,
                change_note=change_note or None,  # an empty note keeps the draft's note
            )
            return saved, False
        created = new_draft_from(
            session=session,
            actor=actor,
            version_id=stored_id(version),
            data=data,
            change_note=change_note,
        )
        return created, True
    except DomainError:
        session.rollback()
        raise


def review_version(
    *,
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    action: str,
    comment: str = "",
    replaced_by: int | None = None,
) -> ClauseVersion:
    """Submit, approve, reject or deprecate version N of `key` (`replaced_by`: the number of
    the version that replaces a deprecated one). On a refusal the session is rolled back."""
    if action not in REVIEW_ACTIONS:
        raise ValidationError(f"Action inconnue : {action}.")
    try:
        _clause, version = get_version_by_number(session=session, key=key, number=number)
        if action == "submit":
            return submit(session=session, actor=actor, version_id=stored_id(version))
        if action == "approve":
            return approve(
                session=session, actor=actor, version_id=stored_id(version), comment=comment
            )
        if action == "reject":
            return reject(
                session=session, actor=actor, version_id=stored_id(version), comment=comment
            )
        replacement = (
            get_version_by_number(session=session, key=key, number=replaced_by)[1]
            if replaced_by
            else None
        )
        return deprecate(
            session=session,
            actor=actor,
            version_id=stored_id(version),
            replaced_by_id=stored_id(replacement) if replacement else None,
            comment=comment,
        )
    except DomainError:
        session.rollback()
        raise
