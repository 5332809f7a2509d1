"""The tenders room's pages (filled in by its issue)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tenders", __name__, url_prefix="/tenders")
