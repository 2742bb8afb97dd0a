"""Forms and API writes work over HTTPS and behind a TLS-ending proxy: our pages send their address
to us alone (`Referrer-Policy: same-origin`), Flask-WTF's strict Referer check stays on for HTTPS,
and a write whose Origin is another site's is refused like an expired form."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from pipcompanion import create_app
from pipcompanion.extensions import db
from pipcompanion.models import Moment

from .conftest import Factory
from .helpers import Person, csrf_token, page_text, sign_in

EXPIRED = "This form had expired"
HTTPS = "https://localhost"


def moment_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Moment.id))) or 0


def signed_in(client: FlaskClient, **kwargs: object) -> bool:
    """Whether this client's session is signed in (home answers, rather than sending to /login)."""
    return client.get("/home", **kwargs).status_code == 200


def sign_in_form(client: FlaskClient, person: Person, **kwargs: object) -> TestResponse:
    """The sign-in form as the page would send it (its CSRF token included), with these headers."""
    data = {"csrf_token": csrf_token(client), "email": person.email, "password": person.password}
    return client.post("/login", data=data, **kwargs)


def test_pages_and_the_worker_send_their_address_to_this_site_only(client: FlaskClient) -> None:
    for path in ("/login", "/sw.js", "/offline", "/static/css/app.css"):
        with client.get(path) as response:
            assert response.headers["Referrer-Policy"] == "same-origin", path


@pytest.mark.parametrize("origin", ["https://elsewhere.example", "null", "http://localhost:8080", "https://localhost",
                                    "not an origin", ""])
def test_a_form_sent_from_another_origin_is_refused_as_expired(client: FlaskClient, make: Factory, origin: str) -> None:
    person = make.user()
    response = sign_in_form(client, person, headers={"Origin": origin})
    assert response.status_code == 400
    assert EXPIRED in page_text(response)
    assert not signed_in(client)


@pytest.mark.parametrize("origin", ["http://localhost", "http://LOCALHOST:80"])
def test_a_form_sent_from_this_origin_is_accepted(client: FlaskClient, make: Factory, origin: str) -> None:
    person = make.user()
    response = sign_in_form(client, person, headers={"Origin": origin})
    assert response.status_code == 302
    assert signed_in(client)


def test_reading_a_page_with_another_origin_is_not_refused(client: FlaskClient) -> None:
    response = client.get("/login", headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 200


def test_an_api_write_from_another_origin_is_a_csrf_problem(app: Flask, client: FlaskClient, make: Factory) -> None:
    family = make.family()
    sign_in(client, family.carers[0])
    headers = {"X-CSRFToken": (client.get("/api/v1/csrf").json or {})["csrf_token"]}
    body = {"client_id": str(uuid.uuid4()), "family_id": family.id, "text": "She laughed at the dog"}
    refused = client.post("/api/v1/moments", json=body, headers={**headers, "Origin": "https://elsewhere.example"})
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert (refused.json or {})["type"].endswith("/csrf")
    assert moment_count(app) == 0
    accepted = client.post("/api/v1/moments", json=body, headers={**headers, "Origin": "http://localhost"})
    assert accepted.status_code == 201, accepted.json
    assert moment_count(app) == 1


def test_over_https_a_form_needs_a_referer_from_this_site(client: FlaskClient, make: Factory) -> None:
    person = make.user()
    client.get("/login", base_url=HTTPS)
    for referer in (None, "https://elsewhere.example/login", "http://localhost/login"):
        headers = {"Origin": HTTPS, **({"Referer": referer} if referer else {})}
        response = sign_in_form(client, person, base_url=HTTPS, headers=headers)
        assert response.status_code == 400, referer
        assert EXPIRED in page_text(response)
    response = sign_in_form(client, person, base_url=HTTPS, headers={"Origin": HTTPS, "Referer": f"{HTTPS}/login"})
    assert response.status_code == 302
    assert signed_in(client, base_url=HTTPS)


@pytest.fixture
def proxied(database_url: str, app: Flask) -> Iterator[FlaskClient]:
    """A client of the app behind one trusted TLS-ending proxy (the same database as `app`)."""
    behind_proxy = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None, "TRUSTED_PROXIES": 1})
    yield behind_proxy.test_client()
    with behind_proxy.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_tls_ending_proxy_the_forwarded_https_origin_is_this_site(proxied: FlaskClient, make: Factory) -> None:
    person = make.user()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    proxied.get("/login", headers=forwarded)
    # The proxy spoke plain HTTP to the app, but the browser's origin is https: that is this site.
    as_seen_by_the_browser = {**forwarded, "Origin": HTTPS, "Referer": f"{HTTPS}/login"}
    for spoiled in ({"Origin": "http://localhost"}, {"Referer": "http://localhost/login"}, {"Referer": ""}):
        response = sign_in_form(proxied, person, headers={**as_seen_by_the_browser, **spoiled})
        assert response.status_code == 400, spoiled
        assert EXPIRED in page_text(response)
    response = sign_in_form(proxied, person, headers=as_seen_by_the_browser)
    assert response.status_code == 302
    assert signed_in(proxied, headers=forwarded)
