"""The request's database session: one per request, opened on first use, closed at teardown."""

from __future__ import annotations

from flask import current_app, g
from sqlmodel import Session


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["procure.engine"], expire_on_commit=False)
    return g.db_session
