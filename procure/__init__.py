"""Procure: the procurement assistant for French public buyers who buy AI systems."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlmodel import Session

from procure.config import load_settings

try:
    __version__ = version("procure")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

_ROOT = Path(__file__).resolve().parent.parent
_BUNDLED = Path(__file__).resolve().parent / "_bundled"


def resource_dir(name: str) -> Path:
    """Top-level data folder (templates, static, clauses): the checkout's, else the wheel's copy."""
    local = _ROOT / name
    return local if local.is_dir() else _BUNDLED / name


csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: defaults, then PROCURE_* variables, then `test_config`."""
    settings = load_settings(test_config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.update(settings)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)

    from procure import models  # noqa: F401 - registers every table
    from procure.db import make_engine
    from procure.jobs import JobQueue
    from procure.model import ModelProvider

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["procure.engine"] = engine
    app.extensions["procure.jobs"] = JobQueue(
        engine,
        instance_path=app.config["INSTANCE_PATH"],
        redis_url=app.config["REDIS_URL"],
        immediate=bool(app.config.get("JOBS_IMMEDIATE")),
    )
    app.extensions["procure.model"] = app.config.get("MODEL_PROVIDER") or ModelProvider.from_config(
        app.config
    )

    Htmx(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(user_id: str):
        from procure.models.core import User

        user = db_session().get(User, int(user_id))
        return user if user and user.active else None

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    from procure.views import register_views

    register_views(app)
    return app


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["procure.engine"], expire_on_commit=False)
    return g.db_session
