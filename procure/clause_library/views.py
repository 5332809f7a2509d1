"""The clause library: search, clause page, drafts, review, compare."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for

from procure.clause_library import services as service
from procure.core.errors import Conflict, ValidationError
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
    except ValidationError as exc:
        return render(
            "clauses/edit.html",
            status=422,
            form=data,
            errors=exc.fields,
            error=exc.message,
            clause=None,
            version=None,
            **_choices(),
        )
    except Conflict as exc:
        return render(
            "clauses/edit.html",
            status=409,
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
    session = db_session()
    number = request.args.get("version", type=int)
    clause, version = service.get_version_by_number(session=session, key=key, number=number)
    versions = service.versions_of(session=session, clause_id=clause.id)
    variant = request.args.get("variante") or None
    if variant not in {v["key"] for v in version.variants}:
        variant = None
    comparison = None
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a and b:
        comparison = service.compare(session=session, a_id=a, b_id=b)
    return render(
        "clauses/show.html",
        clause=clause,
        version=version,
        versions=versions,
        blocks=service.render_version(version, variant),
        variant=variant,
        timeline=service.timeline(session=session, clause_id=clause.id),
        comparison=comparison,
        errors={},
        **_choices(),
    )


@bp.route("/<key>/comparer")
@roles_required(*READERS)
def compare(key: str):
    session = db_session()
    clause = service.get_clause(session=session, key=key)
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if not (a and b):
        raise ValidationError(
            "Choisissez deux versions à comparer.", fields={"a": "version A", "b": "version B"}
        )
    comparison = service.compare(session=session, a_id=a, b_id=b)
    if comparison["a"].clause_id != clause.id:
        raise ValidationError("Ces versions n'appartiennent pas à cette clause.")
    return render(
        "clauses/compare.html", "clauses/_compare.html", clause=clause, comparison=comparison
    )


def _edit_page(
    clause,
    version,
    form,
    *,
    status=200,
    errors=None,
    error=None,
    conflict=None,
    lock_version=None,
    base_text=None,
):
    """The edit form; after a refused save it keeps the lock and base the user started from."""
    if base_text is None:
        base_text = service.spec_of(clause, version).to_front_matter_text()
    return render(
        "clauses/edit.html",
        status=status,
        clause=clause,
        version=version,
        form=form,
        errors=errors or {},
        error=error,
        conflict=conflict,
        base_text=base_text,
        lock_version=version.lock_version if lock_version is None else lock_version,
        **_choices(),
    )


@bp.route("/<key>/versions/<int:number>/modifier")
@roles_required("legal")
def edit(key: str, number: int):
    clause, version = service.get_version_by_number(session=db_session(), key=key, number=number)
    form = service.form_of(clause, version)
    form["change_note"] = version.change_note
    return _edit_page(clause, version, form)


@bp.route("/<key>/versions/<int:number>/modifier", methods=["POST"])
@roles_required("legal")
def update(key: str, number: int):
    session = db_session()
    clause, version = service.get_version_by_number(session=session, key=key, number=number)
    data = _form_data()
    data["change_note"] = request.form.get("change_note", "")
    lock = request.form.get("lock_version", type=int) or 0
    try:
        if version.status == "draft":
            service.update_draft(
                session=session,
                actor=current_actor(),
                version_id=version.id,
                data=data,
                lock_version=lock,
                base_text=request.form.get("base_text", ""),
                change_note=data["change_note"],
            )
            target = number
            flash("Brouillon enregistré.", "success")
        else:
            created = service.new_draft_from(
                session=session,
                actor=current_actor(),
                version_id=version.id,
                data=data,
                change_note=data["change_note"],
            )
            target = created.number
            flash(f"Nouvelle version {created.number} créée en brouillon.", "success")
    except ValidationError as exc:
        session.rollback()
        return _edit_page(
            clause,
            version,
            {**data, "family": clause.family, "name": key.split(".", 1)[1]},
            status=422,
            errors=exc.fields,
            error=exc.message,
            lock_version=lock,
            base_text=request.form.get("base_text") or None,
        )
    except Conflict as exc:
        session.rollback()
        session.refresh(version)
        form = {**data, "family": clause.family, "name": key.split(".", 1)[1]}
        return _edit_page(
            clause, version, form, status=409, error=exc.message, conflict=exc.changes
        )
    return redirect(url_for("clauses.show", key=key, version=target))


def _review(key: str, number: int, action: str):
    session = db_session()
    _clause, version = service.get_version_by_number(session=session, key=key, number=number)
    actor, comment = current_actor(), request.form.get("comment", "")
    try:
        if action == "submit":
            service.submit(session=session, actor=actor, version_id=version.id)
            flash(f"Version {number} soumise à relecture.", "success")
        elif action == "approve":
            service.approve(session=session, actor=actor, version_id=version.id, comment=comment)
            flash(f"Version {number} approuvée.", "success")
        elif action == "reject":
            service.reject(session=session, actor=actor, version_id=version.id, comment=comment)
            flash(f"Version {number} rejetée.", "success")
        else:
            replaced_by = request.form.get("replaced_by", type=int)
            replacement = (
                service.get_version_by_number(session=session, key=key, number=replaced_by)[1]
                if replaced_by
                else None
            )
            service.deprecate(
                session=session,
                actor=actor,
                version_id=version.id,
                replaced_by_id=replacement.id if replacement else None,
                comment=comment,
            )
            flash(f"Version {number} retirée.", "success")
    except ValidationError as exc:
        session.rollback()
        clause, version = service.get_version_by_number(session=session, key=key, number=number)
        return render(
            "clauses/show.html",
            status=422,
            clause=clause,
            version=version,
            versions=service.versions_of(session=session, clause_id=clause.id),
            blocks=service.render_version(version),
            variant=None,
            timeline=service.timeline(session=session, clause_id=clause.id),
            comparison=None,
            errors=exc.fields,
            error=exc.message,
            failed_action=action,
            **_choices(),
        )
    return redirect(url_for("clauses.show", key=key, version=number))


@bp.route(
    "/<key>/versions/<int:number>/<any(submit, approve, reject, deprecate):action>",
    methods=["POST"],
)
@roles_required("legal")
def review(key: str, number: int, action: str):
    return _review(key, number, action)
