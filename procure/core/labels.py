"""French labels of the statuses shown as badges, in every room (one table for all)."""

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
    "interrupted": "interrompue",
    "error": "erreur",
    "warning": "avertissement",
    "info": "information",
    "locked": "verrouillée",
    "open": "ouverte",
    "submitted": "soumise",
    "proposed": "proposée",
    "merged": "fusionnée",
    "undone": "annulée",
}
