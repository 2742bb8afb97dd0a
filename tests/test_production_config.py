"""Production refuses to start, in one line that says what to do, with a weak SECRET_KEY, no
PostgreSQL, or sign-in throttling counted in each process's memory."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from pipcompanion import create_app
from pipcompanion.config import ENVIRONMENT_SETTINGS, ConfigError, secret_key_weakness

from .conftest import MakeApp

STRONG_KEY = "Zq3-vT8_mW1xKp4Rb7nYc2Ls9Hd6Gf0Ej5Ua"
POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"
MAKE_A_KEY = (
    'Make a random one of at least 32 characters with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
)
MEMORY_REFUSED = (
    "RATELIMIT_STORAGE_URI is memory:// in production, so each process would count sign-in failures on its own: "
    "point it at Redis (redis://host:6379/0), or set SINGLE_PROCESS=1 if exactly one process serves the app."
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A production environment that starts (strong key, PostgreSQL, Redis); each test spoils one thing."""
    for variable in [*ENVIRONMENT_SETTINGS, "PIPCOMPANION_ENV"]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", POSTGRESQL)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", REDIS)
    return monkeypatch


def refusal() -> str:
    """The one-line message production starts with, having refused."""
    with pytest.raises(ConfigError) as raised:
        create_app("production")
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_production_starts_with_a_strong_key_postgresql_and_redis(environ: pytest.MonkeyPatch) -> None:
    app = create_app("production")
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS
    assert app.config["SINGLE_PROCESS"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(("make_key", "size"), [(secrets.token_urlsafe, 48), (secrets.token_hex, 32),
                                                (secrets.token_urlsafe, 24)])
def test_random_keys_are_accepted(environ: pytest.MonkeyPatch, make_key: Callable[[int], str], size: int) -> None:
    # The README's recipe, a hex key, and the shortest urlsafe key that is long enough (32 characters).
    key = make_key(size)
    environ.setenv("SECRET_KEY", key)
    assert create_app("production").config["SECRET_KEY"] == key
    # The rule never turns a random key down (a thousand more, straight to the rule, as it is quick).
    assert [weak for weak in (make_key(size) for _ in range(1000)) if secret_key_weakness(weak)] == []


def test_no_secret_key_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.delenv("SECRET_KEY")
    assert refusal() == f"SECRET_KEY is too weak for production: it is not set. {MAKE_A_KEY}"


def test_a_well_known_secret_key_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("SECRET_KEY", "change-me")
    assert refusal() == f"SECRET_KEY is too weak for production: it is a well-known value. {MAKE_A_KEY}"


def test_a_short_secret_key_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("SECRET_KEY", "Zq3-vT8_mW1xKp4Rb7nYc2L")
    assert refusal() == (
        f"SECRET_KEY is too weak for production: it is 23 characters long, it needs at least 32. {MAKE_A_KEY}"
    )


def test_a_secret_key_of_one_character_repeated_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("SECRET_KEY", "x" * 64)
    assert refusal() == f"SECRET_KEY is too weak for production: it is one character repeated. {MAKE_A_KEY}"


@pytest.mark.parametrize("key", ["ab12" * 10, "Password1!" * 4, "Zq3-vT8_mW1xKp4Rb" * 2 + "Zq3"])
def test_a_secret_key_of_a_short_piece_repeated_is_refused(environ: pytest.MonkeyPatch, key: str) -> None:
    environ.setenv("SECRET_KEY", key)
    assert refusal() == f"SECRET_KEY is too weak for production: it is a short piece repeated. {MAKE_A_KEY}"


def test_a_secret_key_with_few_different_characters_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("SECRET_KEY", "aB1-a1Ba-1aB11-aBB1a-a-1BaaB-1-1B1aa")
    assert refusal() == (
        f"SECRET_KEY is too weak for production: it has only 4 different characters, it needs at least 10. {MAKE_A_KEY}"
    )


@pytest.mark.parametrize("key", ["correcthorsebatterystapleplumlantern", "CORRECTHORSEBATTERYSTAPLEPLUMLANTERN",
                                 "31415926535897932384626433832795028841"])
def test_a_secret_key_of_one_kind_of_character_is_refused(environ: pytest.MonkeyPatch, key: str) -> None:
    environ.setenv("SECRET_KEY", key)
    assert refusal() == (
        "SECRET_KEY is too weak for production: it has only one kind of character (mix letters, digits and "
        f"symbols). {MAKE_A_KEY}"
    )


def test_no_database_url_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.delenv("DATABASE_URL")
    assert refusal() == "DATABASE_URL must be set in production (postgresql+psycopg://...)."


def test_sqlite_is_refused(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("DATABASE_URL", "sqlite:///pip.sqlite3")
    assert refusal() == "DATABASE_URL must point at PostgreSQL in production, not SQLite."


def test_in_memory_throttling_counts_are_refused(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert refusal() == MEMORY_REFUSED


def test_the_default_in_memory_throttling_counts_are_refused(environ: pytest.MonkeyPatch) -> None:
    environ.delenv("RATELIMIT_STORAGE_URI")
    assert refusal() == MEMORY_REFUSED


@pytest.mark.parametrize("value", ["0", "no", "false"])
def test_single_process_off_does_not_allow_in_memory_counts(environ: pytest.MonkeyPatch, value: str) -> None:
    environ.setenv("RATELIMIT_STORAGE_URI", "memory://")
    environ.setenv("SINGLE_PROCESS", value)
    assert refusal() == MEMORY_REFUSED


def test_in_memory_counts_start_when_the_app_runs_as_a_single_process(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("RATELIMIT_STORAGE_URI", "memory://")
    environ.setenv("SINGLE_PROCESS", "1")
    app = create_app("production")
    assert app.config["SINGLE_PROCESS"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("variable", ["SINGLE_PROCESS", "FORCE_HTTPS"])
def test_an_on_off_setting_that_is_neither_is_refused(environ: pytest.MonkeyPatch, variable: str) -> None:
    environ.setenv(variable, "maybe")
    assert refusal() == f"{variable} has an invalid value: use 1 or 0, not 'maybe'."


def test_production_sends_mail_through_the_server_it_is_given(environ: pytest.MonkeyPatch) -> None:
    for variable, value in {"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "2525", "MAIL_SECURITY": "tls",
                            "MAIL_USERNAME": "pip", "MAIL_PASSWORD": "s3cret", "MAIL_FROM": "no-reply@example.org",
                            "MAIL_TIMEOUT": "20", "TRUSTED_HOSTS": "pip.example.org"}.items():
        environ.setenv(variable, value)
    config = create_app("production").config
    assert (config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_SECURITY"], config["MAIL_USERNAME"],
            config["MAIL_PASSWORD"], config["MAIL_FROM"], config["MAIL_TIMEOUT"]) == (
        "smtp.example.org", 2525, "tls", "pip", "s3cret", "no-reply@example.org", 20)
    assert config["MAIL_CONSOLE"] is False


def test_production_without_a_mail_server_starts_and_prints_no_mail(environ: pytest.MonkeyPatch) -> None:
    config = create_app("production").config
    assert config["MAIL_SERVER"] == "" and config["MAIL_CONSOLE"] is False


def test_printing_mail_is_refused_in_production(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("MAIL_CONSOLE", "1")
    assert refusal() == (
        "MAIL_CONSOLE is on in production: every email, with its working password link, would be printed to the "
        "log. Set MAIL_SERVER to send mail, or leave both unset to show links to staff."
    )


def test_unencrypted_mail_across_a_network_is_refused_in_production(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("MAIL_SERVER", "smtp.example.org")
    environ.setenv("MAIL_FROM", "no-reply@example.org")
    environ.setenv("MAIL_SECURITY", "none")
    environ.setenv("TRUSTED_HOSTS", "pip.example.org")
    assert refusal() == (
        "MAIL_SECURITY is none for the mail server smtp.example.org, so password links would cross the network "
        "unencrypted: use starttls or tls, or a relay on this machine (localhost)."
    )


@pytest.mark.parametrize("server", ["localhost", "127.0.0.1", "::1"])
def test_unencrypted_mail_to_a_relay_on_this_machine_is_allowed(environ: pytest.MonkeyPatch, server: str) -> None:
    environ.setenv("MAIL_SERVER", server)
    environ.setenv("MAIL_FROM", "no-reply@example.org")
    environ.setenv("MAIL_SECURITY", "none")
    environ.setenv("TRUSTED_HOSTS", "pip.example.org")
    assert create_app("production").config["MAIL_SECURITY"] == "none"


def test_mail_without_trusted_hosts_is_refused_in_production(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("MAIL_SERVER", "smtp.example.org")
    environ.setenv("MAIL_FROM", "no-reply@example.org")
    assert refusal() == (
        "TRUSTED_HOSTS is not set, and MAIL_SERVER is: emailed password links are built from the address a "
        "request names, so a request naming another site could mail a link to it. Set TRUSTED_HOSTS to the "
        "host names people reach the service at (such as pip.example.nhs.uk)."
    )


def test_trusted_hosts_are_read_as_a_list_of_names(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("TRUSTED_HOSTS", " pip.example.org, .pip.example.nhs.uk ")
    assert create_app("production").config["TRUSTED_HOSTS"] == ["pip.example.org", ".pip.example.nhs.uk"]


def test_a_request_naming_a_host_the_service_does_not_answer_to_is_refused(production_app: MakeApp) -> None:
    """So no link built from the request (an emailed password link) can point at another site."""
    client = production_app(TRUSTED_HOSTS=["pip.example.org"]).test_client()
    forged = client.get("/login", base_url="https://elsewhere.example")
    assert forged.status_code == 400
    assert "elsewhere.example" not in forged.get_data(as_text=True)
    assert "Something in that request was not right" in forged.get_data(as_text=True)
    api = client.get("/api/v1/me", base_url="https://elsewhere.example")
    assert api.status_code == 400 and api.headers["Content-Type"] == "application/problem+json"
    assert client.get("/login", base_url="https://pip.example.org").status_code == 200


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("TRUSTED_HOSTS", "https://pip.example.org/", "use the host names people reach the service at, separated by "
                                                  "commas (such as pip.example.nhs.uk), not 'https://pip.example.org/'"),
    ("MAIL_PORT", "70000", "use a port number from 1 to 65535, not '70000'"),
    ("MAIL_SECURITY", "ssl", "use starttls, tls or none, not 'ssl'"),
    ("MAIL_TIMEOUT", "600", "use a whole number of seconds from 1 to 60, not '600'"),
])
def test_a_mail_setting_that_makes_no_sense_is_refused(environ: pytest.MonkeyPatch, variable: str, value: str,
                                                      message: str) -> None:
    environ.setenv(variable, value)
    assert refusal() == f"{variable} has an invalid value: {message}."
