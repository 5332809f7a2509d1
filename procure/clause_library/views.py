"""The clause library: search, clause page, drafts, review, compare."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for

from procure.clause_library import services as service
from procure.core.errors import Conflict, Forbidden, ValidationError
from procure.web.htmx import redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session

bp = Blueprint("clauses", __name__, url_prefix="/clauses")

READERS = ("legal", "buyer", "admin")
FILTERS = ("q", "family", "status", "piece", "condition")


def _choices() -> dict:
    return {
        "families": service.FAMILY_LABELS,
        "pieces": service.PIECES,
        "conditions": service.CONDITIONS,
        "statuses": {s: service.STATUS_LABELS[s] for s in service.CLAUSE_STATUSES},
        "covers": service.COVERS,
        "row_fields": service.ROW_FIELDS,
        "field_labels": service.FIELD_LABELS,
        "row_nouns": service.ROW_NOUNS,
        "blank_rows": service.BLANK_ROWS,
        "blank_row": service.blank_row,
        "variable_types": service.VARIABLE_TYPES,
        "departure_effects": service.DEPARTURE_EFFECTS,
    }


@bp.route("/")
@roles_required(*READERS)
def index():
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    rows = service.list_library(session=db_session(), **filters)
    return render(
        "clauses/index.html", "clauses/_results.html", rows=rows, filters=filters, **_choices()
    )


@bp.route("/nouvelle")
@roles_required("legal")
def new():
    return render(
        "clauses/edit.html",
        form=service.form_of(None, None),
        errors={},
        clause=None,
        version=None,
        **_choices(),
    )


def _form_data() -> dict:
    data = {name: request.form.get(name, "") for name in service.FORM_FIELDS}
    data["covers"] = request.form.getlist("covers")
    data["conditions"] = request.form.getlist("conditions")
    # The structured fields come as repeated rows; a group posted as YAML text stays text.
    data.update(service.rows_from_fields(request.form.to_dict()))
    return data


@bp.route("/nouvelle", methods=["POST"])
@roles_required("legal")
def create():
    data = _form_data()
    try:
        version = service.create_draft(
            session=db_session(),
            actor=current_actor(),
            data=data,
            change_note=request.form.get("change_note", ""),
        )
    except (ValidationError, Conflict) as exc:
        return render(
            "clauses/edit.html",
            status=409 if isinstance(exc, Conflict) else 422,
            form=data,
            errors=exc.fields,
            error=exc.message,
            clause=None,
            version=None,
            **_choices(),
        )
    flash("Brouillon créé. Soumettez-le à relecture quand il est prêt.", "success")
    return redirect(
        url_for("clauses.show", key=f"{data['family']}.{data['name']}", version=version.number)
    )


@bp.route("/<key>")
@roles_required(*READERS)
def show(key: str):
    page = service.clause_page(
        session=db_session(),
        key=key,
        number=request.args.get("version", type=int),
        variant=request.args.get("variante") or None,
        a_id=request.args.get("a", type=int),
        b_id=request.args.get("b", type=int),
        actor=current_actor(),
    )
    return render("clauses/show.html", errors={}, **page, **_choices())


@bp.route("/<key>/comparer")
@roles_required(*READERS)
def compare(key: str):
    page = service.compare_clause_versions(
        session=db_session(),
        key=key,
        a_id=request.args.get("a", type=int),
        b_id=request.args.get("b", type=int),
    )
    return render("clauses/compare.html", "clauses/_compare.html", **page)


def _edit_page(page: dict, *, status: int = 200, error=None, conflict=None, **overrides):
    """The edit form (`page` from service.edit_form); after a refused save, `overrides` keep
    the form, lock and base text the user started from."""
    context = {"errors": {}, **page, **{k: v for k, v in overrides.items() if v is not None}}
    return render(
        "clauses/edit.html",
        status=status,
        error=error,
        conflict=conflict,
        **context,
        **_choices(),
    )


@bp.route("/<key>/versions/<int:number>/modifier")
@roles_required("legal")
def edit(key: str, number: int):
    return _edit_page(service.edit_form(session=db_session(), key=key, number=number))


@bp.route("/<key>/versions/<int:number>/modifier", methods=["POST"])
@roles_required("legal")
def update(key: str, number: int):
    session = db_session()
    data = _form_data()
    data["change_note"] = request.form.get("change_note", "")
    lock = request.form.get("lock_version", type=int) or 0
    try:
        version, created = service.save_version(
            session=session,
            actor=current_actor(),
            key=key,
            number=number,
            data=data,
            lock_version=lock,
            base_text=request.form.get("base_text", ""),
            change_note=data["change_note"],
        )
    except (ValidationError, Conflict) as exc:
        # The save wrote nothing; show the form again as the user left it.
        page = service.edit_form(session=session, key=key, number=number)
        form = {**data, "family": page["clause"].family, "name": key.split(".", 1)[1]}
        if isinstance(exc, Conflict):
            return _edit_page(page, status=409, error=exc.message, conflict=exc.changes, form=form)
        return _edit_page(
            page,
            status=422,
            error=exc.message,
            form=form,
            errors=exc.fields,
            lock_version=lock,
            base_text=request.form.get("base_text") or None,
        )
    if created:
        flash(f"Nouvelle version {version.number} créée en brouillon.", "success")
    else:
        flash("Brouillon enregistré.", "success")
    return redirect(url_for("clauses.show", key=key, version=version.number))


REVIEW_MESSAGES = {
    "submit": "Version {number} soumise à relecture.",
    "approve": "Version {number} approuvée.",
    "reject": "Version {number} rejetée.",
    "deprecate": "Version {number} retirée.",
}


@bp.route(
    "/<key>/versions/<int:number>/<any(submit, approve, reject, deprecate):action>",
    methods=["POST"],
)
@roles_required("legal")
def review(key: str, number: int, action: str):
    session = db_session()
    try:
        service.review_version(
            session=session,
            actor=current_actor(),
            key=key,
            number=number,
            action=action,
            comment=request.form.get("comment", ""),
            replaced_by=request.form.get("replaced_by", type=int),
        )
    except (ValidationError, Forbidden) as exc:
        # Nothing was written; show the clause page again with the refusal's message (a review
        # the four-eyes rule bars, posted from a page opened earlier, is not a dead end either).
        page = service.clause_page(session=session, key=key, number=number, actor=current_actor())
        return render(
            "clauses/show.html",
            status=exc.status,
            errors=exc.fields,
            error=exc.message,
            failed_action=action,
            **page,
            **_choices(),
        )
    flash(REVIEW_MESSAGES[action].format(number=number), "success")
    return redirect(url_for("clauses.show", key=key, version=number))
