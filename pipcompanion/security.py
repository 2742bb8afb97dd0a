"""Security headers (Flask-Talisman), HTTPS for the API, and the Origin check on requests that
change something."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError

from .problems import ApiProblem, wants_problem

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

# Our pages send their address to us alone (Flask-WTF's strict check on HTTPS needs a Referer that
# names this site) and nothing to other sites. Invitation and password links carry a secret in
# their path, but their pages move it out of the address at once by a redirect.
REFERRER_POLICY = "same-origin"
DEFAULT_PORTS = {"http": 80, "https": 443}


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
        referrer_policy=REFERRER_POLICY,
        frame_options="DENY",
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
    )

    app.before_request(refuse_foreign_origin)

    @app.after_request
    def _no_store_for_signed_in_pages(response: Response) -> Response:
        # Family data must never sit in a shared cache or the back-forward cache of a shared phone.
        personal = response.mimetype in ("text/html", "application/json", "application/problem+json")
        if "Cache-Control" not in response.headers and personal:
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def refuse_plain_http_api() -> None:
    """before_request, ahead of every other hook: with FORCE_HTTPS (production), a call to the JSON
    API over plain HTTP is refused with a problem, where a page is redirected to HTTPS. By then the
    call has sent its cookie and body in the clear; a redirect would hide that from the client
    (ASVS 4.1.2). Behind TRUSTED_PROXIES the scheme the proxy forwards counts (ProxyFix); a client's
    own X-Forwarded-Proto does not."""
    if current_app.config["FORCE_HTTPS"] and wants_problem() and not request.is_secure:
        raise ApiProblem(
            403, "https-required", _("This API answers over HTTPS only"),
            detail=_("Nothing was done. Send the request again to the same address, starting with https://."))


def origin_of(url: str) -> tuple[str, str, int] | None:
    """The (scheme, host, port) of an origin or address; None for `null` or anything unreadable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def refuse_foreign_origin() -> None:
    """before_request: a request that changes something (POST, PUT, PATCH, DELETE) and names an
    Origin other than this app's own (as the app sees it, behind the trusted proxies) is refused
    like a missing CSRF token. Browsers send `Origin: null` from pages whose referrer policy hides
    their address, and another site's page may choose that policy, so `null` is refused too."""
    origin = request.headers.get("Origin")
    if origin is None or request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return
    own = origin_of(request.host_url)
    if own is None or origin_of(origin) != own:
        raise CSRFError("The origin does not match the host.")
