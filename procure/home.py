"""Home (each role's pending work) and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask_login import current_user, login_required

from procure import __version__, rooms
from procure.core.db import check_database
from procure.web.htmx import render
from procure.web.session import db_session

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    return render(
        "main/home.html", panels=rooms.pending_work(session=db_session(), user=current_user)
    )


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
