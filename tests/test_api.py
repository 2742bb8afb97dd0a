"""JSON API v1: me, csrf, moments (idempotent create, keyset list), problem details, OpenAPI."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import Moment, Reflection, Role, User, utcnow
from pipcompanion.services.kinds import all_kinds

from .conftest import Factory, MakeApp
from .helpers import CSRF_FIELD, FamilyInfo, MakeClient, Person, audit_trail, sign_in

HTTPS = "https://localhost"


def json_of(response: TestResponse) -> dict[str, Any]:
    """The JSON object an API answer carries (a failing assertion when it carries none)."""
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data(as_text=True)[:200]
    return body


def api_client(make_client: MakeClient, person: Person) -> tuple[FlaskClient, dict[str, str]]:
    """A signed-in client with the CSRF token the outbox would fetch."""
    client = make_client()
    sign_in(client, person)
    token = json_of(client.get("/api/v1/csrf"))["csrf_token"]
    return client, {"X-CSRFToken": token}


def first_kind_id(app: Flask) -> int:
    with app.test_request_context():
        return all_kinds()[0].id


def moment_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Moment.id))) or 0


def new_moment(family: FamilyInfo, **fields: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "family_id": family.id, "text": "She laughed at the dog", **fields}


def test_me_describes_the_person_family_and_kinds(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family(carers=("Mum", "Dad"))
    client, _headers = api_client(make_client, family.carers[0])
    body = json_of(client.get("/api/v1/me"))
    assert body["user"]["id"] == family.carers[0].id and body["user"]["role"] == "carer"
    [shown] = body["families"]
    assert shown["id"] == family.id and shown["relation"] == "Mum" and shown["can_log_moments"] is True
    assert shown["add_moment_url"] == f"/families/{family.id}/moments/new"
    assert shown["visibility_choices"] == [{"value": "private", "label": "Only me"},
                                           {"value": "therapist", "label": "Me, Dad and Sam"},
                                           {"value": "family", "label": "Also Nan"}]
    assert [c["relation"] for c in shown["carers"]] == ["Mum", "Dad"]
    assert [b["id"] for b in shown["babies"]] == [family.baby_id]
    assert body["kinds"][0]["name"] == "Comforting"
    assert {f["word"] for f in body["feelings"]} >= {"Unsure", "Confident"}


def test_me_gives_a_viewer_nowhere_to_add_a_moment(make: Factory, make_client: MakeClient) -> None:
    family = make.family(carers=("Mum",), viewers=("Nan",))
    client, _headers = api_client(make_client, family.viewers[0])
    [shown] = json_of(client.get("/api/v1/me"))["families"]
    assert shown["can_log_moments"] is False and shown["add_moment_url"] is None
    assert shown["visibility_choices"] == []


def test_signed_out_api_calls_get_401_problem_not_a_redirect(client: FlaskClient) -> None:
    for path in ("/api/v1/me", "/api/v1/csrf", "/api/v1/moments?family=1"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert json_of(response)["title"] == "Please sign in again."


def refused_for_plain_http(response: TestResponse) -> bool:
    """A 403 problem that says to use HTTPS, and no redirect."""
    body = json_of(response)
    assert "Location" not in response.headers
    return (response.status_code == 403 and response.mimetype == "application/problem+json"
            and body["type"].endswith("/https-required") and body["title"] == "This API answers over HTTPS only"
            and body["detail"] == "Nothing was done. Send the request again to the same address, starting with https://.")


def test_in_production_the_api_over_plain_http_is_refused_while_pages_redirect(
        production_app: MakeApp, make: Factory) -> None:
    family = make.family()
    production = production_app()
    phone = production.test_client()
    # Signed in over HTTPS, as a phone would be.
    form_token = CSRF_FIELD.search(phone.get("/login", base_url=HTTPS).get_data(as_text=True))
    assert form_token
    signed_in = phone.post("/login", base_url=HTTPS, headers={"Origin": HTTPS, "Referer": f"{HTTPS}/login"}, data={
        "csrf_token": form_token.group(1), "email": family.carers[0].email, "password": family.carers[0].password})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/home"
    token = json_of(phone.get("/api/v1/csrf", base_url=HTTPS))["csrf_token"]
    headers = {"X-CSRFToken": token, "Origin": HTTPS, "Referer": f"{HTTPS}/home"}
    moment = new_moment(family)

    for response in (phone.get("/api/v1/me"), phone.get("/api/v1/openapi.json"),
                     phone.get(f"/api/v1/moments?family={family.id}"),
                     phone.post("/api/v1/moments", json=moment, headers={**headers, "Origin": "http://localhost"})):
        assert refused_for_plain_http(response), response.request.path
    assert moment_count(production) == 0
    # A page over plain HTTP is still sent to HTTPS.
    page = phone.get("/home")
    assert page.status_code == 302 and page.headers["Location"] == f"{HTTPS}/home"
    # Over HTTPS the same calls work.
    assert json_of(phone.get("/api/v1/me", base_url=HTTPS))["user"]["id"] == family.carers[0].id
    assert phone.post("/api/v1/moments", base_url=HTTPS, json=moment, headers=headers).status_code == 201
    assert moment_count(production) == 1


def test_behind_a_trusted_proxy_the_forwarded_scheme_decides_for_the_api(production_app: MakeApp) -> None:
    proxied = production_app(TRUSTED_PROXIES=1).test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    assert proxied.get("/api/v1/me", headers={**forwarded, "X-Forwarded-Proto": "https"}).status_code == 401
    assert refused_for_plain_http(proxied.get("/api/v1/me", headers={**forwarded, "X-Forwarded-Proto": "http"}))
    assert refused_for_plain_http(proxied.get("/api/v1/me", headers=forwarded))
    # With no trusted proxy in front, a client cannot claim HTTPS for itself.
    direct = production_app().test_client()
    assert refused_for_plain_http(direct.get("/api/v1/me", headers={"X-Forwarded-Proto": "https"}))


def test_outside_production_the_api_answers_over_plain_http(client: FlaskClient) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_create_is_201_then_200_for_the_same_client_id(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    client, headers = api_client(make_client, family.carers[0])
    body = new_moment(family, kind_ids=[first_kind_id(app)], visibility="family", feeling=4)
    first = client.post("/api/v1/moments", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert json_of(first)["text"] == "She laughed at the dog" and json_of(first)["feeling"] == 4
    assert first.headers["Location"].endswith(f"/moments/{json_of(first)['id']}")
    again = client.post("/api/v1/moments", json=body, headers=headers)
    assert again.status_code == 200 and json_of(again)["id"] == json_of(first)["id"]
    assert moment_count(app) == 1


def test_fields_the_api_does_not_take_are_ignored(app: Flask, make: Factory, make_client: MakeClient) -> None:
    """Mass assignment: a body naming the author, the times, a pin, a reflection or a role sets none
    of them; the server sets who wrote it and when, and the moment is saved as if they were absent."""
    family, other = make.family(carers=("Mum", "Dad")), make.family("Brooks")
    mum, dad = family.carers
    client, headers = api_client(make_client, mum)
    long_ago = "2020-01-01T00:00:00Z"
    body = new_moment(family, id=424242, author_id=dad.id, author={"id": dad.id}, created_at=long_ago,
                      updated_at=long_ago, pinned_at=long_ago, pinned_by_id=family.therapist.id,
                      reflections=[{"text": "Planted"}], role="admin", user_id=other.carers[0].id, is_admin=True)
    before = utcnow()

    response = client.post("/api/v1/moments", json=body, headers=headers)

    assert response.status_code == 201, response.json
    answer = json_of(response)
    assert answer["author"] == {"id": mum.id, "name": "Mum"} and answer["reflections"] == []
    with app.app_context():
        moment = db.session.get_one(Moment, answer["id"])
        assert moment.id != 424242 and moment.family_id == family.id and moment.author_id == mum.id
        assert moment.created_at >= before and moment.updated_at >= before
        assert (moment.pinned_at, moment.pinned_by_id) == (None, None)
        assert moment.text == "She laughed at the dog"
        assert db.session.scalars(select(Reflection)).all() == []
        assert db.session.get_one(User, mum.id).role is Role.CARER


def test_reused_client_id_with_other_content_is_409_and_keeps_the_first(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    client, headers = api_client(make_client, family.carers[0])
    body = new_moment(family)
    assert client.post("/api/v1/moments", json=body, headers=headers).status_code == 201
    changed = client.post("/api/v1/moments", json={**body, "text": "Something else"}, headers=headers)
    assert changed.status_code == 409
    assert changed.mimetype == "application/problem+json"
    assert json_of(changed)["existing"].startswith(f"/families/{family.id}/moments/")
    with app.app_context():
        assert db.session.scalars(select(Moment.text)).all() == ["She laughed at the dog"]


def test_concurrent_replays_of_one_moment_store_it_once(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    person = family.carers[0]
    body = new_moment(family)
    answers: list[int] = []
    failures: list[BaseException] = []
    # Each phone (client) signs in first; then they all replay at once.
    phones = [api_client(make_client, person) for _ in range(4)]
    start = threading.Barrier(len(phones))

    def replay(client: FlaskClient, headers: dict[str, str]) -> None:
        try:
            start.wait()
            answers.append(client.post("/api/v1/moments", json=body, headers=headers).status_code)
        except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=replay, args=phone) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(answers).count(201) == 1 and set(answers) <= {200, 201}
    assert moment_count(app) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"text": "x" * 2001}, "text", "Please keep it to 2000 characters"),
        ({"text": "", "kind_ids": []}, "kind_ids", "Please pick at least one kind"),
        ({"kind_ids": [999999]}, "kind_ids", "Please choose kinds of moment from the list."),
        ({"kind_ids": "1"}, "kind_ids", "Please choose from the list."),
        ({"occurred_at": "2999-01-01T10:00:00Z"}, "occurred_at", "cannot be in the future"),
        ({"occurred_at": "yesterday"}, "occurred_at", "Please send the time like"),
        ({"occurred_at": "2026-06-02T14:30:00"}, "occurred_at", "with its time zone"),
        ({"feeling": 9}, "feeling", "Please choose how you felt"),
        ({"feeling": "good"}, "feeling", "Please choose how you felt"),
        ({"visibility": "everyone"}, "visibility", "Please choose who can see this"),
        ({"client_id": "not-a-uuid"}, "client_id", "reload the page"),
        ({"client_id": 7}, "client_id", "client id"),
        ({"carer_ids": [424242]}, "carer_ids", "Please choose people from your family."),
        ({"family_id": "one"}, "family", "Please give the number of one of your families."),
    ],
)
def test_bad_moment_gets_a_per_field_problem_and_saves_nothing(
        app: Flask, make: Factory, make_client: MakeClient, change: dict[str, Any], field: str, message: str) -> None:
    family = make.family()
    client, headers = api_client(make_client, family.carers[0])
    response = client.post("/api/v1/moments", json={**new_moment(family), **change}, headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    [error] = json_of(response)["errors"]
    assert error["field"] == field and message in error["message"]
    assert moment_count(app) == 0


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "null", '"text"'])
def test_body_that_is_not_a_json_object_is_a_problem(app: Flask, make: Factory, make_client: MakeClient, raw: str) -> None:
    family = make.family()
    client, headers = api_client(make_client, family.carers[0])
    response = client.post("/api/v1/moments", data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert moment_count(app) == 0


def test_missing_or_old_csrf_token_is_refused(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    client, _headers = api_client(make_client, family.carers[0])
    for headers in ({}, {"X-CSRFToken": "forged"}):
        response = client.post("/api/v1/moments", json=new_moment(family), headers=headers)
        assert response.status_code == 400
        assert json_of(response)["type"].endswith("/csrf")
    assert moment_count(app) == 0


def test_only_carers_of_the_family_may_create(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    other = make.family("Brooks")
    for person, status in ((family.therapist, 403), (family.viewers[0], 403), (other.carers[0], 404)):
        client, headers = api_client(make_client, person)
        response = client.post("/api/v1/moments", json=new_moment(family), headers=headers)
        assert response.status_code == status, person
        assert response.mimetype == "application/problem+json"
    assert moment_count(app) == 0


def test_list_is_newest_first_by_keyset_pages_and_private_stays_private(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family(carers=("Mum", "Dad"))
    mum, mum_headers = api_client(make_client, family.carers[0])
    for number in range(5):
        body = new_moment(family, text=f"moment {number}", occurred_at=f"2026-11-2{number}T09:00:00Z")
        assert mum.post("/api/v1/moments", json=body, headers=mum_headers).status_code == 201
    secret = new_moment(family, text="just for me", visibility="private")
    assert mum.post("/api/v1/moments", json=secret, headers=mum_headers).status_code == 201

    dad, _ = api_client(make_client, family.carers[1])
    seen, cursor = [], None
    while True:
        query = f"/api/v1/moments?family={family.id}&limit=2" + (f"&before={cursor}" if cursor else "")
        page = json_of(dad.get(query))
        seen += [m["text"] for m in page["moments"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"moment {n}" for n in (4, 3, 2, 1, 0)]
    assert "just for me" in [m["text"] for m in json_of(mum.get(f"/api/v1/moments?family={family.id}"))["moments"]]


def test_list_refuses_bad_parameters_and_other_families(make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    other = make.family("Brooks")
    client, _ = api_client(make_client, family.carers[0])
    assert client.get("/api/v1/moments").status_code == 400
    assert client.get(f"/api/v1/moments?family={family.id}&limit=0").status_code == 400
    assert client.get(f"/api/v1/moments?family={family.id}&before=garbage").status_code == 400
    refused = client.get(f"/api/v1/moments?family={other.id}")
    assert refused.status_code == 404 and refused.mimetype == "application/problem+json"


def test_viewer_list_has_no_reflections(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    mum, headers = api_client(make_client, family.carers[0])
    mum.post("/api/v1/moments", json=new_moment(family, visibility="family"), headers=headers)
    nan, _ = api_client(make_client, family.viewers[0])
    [moment] = json_of(nan.get(f"/api/v1/moments?family={family.id}"))["moments"]
    assert "reflections" not in moment
    [mine] = json_of(mum.get(f"/api/v1/moments?family={family.id}"))["moments"]
    assert mine["reflections"] == []


HOSTILE_BODIES = {
    "a lone surrogate in the words": '{"client_id": "%(id)s", "family_id": %(family)d, "text": "hi \\ud800"}',
    "a lone surrogate as a key": '{"client_id": "%(id)s", "family_id": %(family)d, "\\udfff": 1}',
    "an array nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
    "an object nested 50,000 deep": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "a list for who can see it": '{"client_id": "%(id)s", "family_id": %(family)d, "visibility": ["family"]}',
    "an object for who can see it": '{"client_id": "%(id)s", "family_id": %(family)d, "visibility": {"a": 1}}',
    "a number for the words": '{"client_id": "%(id)s", "family_id": %(family)d, "text": 12}',
    "a family beyond PostgreSQL's integers": '{"client_id": "%(id)s", "family_id": 2147483648, "text": "x"}',
    "a family beyond 64 bits": '{"client_id": "%(id)s", "family_id": 99999999999999999999999, "text": "x"}',
    "a kind beyond 64 bits": '{"client_id": "%(id)s", "family_id": %(family)d, "kind_ids": [99999999999999999999999]}',
    "a carer beyond 64 bits": '{"client_id": "%(id)s", "family_id": %(family)d, "carer_ids": [9223372036854775808]}',
    "a baby below 64 bits": '{"client_id": "%(id)s", "family_id": %(family)d, "baby_ids": [-9223372036854775809]}',
    "a feeling beyond 64 bits": '{"client_id": "%(id)s", "family_id": %(family)d, "feeling": 99999999999999999999}',
    "a year beyond 9999": '{"client_id": "%(id)s", "family_id": %(family)d, "occurred_at": "99999-01-01T00:00:00Z"}',
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_json_gets_a_clear_problem_and_saves_nothing(
        app: Flask, make: Factory, make_client: MakeClient, name: str) -> None:
    family = make.family()
    client, headers = api_client(make_client, family.carers[0])
    body = HOSTILE_BODIES[name] % {"id": uuid.uuid4(), "family": family.id} if "%(" in HOSTILE_BODIES[name] \
        else HOSTILE_BODIES[name]
    response = client.post("/api/v1/moments", data=body, content_type="application/json", headers=headers)
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json", response.status_code
    assert json_of(response)["title"]  # a translated sentence, not a stack trace
    assert moment_count(app) == 0


@pytest.mark.parametrize("family", ["2147483648", "99999999999999999999999", "0", "-1", "1.5", "", "%00", "\u0661"])
def test_a_family_number_that_cannot_exist_is_a_problem_not_a_crash(
        app: Flask, make: Factory, make_client: MakeClient, family: str) -> None:
    carer = make.family().carers[0]
    client, _headers = api_client(make_client, carer)
    response = client.get("/api/v1/moments", query_string={"family": family})
    assert response.status_code in (400, 404) and response.mimetype == "application/problem+json"


def test_the_api_list_by_a_therapist_is_on_the_audit_record(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family()
    client, _headers = api_client(make_client, family.therapist)
    assert client.get(f"/api/v1/moments?family={family.id}").status_code == 200
    assert [entry.action for entry in audit_trail(app) if entry.actor_id == family.therapist.id] == ["api.moments.read"]


def test_openapi_document_is_served_and_names_every_api_route(app: Flask, client: FlaskClient) -> None:
    document = json_of(client.get("/api/v1/openapi.json"))
    assert document["openapi"].startswith("3.1")
    api_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert api_rules == set(document["paths"])


# ---------------------------------------------------------------- fuzzing with schemathesis


def test_api_fuzzing_finds_no_server_error_and_no_schema_break(app: Flask, make: Factory, make_client: MakeClient) -> None:
    """schemathesis generates requests for every operation from the OpenAPI document, signed in as
    a carer with a valid CSRF token: valid ones, whose answers may not be a 5xx or break the
    documented schema, and invalid ones (wrong types, out of range, missing fields), whose answers
    may not be a 5xx.
    (Driven through Hypothesis directly: schemathesis' pytest plugin does not run on pytest 9.)"""
    family = make.family(carers=("Mum", "Dad"))
    client, headers = api_client(make_client, family.carers[0])
    cookie = client.get_cookie("session")
    assert cookie is not None
    auth = {**headers, "Cookie": f"session={cookie.value}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]  # an Err would fail the test here, as it should
    assert {operation.label for operation in operations} >= {"POST /api/v1/moments", "GET /api/v1/moments"}
    calls = 0

    def fuzz(operation: Any, mode: GenerationMode, mode_checks: list[Any]) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def call_and_check(case: Any) -> None:
            nonlocal calls
            if case.headers and "X-CSRFToken" in case.headers:
                case.headers["X-CSRFToken"] = auth["X-CSRFToken"]
            response = case.call(headers=auth)
            case.validate_response(response, checks=mode_checks)
            calls += 1

        call_and_check()

    for operation in operations:
        fuzz(operation, GenerationMode.POSITIVE, checks)
        fuzz(operation, GenerationMode.NEGATIVE, [not_a_server_error])
    assert calls >= 4 * 2 * 10
    # Whatever the fuzzer managed to save is Mum's own, in her own family.
    with app.app_context():
        saved = db.session.execute(select(Moment.author_id, Moment.family_id)).all()
    assert set(saved) <= {(family.carers[0].id, family.id)}
