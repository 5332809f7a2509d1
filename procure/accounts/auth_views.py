"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from procure.accounts import services as users
from procure.web.htmx import redirect, render
from procure.web.security import client_addr, current_actor
from procure.web.session import db_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("main.home"))
        return render("auth/login.html", next=request.args.get("next", ""), email="")
    email = request.form.get("email", "")
    user = users.authenticate(
        session=db_session(),
        email=email,
        password=request.form.get("password", ""),
        client_addr=client_addr(),
    )
    if user is None:
        return render(
            "auth/login.html",
            status=401,
            next=request.form.get("next", ""),
            email=email,
            error="Adresse électronique ou mot de passe incorrect, ou compte désactivé.",
        )
    login_user(user)
    flash(f"Bienvenue, {user.display_name}.", "success")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    users.record_logout(session=db_session(), actor=current_actor())
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
