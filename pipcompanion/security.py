"""Security headers (Flask-Talisman) and the fail-closed check on undeclared routes."""

from __future__ import annotations

from flask import Flask, Response
from flask_talisman import Talisman

# No inline script or style anywhere: everything comes from our own origin.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "manifest-src": "'self'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PERMISSIONS_POLICY = {
    "camera": "(self)",
    "geolocation": "()",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "interest-cohort": "()",
}


def init_app(app: Flask) -> None:
    production_https = bool(app.config["FORCE_HTTPS"])
    # One Talisman per app: it keeps its settings on itself, so a shared instance would
    # let the last app created (a test's production app, say) set every app's headers.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=production_https,
        strict_transport_security=production_https,
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        # Invitation and reset links carry secrets in their path: never leak them onwards.
        referrer_policy="no-referrer",
        frame_options="DENY",
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
    )

    @app.after_request
    def _no_store_for_signed_in_pages(response: Response) -> Response:
        # Family data must never sit in a shared cache or the back-forward cache of a shared phone.
        personal = response.mimetype in ("text/html", "application/json", "application/problem+json")
        if "Cache-Control" not in response.headers and personal:
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
