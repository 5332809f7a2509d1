"""Administration: accounts and the audit log."""

from __future__ import annotations

from flask import Blueprint, Response, flash, request, url_for
from flask_login import current_user

from procure.accounts import services as users
from procure.core import audit
from procure.core.errors import ValidationError
from procure.core.models import ROLES, AuditEvent, utcnow
from procure.web.htmx import is_fragment_request, redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_context() -> dict:
    accounts = users.list_users(session=db_session())
    refusals = users.deactivation_refusals(
        session=db_session(), actor=current_actor(), users=accounts
    )
    return {"users": accounts, "refusals": refusals, "roles": ROLES}


@bp.route("/users")
@roles_required("admin")
def user_list():
    return render("admin/users.html", **_users_context(), form={}, errors={})


@bp.route("/users", methods=["POST"])
@roles_required("admin")
def user_create():
    form = request.form
    try:
        user = users.create_user(
            session=db_session(),
            actor=current_actor(),
            email=form.get("email", ""),
            password=form.get("password", ""),
            roles=form.getlist("roles"),
            full_name=form.get("full_name", ""),
            organisation=form.get("organisation", ""),
        )
    except ValidationError as exc:
        return render(
            "admin/users.html",
            status=422,
            **_users_context(),
            form=form,
            errors=exc.fields,
            error=exc.message,
        )
    flash(f"Compte créé pour {user.email}.", "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def user_set_active(user_id: int):
    active = request.form.get("active") == "1"
    try:
        user = users.set_active(
            session=db_session(), actor=current_actor(), user_id=user_id, active=active
        )
    except (users.LastActiveAdmin, ValidationError) as exc:
        db_session().rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user_list"))
    flash(f"Compte {'réactivé' if active else 'désactivé'} : {user.email}.", "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@roles_required("admin")
def user_set_roles(user_id: int):
    try:
        user = users.set_roles(
            session=db_session(),
            actor=current_actor(),
            user_id=user_id,
            roles=request.form.getlist("roles"),
        )
    except (users.LastActiveAdmin, ValidationError) as exc:
        db_session().rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user_list"))
    flash(f"Rôles mis à jour pour {user.email}.", "success")
    return redirect(url_for("admin.user_list"))


# Where an audit event's record can be opened, and who may open it; other records have no page.
RECORD_PAGES = {
    "user": (("admin",), lambda e: url_for("admin.user_list", _anchor=f"user-{e.record_id}")),
    "tender": (("buyer",), lambda e: url_for("tenders.show", tender_id=int(e.record_id))),
    "clause_version": (
        ("legal", "buyer", "admin"),
        lambda e: url_for("clauses.show", key=e.details["key"]) if e.details.get("key") else None,
    ),
    "sourcing_shortlist": (
        ("sourcing", "admin"),
        lambda e: url_for("sourcing.shortlist", shortlist_id=int(e.record_id)),
    ),
    "supplier_merge": (("sourcing", "admin"), lambda e: url_for("sourcing.merges")),
}


def record_url(event: AuditEvent) -> str | None:
    """The page of the event's record, if it has one this user may open."""
    found = RECORD_PAGES.get(event.record_type)
    if not found or not event.record_id.isdigit() or not current_user.has_role(*found[0]):
        return None
    return found[1](event)


def _audit_filter() -> tuple[audit.AuditFilter, dict[str, str]]:
    return audit.parse_filter(request.args)


@bp.route("/audit")
@roles_required("admin")
def audit_log():
    page = min(max(request.args.get("page", 1, type=int), 1), 1_000_000)
    where, errors = _audit_filter()
    session = db_session()
    events, total = audit.list_events(session=session, where=where, page=page)
    # The form's lists are on the full page only: the fragment htmx swaps is the table.
    form_lists = (
        {}
        if is_fragment_request()
        else {
            "actions": audit.action_choices(session=session),
            "record_types": audit.record_type_choices(session=session),
            "accounts": users.list_users(session=session),
        }
    )
    return render(
        "admin/audit.html",
        "admin/_audit_table.html",
        # htmx swaps only a 2xx answer: the fragment carries its error message with a 200.
        status=422 if errors and not is_fragment_request() else 200,
        rows=[audit.audit_row(e) for e in events],
        record_url=record_url,
        total=total,
        page=page,
        per_page=50,
        where=where,
        filters=where.query_args(),
        errors=errors,
        **form_lists,
    )


@bp.route("/audit.csv")
@roles_required("admin")
def audit_export():
    where, errors = _audit_filter()
    if errors:
        raise ValidationError("L'export n'a pas été fait : corrigez le filtre.", fields=errors)
    body, _ = audit.export_csv(session=db_session(), actor=current_actor(), where=where)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Response(
        body,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=journal-audit-{stamp}.csv"},
    )
