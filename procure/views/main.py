"""Home (each role's pending work) and the health check."""

from __future__ import annotations

import importlib

from flask import Blueprint, current_app, jsonify
from flask_login import current_user, login_required

from procure import __version__, db_session
from procure.db import check_database
from procure.htmx import render

bp = Blueprint("main", __name__)

# Each room's service module may offer `pending_work(*, session, user) -> list[dict]`:
# dicts with `title`, `items` (each `label`, `url`, optional `badge`) and `empty` text.
ROOM_SERVICES = ("clauses", "tenders", "sourcing", "evaluation")


@bp.route("/")
@login_required
def home():
    panels = []
    for room in ROOM_SERVICES:
        module = importlib.import_module(f"procure.services.{room}")
        pending = getattr(module, "pending_work", None)
        if pending:
            panels.extend(pending(session=db_session(), user=current_user))
    return render("main/home.html", panels=panels)


@bp.route("/healthz")
def healthz():
    engine = current_app.extensions["procure.engine"]
    db_status = check_database(engine)
    model = current_app.extensions["procure.model"].describe()
    body = {
        "status": "ok" if db_status == "ok" else "degraded",
        "version": __version__,
        "database": {"status": db_status, "backend": engine.dialect.name},
        "model": model,
    }
    return jsonify(body), 200 if db_status == "ok" else 503
