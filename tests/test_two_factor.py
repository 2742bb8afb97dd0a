"""Two-step sign-in (TOTP): setting it up, the second step, codes that work once, recovery codes,
resets, and a half sign-in that counts as signed in nowhere.

Codes are computed with pyotp from the secret a person would have in their app. Clock drift and
replays are checked against the service with a settable `now`, so nothing sleeps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import PasswordLinkPurpose, RecoveryCode, Role, User
from pipcompanion.models.users import SignIn
from pipcompanion.permissions import Access, AccessRule, access_rule
from pipcompanion.services import ServiceError
from pipcompanion.services.accounts import issue_password_link
from pipcompanion.services.tokens import CODE_ALPHABET
from pipcompanion.services.two_factor import (
    RECOVERY_CODE_COUNT,
    check_second_step,
    code_at,
    grouped,
    new_secret,
    qr_code_image,
    setup_address,
    turn_on,
)

from .conftest import Factory
from .helpers import (
    PASSWORD,
    MakeClient,
    Person,
    SignInAs,
    audit_trail,
    authenticator_code,
    fresh_code,
    page_text,
    post,
    set_up_two_factor,
    sign_in,
    user_row,
)

RECOVERY_CODE = re.compile(rf"\b[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}\b")
WRONG_CODE = "That code did not work."
# A fixed moment for the service's clock: the start of a 30-second step, so ±30 s are whole steps.
NOW = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------- helpers


def password_step(client: FlaskClient, person: Person, **kwargs: Any) -> TestResponse:
    """The first step: the right password. Returns the answer (a redirect to the second step)."""
    return post(client, "/login", {"email": person.email, "password": person.password}, **kwargs)


def actions_about(app: Flask, user_id: int) -> list[tuple[int | None, str]]:
    """(who did it, what) of every audit event about this person, oldest first."""
    return [(entry.actor_id, entry.action) for entry in audit_trail(app) if entry.subject_id == user_id]


def sign_ins_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(SignIn.id)).where(SignIn.user_id == user_id)) or 0


def recovery_codes_stored(app: Flask, user_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user_id)))


def sign_out(client: FlaskClient) -> None:
    assert post(client, "/logout").status_code == 302


def is_signed_out_page(response: TestResponse) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def turn_on_for(app: Flask, person: Person, client: FlaskClient) -> list[str]:
    """A signed-in carer turns two-step sign-in on in Settings; returns the recovery codes shown."""
    secret_page = client.get("/settings/two-factor")
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', secret_page.get_data(as_text=True))
    assert secret
    person.totp_secret = secret.group(1).replace(" ", "")
    shown = post(client, "/settings/two-factor", {"password": person.password, "code": authenticator_code(person)})
    assert shown.status_code == 200
    return RECOVERY_CODE.findall(page_text(shown))


# ---------------------------------------------------------------- setting it up


def test_a_carer_sets_it_up_from_settings_with_the_qr_code_and_the_key_as_text(
        app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    mum = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(mum)
    settings = page_text(phone.get("/settings"))
    assert "Two-step sign-in Off" in settings and "Turn on two-step sign-in" in settings

    page = phone.get("/settings/two-factor")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    key = re.search(r'id="secret-key">([A-Z2-7 ]+)<', html)
    assert key, html
    shown = key.group(1)
    secret = shown.replace(" ", "")
    assert len(secret) == 32 and shown == grouped(secret)  # 160 bits, in groups of four
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", shown)
    # The QR code is an image the page's CSP allows (a data: SVG), holding the otpauth:// address.
    image = re.search(r'<img class="qr-code" src="([^"]+)" alt="QR code for your authenticator app">', html)
    assert image, html
    svg = unquote(image.group(1))
    assert svg.startswith("data:image/svg+xml") and "<svg" in svg and "<path" in svg and "style" not in svg
    with app.test_request_context():
        address = setup_address(db.session.get_one(User, mum.id), secret)
        assert image.group(1) == qr_code_image(address)
    assert address == f"otpauth://totp/PIP%20Companion:{mum.email.replace('@', '%40')}?secret={secret}&issuer=PIP%20Companion"
    # On the phone itself, a link opens the authenticator app with the same address.
    assert f'href="{address.replace("&", "&amp;")}"' in html
    assert "style=" not in html and "<script>" not in html
    assert "img-src 'self' data: blob:" in page.headers["Content-Security-Policy"]
    # The same key is shown until it is confirmed (a reload does not change what was scanned).
    assert shown in phone.get("/settings/two-factor").get_data(as_text=True)

    wrong = post(phone, "/settings/two-factor",
                 {"password": PASSWORD, "code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "That code did not match. Please type the 6 numbers your app shows now." in page_text(wrong)
    assert user_row(app, mum.id).totp_secret is None

    done = post(phone, "/settings/two-factor", {"password": PASSWORD, "code": pyotp.TOTP(secret).now()})

    assert done.status_code == 200
    text = page_text(done)
    codes = RECOVERY_CODE.findall(text)
    assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT == 10
    assert "This is the only time they are shown." in text
    row = user_row(app, mum.id)
    assert row.totp_secret == secret and row.two_factor_since is not None
    # Kept only as keyed hashes.
    stored = recovery_codes_stored(app, mum.id)
    assert len(stored) == 10 and not any(code in digest or code.replace("-", "") in digest
                                         for code in codes for digest in stored)
    assert actions_about(app, mum.id) == [(mum.id, "two_factor.enrol")]
    # Shown once: the setup page is gone, and Settings says it is on without the codes.
    again = phone.get("/settings/two-factor")
    assert again.status_code == 302 and again.headers["Location"] == "/settings"
    settings = page_text(phone.get("/settings"))
    assert "Two-step sign-in is already on." in settings
    assert "Two-step sign-in On · since" in settings and "You have 10 recovery codes left." in settings
    assert not any(code in settings for code in codes)


def test_the_code_typed_to_set_it_up_cannot_then_sign_in(app: Flask, make: Factory) -> None:
    person = make.user(Role.CARER)
    secret = new_secret()
    with app.test_request_context():
        user = db.session.get_one(User, person.id)
        turn_on(user, secret, code_at(secret, NOW), password=PASSWORD, now=NOW)
        with pytest.raises(ServiceError):
            check_second_step(user, code_at(secret, NOW), now=NOW)
        assert check_second_step(user, code_at(secret, NOW + timedelta(seconds=30)), now=NOW).by_recovery_code is False


def test_turning_it_on_in_settings_asks_for_the_password(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    """Someone holding Mum's signed-in phone (or who chose her password through a link) cannot add
    their own authenticator and lock her out: Settings asks for her password first."""
    mum = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(mum)
    page = phone.get("/settings/two-factor")
    html = page.get_data(as_text=True)
    assert "Your password" in page_text(page)
    field = re.search(r'<input [^>]*name="password"[^>]*>', html)
    assert field and 'type="password"' in field.group(0) and 'autocomplete="current-password"' in field.group(0)
    key = re.search(r'id="secret-key">([A-Z2-7 ]+)<', html)
    assert key
    secret = key.group(1).replace(" ", "")

    for password, message in (("not-her-password-at-all", "That is not your password."),
                              ("", "Please enter your password."),
                              ("p" * 201, "Please use at most 200 characters.")):
        refused = post(phone, "/settings/two-factor", {"password": password, "code": pyotp.TOTP(secret).now()})
        assert refused.status_code == 400, password
        assert message in page_text(refused), password
        # Nothing turned on, no recovery codes, no enrolment on record; the same key to try again with.
        row = user_row(app, mum.id)
        assert (row.totp_secret, row.totp_last_step, row.two_factor_since) == (None, None, None)
        assert recovery_codes_stored(app, mum.id) == [] and (mum.id, "two_factor.enrol") not in actions_about(app, mum.id)
        assert key.group(1) in refused.get_data(as_text=True)
        assert not RECOVERY_CODE.findall(page_text(refused))
    assert "Two-step sign-in Off" in page_text(phone.get("/settings"))

    done = post(phone, "/settings/two-factor", {"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and len(RECOVERY_CODE.findall(page_text(done))) == 10
    assert user_row(app, mum.id).totp_secret == secret
    # Only the wrong password was a failed check (an empty or overlong one never reached it).
    assert actions_about(app, mum.id) == [(mum.id, "password.check_failed"), (mum.id, "two_factor.enrol")]


def test_turning_it_on_needs_the_password_unless_at_sign_in(app: Flask, make: Factory) -> None:
    """The service: a wrong password turns nothing on; None is for the sign-in, whose password step
    was a moment ago."""
    person = make.user(Role.CARER)
    secret = new_secret()
    with app.test_request_context():
        user = db.session.get_one(User, person.id)
        with pytest.raises(ServiceError, match="That is not your password.") as raised:
            turn_on(user, secret, code_at(secret, NOW), password="not-the-password-9", now=NOW)
        assert raised.value.field == "password" and user.totp_secret is None
        assert len(turn_on(user, secret, code_at(secret, NOW), password=None, now=NOW)) == RECOVERY_CODE_COUNT


# ---------------------------------------------------------------- staff: set it up before anything else


def test_staff_with_no_second_factor_set_it_up_before_anything_else(
        app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family("Rivers", therapist=make.user(Role.THERAPIST, name="Robin", two_factor=False))
    robin = family.therapist
    assert robin is not None and robin.totp_secret is None
    tablet = make_client()

    response = password_step(tablet, robin, query_string={"next": f"/families/{family.id}"})

    assert response.status_code == 302 and response.headers["Location"] == "/login/two-factor"
    for path in ("/caseload", f"/families/{family.id}", "/settings", "/"):
        page = tablet.get(path)
        assert page.status_code == 302 and page.headers["Location"] in ("/login/two-factor", "/login"), path
        assert "Rivers" not in page.get_data(as_text=True)
    assert "Please finish signing in first." in page_text(tablet.get("/login/two-factor"))
    api = tablet.get("/api/v1/me")
    assert api.status_code == 401 and api.mimetype == "application/problem+json"
    assert (api.json or {})["type"].endswith("/second-step-needed")
    assert sign_ins_of(app, robin.id) == 0

    setup_page = tablet.get("/login/two-factor")
    setup = page_text(setup_page)
    assert "Because you see families' information, you also need a code from your phone" in setup
    # The password was typed a moment ago: only the app's code is asked for.
    assert 'name="password"' not in setup_page.get_data(as_text=True)

    robin.totp_secret = set_up_two_factor(tablet)

    assert sign_ins_of(app, robin.id) == 1
    assert "Rivers" in page_text(tablet.get("/caseload"))
    assert actions_about(app, robin.id) == [(robin.id, "two_factor.enrol")]
    # From now on, signing in asks for the code.
    laptop = make_client()
    assert password_step(laptop, robin).headers["Location"] == "/login/code"


def test_a_staff_sign_in_made_without_a_second_factor_ends(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    """Sign-ins from before two-step sign-in came in: the next request signs the person out."""
    therapist = make.user(Role.THERAPIST)
    tablet = sign_in_as(therapist)
    assert tablet.get("/caseload").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == therapist.id).values(totp_secret=None))
        db.session.commit()

    assert is_signed_out_page(tablet.get("/caseload"))
    assert sign_ins_of(app, therapist.id) == 0
    assert password_step(tablet, therapist).headers["Location"] == "/login/two-factor"


# ---------------------------------------------------------------- the second step


def test_half_signed_in_sees_nothing_on_any_page_or_in_the_api(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family("Rivers")
    therapist = family.therapist
    assert therapist is not None
    tablet = make_client()

    response = password_step(tablet, therapist)

    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert sign_ins_of(app, therapist.id) == 0
    with tablet.session_transaction() as session:
        assert "_user_id" not in session
    with app.test_request_context():
        declared = {rule.endpoint: access_rule(rule.endpoint) for rule in app.url_map.iter_rules()}
    rules = [rule for rule in app.url_map.iter_rules()
             if "GET" in (rule.methods or ()) and declared[rule.endpoint] != AccessRule(Access.PUBLIC)]
    assert len(rules) > 20
    for rule in rules:
        args = {name: family.id if name == "family_id" else 1 for name in rule.arguments}
        built = rule.build(args)
        assert built is not None
        path = built[1]
        if rule.endpoint == "api.moments_list":
            path += f"?family={family.id}"
        answer = tablet.get(path)
        if path.startswith("/api/"):
            assert answer.status_code == 401 and answer.mimetype == "application/problem+json", path
        else:
            assert answer.status_code == 302 and answer.headers["Location"] == "/login/code", path
        assert "Rivers" not in answer.get_data(as_text=True), path
    # The header offers no signed-in navigation either.
    help_page = tablet.get("/help").get_data(as_text=True)
    assert "Sign out</button>" not in help_page and 'name="pip-user"' not in help_page

    code_page = tablet.get("/login/code")
    assert "Type your code" in page_text(code_page)
    done = post(tablet, "/login/code", {"code": fresh_code(tablet, therapist)})

    assert done.status_code == 302 and done.headers["Location"] == "/caseload"
    assert "Rivers" in page_text(tablet.get("/caseload"))
    assert sign_ins_of(app, therapist.id) == 1


def test_the_second_step_goes_where_the_person_was_going(app: Flask, make: Factory, make_client: MakeClient) -> None:
    family = make.family("Rivers")
    assert family.therapist is not None
    tablet = make_client()
    password_step(tablet, family.therapist, query_string={"next": f"/families/{family.id}/timeline"})
    done = post(tablet, "/login/code", {"code": fresh_code(tablet, family.therapist)})
    assert done.headers["Location"] == f"/families/{family.id}/timeline"


def test_a_wrong_code_is_refused_and_nobody_is_signed_in(app: Flask, make: Factory, make_client: MakeClient) -> None:
    therapist = make.user(Role.THERAPIST)
    tablet = make_client()
    password_step(tablet, therapist)
    right = authenticator_code(therapist)
    for wrong in ("12345", "abcdef", str((int(right) + 1) % 1_000_000).zfill(6), "ZZZZ-ZZZZ"):
        response = post(tablet, "/login/code", {"code": wrong})
        assert response.status_code == 400 and WRONG_CODE in page_text(response), wrong
    empty = post(tablet, "/login/code", {"code": ""})
    assert empty.status_code == 400 and "Please type the code from your app." in page_text(empty)
    assert sign_ins_of(app, therapist.id) == 0
    assert tablet.get("/settings").headers["Location"] == "/login/code"


def test_without_a_password_first_the_code_page_sends_you_to_sign_in(app: Flask, make: Factory, client: FlaskClient) -> None:
    therapist = make.user(Role.THERAPIST)
    assert client.get("/login/code").headers["Location"] == "/login"
    response = post(client, "/login/code", {"code": authenticator_code(therapist)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert sign_ins_of(app, therapist.id) == 0


def test_a_half_sign_in_lasts_ten_minutes(app: Flask, make: Factory, make_client: MakeClient) -> None:
    therapist = make.user(Role.THERAPIST)
    tablet = make_client()
    password_step(tablet, therapist)
    with tablet.session_transaction() as session:
        session["second_step"] = {**session["second_step"], "at": session["second_step"]["at"] - 11 * 60}
    response = post(tablet, "/login/code", {"code": fresh_code(tablet, therapist)})
    assert response.headers["Location"] == "/login"
    assert sign_ins_of(app, therapist.id) == 0


def test_a_replayed_code_is_refused(app: Flask, make: Factory, make_client: MakeClient) -> None:
    therapist = make.user(Role.THERAPIST)
    first = make_client()
    password_step(first, therapist)
    code = fresh_code(first, therapist)
    assert post(first, "/login/code", {"code": code}).headers["Location"] == "/caseload"

    # Someone who saw the code over the therapist's shoulder, within its 30 seconds.
    second = make_client()
    password_step(second, therapist)
    replayed = post(second, "/login/code", {"code": code})

    assert replayed.status_code == 400 and WRONG_CODE in page_text(replayed)
    assert sign_ins_of(app, therapist.id) == 1


@pytest.mark.parametrize(("offset", "accepted"), [
    (-60, False), (-30, True), (0, True), (30, True), (60, False), (29, True), (-31, False),
])
def test_one_step_of_clock_drift_either_side_is_accepted(app: Flask, make: Factory, offset: int, accepted: bool) -> None:
    """The phone's clock `offset` seconds from the server's: one 30-second step either way works."""
    person = make.user(Role.THERAPIST)
    assert person.totp_secret is not None
    code = code_at(person.totp_secret, NOW + timedelta(seconds=offset))
    assert code == pyotp.TOTP(person.totp_secret).at(NOW + timedelta(seconds=offset))
    with app.test_request_context():
        user = db.session.get_one(User, person.id)
        if accepted:
            assert check_second_step(user, code, now=NOW).by_recovery_code is False
        else:
            with pytest.raises(ServiceError, match=WRONG_CODE):
                check_second_step(user, code, now=NOW)


def test_after_a_code_no_older_or_same_code_works(app: Flask, make: Factory) -> None:
    person = make.user(Role.THERAPIST)
    secret = person.totp_secret
    assert secret is not None
    with app.test_request_context():
        user = db.session.get_one(User, person.id)
        check_second_step(user, code_at(secret, NOW), now=NOW)
        for replay in (NOW, NOW - timedelta(seconds=30)):  # the same code, and the one before it
            with pytest.raises(ServiceError):
                check_second_step(user, code_at(secret, replay), now=NOW)
        # The next step's code (a phone a little ahead), then nothing at or before it.
        check_second_step(user, code_at(secret, NOW + timedelta(seconds=30)), now=NOW)
        with pytest.raises(ServiceError):
            check_second_step(user, code_at(secret, NOW + timedelta(seconds=30)), now=NOW + timedelta(seconds=30))
        assert check_second_step(user, code_at(secret, NOW + timedelta(seconds=60)),
                                 now=NOW + timedelta(seconds=60)).by_recovery_code is False


def test_the_second_step_is_throttled_per_person(app: Flask, make: Factory, make_client: MakeClient) -> None:
    therapist = make.user(Role.THERAPIST)
    tablet = make_client()
    password_step(tablet, therapist)
    for _ in range(5):
        assert post(tablet, "/login/code", {"code": "000001"}).status_code == 400
    # Now even the right code waits, from this browser or a new half sign-in elsewhere.
    refused = post(tablet, "/login/code", {"code": fresh_code(tablet, therapist)})
    assert refused.status_code == 429 and "Please try again in" in page_text(refused)
    laptop = make_client()
    assert password_step(laptop, therapist).headers["Location"] == "/login/code"
    assert post(laptop, "/login/code", {"code": fresh_code(laptop, therapist)}).status_code == 429
    assert sign_ins_of(app, therapist.id) == 0
    # Someone else is not held up.
    other = make.user(Role.THERAPIST)
    sign_in(make_client(), other)


# ---------------------------------------------------------------- recovery codes


def test_a_recovery_code_works_once_and_says_how_many_are_left(
        app: Flask, make: Factory, make_client: MakeClient, sign_in_as: SignInAs) -> None:
    mum = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(mum)
    codes = turn_on_for(app, mum, phone)
    sign_out(phone)

    lost_phone = make_client()
    password_step(lost_phone, mum)
    # Typed as people type: lower case, a space instead of the dash.
    used = post(lost_phone, "/login/code", {"code": codes[3].lower().replace("-", " ")})

    assert used.status_code == 302 and used.headers["Location"] == "/home"
    home = page_text(lost_phone.get("/home"))
    assert "You signed in with a recovery code, so it will not work again. You have 9 recovery codes left." in home
    assert len(recovery_codes_stored(app, mum.id)) == 9
    assert actions_about(app, mum.id)[-1] == (mum.id, "two_factor.recovery_sign_in")
    sign_out(lost_phone)

    again = make_client()
    password_step(again, mum)
    refused = post(again, "/login/code", {"code": codes[3]})
    assert refused.status_code == 400 and WRONG_CODE in page_text(refused)
    assert sign_ins_of(app, mum.id) == 0


def test_the_last_recovery_code_says_what_to_do_next(app: Flask, make: Factory, make_client: MakeClient) -> None:
    therapist = make.user(Role.THERAPIST, two_factor=False)
    therapist.totp_secret = secret = new_secret()
    with app.test_request_context():
        codes = turn_on(db.session.get_one(User, therapist.id), secret, code_at(secret, NOW), password=None, now=NOW)
        for code in codes[:-1]:
            check_second_step(db.session.get_one(User, therapist.id), code)
    tablet = make_client()
    password_step(tablet, therapist)
    response = post(tablet, "/login/code", {"code": codes[-1]})
    assert response.headers["Location"] == "/caseload"
    assert ("You signed in with your last recovery code. Please ask your service lead to reset your two-step "
            "sign-in" in page_text(tablet.get("/caseload")))
    assert "You have 0 recovery codes left." in page_text(tablet.get("/settings"))


# ---------------------------------------------------------------- password links never skip it


def test_a_password_link_does_not_skip_the_second_step(
        app: Flask, make: Factory, make_client: MakeClient, sign_in_as: SignInAs) -> None:
    family = make.family("Rivers")
    mum = family.carers[0]
    phone = sign_in_as(mum)
    turn_on_for(app, mum, phone)
    # A half sign-in made with the old password ends when the password changes.
    half = make_client()
    password_step(half, mum)
    with app.test_request_context():
        token = issue_password_link(db.session.get_one(User, mum.id), PasswordLinkPurpose.RESET,
                                    db.session.get_one(User, family.therapist.id))
    holder = make_client()
    new_password = "quince-meadow-bicycle-77"
    chosen = post(holder, f"/password/{token}", {"password": new_password, "confirm": new_password})
    assert chosen.headers["Location"] == "/login"
    assert sign_ins_of(app, mum.id) == 0
    assert post(half, "/login/code", {"code": fresh_code(half, mum)}).headers["Location"] == "/login"

    mum.password = new_password
    response = password_step(holder, mum)

    assert response.headers["Location"] == "/login/code"
    assert holder.get("/home").headers["Location"] == "/login/code"
    assert sign_ins_of(app, mum.id) == 0
    assert post(holder, "/login/code", {"code": fresh_code(holder, mum)}).headers["Location"] == "/home"


# ---------------------------------------------------------------- an admin resets a therapist's


def test_an_admin_resets_a_therapists_second_factor(
        app: Flask, make: Factory, sign_in_as: SignInAs, make_client: MakeClient) -> None:
    admin = make.user(Role.ADMIN, name="Alex")
    family = make.family("Rivers", therapist=make.user(Role.THERAPIST, name="Robin"))
    robin = family.therapist
    assert robin is not None
    tablet = sign_in_as(robin)
    laptop = sign_in_as(robin)
    client = sign_in_as(admin)
    listing = page_text(client.get("/admin/therapists"))
    assert "two-step sign-in on" in listing and "Reset two-step sign-in for Robin" in listing

    response = post(client, f"/admin/therapists/{robin.id}/two-factor-reset")

    assert response.status_code == 302 and response.headers["Location"] == "/admin/therapists"
    listing = page_text(client.get("/admin/therapists"))
    assert ("Two-step sign-in for Robin is reset. They are signed out, and will set it up again when they "
            "next sign in.") in listing
    assert "sets up two-step sign-in at their next sign-in" in listing
    row = user_row(app, robin.id)
    assert (row.totp_secret, row.totp_last_step, row.two_factor_since) == (None, None, None)
    assert recovery_codes_stored(app, robin.id) == []
    assert sign_ins_of(app, robin.id) == 0
    assert is_signed_out_page(tablet.get("/caseload")) and is_signed_out_page(laptop.get("/caseload"))
    assert actions_about(app, robin.id)[-1] == (admin.id, "two_factor.reset")
    assert "Alex two_factor.reset — Robin" in page_text(client.get("/admin/audit"))

    again = make_client()
    assert password_step(again, robin).headers["Location"] == "/login/two-factor"
    set_up_two_factor(again)
    assert again.get("/caseload").status_code == 200


def test_only_admins_reset_and_only_therapists_are_reset_in_the_app(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    admin = make.user(Role.ADMIN)
    other_admin = make.user(Role.ADMIN)
    therapist = make.user(Role.THERAPIST)
    carer = make.user(Role.CARER)
    assert post(sign_in_as(therapist), f"/admin/therapists/{therapist.id}/two-factor-reset").status_code == 403
    client = sign_in_as(admin)
    for person in (other_admin, carer):
        assert post(client, f"/admin/therapists/{person.id}/two-factor-reset").status_code == 404
    assert user_row(app, other_admin.id).totp_secret is not None
    assert user_row(app, therapist.id).totp_secret is not None


def test_the_command_line_resets_anyone_such_as_the_only_admin(app: Flask, make: Factory) -> None:
    admin = make.user(Role.ADMIN, email="lead@example.org")
    result = app.test_cli_runner().invoke(args=["reset-two-factor", "Lead@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Two-step sign-in for lead@example.org is reset" in result.output
    assert user_row(app, admin.id).totp_secret is None
    assert actions_about(app, admin.id) == [(None, "two_factor.reset")]
    missing = app.test_cli_runner().invoke(args=["reset-two-factor", "nobody@example.org"])
    assert missing.exit_code != 0 and "There is no account with the email nobody@example.org." in missing.output


# ---------------------------------------------------------------- carers: a choice, on and off


def test_a_carer_signs_in_with_a_password_only_until_they_turn_it_on(
        app: Flask, make: Factory, make_client: MakeClient, sign_in_as: SignInAs) -> None:
    mum = make.user(Role.CARER, name="Mum")
    first = make_client()
    assert password_step(first, mum).headers["Location"] == "/home"  # no second step yet
    turn_on_for(app, mum, first)
    sign_out(first)

    phone = make_client()
    assert password_step(phone, mum).headers["Location"] == "/login/code"
    assert post(phone, "/login/code", {"code": fresh_code(phone, mum)}).headers["Location"] == "/home"


def test_a_carer_turns_it_off_with_their_password(
        app: Flask, make: Factory, make_client: MakeClient, sign_in_as: SignInAs) -> None:
    mum = make.user(Role.CARER, name="Mum")
    phone = sign_in_as(mum)
    turn_on_for(app, mum, phone)
    assert "Turn off two-step sign-in" in page_text(phone.get("/settings"))

    wrong = post(phone, "/settings/two-factor/off", {"password": "not-my-password-at-all"})
    assert wrong.status_code == 400 and "That is not your password." in page_text(wrong)
    assert user_row(app, mum.id).totp_secret is not None

    done = post(phone, "/settings/two-factor/off", {"password": PASSWORD})

    assert done.status_code == 302 and done.headers["Location"] == "/settings"
    settings = page_text(phone.get("/settings"))
    assert "Two-step sign-in is off. You will sign in with your password only." in settings
    assert "Two-step sign-in Off" in settings
    assert user_row(app, mum.id).totp_secret is None and recovery_codes_stored(app, mum.id) == []
    assert actions_about(app, mum.id)[-1] == (mum.id, "two_factor.off")
    assert password_step(make_client(), mum).headers["Location"] == "/home"
    assert phone.get("/settings/two-factor/off").headers["Location"] == "/settings"


def test_a_viewer_may_turn_it_on_too(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    nan = make.user(Role.VIEWER, name="Nan")
    phone = sign_in_as(nan)
    assert len(turn_on_for(app, nan, phone)) == 10


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.ADMIN])
def test_staff_cannot_turn_it_off(app: Flask, make: Factory, sign_in_as: SignInAs, role: Role) -> None:
    person = make.user(role)
    client = sign_in_as(person)
    settings = page_text(client.get("/settings"))
    assert "Two-step sign-in On" in settings and "Therapists and admins always use it." in settings
    assert "Turn off two-step sign-in" not in settings

    for response in (client.get("/settings/two-factor/off"),
                     post(client, "/settings/two-factor/off", {"password": PASSWORD})):
        assert response.status_code == 302 and response.headers["Location"] == "/settings"
    assert "Therapists and admins always use two-step sign-in" in page_text(client.get("/settings"))
    assert user_row(app, person.id).totp_secret is not None


# ---------------------------------------------------------------- the demo


def test_the_demo_code_command_prints_the_code_of_the_demo_staff(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo-code"])
    assert result.exit_code == 0, result.output
    code = result.output.split()[0]
    assert re.fullmatch(r"\d{6}", code)
    # The same code an authenticator app shows for the demo key now (or a moment ago).
    now = datetime.now(UTC)
    assert code in {code_at("JBSWY3DPEHPK3PXP", now - timedelta(seconds=s)) for s in (0, 30)}
