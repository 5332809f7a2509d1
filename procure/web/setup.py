"""Blueprints, one per room, and the error handlers."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError

from procure.core.errors import DomainError
from procure.web.htmx import render

ERROR_TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit de modification",
    413: "Fichier trop volumineux",
    422: "Données invalides",
    500: "Erreur interne",
}
ERROR_TEXTS = {
    400: "La requête n'a pas pu être traitée.",
    401: "Vous devez vous connecter.",
    403: "Votre rôle ne donne pas accès à cette page ou à cette action.",
    404: "L'adresse demandée n'existe pas ou l'élément a été supprimé.",
    405: "Cette action n'est pas permise à cette adresse.",
    413: "Le fichier envoyé dépasse la taille autorisée.",
    500: "Une erreur inattendue s'est produite ; elle a été consignée.",
}


def error_response(status: int, message: str | None = None, fields: dict | None = None):
    message = message or ERROR_TEXTS.get(status, "Erreur.")
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify({"error": message, "fields": fields or {}}), status
    return render(
        "errors/error.html",
        "errors/_error.html",
        status=status,
        code=status,
        title=ERROR_TITLES.get(status, "Erreur"),
        message=message,
        fields=fields or {},
    )


STATUS_LABELS = {
    "draft": "brouillon",
    "in_review": "en relecture",
    "approved": "approuvée",
    "deprecated": "retirée",
    "rejected": "rejetée",
    "queued": "en attente",
    "running": "en cours",
    "done": "terminée",
    "failed": "échouée",
    "error": "erreur",
    "warning": "avertissement",
    "info": "information",
    "locked": "verrouillée",
    "open": "ouverte",
    "submitted": "soumise",
}


def register_views(app: Flask) -> None:
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
