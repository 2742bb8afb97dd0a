"""Languages as people meet them: how the language of a page is chosen, the switcher on the sign-in and
invitation pages, the languages a service offers, a parent's words kept in their own language, and
dates in each person's own time zone and language."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from pipcompanion.extensions import db
from pipcompanion.models import Moment, ServiceSettings, User

from .conftest import Factory, MailServer, MakeClient, SignInAs
from .helpers import FamilyInfo, Person, page_text, post, sign_in
from .test_api import api_client
from .test_moments import add_moment

HTML_LANG = re.compile(r'<html lang="([^"]+)" dir="(ltr|rtl)">')


def page_language(response: object) -> tuple[str, str]:
    match = HTML_LANG.search(response.get_data(as_text=True))  # type: ignore[attr-defined]  # a test response
    assert match, "no <html lang>"
    return match.group(1), match.group(2)


def set_user(app: Flask, person: Person, **values: object) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == person.id).values(**values))
        db.session.commit()


def offer(app: Flask, client: FlaskClient, languages: str, default: str = "en") -> None:
    client.get("/login")  # the settings row is made on first use
    with app.app_context():
        db.session.execute(update(ServiceSettings).values(offered_languages=languages, default_locale=default))
        db.session.commit()


# ---------------------------------------------------------------- choosing the language


def test_the_switcher_names_each_language_in_itself(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    for code, name in (("pl", "Polski"), ("ar", "العربية"), ("cy", "Cymraeg"), ("ur", "اردو"), ("bn", "বাংলা")):
        assert f'value="{code}" lang="{code}" class="language-switcher__choice">{name}</button>' in page


def test_a_choice_on_the_sign_in_page_lasts_for_the_session_and_through_signing_in(
        app: Flask, client: FlaskClient, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    set_user(app, mum, locale=None)
    response = post(client, "/language", {"language": "cy", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert page_language(client.get("/login")) == ("cy-GB", "ltr")
    assert page_language(client.get("/join")) == ("cy-GB", "ltr")
    sign_in(client, mum)
    assert page_language(client.get("/home")) == ("cy-GB", "ltr")
    # Signing out keeps the choice for the next sign-in on this browser.
    post(client, "/logout")
    assert page_language(client.get("/login")) == ("cy-GB", "ltr")


def test_the_persons_own_setting_comes_before_the_sessions_choice(app: Flask, client: FlaskClient,
                                                                  rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    set_user(app, mum, locale="ar")
    post(client, "/language", {"language": "pl", "next": "/login"})
    sign_in(client, mum)
    assert page_language(client.get("/home")) == ("ar", "rtl")


def test_the_browsers_language_comes_before_the_service_default(app: Flask, client: FlaskClient) -> None:
    offer(app, client, "en cy pl ro es so ar ur bn", default="cy")
    assert page_language(client.get("/login", headers={"Accept-Language": "ro-RO,ro;q=0.9"})) == ("ro", "ltr")
    assert page_language(client.get("/login", headers={"Accept-Language": "de-DE"})) == ("cy-GB", "ltr")
    assert page_language(client.get("/login")) == ("cy-GB", "ltr")


@pytest.mark.parametrize("language", ["de", "", "EN", "pl; DROP TABLE users", "x" * 5000, "ﬁ", "pl\x00"])
def test_a_language_not_on_offer_is_refused_with_a_message(client: FlaskClient, language: str) -> None:
    response = post(client, "/language", {"language": language, "next": "/login"})
    assert response.status_code == 400
    assert "Please choose one of the languages on offer." in page_text(response)
    assert page_language(client.get("/login"))[0] == "en-GB"


def test_the_switcher_returns_only_to_this_site(client: FlaskClient) -> None:
    for target in ("https://elsewhere.example/", "//elsewhere.example/", "javascript:alert(1)"):
        response = post(client, "/language", {"language": "pl", "next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_invitation_page_has_the_switcher_and_joins_in_the_language_chosen(
        app: Flask, client: FlaskClient, make: Factory, rivers: FamilyInfo) -> None:
    from pipcompanion.models import MemberKind

    invitation = make.invitation(rivers, MemberKind.CARER, "Aunt")
    client.get(f"/join/{invitation.token}")
    page = client.get("/join/details").get_data(as_text=True)
    assert 'class="language-switcher"' in page
    post(client, "/language", {"language": "es", "next": "/join/details"})
    details = client.get("/join/details")
    assert page_language(details) == ("es", "ltr")
    assert 'value="es" lang="es" class="language-switcher__choice" aria-current="true">Español' in \
        details.get_data(as_text=True)
    # Joining keeps the language the page was in as the new person's own.
    from .helpers import AGREE_TO_NOTICE

    joined = post(client, "/join/details", {"name": "Rosa", "email": "rosa@example.org", "password": "plum-harbour-lantern-42",
                                            "confirm": "plum-harbour-lantern-42", **AGREE_TO_NOTICE})
    assert joined.status_code == 302, page_text(joined)
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.email == "rosa@example.org")) == "es"


# ---------------------------------------------------------------- the languages a service offers


def test_the_admin_chooses_the_languages_on_offer(app: Flask, admin: Person, sign_in_as: SignInAs,
                                                  make_client: MakeClient) -> None:
    from .test_admin import GOOD_SETTINGS

    admin_client = sign_in_as(admin)
    response = post(admin_client, "/admin/settings", {**GOOD_SETTINGS, "languages": ["en", "pl", "ar"]})
    assert response.status_code == 302
    visitor = make_client()
    login = visitor.get("/login").get_data(as_text=True)
    assert ">Polski</button>" in login and ">العربية</button>" in login and ">Cymraeg</button>" not in login
    # A language no longer offered is not used, even when the browser asks for it.
    assert page_language(visitor.get("/login", headers={"Accept-Language": "cy"}))[0] == "en-GB"
    assert post(visitor, "/language", {"language": "cy"}).status_code == 400


@pytest.mark.parametrize(("languages", "default", "message"), [
    ([], "en", "Please offer at least one language from the list."),
    (["en", "xx"], "en", "Please offer at least one language from the list."),
    (["pl", "ar"], "en", "Please choose a default language that the service offers."),
])
def test_the_languages_on_offer_must_make_sense(app: Flask, admin: Person, sign_in_as: SignInAs,
                                                languages: list[str], default: str, message: str) -> None:
    from .test_admin import GOOD_SETTINGS

    response = post(sign_in_as(admin), "/admin/settings",
                    {**GOOD_SETTINGS, "languages": languages or "", "default_locale": default})
    assert response.status_code == 400
    assert message in page_text(response)


def test_a_person_whose_language_is_withdrawn_gets_the_service_default(app: Flask, client: FlaskClient,
                                                                       rivers: FamilyInfo,
                                                                       sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    set_user(app, mum, locale="so")
    offer(app, client, "en pl", default="pl")
    assert page_language(sign_in_as(mum).get("/home")) == ("pl", "ltr")


# ---------------------------------------------------------------- a parent's words, as written


def test_a_moment_keeps_the_language_it_was_written_in(app: Flask, make_client: MakeClient, rivers: FamilyInfo,
                                                       sign_in_as: SignInAs) -> None:
    mum, dad = rivers.carers
    set_user(app, mum, locale="pl")
    mum_phone = sign_in_as(mum)
    assert add_moment(mum_phone, rivers.id, text="Uśmiechnęła się do mnie.", visibility="therapist").status_code == 302
    with app.app_context():
        moment = db.session.scalars(select(Moment)).one()
        assert (moment.text, moment.lang) == ("Uśmiechnęła się do mnie.", "pl")
    # Dad reads the app in English: her words as she wrote them, marked as Polish, never translated.
    timeline = sign_in_as(dad).get(f"/families/{rivers.id}/timeline").get_data(as_text=True)
    assert '<p class="moment__text" lang="pl" dir="auto">Uśmiechnęła się do mnie.</p>' in timeline
    therapist = sign_in_as(rivers.therapist).get(f"/families/{rivers.id}/timeline").get_data(as_text=True)
    assert 'lang="pl" dir="auto">Uśmiechnęła się do mnie.</p>' in therapist
    # Kinds alone, no words: no language to keep.
    add_moment(mum_phone, rivers.id, text="", kinds=["1"])
    with app.app_context():
        assert db.session.scalars(select(Moment.lang).order_by(Moment.id.desc())).first() is None


def test_the_api_keeps_the_language_it_is_told_or_the_persons(app: Flask, make_client: MakeClient,
                                                             rivers: FamilyInfo) -> None:
    from .test_api import new_moment

    mum = rivers.carers[0]
    set_user(app, mum, locale="ro")
    client, headers = api_client(make_client, mum)
    told = client.post("/api/v1/moments", json=new_moment(rivers, text="كانت تبتسم", lang="ar"), headers=headers)
    assert told.status_code == 201 and told.get_json()["lang"] == "ar"
    untold = client.post("/api/v1/moments", json=new_moment(rivers, text="A zâmbit"), headers=headers)
    assert untold.status_code == 201 and untold.get_json()["lang"] == "ro"


@pytest.mark.parametrize("lang", [5, ["pl"], {"x": 1}, "", "p", "polish-language-tag-too-long-to-be-real",
                                  "pl_PL", "pl-", "<script>", "١٢", True])
def test_a_language_tag_that_is_not_one_is_refused(app: Flask, make_client: MakeClient, rivers: FamilyInfo,
                                                   lang: object) -> None:
    from .test_api import new_moment

    client, headers = api_client(make_client, rivers.carers[0])
    response = client.post("/api/v1/moments", json=new_moment(rivers, lang=lang), headers=headers)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert {"field": "lang", "message": "Please send the language as a short language tag, like pl or en-GB."} \
        in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalars(select(Moment)).all() == []


# ---------------------------------------------------------------- dates in each person's zone and language


def test_a_moment_at_half_past_eleven_in_london_is_on_the_right_day_for_each_reader(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    """Mum notes it at 23:30 on Tuesday 2 June, London time (the service's zone), with the app in
    Polish; Dad, in Warsaw with the app in Romanian, sees it on Wednesday 3 June at 00:30."""
    mum, dad = rivers.carers
    set_user(app, mum, locale="pl")
    set_user(app, dad, locale="ro", timezone="Europe/Warsaw")
    mum_phone = sign_in_as(mum)
    response = add_moment(mum_phone, rivers.id, text="Zasnęła na mnie.", when="date", day="2026-06-02",
                          at_time="23:30", visibility="therapist")
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        stored = db.session.scalars(select(Moment.occurred_at)).one()
    assert stored.astimezone(ZoneInfo("UTC")) == datetime(2026, 6, 2, 22, 30, tzinfo=ZoneInfo("UTC"))

    in_london = format_datetime(stored, "EEEE d MMMM, HH:mm", tzinfo=ZoneInfo("Europe/London"), locale="pl")
    in_warsaw = format_datetime(stored, "EEEE d MMMM, HH:mm", tzinfo=ZoneInfo("Europe/Warsaw"), locale="ro")
    assert in_london == "wtorek 2 czerwca, 23:30" and in_warsaw == "miercuri 3 iunie, 00:30"
    assert in_london in page_text(mum_phone.get(f"/families/{rivers.id}/timeline"))
    assert in_warsaw in page_text(sign_in_as(dad).get(f"/families/{rivers.id}/timeline"))
    # A day filter is a day where the reader is: 3 June holds it for Dad, not for Mum.
    assert in_warsaw in page_text(sign_in_as(dad).get(f"/families/{rivers.id}/timeline?date_from=2026-06-03"))
    assert in_london not in page_text(mum_phone.get(f"/families/{rivers.id}/timeline?date_from=2026-06-03"))


def test_a_password_link_email_is_in_the_persons_language_not_the_senders(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, mail_server: MailServer) -> None:
    """Sam works in English; Mum reads the app in Arabic: her email is in Arabic, right to left."""
    from .test_mail import mums_link, text_of

    set_user(app, rivers.carers[0], locale="ar")
    mums_link(rivers, sign_in_as(rivers.therapist))
    message = mail_server.only()
    subject = str(message["Subject"])
    with app.test_request_context():
        from flask_babel import force_locale
        from flask_babel import gettext as translate

        with force_locale("ar"):
            expected = translate("A link to choose a new password for %(service)s", service="PIP Companion")
    assert subject == expected and subject != "A link to choose a new password for PIP Companion"
    html = message.get_body(("html",))
    assert html is not None and '<html lang="ar" dir="rtl">' in html.get_content()
    assert "Hello" not in text_of(message)
