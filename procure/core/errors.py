"""Domain errors: raised by services, rendered by one handler in the web app and the CLI."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user must read: French message, HTTP status, and the fields at fault."""

    status = 400

    def __init__(
        self, message: str, *, fields: dict[str, str] | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class ValidationError(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """Optimistic locking: somebody saved first. `changes` says what they changed."""

    status = 409

    def __init__(self, message: str, *, changes: dict | None = None, **kw):
        super().__init__(message, **kw)
        self.changes = changes or {}


class ModelUnavailable(DomainError):
    """The model (local file or server) cannot answer: missing, corrupt, down or too slow."""

    status = 503
