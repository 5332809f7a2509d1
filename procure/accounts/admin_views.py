"""Administration: accounts and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for

from procure.accounts import services as users
from procure.core import audit
from procure.core.errors import ValidationError
from procure.core.models import ROLES
from procure.web.htmx import redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required("admin")
def user_list():
    return render(
        "admin/users.html",
        users=users.list_users(session=db_session()),
        roles=ROLES,
        form={},
        errors={},
    )


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
            users=users.list_users(session=db_session()),
            roles=ROLES,
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
    user = users.set_active(
        session=db_session(), actor=current_actor(), user_id=user_id, active=active
    )
    flash(f"Compte {'réactivé' if active else 'désactivé'} : {user.email}.", "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@roles_required("admin")
def user_set_roles(user_id: int):
    user = users.set_roles(
        session=db_session(),
        actor=current_actor(),
        user_id=user_id,
        roles=request.form.getlist("roles"),
    )
    flash(f"Rôles mis à jour pour {user.email}.", "success")
    return redirect(url_for("admin.user_list"))


@bp.route("/audit")
@roles_required("admin")
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    filters = {k: request.args.get(k, "").strip() for k in ("action", "record_type", "actor_email")}
    events, total = audit.list_events(
        session=db_session(), page=page, **{k: v or None for k, v in filters.items()}
    )
    return render(
        "admin/audit.html",
        "admin/_audit_table.html",
        events=events,
        details_of=audit.shown_details,
        total=total,
        page=page,
        per_page=50,
        filters=filters,
    )
