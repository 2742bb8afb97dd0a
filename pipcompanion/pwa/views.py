"""/manifest.webmanifest, /sw.js and /offline: what makes PIP Companion installable and usable
with no connection. The worker caches only the app shell; family data stays on the server, except
moments waiting in the outbox (see static/js/outbox-core.js)."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, json, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..i18n import language_tag, text_direction
from ..limits import MOMENT_TEXT_MAX
from ..permissions import public
from ..services.settings import service_settings

bp = Blueprint("pwa", __name__)

THEME_COLOUR = "#8a3b12"
BACKGROUND_COLOUR = "#fffaf5"
# The app shell: everything a page needs that is the same for every family.
SHELL_FILES = [
    "css/app.css",
    "js/outbox-core.js",
    "js/app.js",
    "js/moment-form.js",
    "js/offline.js",
    "js/photos.js",
    "js/session-screen.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-192.png",
    "icons/maskable-512.png",
]


# Routes the worker must never answer nor cache (photos of moments): by endpoint, so a new address
# for them is excluded too.
NEVER_CACHED_ENDPOINTS = frozenset({"moments.moment_photo", "moments.moment_photo_thumbnail"})


def never_cached_patterns() -> list[str]:
    """The never-cached routes as regular expressions over a path (a variable part matches one segment)."""
    return sorted(
        "^" + re.sub(r"<[^>]+>", "[^/]+", re.escape(rule.rule)) + "$"
        for rule in current_app.url_map.iter_rules() if rule.endpoint in NEVER_CACHED_ENDPOINTS
    )


@cache
def shell_version(static_folder: str) -> str:
    """A short hash of the shell's files: a new release gets a new cache, and the worker updates."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        digest.update(name.encode())
        digest.update((Path(static_folder) / name).read_bytes())
    digest.update((Path(current_app.root_path) / "templates" / "pwa" / "sw.js").read_bytes())
    return digest.hexdigest()[:12]


@bp.route("/manifest.webmanifest")
@public
def manifest() -> Response:
    """The web app manifest, in the person's language (anyone)."""
    icons = [
        {"src": url_for("static", filename=f"icons/{kind}-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": purpose}
        for kind, purpose in (("icon", "any"), ("maskable", "maskable"))
        for size in (192, 512)
    ]
    icons.append({"src": url_for("static", filename="icons/icon.svg"), "sizes": "any", "type": "image/svg+xml",
                  "purpose": "any"})
    name = service_settings().service_name
    body = {
        "name": name,
        "short_name": name if len(name) <= 12 else "PIP Companion"[:12],
        "description": _("Notice and keep the small good moments with your baby between sessions."),
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "lang": language_tag(),
        "dir": text_direction(),
        "icons": icons,
    }
    response = current_app.response_class(json.dumps(body), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
@public
def service_worker() -> Response:
    """The service worker, with this release's shell version and file list (anyone)."""
    shell = [url_for("pwa.offline"), *(url_for("static", filename=name) for name in SHELL_FILES)]
    script = render_template(
        "pwa/sw.js",
        version=shell_version(current_app.static_folder or ""),
        shell_json=json.dumps(shell),
        never_cached_json=json.dumps(never_cached_patterns()),
        offline_url=url_for("pwa.offline"),
        outbox_script=url_for("static", filename="js/outbox-core.js"),
    )
    response = current_app.response_class(script, mimetype="text/javascript")
    # Browsers check for a new worker on every visit; never let a cache hide a release.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
@public
def offline() -> Response:
    """Shown by the worker when a page cannot be reached: the outbox and a simple Add a moment.
    Its language is in Content-Language, so pages can tell when the kept copy is in another one."""
    response = current_app.make_response(render_template("pwa/offline.html", moment_text_max=MOMENT_TEXT_MAX))
    response.headers["Content-Language"] = language_tag()
    return response
