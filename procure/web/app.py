"""The Flask application factory and the request's database session."""

from __future__ import annotations

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlmodel import Session

from procure.core.config import load_settings
from procure.core.resources import resource_dir

csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: defaults, then PROCURE_* variables, then `test_config`."""
    settings = load_settings(test_config)
    app = Flask(
        "procure",
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.update(settings)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)

    import procure.schema  # noqa: F401 - registers every table
    from procure.core.db import make_engine
    from procure.core.jobs import JobQueue
    from procure.core.model_provider import ModelProvider

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

    from procure.core.formatting import JINJA_FILTERS

    app.jinja_env.filters.update(JINJA_FILTERS)
    Htmx(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(user_id: str):
        from procure.core.models import User

        user = db_session().get(User, int(user_id))
        return user if user and user.active else None

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    from procure.web.setup import register_views

    register_views(app)
    return app


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["procure.engine"], expire_on_commit=False)
    return g.db_session
