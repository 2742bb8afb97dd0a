"""Password links that staff make reach the person by email where a mail server is set (a real SMTP
server on 127.0.0.1 here), and are shown to staff only where none is; the account holder is told,
once at their next sign-in and for good in Settings, when and by whom a link set their password."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from pipcompanion.config import ConfigError, DevelopmentConfig, ProductionConfig, TestingConfig, check_mail
from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, PasswordLink, Role

from .conftest import Clock, Factory, MailServer, app_config, free_port
from .helpers import (
    NEW_PASSWORD,
    AuditEntry,
    FamilyInfo,
    MakeClient,
    Person,
    SignInAs,
    agree_to_notice,
    audit_trail,
    count,
    page_text,
    post,
    rows,
    shown_secret,
    sign_in,
)

LINK = re.compile(r"http://localhost(/password/[A-Za-z0-9_-]{32,})")
EMAILED_TO_MUM = ("We have emailed a password link to Mum at {email}. It works once, for 24 hours. If it has not "
                  "arrived in a few minutes, ask them to look in their junk mail, or make a new link.")
NOT_SENT_TO_MUM = ("We could not send the email to Mum just now, so no link was made and nothing else has changed. "
                   "Please try again in a few minutes.")


def text_of(message: EmailMessage) -> str:
    """The email's plain text, as the person reads it."""
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    return " ".join(body.get_content().split())


def link_in(message: EmailMessage) -> str:
    """The password link in the email, as a path (what the person follows)."""
    match = LINK.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)


def choose_password(client: FlaskClient, path: str, password: str = NEW_PASSWORD) -> TestResponse:
    return post(client, path, {"password": password, "confirm": password})


def mums_link(rivers: FamilyInfo, therapist: FlaskClient) -> TestResponse:
    """Sam presses "Password link for Mum" on the family page."""
    return post(therapist, f"/families/{rivers.id}/members/{rivers.carers[0].id}/password-link")


def with_new_password(person: Person) -> Person:
    return dataclasses.replace(person, password=NEW_PASSWORD)


def link_events(app: Flask) -> list[AuditEntry]:
    """The audit record of password links (made, emailed, used), oldest first."""
    return [entry for entry in audit_trail(app) if entry.action.startswith("password_link")]


def open_links(app: Flask, person: Person) -> int:
    return count(app, PasswordLink, PasswordLink.user_id == person.id, PasswordLink.used_at.is_(None))


# ---------------------------------------------------------------- emailed to the person


def test_a_therapists_link_is_emailed_to_the_carer_who_can_use_it(app: Flask, rivers: FamilyInfo,
                                                                   sign_in_as: SignInAs, make_client: MakeClient,
                                                                   mail_server: MailServer) -> None:
    mum = rivers.carers[0]
    therapist = sign_in_as(rivers.therapist)

    response = mums_link(rivers, therapist)

    assert response.status_code == 302 and response.headers["Location"] == f"/families/{rivers.id}"
    page = therapist.get(response.headers["Location"])
    assert EMAILED_TO_MUM.format(email=mum.email) in page_text(page)
    message = mail_server.only()
    assert mail_server.recipients == [[mum.email]]
    assert message["To"] == f"Mum <{mum.email}>"
    assert message["From"] == "PIP Companion <no-reply@pip.example.org>"
    assert message["Subject"] == "A link to choose a new password for PIP Companion"
    words = text_of(message)
    assert words.startswith("Hello Mum, Sam at PIP Companion asked us to send you this link, so that you can "
                            "choose a new password:")
    assert "The link works once, for 24 hours." in words
    assert ("Not expecting this email? You do not need to do anything: nothing changes unless the link is used. "
            "If you are worried, please tell Sam or the service.") in words
    assert "Rivers" not in words and "Ava" not in words  # nothing about the family in an inbox

    path = link_in(message)
    phone = make_client()
    assert "For the account of Mum" in page_text(phone.get(path))
    assert choose_password(phone, path).headers["Location"] == "/login"
    sign_in(phone, with_new_password(mum))
    assert phone.get("/home").status_code == 200


def test_the_email_has_the_same_words_as_simple_html_with_the_link_to_click(rivers: FamilyInfo, sign_in_as: SignInAs,
                                                                            mail_server: MailServer) -> None:
    mums_link(rivers, sign_in_as(rivers.therapist))
    message = mail_server.only()
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    content = html.get_content()
    path = link_in(message)
    assert f'<a href="http://localhost{path}">' in content
    assert '<html lang="en" dir="ltr">' in content
    assert "<p>Hello Mum,</p>" in content


def test_staff_never_see_an_emailed_link(app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs,
                                         mail_server: MailServer) -> None:
    therapist = sign_in_as(rivers.therapist)
    response = mums_link(rivers, therapist)
    token = link_in(mail_server.only()).removeprefix("/password/")
    family_page = therapist.get(response.headers["Location"], follow_redirects=True)
    for page in (response, family_page):
        assert token not in page.get_data(as_text=True)
        assert 'id="secret-link"' not in page.get_data(as_text=True)
    audit_page = sign_in_as(admin).get("/admin/audit")
    assert token not in audit_page.get_data(as_text=True)
    with app.app_context():
        stored = " ".join(str(value) for table in ("audit_events", "password_links")
                          for row in db.session.execute(text(f"SELECT * FROM {table}")) for value in row)
    assert token not in stored and token[:16] not in stored


def test_an_emailed_link_is_on_the_audit_record_as_emailed(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                           mail_server: MailServer, make_client: MakeClient) -> None:
    mums_link(rivers, sign_in_as(rivers.therapist))
    choose_password(make_client(), link_in(mail_server.only()))
    mum = rivers.carers[0]
    assert link_events(app) == [
        AuditEntry("password_link.reset.emailed", rivers.therapist.id, None, mum.id),
        AuditEntry("password_link.use", rivers.therapist.id, None, mum.id),
    ]


def test_an_admins_link_for_a_therapist_is_emailed_to_them(app: Flask, admin: Person, make: Factory,
                                                           sign_in_as: SignInAs, make_client: MakeClient,
                                                           mail_server: MailServer) -> None:
    robin = make.user(Role.THERAPIST, name="Robin", email="robin@example.org")
    browser = sign_in_as(admin)

    response = post(browser, f"/admin/therapists/{robin.id}/password-link")

    assert response.status_code == 302 and response.headers["Location"] == "/admin/therapists"
    assert ("We have emailed a password link to Robin at robin@example.org. It works once, for 24 hours."
            in page_text(browser.get("/admin/therapists")))
    message = mail_server.only()
    assert mail_server.recipients == [["robin@example.org"]]
    assert "Alex at PIP Companion asked us to send you this link" in text_of(message)
    phone = make_client()
    assert choose_password(phone, link_in(message)).status_code == 302
    sign_in(phone, with_new_password(robin))  # the second step, as ever
    assert phone.get("/caseload").status_code == 200


def test_a_new_therapists_setup_link_is_emailed(app: Flask, admin: Person, sign_in_as: SignInAs,
                                                make_client: MakeClient, mail_server: MailServer) -> None:
    browser = sign_in_as(admin)

    response = post(browser, "/admin/therapists", {"name": "Robin", "email": "Robin@Example.org"})

    assert response.status_code == 302
    shown = page_text(browser.get("/admin/therapists"))
    assert ("The account for Robin is ready. We have emailed them a link to choose a password, at robin@example.org. "
            "It works once, for 7 days.") in shown
    assert 'id="secret-link"' not in browser.get("/admin/therapists").get_data(as_text=True)
    message = mail_server.only()
    assert message["To"] == "Robin <robin@example.org>"
    assert message["Subject"] == "Choose your password for PIP Companion"
    words = text_of(message)
    assert "Alex has made you an account on PIP Companion. This link lets you choose your password:" in words
    assert "The link works once, for 7 days." in words
    assert "you will set up two-step sign-in" in words
    assert [entry.action for entry in audit_trail(app)] == ["therapist.create", "password_link.setup.emailed"]
    phone = make_client()
    assert choose_password(phone, link_in(message)).status_code == 302
    response = post(phone, "/login", {"email": "robin@example.org", "password": NEW_PASSWORD})
    assert response.headers["Location"] == "/login/two-factor"


def test_a_new_emailed_link_replaces_the_one_before(rivers: FamilyInfo, sign_in_as: SignInAs,
                                                    make_client: MakeClient, mail_server: MailServer) -> None:
    therapist = sign_in_as(rivers.therapist)
    mums_link(rivers, therapist)
    mums_link(rivers, therapist)
    first, second = (link_in(message) for message in mail_server.received)
    phone = make_client()
    assert phone.get(first).status_code == 404
    assert choose_password(phone, second).status_code == 302


def test_no_header_can_be_slipped_in_through_a_name(admin: Person, make: Factory, sign_in_as: SignInAs,
                                                    mail_server: MailServer) -> None:
    robin = make.user(Role.THERAPIST, name="Robin\r\nBcc: eve@example.org", email="robin@example.org")

    post(sign_in_as(admin), f"/admin/therapists/{robin.id}/password-link")

    message = mail_server.only()
    assert mail_server.recipients == [["robin@example.org"]]
    assert message["Bcc"] is None
    assert message["To"].addresses[0].addr_spec == "robin@example.org"
    assert "eve@example.org" not in [address.addr_spec for address in message["To"].addresses]


# ---------------------------------------------------------------- when it cannot be sent


@pytest.fixture
def mail_server_down(app: Flask) -> Iterator[None]:
    """The app is set to send mail, but nothing answers on that port."""
    with app_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_SECURITY="none",
                    MAIL_FROM="no-reply@pip.example.org", MAIL_TIMEOUT=5):
        yield


@pytest.mark.usefixtures("mail_server_down")
def test_when_the_email_cannot_be_sent_staff_are_told_and_no_link_is_left(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, caplog: pytest.LogCaptureFixture) -> None:
    therapist = sign_in_as(rivers.therapist)
    with caplog.at_level(logging.WARNING):
        response = mums_link(rivers, therapist)

    assert response.status_code == 302
    page = therapist.get(response.headers["Location"])
    assert page.status_code == 200
    assert NOT_SENT_TO_MUM in page_text(page)
    assert 'id="secret-link"' not in page.get_data(as_text=True)
    mum = rivers.carers[0]
    assert count(app, PasswordLink) == 1 and open_links(app, mum) == 0
    assert link_events(app) == [AuditEntry("password_link.reset.emailed", rivers.therapist.id, None, mum.id, "failed")]
    assert "Mail not sent through 127.0.0.1" in caplog.text and "/password/" not in caplog.text


def test_a_failed_email_leaves_the_last_link_working(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                     make_client: MakeClient, mail_server: MailServer) -> None:
    therapist = sign_in_as(rivers.therapist)
    mums_link(rivers, therapist)
    earlier = link_in(mail_server.only())
    with app_config(app, MAIL_PORT=free_port()):  # the mail server stops answering
        response = mums_link(rivers, therapist)
    assert NOT_SENT_TO_MUM in page_text(therapist.get(response.headers["Location"]))
    assert choose_password(make_client(), earlier).status_code == 302


def test_a_server_that_offers_no_starttls_is_never_sent_the_link_in_the_clear(
        app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs, mail_server: MailServer) -> None:
    therapist = sign_in_as(rivers.therapist)
    with app_config(app, MAIL_SECURITY="starttls"):
        response = mums_link(rivers, therapist)
    assert NOT_SENT_TO_MUM in page_text(therapist.get(response.headers["Location"]))
    assert mail_server.received == []
    assert open_links(app, rivers.carers[0]) == 0


def test_a_new_therapist_is_still_made_when_the_setup_email_fails(app: Flask, admin: Person, sign_in_as: SignInAs,
                                                                  mail_server_down: None) -> None:
    browser = sign_in_as(admin)
    response = post(browser, "/admin/therapists", {"name": "Robin", "email": "robin@example.org"})
    assert response.status_code == 302
    shown = page_text(browser.get("/admin/therapists"))
    assert ("The account for Robin is ready, but we could not email them a link to choose a password just now. "
            "Please try again in a few minutes with the button “Password link for Robin”.") in shown
    assert "Robin · robin@example.org" in shown
    assert count(app, PasswordLink, PasswordLink.used_at.is_(None)) == 0


# ---------------------------------------------------------------- no mail server: shown to staff


def test_without_a_mail_server_staff_are_shown_the_link_as_before(app: Flask, rivers: FamilyInfo,
                                                                  sign_in_as: SignInAs) -> None:
    assert not app.config["MAIL_SERVER"] and not app.config["MAIL_CONSOLE"]
    response = mums_link(rivers, sign_in_as(rivers.therapist))
    assert response.status_code == 201
    link, _code = shown_secret(response)
    assert link.startswith("/password/")
    assert [entry.action for entry in link_events(app)] == ["password_link.reset"]


# ---------------------------------------------------------------- development: printed, not sent


def test_in_development_the_email_is_printed_to_the_terminal(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                             make_client: MakeClient,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert DevelopmentConfig.MAIL_CONSOLE is True
    assert ProductionConfig.MAIL_CONSOLE is False and TestingConfig.MAIL_CONSOLE is False
    therapist = sign_in_as(rivers.therapist)
    with app_config(app, MAIL_CONSOLE=True, MAIL_FROM=DevelopmentConfig.MAIL_FROM):
        response = mums_link(rivers, therapist)

    mum = rivers.carers[0]
    assert EMAILED_TO_MUM.format(email=mum.email) in page_text(therapist.get(response.headers["Location"]))
    printed = capsys.readouterr().out
    assert "Email (development: printed here, not sent)" in printed
    assert f"To: Mum <{mum.email}>" in printed
    assert "Subject: A link to choose a new password for PIP Companion" in printed
    match = LINK.search(printed)
    assert match, printed
    assert choose_password(make_client(), match.group(1)).status_code == 302


# ---------------------------------------------------------------- the account holder is told


def test_the_holder_is_told_once_at_their_next_sign_in_and_settings_keeps_it(
        rivers: FamilyInfo, sign_in_as: SignInAs, make_client: MakeClient, clock: Clock,
        mail_server: MailServer) -> None:
    clock.set(datetime(2026, 3, 3, 14, 5, tzinfo=UTC))  # 14:05 in London too (before summer time)
    mums_link(rivers, sign_in_as(rivers.therapist))
    mum = with_new_password(rivers.carers[0])
    choose_password(make_client(), link_in(mail_server.only()))

    phone = make_client()
    sign_in(phone, mum)
    home = page_text(phone.get("/home"))
    assert ("Your password was changed on 3 March 2026 at 14:05, with a link from Sam. If you did not ask for this, "
            "please tell your therapist or the service straight away. You can also sign out everywhere in "
            "Settings.") in home
    assert "Your password was changed" not in page_text(phone.get("/home"))
    tablet = make_client()
    sign_in(tablet, mum)
    assert "Your password was changed" not in page_text(tablet.get("/home"))

    settings = page_text(phone.get("/settings"))
    assert ("Your password was last set through a link from Sam on 3 March 2026 at 14:05. If you did not ask for it, "
            "please tell your therapist or the service.") in settings


def test_a_therapist_whose_password_an_admin_reset_is_told_too(admin: Person, make: Factory, sign_in_as: SignInAs,
                                                                make_client: MakeClient, clock: Clock) -> None:
    clock.set(datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # 09:30 in London (summer time)
    robin = make.user(Role.THERAPIST, name="Robin")
    link, _code = shown_secret(post(sign_in_as(admin), f"/admin/therapists/{robin.id}/password-link"))
    choose_password(make_client(), link)

    browser = make_client()
    sign_in(browser, with_new_password(robin))
    assert ("Your password was changed on 1 July 2026 at 09:30, with a link from Alex. If you did not ask for this, "
            "please tell your service lead straight away.") in page_text(browser.get("/caseload"))
    assert ("Your password was last set through a link from Alex on 1 July 2026 at 09:30. If you did not ask for it, "
            "please tell your service lead.") in page_text(browser.get("/settings"))


def test_settings_shows_the_latest_link_that_set_the_password(rivers: FamilyInfo, admin: Person, make: Factory,
                                                              sign_in_as: SignInAs, make_client: MakeClient,
                                                              clock: Clock, mail_server: MailServer) -> None:
    clock.set(datetime(2026, 3, 3, 14, 5, tzinfo=UTC))
    mums_link(rivers, sign_in_as(rivers.therapist))
    choose_password(make_client(), link_in(mail_server.received[-1]))
    other = make.user(Role.THERAPIST, name="Kim")
    make.caseload(rivers, other)
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    mums_link(rivers, sign_in_as(other))
    choose_password(make_client(), link_in(mail_server.received[-1]), "another-good-password-73")

    phone = make_client()
    sign_in(phone, dataclasses.replace(rivers.carers[0], password="another-good-password-73"))
    assert "with a link from Kim" in page_text(phone.get("/home"))
    settings = page_text(phone.get("/settings"))
    assert "Your password was last set through a link from Kim on 10 March 2026 at 09:00." in settings
    assert "from Sam" not in settings


def test_a_new_therapists_first_password_is_in_settings_but_not_a_sign_in_notice(
        admin: Person, sign_in_as: SignInAs, make_client: MakeClient, mail_server: MailServer) -> None:
    post(sign_in_as(admin), "/admin/therapists", {"name": "Robin", "email": "robin@example.org"})
    choose_password(make_client(), link_in(mail_server.only()))
    browser = make_client()
    robin = Person(0, "robin@example.org", "Robin", Role.THERAPIST, password=NEW_PASSWORD)
    sign_in(browser, robin)  # sets up two-step sign-in first, as a new therapist does
    agree_to_notice(browser)  # and reads the privacy notice

    assert "Your password was changed" not in page_text(browser.get("/caseload"))
    assert "Your password was last set through a link from Alex on" in page_text(browser.get("/settings"))


def test_settings_says_nothing_of_links_when_none_set_the_password(rivers: FamilyInfo, mum: FlaskClient,
                                                                   sign_in_as: SignInAs,
                                                                   mail_server: MailServer) -> None:
    mums_link(rivers, sign_in_as(rivers.therapist))  # made, emailed, never used
    assert "through a link" not in page_text(mum.get("/settings"))


def test_using_a_link_is_on_the_audit_record_with_the_address(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                              make_client: MakeClient, mail_server: MailServer) -> None:
    mums_link(rivers, sign_in_as(rivers.therapist))
    choose_password(make_client(), link_in(mail_server.only()))
    [address] = rows(app, select(AuditEvent.address).where(AuditEvent.action == "password_link.use"))
    assert address == "127.0.0.1"


# ---------------------------------------------------------------- settings that could never send


def test_a_mail_server_needs_a_from_address() -> None:
    with pytest.raises(ConfigError, match="MAIL_FROM must be the plain address mail is sent from"):
        check_mail({"MAIL_SERVER": "smtp.example.org", "MAIL_SECURITY": "starttls", "MAIL_FROM": ""})
    with pytest.raises(ConfigError, match="MAIL_FROM must be"):
        check_mail({"MAIL_SERVER": "smtp.example.org", "MAIL_SECURITY": "starttls",
                    "MAIL_FROM": "PIP <no-reply@example.org>"})
    check_mail({"MAIL_SERVER": "smtp.example.org", "MAIL_SECURITY": "starttls", "MAIL_FROM": "no-reply@example.org"})


def test_an_unknown_mail_security_is_refused() -> None:
    with pytest.raises(ConfigError, match="MAIL_SECURITY must be starttls, tls or none, not 'ssl'"):
        check_mail({"MAIL_SERVER": "", "MAIL_SECURITY": "ssl"})
