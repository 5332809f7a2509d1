"""The Flask application factory: settings, engine, jobs, model, blueprints, error handlers."""

from __future__ import annotations

from flask import Flask, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx

from procure.core.config import load_settings
from procure.core.errors import DomainError
from procure.core.labels import STATUS_LABELS
from procure.core.resources import resource_dir
from procure.web.errors import error_response
from procure.web.session import db_session

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
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    import procure.schema  # noqa: F401 - registers every table
    from procure.core.db import make_engine
    from procure.core.jobs import JobQueue, Resources
    from procure.core.model_provider import ModelProvider
    from procure.documents.store import DocumentStore

    engine = make_engine(app.config["DATABASE_URL"])
    model = app.config.get("MODEL_PROVIDER") or ModelProvider.from_config(app.config)
    store = DocumentStore(app.config["EXPORT_PATH"])
    resources = Resources(model=model, documents=store, settings=dict(app.config))
    app.extensions["procure.engine"] = engine
    app.extensions["procure.model"] = model
    app.extensions["procure.documents"] = store
    app.extensions["procure.resources"] = resources
    app.extensions["procure.jobs"] = JobQueue(
        engine,
        instance_path=app.config["INSTANCE_PATH"],
        redis_url=app.config["REDIS_URL"],
        immediate=bool(app.config.get("JOBS_IMMEDIATE")),
        resources=resources,
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
        from datetime import timedelta

        from flask import session as cookie

        from procure.accounts import sessions

        return sessions.resolve(
            session=db_session(),
            token=cookie.get("sid"),
            user_id=int(user_id) if str(user_id).isdigit() else None,
            lifetime=timedelta(hours=float(app.config["SESSION_HOURS"])),
            idle=timedelta(minutes=float(app.config["SESSION_IDLE_MINUTES"])),
        )

    from procure.web.headers import add_security_headers

    app.after_request(add_security_headers)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    register_views(app)
    return app


def register_views(app: Flask) -> None:
    """Register every blueprint from the rooms registry, the template globals, the error pages."""
    from procure import __version__, rooms
    from procure.core.models import ROLES

    for blueprint in rooms.blueprints():
        app.register_blueprint(blueprint)
    nav_items = rooms.navigation()

    @app.context_processor
    def _globals() -> dict:
        return {
            "nav_items": nav_items,
            "role_labels": ROLES,
            "status_labels": STATUS_LABELS,
            "procure_version": __version__,
        }

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return error_response(exc.status, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc: CSRFError):
        return error_response(
            400, "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page et recommencez."
        )

    for status in (400, 401, 403, 404, 405, 413, 500):
        app.register_error_handler(status, lambda exc, s=status: error_response(s))
