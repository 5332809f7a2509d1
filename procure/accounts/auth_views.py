"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, request, url_for
from flask import session as cookie
from flask_login import current_user, login_required, login_user, logout_user

from procure.accounts import services as users
from procure.accounts import throttle
from procure.web.htmx import redirect, render
from procure.web.security import client_addr, current_actor
from procure.web.session import db_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login: "/x", never "//host", "/\\host" or a scheme."""
    if (
        target
        and len(target) <= 2000
        and target.startswith("/")
        and target[1:2] not in ("/", "\\")
        and "\\" not in target
        and target.isprintable()
        and not urlsplit(target).netloc
        and not urlsplit(target).scheme
    ):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("main.home"))
        return render("auth/login.html", next=request.args.get("next", ""), email="")
    email = request.form.get("email", "")[:254]
    try:
        user = users.authenticate(
            session=db_session(),
            email=email,
            password=request.form.get("password", "")[:1024],
            client_addr=client_addr(),
            limits=throttle.Limits.from_settings(current_app.config),
        )
    except users.TooManyAttempts as exc:
        return render(
            "auth/login.html",
            status=exc.status,
            next=request.form.get("next", ""),
            email=email,
            error=exc.message,
        )
    if user is None:
        return render(
            "auth/login.html",
            status=401,
            next=request.form.get("next", ""),
            email=email,
            error="Adresse électronique ou mot de passe incorrect, ou compte désactivé.",
        )
    token = users.login_session(session=db_session(), user=user, client_addr=client_addr())
    cookie.clear()  # nothing from before the login survives it
    login_user(user)
    cookie["sid"] = token
    cookie.permanent = True  # the cookie lasts SESSION_HOURS; the server checks the rest
    flash(f"Bienvenue, {user.display_name}.", "success")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    users.record_logout(session=db_session(), actor=current_actor(), token=cookie.get("sid"))
    logout_user()
    cookie.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
