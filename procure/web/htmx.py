"""The one place that knows htmx headers and decides page or fragment."""

from __future__ import annotations

from flask import Response, make_response, render_template, request

HX_REQUEST = "HX-Request"
HX_HISTORY_RESTORE = "HX-History-Restore-Request"
HX_TRIGGER = "HX-Trigger"
HX_REDIRECT = "HX-Redirect"
HX_RETARGET = "HX-Retarget"
HX_RESWAP = "HX-Reswap"


def is_fragment_request() -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render(
    template_page: str, fragment: str | None = None, *, status: int = 200, **context
) -> Response:
    """Render the full page, or only its fragment for an htmx request; vary on HX-Request."""
    template = fragment if fragment and is_fragment_request() else template_page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", HX_REQUEST)
    return response


def redirect(url: str, status: int = 303) -> Response:
    """A 303 redirect; for htmx, an HX-Redirect so the browser navigates."""
    if is_fragment_request():
        response = make_response("", 204)
        response.headers[HX_REDIRECT] = url
        return response
    response = make_response("", status)
    response.headers["Location"] = url
    return response
