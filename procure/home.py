"""Home (each role's pending work) and the health check."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

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


def redact_url(url: str) -> str:
    """A URL without its user name and password (a model server URL may carry credentials)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@bp.route("/healthz")
def healthz():
    """Public: the status only. An admin also gets the version, database and model details."""
    engine = current_app.extensions["procure.engine"]
    db_status = check_database(engine)
    body: dict = {"status": "ok" if db_status == "ok" else "degraded"}
    if current_user.is_authenticated and current_user.has_role("admin"):
        model = dict(current_app.extensions["procure.model"].describe())
        if model.get("url"):
            model["url"] = redact_url(str(model["url"]))
        body.update(
            {
                "version": __version__,
                "database": {"status": db_status, "backend": engine.dialect.name},
                "model": model,
            }
        )
    return jsonify(body), 200 if db_status == "ok" else 503
