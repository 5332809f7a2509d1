"""Security headers on every response: a CSP that htmx works under, frames, sniffing, referrer.

The pages load only their own scripts and styles (the vendored htmx and `static/procure.js`,
which asks for the confirmations the templates declare with `data-confirm`): no inline script,
no inline event handler, no inline style (htmx is told not to inject its indicator style).
"""

from __future__ import annotations

from flask import Response, current_app

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def add_security_headers(response: Response) -> Response:
    """Set the headers a response does not already carry; HSTS only when served over HTTPS."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SECURE_COOKIES"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
