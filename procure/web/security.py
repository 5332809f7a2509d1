"""Access rules: login and roles for views, and the actor passed to services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from procure.core.audit import Actor


def roles_required(*roles: str) -> Callable:
    """Require a logged-in user holding at least one of `roles` (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the access-rule tests
        return wrapped

    return decorator


def client_addr() -> str:
    return request.remote_addr or ""


def current_actor() -> Actor:
    return Actor.of(current_user, client_addr())
