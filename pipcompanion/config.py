"""Configuration: one class per environment; secrets and addresses from the environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .limits import PHOTO_REQUEST_BYTES_MAX

WEAK_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development-only-secret-key"}
MIN_SECRET_KEY_LENGTH = 32
# A random key of 32 characters or more has far more different characters than this, from more
# than one kind (letters, digits, symbols); a key with fewer was typed, not made.
MIN_SECRET_KEY_DISTINCT = 10
MAKE_A_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
# More proxies than this in front of one app is a typo: trusting them would let a client choose
# its own address (and dodge the sign-in throttling) by sending made-up X-Forwarded-For entries.
MAX_TRUSTED_PROXIES = 5
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says why in one line."""


class BaseConfig:
    SECRET_KEY = "development-only-secret-key"
    SQLALCHEMY_DATABASE_URI = ""
    # hide_parameters: a database error's message (and so the traceback Flask logs) names the
    # statement but never its values, such as the words of a moment (health data).
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Login throttling, counted on failed attempts only.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"
    # Invitation codes and reset links typed or opened from one address.
    TOKEN_LIMIT_PER_ADDRESS = "20 per 15 minutes"

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(PROJECT_ROOT, "translations")
    # Every language the app has a catalog for (code -> its name in itself), in the order the
    # switchers list them; catalogs live in translations/ and each service offers some or all of
    # them (Admin > Settings). Adding one: README, "Adding a language".
    LANGUAGES = {
        "en": "English",
        "cy": "Cymraeg",
        "pl": "Polski",
        "ro": "Română",
        "es": "Español",
        "so": "Soomaali",
        "ar": "العربية",
        "ur": "اردو",
        "bn": "বাংলা",
    }
    # The regional formats each language is shown with (dates as "19 November 2026" in the UK).
    LOCALE_FORMATS = {"en": "en_GB", "cy": "cy_GB"}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    # A new cookie only when the session changes (auth.py renews it each minute of use): otherwise
    # every response, static files too, re-sends the session it started with, and one that was
    # sent before a page's (the service worker's, in parallel) puts back an older session.
    SESSION_REFRESH_EACH_REQUEST = False
    # Therapists and admins are signed out after this long without a request.
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    # However busy, a sign-in ends after this long (services/sign_ins.py): a working day for staff,
    # who see many families; a month for carers and viewers on their own phones.
    STAFF_SIGN_IN_LIFETIME = timedelta(hours=12)
    SIGN_IN_LIFETIME = timedelta(days=30)
    # After a right password, how long the code from the authenticator app may take to follow.
    TWO_FACTOR_STEP_TIMEOUT = timedelta(minutes=10)
    MAX_CONTENT_LENGTH = PHOTO_REQUEST_BYTES_MAX  # a request with three photos; a larger one is a 413
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the signed session

    INVITATION_LIFETIME = timedelta(days=14)
    PASSWORD_RESET_LIFETIME = timedelta(hours=24)
    # A new therapist's "choose your password" link.
    ACCOUNT_SETUP_LIFETIME = timedelta(days=7)
    # argon2id parameters (RFC 9106 second recommendation: 64 MiB, 3 passes).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 4
    FORCE_HTTPS = False
    # How many reverse proxies sit in front: their X-Forwarded-For/-Proto entries are believed.
    TRUSTED_PROXIES = 0
    # Exactly one process serves the app, so the limiter may count in that process's memory.
    SINGLE_PROCESS = False
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/json",
        "application/problem+json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    DEMO_DATA_ALLOWED = False
    # Rendered moment and caseload cards (pipcompanion/fragments.py), in each process's own memory:
    # never a shared or on-disk cache, as they hold family data. A card's key is everything it shows
    # and who is looking, so a change is a new key, never a stale card; the least recently used go.
    CACHE_TYPE = "pipcompanion.fragments.LeastRecentlyUsedCache"
    CACHE_THRESHOLD = 4000  # cards per process, about 1 KB each
    CACHE_DEFAULT_TIMEOUT = 3600

    # Email (pipcompanion/mail.py), for the password links staff make. No MAIL_SERVER: no email, and
    # staff are shown each link once to hand over, as before.
    MAIL_SERVER = ""
    MAIL_PORT = 0  # 0: the usual port for MAIL_SECURITY (587 for starttls, 465 for tls, 25 for none)
    # How the connection is protected: "starttls" (upgrade a plain connection), "tls" (implicit TLS
    # from the start) or "none" (only for a relay on this machine; production refuses it elsewhere).
    MAIL_SECURITY = "starttls"
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = ""  # the address mail comes from; the service's name is shown beside it
    MAIL_TIMEOUT = 10  # seconds to wait for the mail server before telling staff it could not send
    # Print each email to the terminal instead of sending it (development; production refuses it,
    # as the log would then hold working password links).
    MAIL_CONSOLE = False


class DevelopmentConfig(BaseConfig):
    DEMO_DATA_ALLOWED = True
    MAIL_CONSOLE = True
    MAIL_FROM = "no-reply@pip-companion.example"


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "testing-secret-key-that-is-long-enough-0123456789"
    # Cheap hashing keeps the suite fast; every other environment uses the defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    DEMO_DATA_ALLOWED = True


class ProductionConfig(BaseConfig):
    SECRET_KEY = ""
    # __Host-: the browser keeps it only if it is Secure, for the whole site, from this host alone.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    FORCE_HTTPS = True


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def host_names(value: str) -> list[str]:
    """TRUSTED_HOSTS from the environment: host names separated by commas (a leading dot takes subdomains)."""
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    if not names or any(not name.isascii() or any(c in name for c in "/:@ ") for name in names):
        raise ValueError(f"use the host names people reach the service at, separated by commas "
                         f"(such as pip.example.nhs.uk), not {value!r}")
    return names


def proxy_count(value: str) -> int:
    """TRUSTED_PROXIES from the environment: a whole number from 0 to MAX_TRUSTED_PROXIES."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_TRUSTED_PROXIES:
        raise ValueError(f"use a whole number from 0 to {MAX_TRUSTED_PROXIES} (how many reverse proxies "
                         f"sit in front of the app), not {value!r}")
    return int(text)


MAIL_SECURITY_CHOICES = ("starttls", "tls", "none")
MAX_MAIL_TIMEOUT = 60


def mail_security(value: str) -> str:
    """MAIL_SECURITY from the environment: starttls, tls or none."""
    text = value.strip().lower()
    if text not in MAIL_SECURITY_CHOICES:
        raise ValueError(f"use starttls, tls or none, not {value!r}")
    return text


def port_number(value: str) -> int:
    """MAIL_PORT from the environment: a TCP port, 1 to 65535."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(f"use a port number from 1 to 65535, not {value!r}")
    return int(text)


def seconds(value: str) -> int:
    """MAIL_TIMEOUT from the environment: whole seconds, 1 to MAX_MAIL_TIMEOUT (a page waits that long)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_MAIL_TIMEOUT:
        raise ValueError(f"use a whole number of seconds from 1 to {MAX_MAIL_TIMEOUT}, not {value!r}")
    return int(text)


def flag(value: str) -> bool:
    """An on/off setting from the environment: 1, true, yes, on or 0, false, no, off."""
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"use 1 or 0, not {value!r}")


# Environment variable -> (config key, converter). Documented in the README.
ENVIRONMENT_SETTINGS: dict[str, tuple[str, Any]] = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "LOGIN_LIMIT_PER_ACCOUNT": ("LOGIN_LIMIT_PER_ACCOUNT", str),
    "LOGIN_LIMIT_PER_ADDRESS": ("LOGIN_LIMIT_PER_ADDRESS", str),
    "STAFF_IDLE_MINUTES": ("STAFF_IDLE_TIMEOUT", lambda v: timedelta(minutes=int(v))),
    "STAFF_SIGN_IN_HOURS": ("STAFF_SIGN_IN_LIFETIME", lambda v: timedelta(hours=int(v))),
    "SIGN_IN_DAYS": ("SIGN_IN_LIFETIME", lambda v: timedelta(days=int(v))),
    "INVITATION_DAYS": ("INVITATION_LIFETIME", lambda v: timedelta(days=int(v))),
    "FORCE_HTTPS": ("FORCE_HTTPS", flag),
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", proxy_count),
    "TRUSTED_HOSTS": ("TRUSTED_HOSTS", host_names),
    "SINGLE_PROCESS": ("SINGLE_PROCESS", flag),
    "MAIL_SERVER": ("MAIL_SERVER", str.strip),
    "MAIL_PORT": ("MAIL_PORT", port_number),
    "MAIL_SECURITY": ("MAIL_SECURITY", mail_security),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_FROM": ("MAIL_FROM", str.strip),
    "MAIL_TIMEOUT": ("MAIL_TIMEOUT", seconds),
    "MAIL_CONSOLE": ("MAIL_CONSOLE", flag),
}


def config_class(name: str | None = None) -> type[BaseConfig]:
    """The config class named by `name`, else by PIPCOMPANION_ENV, which must then be set.

    There is no default: a server that forgot the variable would otherwise run with the development
    settings (a published key, no HTTPS, demo data allowed). `make run` names development itself.
    """
    name = (name or os.environ.get("PIPCOMPANION_ENV") or "").strip()
    if not name:
        raise ConfigError(
            "PIPCOMPANION_ENV is not set: set it to production on a server (README, Production deployment), "
            "or to development on your own computer (make run sets it for you)."
        )
    if name not in CONFIGS:
        raise ConfigError(f"PIPCOMPANION_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    return CONFIGS[name]


def apply_environment(config: MutableMapping[str, Any], environ: MutableMapping[str, str]) -> None:
    """Override config values with the environment variables that are set."""
    for variable, (key, convert) in ENVIRONMENT_SETTINGS.items():
        if environ.get(variable):
            try:
                config[key] = convert(environ[variable])
            except ValueError as error:
                raise ConfigError(f"{variable} has an invalid value: {error}.") from error


def secret_key_weakness(key: str) -> str | None:
    """Why this SECRET_KEY is too weak for production, or None for a key that looks random.

    The rule is simple on purpose: long enough, not a well-known value, not one character or a
    short piece repeated, enough different characters, and more than one kind of character.
    """
    if not key:
        return "it is not set"
    if key in WEAK_SECRET_KEYS:
        return "it is a well-known value"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"it is {len(key)} characters long, it needs at least {MIN_SECRET_KEY_LENGTH}"
    if len(set(key)) == 1:
        return "it is one character repeated"
    if any(key == (key[:size] * (len(key) // size + 1))[: len(key)] for size in range(2, len(key) // 2 + 1)):
        return "it is a short piece repeated"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return f"it has only {len(set(key))} different characters, it needs at least {MIN_SECRET_KEY_DISTINCT}"
    kinds = {"lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
             for c in key}
    if len(kinds) == 1:
        return "it has only one kind of character (mix letters, digits and symbols)"
    return None


def is_loopback(host: str) -> bool:
    """Whether this mail server name is this machine itself (localhost, 127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_mail(config: MutableMapping[str, Any]) -> None:
    """Refuse, in one line, mail settings that could never send: an unknown MAIL_SECURITY, or a mail
    server with no usable MAIL_FROM. (Every environment: a typo here would only show when a link
    could not be sent.)"""
    if config.get("MAIL_SECURITY") not in MAIL_SECURITY_CHOICES:
        raise ConfigError(f"MAIL_SECURITY must be starttls, tls or none, not {config.get('MAIL_SECURITY')!r}.")
    if not config.get("MAIL_SERVER"):
        return
    sender = config.get("MAIL_FROM") or ""
    try:
        validate_email(sender, check_deliverability=False)
    except EmailNotValidError:
        raise ConfigError(
            f"MAIL_FROM must be the plain address mail is sent from (such as no-reply@your-service.nhs.uk) when "
            f"MAIL_SERVER is set, not {sender!r}."
        ) from None


def check_production(config: MutableMapping[str, Any]) -> None:
    """Refuse, in one line, a production config with a weak key, no real database, per-process
    throttling counts, or mail that would leave password links readable (printed to the log, or sent
    unencrypted across a network)."""
    weakness = secret_key_weakness(config.get("SECRET_KEY") or "")
    if weakness:
        raise ConfigError(
            f"SECRET_KEY is too weak for production: {weakness}. Make a random one of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters with: {MAKE_A_SECRET_KEY}"
        )
    url = config.get("SQLALCHEMY_DATABASE_URI") or ""
    if not url:
        raise ConfigError("DATABASE_URL must be set in production (postgresql+psycopg://...).")
    if url.startswith("sqlite"):
        raise ConfigError("DATABASE_URL must point at PostgreSQL in production, not SQLite.")
    storage = config.get("RATELIMIT_STORAGE_URI") or ""
    if storage.startswith("memory://") and not config.get("SINGLE_PROCESS"):
        raise ConfigError(
            "RATELIMIT_STORAGE_URI is memory:// in production, so each process would count sign-in "
            "failures on its own: point it at Redis (redis://host:6379/0), or set SINGLE_PROCESS=1 "
            "if exactly one process serves the app."
        )
    if config.get("MAIL_CONSOLE"):
        raise ConfigError(
            "MAIL_CONSOLE is on in production: every email, with its working password link, would be printed "
            "to the log. Set MAIL_SERVER to send mail, or leave both unset to show links to staff."
        )
    server = config.get("MAIL_SERVER") or ""
    if server and not config.get("TRUSTED_HOSTS"):
        raise ConfigError(
            "TRUSTED_HOSTS is not set, and MAIL_SERVER is: emailed password links are built from the address a "
            "request names, so a request naming another site could mail a link to it. Set TRUSTED_HOSTS to the "
            "host names people reach the service at (such as pip.example.nhs.uk)."
        )
    if server and config.get("MAIL_SECURITY") == "none" and not is_loopback(server):
        raise ConfigError(
            f"MAIL_SECURITY is none for the mail server {server}, so password links would cross the network "
            "unencrypted: use starttls or tls, or a relay on this machine (localhost)."
        )
