"""PIP Companion: a between-sessions companion for parent-infant therapy."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

from .config import ProductionConfig, apply_environment, check_mail, check_production, config_class
from .extensions import compress, csrf, db, limiter, migrate
from .models.base import render_migration_type


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, and WAL so readers never block the writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _close_streamed_body(response: Response) -> Response:
    """Keep the close() of a streamed body (a static file): Flask-Compress swaps the body and drops it."""
    close = getattr(response.response, "close", None)
    if response.is_streamed and close is not None:
        response.call_on_close(close)
    return response


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits only (werkzeug's `\\d` also takes other scripts' digits, so
    /admin/people/١ was person 1), capped at the largest id PostgreSQL's integer column holds."""

    regex = "[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: str | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` is an environment name, or a mapping of overrides on 'testing'; with
    neither, PIPCOMPANION_ENV names it, and the app refuses to start when it is not set."""
    app = Flask(__name__, instance_relative_config=True)
    if isinstance(config, Mapping):
        chosen = config_class("testing")
        app.config.from_object(chosen)
        app.config.update(config)
    else:
        chosen = config_class(config)
        app.config.from_object(chosen)
        apply_environment(app.config, os.environ)
    check_mail(app.config)
    if chosen is ProductionConfig:
        check_production(app.config)
    # The cookie lives as long as the longest sign-in; the sign-in row decides when it really ends.
    app.config["PERMANENT_SESSION_LIFETIME"] = max(app.config["SIGN_IN_LIFETIME"], app.config["STAFF_SIGN_IN_LIFETIME"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Our queries are short; PostgreSQL's JIT compiles the caseload's on every view and costs
        # more than it saves (BENCHMARKS.md).
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"options": "-c jit=off"})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        database = os.path.join(app.instance_path, "pipcompanion.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    trusted_proxies = app.config["TRUSTED_PROXIES"]
    if trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies)  # type: ignore[method-assign]  # Flask's documented way to add middleware

    # Ids in addresses are database integers: a larger number is simply not found (a 404), not a
    # crash in the database driver.
    app.url_map.converters["int"] = DatabaseIdConverter
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, os.pardir, "migrations"), render_as_batch=True,
        render_item=render_migration_type, compare_type=True,
    )
    from . import security

    # First of all hooks (the form token, throttling, sign-in, Talisman's redirect): an API call over
    # plain HTTP in production is refused before anything reads it.
    app.before_request(security.refuse_plain_http_api)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    # Registered after Flask-Compress's own hook, so it runs before it (Flask runs them in reverse).
    app.after_request(_close_streamed_body)

    from . import auth, fragments, i18n, permissions

    auth.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    permissions.init_app(app)
    fragments.init_app(app)

    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .book import bp as book_bp
    from .check_ins import bp as check_ins_bp
    from .families import bp as families_bp
    from .moments import bp as moments_bp
    from .pages import bp as pages_bp
    from .progress import bp as progress_bp
    from .pwa import bp as pwa_bp
    from .therapist import bp as therapist_bp

    for blueprint in (pages_bp, accounts_bp, families_bp, moments_bp, therapist_bp, admin_bp, api_bp, pwa_bp,
                      check_ins_bp, book_bp, progress_bp):
        app.register_blueprint(blueprint)

    from . import cli, errors

    errors.init_app(app)
    cli.init_app(app)
    return app
