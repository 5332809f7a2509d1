"""The error page or fragment (or JSON), for every HTTP error and domain error."""

from __future__ import annotations

from flask import jsonify, request

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
    503: "Service indisponible",
}
ERROR_TEXTS = {
    400: "La requête n'a pas pu être traitée.",
    401: "Vous devez vous connecter.",
    403: "Votre rôle ne donne pas accès à cette page ou à cette action.",
    404: "L'adresse demandée n'existe pas ou l'élément a été supprimé.",
    405: "Cette action n'est pas permise à cette adresse.",
    413: "Le fichier envoyé dépasse la taille autorisée.",
    500: "Une erreur inattendue s'est produite ; elle a été consignée.",
    503: "Le service est momentanément indisponible ; réessayez dans quelques instants.",
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
