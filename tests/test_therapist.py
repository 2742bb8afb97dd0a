"""The therapist's side: reflecting back, pins, the weekly focus, session dates, the caseload,
the session view and the audit of therapists' reads and changes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, CaseloadAssignment, Focus, Moment, Reflection, Role, TherapySession, Visibility, utcnow

from .conftest import Factory
from .helpers import (
    PINNED_BADGE,
    FamilyInfo,
    Person,
    SignInAs,
    audit_trail,
    caseload_figures,
    count,
    kind_ids,
    page_text,
    page_text_of,
    post,
    rows,
    service_today,
    service_zone,
)

LOCALE = "en_GB"
REFLECT_EMPTY = "Please write a few words to reflect back."
FOCUS_EMPTY = "Please write the focus in a few words."
NEW = "New since you last looked"
UNREFLECTED = "Not yet reflected on, since the last session"
PINNED = "Pinned"
LAST_ACTIVITY = "Last activity"
NEXT_SESSION = "Next session"


# ---------------------------------------------------------------- helpers of this module


def days_ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def add_through_form(client: FlaskClient, family: FamilyInfo, text: str, visibility: str = "therapist") -> None:
    """A carer adds a moment with the Add-a-moment form."""
    response = post(client, f"/families/{family.id}/moments/new", {
        "client_id": str(uuid.uuid4()), "kinds": str(kind_ids(client.application)["comforting"]), "text": text,
        "when": "now", "visibility": visibility,
    })
    assert response.status_code == 302, page_text(response)


def reflections_on(app: Flask, moment_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        return [(r.author_id, r.text) for r in db.session.scalars(
            select(Reflection).where(Reflection.moment_id == moment_id))]


def pinned_at(app: Flask, moment_id: int) -> datetime | None:
    [when] = rows(app, select(Moment.pinned_at).where(Moment.id == moment_id))
    return when


def reflect(client: FlaskClient, family: FamilyInfo, moment_id: int, text: str) -> TestResponse:
    return post(client, f"/families/{family.id}/moments/{moment_id}/reflection", {"text": text})


def pin(client: FlaskClient, family: FamilyInfo, moment_id: int, pinned: bool = True) -> TestResponse:
    return post(client, f"/families/{family.id}/moments/{moment_id}/pin", {"pinned": "1" if pinned else "0"})


def add_session(client: FlaskClient, family: FamilyInfo, day: date | str, at: str = "10:30") -> TestResponse:
    day_text = day.isoformat() if isinstance(day, date) else day
    return post(client, f"/families/{family.id}/sessions", {"day": day_text, "at_time": at})


def audit_actions(app: Flask, actor_id: int) -> list[tuple[str, int | None]]:
    return [(entry.action, entry.family_id) for entry in audit_trail(app) if entry.actor_id == actor_id]


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by this heading id."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, flags=re.S)
    assert match, f"no section {heading_id}"
    return match.group(1)


@pytest.fixture
def sam(rivers: FamilyInfo, sign_in_as: SignInAs) -> FlaskClient:
    """Sam, the Rivers family's therapist, signed in."""
    return sign_in_as(rivers.therapist)


# ---------------------------------------------------------------- reflecting back


@pytest.fixture
def shared_moment(make: Factory, rivers: FamilyInfo) -> int:
    """Mum's moment, shared with the whole family."""
    return make.moment(rivers, rivers.carers[0], "She reached for me when the dog barked", visibility=Visibility.FAMILY)


@pytest.fixture
def reflected(make: Factory, rivers: FamilyInfo, shared_moment: int) -> int:
    """Sam's reflection on Mum's shared moment; the moment's id."""
    make.reflection(shared_moment, rivers.therapist, "You were her safe base.")
    return shared_moment


def test_the_therapist_reflects_back_on_a_moment(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                 shared_moment: int) -> None:
    detail = sam.get(f"/families/{rivers.id}/moments/{shared_moment}")
    assert "Reflect back" in page_text(detail)

    response = reflect(sam, rivers, shared_moment, "  You were her safe base.  ")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/families/{rivers.id}/moments/{shared_moment}"
    assert "Your reflection is saved" in page_text(sam.get(response.headers["Location"]))
    assert reflections_on(app, shared_moment) == [(rivers.therapist.id, "You were her safe base.")]


def test_the_author_sees_the_reflection_on_her_timeline_moment_and_home(rivers: FamilyInfo, mum: FlaskClient,
                                                                       reflected: int) -> None:
    timeline = page_text(mum.get(f"/families/{rivers.id}/timeline"))
    assert "You were her safe base. Reflected back by Sam" in timeline
    detail = page_text(mum.get(f"/families/{rivers.id}/moments/{reflected}"))
    assert "You were her safe base. Reflected back by Sam" in detail
    assert "Save reflection" not in detail  # reflecting back is the therapist's
    home = page_text(mum.get("/home"))
    assert "You were her safe base." in home
    assert "Sam reflected on your moment" in home
    assert "When your therapist reflects on a moment" not in home


def test_the_other_carer_sees_it_as_a_reflection_on_someone_elses_moment(rivers: FamilyInfo, sign_in_as: SignInAs,
                                                                         reflected: int) -> None:
    assert "Sam reflected on Mum's moment" in page_text(sign_in_as(rivers.carers[1]).get("/home"))


def test_viewers_see_the_moment_but_not_the_reflection(rivers: FamilyInfo, sign_in_as: SignInAs, reflected: int) -> None:
    # Reflections are between the carers and the therapist.
    nan_timeline = page_text(sign_in_as(rivers.viewers[0]).get(f"/families/{rivers.id}/timeline"))
    assert "She reached for me" in nan_timeline
    assert "safe base" not in nan_timeline


def test_changing_a_reflection_replaces_it(app: Flask, rivers: FamilyInfo, sam: FlaskClient, mum: FlaskClient,
                                           shared_moment: int) -> None:
    assert reflect(sam, rivers, shared_moment, "First thought").status_code == 302

    assert reflect(sam, rivers, shared_moment, "A warmer second thought").status_code == 302

    assert reflections_on(app, shared_moment) == [(rivers.therapist.id, "A warmer second thought")]
    detail = sam.get(f"/families/{rivers.id}/moments/{shared_moment}")
    assert "Change your reflection" in page_text(detail)
    assert re.search(r">\s*A warmer second thought</textarea>", detail.get_data(as_text=True))
    timeline = page_text(mum.get(f"/families/{rivers.id}/timeline"))
    assert "A warmer second thought" in timeline
    assert "First thought" not in timeline


def test_deleting_a_reflection_removes_it_from_the_carers_pages(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                                mum: FlaskClient, reflected: int) -> None:
    delete = f"/families/{rivers.id}/moments/{reflected}/reflection/delete"

    response = post(sam, delete)

    assert response.status_code == 302
    assert "Your reflection is deleted" in page_text(sam.get(response.headers["Location"]))
    assert reflections_on(app, reflected) == []
    assert "Reflected back by" not in page_text(mum.get(f"/families/{rivers.id}/moments/{reflected}"))
    assert "When your therapist reflects on a moment, it will show here." in page_text(mum.get("/home"))
    # Nothing left to delete.
    assert post(sam, delete).status_code == 404


def test_each_therapist_has_one_reflection_of_their_own(app: Flask, make: Factory, rivers: FamilyInfo,
                                                        sam: FlaskClient, sign_in_as: SignInAs) -> None:
    kim = make.user(Role.THERAPIST, name="Kim")
    make.caseload(rivers, kim)
    moment_id = make.moment(rivers, rivers.carers[0], "Slept on my chest")
    assert reflect(sam, rivers, moment_id, "From Sam").status_code == 302
    kim_client = sign_in_as(kim)
    assert reflect(kim_client, rivers, moment_id, "From Kim").status_code == 302
    assert sorted(text for _author, text in reflections_on(app, moment_id)) == ["From Kim", "From Sam"]
    # Kim deletes only her own.
    assert post(kim_client, f"/families/{rivers.id}/moments/{moment_id}/reflection/delete").status_code == 302
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "From Sam")]


@pytest.fixture
def tummy_time(make: Factory, rivers: FamilyInfo) -> int:
    return make.moment(rivers, rivers.carers[0], "Tummy time")


@pytest.mark.parametrize(("text", "message"), [
    ("", REFLECT_EMPTY), ("   \n ", REFLECT_EMPTY), ("x" * 1001, "Please use at most 1000 characters."),
], ids=["empty", "blank", "1001-characters"])
def test_bad_reflections_get_a_message_and_nothing_is_saved(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                            tummy_time: int, text: str, message: str) -> None:
    response = reflect(sam, rivers, tummy_time, text)

    assert response.status_code == 400
    assert message in page_text(response)
    assert "Tummy time" in page_text(response)  # the moment is still on the page
    assert reflections_on(app, tummy_time) == []


def test_a_reflection_with_no_words_field_is_refused(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                     tummy_time: int) -> None:
    assert post(sam, f"/families/{rivers.id}/moments/{tummy_time}/reflection").status_code == 400
    assert reflections_on(app, tummy_time) == []


def test_a_reflection_of_exactly_1000_characters_is_saved(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                          tummy_time: int) -> None:
    assert reflect(sam, rivers, tummy_time, "y" * 1000).status_code == 302
    assert reflections_on(app, tummy_time) == [(rivers.therapist.id, "y" * 1000)]


def test_a_reflection_without_the_pages_token_is_not_saved(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                           tummy_time: int) -> None:
    response = sam.post(f"/families/{rivers.id}/moments/{tummy_time}/reflection", data={"text": "No token"})

    assert response.status_code == 400
    assert "This form had expired" in page_text(response)
    assert reflections_on(app, tummy_time) == []


def test_a_failed_change_keeps_the_saved_reflection(app: Flask, make: Factory, rivers: FamilyInfo, sam: FlaskClient,
                                                    tummy_time: int) -> None:
    make.reflection(tummy_time, rivers.therapist, "y" * 1000)

    assert reflect(sam, rivers, tummy_time, "").status_code == 400

    assert reflections_on(app, tummy_time) == [(rivers.therapist.id, "y" * 1000)]


def test_a_stray_nul_character_is_dropped_not_a_crash(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                      tummy_time: int) -> None:
    # A broken client can send one; PostgreSQL cannot store it.
    assert reflect(sam, rivers, tummy_time, "So\x00 close").status_code == 302
    assert reflections_on(app, tummy_time) == [(rivers.therapist.id, "So close")]
    assert reflect(sam, rivers, tummy_time, "\x00").status_code == 400
    assert post(sam, f"/families/{rivers.id}/focus", {"text": "Notice\x00 her"}).status_code == 302
    assert rows(app, select(Focus.text)) == ["Notice her"]


def test_only_the_familys_therapist_may_reflect(app: Flask, make: Factory, rivers: FamilyInfo, brooks: FamilyInfo,
                                                sam: FlaskClient, sign_in_as: SignInAs, shared_moment: int) -> None:
    brooks_moment = make.moment(brooks, brooks.carers[0], "Brooks moment")
    url = f"/families/{rivers.id}/moments/{shared_moment}/reflection"

    for person in (rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert post(client, url, {"text": "Not mine to say"}).status_code == 403
        assert post(client, url + "/delete").status_code == 403
    robin = sign_in_as(brooks.therapist)
    assert post(robin, url, {"text": "Wrong family"}).status_code == 404
    assert post(robin, url + "/delete").status_code == 404
    # Another family's moment under one's own family's address is not found either.
    assert reflect(sam, rivers, brooks_moment, "Wrong moment").status_code == 404
    assert count(app, Reflection) == 0


def test_a_private_moment_cannot_be_reflected_on(app: Flask, make: Factory, rivers: FamilyInfo,
                                                 sam: FlaskClient) -> None:
    private_id = make.moment(rivers, rivers.carers[0], "Just for me", visibility=Visibility.PRIVATE)
    assert sam.get(f"/families/{rivers.id}/moments/{private_id}").status_code == 404
    assert reflect(sam, rivers, private_id, "I should not see this").status_code == 404
    assert count(app, Reflection) == 0


# ---------------------------------------------------------------- pins


def test_the_therapist_pins_a_moment_for_the_next_session(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                          mum: FlaskClient, shared_moment: int) -> None:
    assert caseload_figures(sam)["Rivers"][PINNED] == "0"

    response = pin(sam, rivers, shared_moment)

    assert response.status_code == 302
    assert pinned_at(app, shared_moment) is not None
    assert "Pinned for your next session." in page_text(sam.get(response.headers["Location"]))
    timeline = mum.get(f"/families/{rivers.id}/timeline").get_data(as_text=True)
    pinned_card = re.search(rf'<article class="moment moment--pinned"[^>]*moment-{shared_moment}-when.*?</article>',
                            timeline, flags=re.S)
    assert pinned_card and PINNED_BADGE in pinned_card.group(0)
    assert page_text(mum.get(f"/families/{rivers.id}/timeline")).count(PINNED_BADGE) == 1
    assert caseload_figures(sam)["Rivers"][PINNED] == "1"


def test_a_carer_pins_too_and_pinning_again_changes_nothing(app: Flask, make: Factory, rivers: FamilyInfo,
                                                            sam: FlaskClient, mum: FlaskClient) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], "Walk in the park")

    assert pin(mum, rivers, moment_id).status_code == 302
    first_pin = pinned_at(app, moment_id)
    assert first_pin is not None
    assert pin(mum, rivers, moment_id).status_code == 302

    assert pinned_at(app, moment_id) == first_pin
    assert caseload_figures(sam)["Rivers"][PINNED] == "1"


def test_unpinning_takes_the_mark_off_everywhere(app: Flask, make: Factory, rivers: FamilyInfo, sam: FlaskClient,
                                                 mum: FlaskClient) -> None:
    by_sam = make.moment(rivers, rivers.carers[0], "She copied my smile", pinned_by=rivers.therapist)
    by_mum = make.moment(rivers, rivers.carers[0], "Walk in the park", pinned_by=rivers.carers[0])
    assert caseload_figures(sam)["Rivers"][PINNED] == "2"

    assert pin(sam, rivers, by_sam, pinned=False).status_code == 302
    assert pin(mum, rivers, by_mum, pinned=False).status_code == 302

    assert pinned_at(app, by_sam) is None and pinned_at(app, by_mum) is None
    assert PINNED_BADGE not in page_text(mum.get(f"/families/{rivers.id}/timeline"))
    assert caseload_figures(sam)["Rivers"][PINNED] == "0"


def test_a_viewer_cannot_pin_even_a_moment_shared_with_them(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                             shared_moment: int) -> None:
    nan = sign_in_as(rivers.viewers[0])

    assert pin(nan, rivers, shared_moment).status_code == 403

    assert pinned_at(app, shared_moment) is None
    assert "Pin for our next session" not in page_text(nan.get(f"/families/{rivers.id}/moments/{shared_moment}"))


def test_another_familys_therapist_cannot_pin(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                              sign_in_as: SignInAs, shared_moment: int) -> None:
    assert pin(sign_in_as(brooks.therapist), rivers, shared_moment).status_code == 404
    assert pinned_at(app, shared_moment) is None


# ---------------------------------------------------------------- focus


THIS_WEEK = "This week, notice when she looks for you."


def test_with_no_focus_set_home_shows_none_and_the_plan_says_so(rivers: FamilyInfo, sam: FlaskClient,
                                                                mum: FlaskClient) -> None:
    assert "This week's focus" not in page_text(mum.get("/home"))
    assert "No focus set yet." in page_text(sam.get(f"/families/{rivers.id}/plan"))


def test_a_focus_the_therapist_sets_shows_on_both_carers_homes(rivers: FamilyInfo, sam: FlaskClient, mum: FlaskClient,
                                                               sign_in_as: SignInAs) -> None:
    response = post(sam, f"/families/{rivers.id}/focus", {"text": THIS_WEEK})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/families/{rivers.id}/plan"
    assert f"This week's focus {THIS_WEEK}" in page_text(mum.get("/home"))
    assert THIS_WEEK in page_text(sign_in_as(rivers.carers[1]).get("/home"))


def test_a_new_focus_replaces_the_old_on_home_and_the_old_one_is_kept(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                      sam: FlaskClient, mum: FlaskClient) -> None:
    make.focus(rivers, THIS_WEEK, created_at=days_ago(7))

    assert post(sam, f"/families/{rivers.id}/focus", {"text": "Notice what helps him settle."}).status_code == 302

    home = page_text(mum.get("/home"))
    assert "This week's focus Notice what helps him settle." in home
    assert "notice when she looks for you" not in home
    plan = page_text(sam.get(f"/families/{rivers.id}/plan"))
    current, _, earlier = plan.partition("Earlier focuses")
    assert "Notice what helps him settle." in current
    assert THIS_WEEK in earlier
    assert "Notice what helps him settle." not in earlier
    assert count(app, Focus, Focus.family_id == rivers.id) == 2


@pytest.mark.parametrize(("text", "message"), [
    ("", FOCUS_EMPTY), ("   ", FOCUS_EMPTY), ("x" * 301, "Please use at most 300 characters."),
], ids=["empty", "blank", "301-characters"])
def test_bad_focus_gets_a_message_and_nothing_is_saved(app: Flask, rivers: FamilyInfo, sam: FlaskClient, text: str,
                                                       message: str) -> None:
    response = post(sam, f"/families/{rivers.id}/focus", {"text": text})

    assert response.status_code == 400
    assert message in page_text(response)
    assert count(app, Focus) == 0


def test_a_focus_of_exactly_300_characters_is_saved(app: Flask, rivers: FamilyInfo, sam: FlaskClient) -> None:
    assert post(sam, f"/families/{rivers.id}/focus", {"text": "z" * 300}).status_code == 302
    assert count(app, Focus) == 1


def test_only_the_familys_therapist_sets_focus_and_sessions(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                            sign_in_as: SignInAs) -> None:
    next_week = service_today(app) + timedelta(days=7)
    for person in (rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get(f"/families/{rivers.id}/plan").status_code == 403
        assert client.get(f"/families/{rivers.id}/session").status_code == 403
        assert post(client, f"/families/{rivers.id}/focus", {"text": "Mine"}).status_code == 403
        assert add_session(client, rivers, next_week).status_code == 403
    robin = sign_in_as(brooks.therapist)
    assert robin.get(f"/families/{rivers.id}/plan").status_code == 404
    assert robin.get(f"/families/{rivers.id}/session").status_code == 404
    assert post(robin, f"/families/{rivers.id}/focus", {"text": "Not mine"}).status_code == 404
    assert add_session(robin, rivers, next_week).status_code == 404
    assert count(app, Focus) == 0
    assert count(app, TherapySession) == 0


# ---------------------------------------------------------------- sessions


@pytest.fixture
def next_week(app: Flask) -> datetime:
    """A week today at 10:30, in the service's time zone."""
    return datetime.combine(service_today(app) + timedelta(days=7), time(10, 30), service_zone(app))


def test_a_coming_session_shows_on_home_timeline_caseload_and_plan(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                                   mum: FlaskClient, next_week: datetime) -> None:
    zone = service_zone(app)

    response = add_session(sam, rivers, next_week.date(), "10:30")

    assert response.status_code == 302
    assert "The session is saved." in page_text(sam.get(response.headers["Location"]))
    saved = rows(app, select(TherapySession))
    assert [(s.family_id, s.starts_at) for s in saved] == [(rivers.id, next_week)]
    home_line = babel_datetime(next_week, "EEEE d MMMM, HH:mm", tzinfo=zone, locale=LOCALE)
    assert f"Next session: {home_line}" in page_text(mum.get("/home"))
    assert f"Next session: {home_line}" in page_text(sam.get(f"/families/{rivers.id}/timeline"))
    caseload_line = babel_datetime(next_week, "EEE d MMM, HH:mm", tzinfo=zone, locale=LOCALE)
    assert caseload_figures(sam)["Rivers"][NEXT_SESSION] == caseload_line
    plan = page_text(sam.get(f"/families/{rivers.id}/plan"))
    assert babel_datetime(next_week, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=LOCALE) in plan


def test_a_removed_session_is_gone_everywhere(app: Flask, make: Factory, rivers: FamilyInfo, sam: FlaskClient,
                                              mum: FlaskClient, next_week: datetime) -> None:
    session_id = make.session(rivers, next_week)

    response = post(sam, f"/families/{rivers.id}/sessions/{session_id}/delete")

    assert response.status_code == 302
    assert "The session is removed." in page_text(sam.get(response.headers["Location"]))
    assert count(app, TherapySession) == 0
    assert "Next session:" not in page_text(mum.get("/home"))
    assert caseload_figures(sam)["Rivers"][NEXT_SESSION] == "Not set"
    assert "No sessions recorded yet." in page_text(sam.get(f"/families/{rivers.id}/plan"))
    # Gone is gone.
    assert post(sam, f"/families/{rivers.id}/sessions/{session_id}/delete").status_code == 404


def test_removing_a_session_asks_first_and_no_keeps_it(app: Flask, make: Factory, rivers: FamilyInfo, sam: FlaskClient,
                                                       next_week: datetime) -> None:
    session_id = make.session(rivers, next_week)
    plan = sam.get(f"/families/{rivers.id}/plan").get_data(as_text=True)
    ask = f"/families/{rivers.id}/sessions/{session_id}/delete"
    assert f'href="{ask}"' in plan  # a link to the question, not a button that removes

    question = sam.get(ask)

    assert question.status_code == 200
    shown = page_text(question)
    assert "Remove this session?" in shown and "Yes, remove it" in shown and "No, keep it" in shown
    assert babel_datetime(next_week, "EEEE d MMMM y, HH:mm", tzinfo=service_zone(app), locale=LOCALE) in shown
    assert count(app, TherapySession) == 1
    assert sam.get(f"/families/{rivers.id}/sessions/{session_id + 999}/delete").status_code == 404


def test_deleting_a_reflection_asks_first(app: Flask, rivers: FamilyInfo, sam: FlaskClient, mum: FlaskClient,
                                          reflected: int) -> None:
    ask = f"/families/{rivers.id}/moments/{reflected}/reflection/delete"
    assert f'href="{ask}"' in sam.get(f"/families/{rivers.id}/moments/{reflected}").get_data(as_text=True)

    question = page_text(sam.get(ask))

    assert "Delete your reflection?" in question and "Yes, delete it" in question
    assert len(reflections_on(app, reflected)) == 1
    # Only one's own reflection can be asked about; carers never.
    assert mum.get(ask).status_code == 403


def test_another_familys_session_cannot_be_removed_through_this_family(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                       sam: FlaskClient, next_week: datetime) -> None:
    brooks = make.family("Brooks", therapist=rivers.therapist)
    assert add_session(sam, brooks, next_week.date()).status_code == 302
    [brooks_session] = rows(app, select(TherapySession.id))

    assert post(sam, f"/families/{rivers.id}/sessions/{brooks_session}/delete").status_code == 404

    assert count(app, TherapySession) == 1


def test_the_next_session_is_the_soonest_coming_one(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                    mum: FlaskClient) -> None:
    today = service_today(app)
    for days in (21, 3, -2):
        assert add_session(sam, rivers, today + timedelta(days=days), "09:00").status_code == 302
    soonest = datetime.combine(today + timedelta(days=3), time(9, 0), service_zone(app))
    line = babel_datetime(soonest, "EEEE d MMMM, HH:mm", tzinfo=service_zone(app), locale=LOCALE)
    assert f"Next session: {line}" in page_text(mum.get("/home"))


def test_a_past_session_groups_the_timeline(app: Flask, make: Factory, rivers: FamilyInfo, sam: FlaskClient,
                                            mum: FlaskClient) -> None:
    make.moment(rivers, rivers.carers[0], "Before we met again", occurred_at=days_ago(5))
    make.moment(rivers, rivers.carers[0], "After the session", occurred_at=days_ago(1))
    timeline = page_text(sam.get(f"/families/{rivers.id}/timeline"))
    assert "Before the first session" in timeline
    assert "Since the session on" not in timeline

    day = service_today(app) - timedelta(days=3)
    assert add_session(sam, rivers, day, "10:00").status_code == 302

    since = f"Since the session on {babel_date(day, 'long', locale=LOCALE)}"
    for client in (sam, mum):
        timeline = page_text(client.get(f"/families/{rivers.id}/timeline"))
        assert timeline.index(since) < timeline.index("After the session")
        assert timeline.index("After the session") < timeline.index("Before the first session")
        assert timeline.index("Before the first session") < timeline.index("Before we met again")
        assert "Next session:" not in timeline


BAD_SESSION_DATES = {
    "no day": ({"day": "", "at_time": "10:00"}, "Please enter the session date."),
    "no day field": ({"at_time": "10:00"}, "Please enter the session date."),
    "no time": ({"day": "TODAY", "at_time": ""}, "Please enter the session time."),
    "not a date": ({"day": "banana", "at_time": "10:00"}, "Please enter a real date, like 2 June 2026."),
    "not a time": ({"day": "TODAY", "at_time": "teatime"}, "Please enter a time like 14:30."),
    "no such day": ({"day": "2026-02-30", "at_time": "10:00"}, "Please enter a real date, like 2 June 2026."),
    "two years ahead": ({"day": "+730", "at_time": "10:00"}, "Please choose a date within a year of today."),
    "two years back": ({"day": "-730", "at_time": "10:00"}, "Please choose a date within a year of today."),
}


@pytest.mark.parametrize("case", list(BAD_SESSION_DATES))
def test_bad_session_dates_get_a_message_and_nothing_is_saved(app: Flask, rivers: FamilyInfo, sam: FlaskClient,
                                                              case: str) -> None:
    data, message = BAD_SESSION_DATES[case]
    today = service_today(app)
    named = {"TODAY": today, "+730": today + timedelta(days=730), "-730": today - timedelta(days=730)}
    data = {key: named[value].isoformat() if value in named else value for key, value in data.items()}

    response = post(sam, f"/families/{rivers.id}/sessions", data)

    assert response.status_code == 400, data
    assert message in page_text(response), (data, page_text(response))
    assert count(app, TherapySession) == 0


def test_sessions_most_of_a_year_ahead_or_back_are_fine(app: Flask, rivers: FamilyInfo, sam: FlaskClient) -> None:
    today = service_today(app)
    assert add_session(sam, rivers, today + timedelta(days=300)).status_code == 302
    assert add_session(sam, rivers, today - timedelta(days=300)).status_code == 302
    assert count(app, TherapySession) == 2


# ---------------------------------------------------------------- caseload


@dataclass
class Busy:
    """The Rivers family four days after a session: moments before and after it, and one private."""

    after: list[int]
    newest_shared_at: datetime


@pytest.fixture
def busy(app: Flask, make: Factory, rivers: FamilyInfo) -> Busy:
    mum, dad = rivers.carers
    make.moment(rivers, mum, "Before the session", occurred_at=days_ago(6))
    after = [make.moment(rivers, mum, "Cuddle after nap", occurred_at=days_ago(2)),
             make.moment(rivers, dad, "Bottle and song", occurred_at=days_ago(1))]
    make.moment(rivers, mum, "Private worry", visibility=Visibility.PRIVATE)
    make.session(rivers, datetime.combine(service_today(app) - timedelta(days=4), time(10, 0), service_zone(app)))
    with app.app_context():
        newest = db.session.scalar(select(func.max(Moment.created_at)).where(
            Moment.family_id == rivers.id, Moment.visibility != Visibility.PRIVATE))
    assert newest is not None
    return Busy(after, newest)


def test_a_quiet_family_has_nothing_to_show_on_the_caseload(make: Factory, rivers: FamilyInfo, sam: FlaskClient) -> None:
    make.family("Quiet", therapist=rivers.therapist)

    assert caseload_figures(sam)["Quiet"] == {
        NEXT_SESSION: "Not set", NEW: "0", UNREFLECTED: "0", PINNED: "0", LAST_ACTIVITY: "None yet"}


def test_the_caseload_counts_what_is_new_and_not_reflected_on_but_never_a_private_moment(
        app: Flask, sam: FlaskClient, busy: Busy) -> None:
    figures = caseload_figures(sam)["Rivers"]

    assert figures[NEW] == "3"  # private moments are nobody's business but their author's
    assert figures[UNREFLECTED] == "2"  # only those since the last session
    assert figures[LAST_ACTIVITY] == babel_datetime(busy.newest_shared_at, "EEE d MMM, HH:mm",
                                                    tzinfo=service_zone(app), locale=LOCALE)


def test_opening_the_familys_timeline_counts_as_looking_and_another_familys_does_not(
        make: Factory, rivers: FamilyInfo, sam: FlaskClient, mum: FlaskClient, busy: Busy) -> None:
    quiet = make.family("Quiet", therapist=rivers.therapist)

    assert sam.get(f"/families/{rivers.id}/timeline").status_code == 200
    assert caseload_figures(sam)["Rivers"][NEW] == "0"
    add_through_form(mum, rivers, "She laughed at the bubbles")
    add_through_form(mum, rivers, "Only for me", visibility="private")
    assert sam.get(f"/families/{quiet.id}/timeline").status_code == 200

    figures = caseload_figures(sam)["Rivers"]
    assert figures[NEW] == "1"
    assert figures[UNREFLECTED] == "3"


def test_reflecting_on_a_moment_takes_it_off_the_not_reflected_count(rivers: FamilyInfo, sam: FlaskClient,
                                                                     busy: Busy) -> None:
    assert reflect(sam, rivers, busy.after[0], "You settled her.").status_code == 302

    assert caseload_figures(sam)["Rivers"][UNREFLECTED] == "1"


def test_what_is_new_is_each_therapists_own(make: Factory, rivers: FamilyInfo, sam: FlaskClient,
                                            sign_in_as: SignInAs, busy: Busy) -> None:
    kim = make.user(Role.THERAPIST, name="Kim")
    make.caseload(rivers, kim)

    assert sam.get(f"/families/{rivers.id}/timeline").status_code == 200

    assert caseload_figures(sign_in_as(kim))["Rivers"][NEW] == "3"
    assert caseload_figures(sam)["Rivers"][NEW] == "0"


def test_caseload_lists_own_families_soonest_session_first(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    sam_person = make.user(Role.THERAPIST, name="Sam")
    alder = make.family("Alder", therapist=sam_person)
    birch = make.family("Birch", therapist=sam_person)
    cedar = make.family("Cedar", therapist=sam_person)
    make.family("Elsewhere", therapist=make.user(Role.THERAPIST, name="Alex"))
    sam = sign_in_as(sam_person)
    today = service_today(app)
    assert add_session(sam, birch, today + timedelta(days=14)).status_code == 302
    assert add_session(sam, cedar, today + timedelta(days=2)).status_code == 302
    assert add_session(sam, alder, today - timedelta(days=2)).status_code == 302  # past: no next session

    figures = caseload_figures(sam)

    assert list(figures) == ["Cedar", "Birch", "Alder"]
    assert figures["Alder"][NEXT_SESSION] == "Not set"
    text = page_text(sam.get("/caseload"))
    assert "Elsewhere" not in text
    assert "Your families" in text


def test_a_therapist_with_no_families_is_told_what_to_do(make: Factory, sign_in_as: SignInAs) -> None:
    empty = sign_in_as(make.user(Role.THERAPIST, name="New"))
    assert "No families on your caseload yet." in page_text(empty.get("/caseload"))


def test_the_caseload_is_for_therapists(mum: FlaskClient) -> None:
    assert mum.get("/caseload").status_code == 403


# ---------------------------------------------------------------- session view


@pytest.fixture
def session_view(app: Flask, make: Factory, rivers: FamilyInfo, sam: FlaskClient) -> TestResponse:
    """The session view five days after the last session, with an old moment pinned and a session to come."""
    mum, dad = rivers.carers
    zone = service_zone(app)
    make.moment(rivers, mum, "Old pinned smile", occurred_at=days_ago(9), pinned_by=rivers.therapist)
    make.moment(rivers, mum, "Old bath time", occurred_at=days_ago(8))
    make.moment(rivers, dad, "First after the session", occurred_at=days_ago(2))
    make.moment(rivers, mum, "Second after the session", occurred_at=days_ago(1), visibility=Visibility.FAMILY)
    make.moment(rivers, mum, "Private worry", visibility=Visibility.PRIVATE)
    make.moment(rivers, mum, "Third, just now")
    make.session(rivers, datetime.combine(service_today(app) - timedelta(days=5), time(10, 0), zone))
    make.session(rivers, datetime.combine(service_today(app) + timedelta(days=2), time(10, 0), zone))
    response = sam.get(f"/families/{rivers.id}/session")
    assert response.status_code == 200
    return response


def test_session_view_shows_pinned_and_since_last_session_oldest_first(app: Flask, session_view: TestResponse) -> None:
    html = session_view.get_data(as_text=True)
    text = page_text(session_view)
    day = service_today(app) - timedelta(days=5)
    assert f"Since our session on {babel_date(day, 'long', locale=LOCALE)}" in text
    pinned = page_text_of(section(html, "pinned-title"))
    since = page_text_of(section(html, "since-title"))
    assert "Old pinned smile" in pinned and PINNED_BADGE in pinned
    assert "Old pinned smile" not in since
    assert since.index("First after the session") < since.index("Second after the session") < since.index(
        "Third, just now")
    assert "Old bath time" not in text
    assert "Private worry" not in text


def test_session_view_shows_every_moment_in_large_type(sam: FlaskClient, session_view: TestResponse) -> None:
    # Every moment sits inside the session screen, whose stylesheet makes it big.
    html = session_view.get_data(as_text=True)
    screen = re.search(r'<div class="session-screen" data-session-screen>(.*)</div>', html, flags=re.S)
    assert screen and screen.group(1).count('<article class="moment') == 4
    stylesheet = re.search(r'/static/css/([\w.-]+\.css)', html)
    assert stylesheet
    css = sam.get("/static/css/" + stylesheet.group(1))
    sizes = re.findall(r"\.session-screen \.moment[^{]*\{[^}]*font-size:\s*([\d.]+)rem", css.get_data(as_text=True))
    css.close()
    assert sizes and min(float(size) for size in sizes) > 1.2


def test_session_view_has_keyboard_controls_and_their_script(sam: FlaskClient, session_view: TestResponse) -> None:
    # The keyboard script's controls, hidden until the script shows them, and the script itself.
    html = session_view.get_data(as_text=True)
    controls = re.search(r'<p class="session-screen__controls" hidden data-controls>(.*?)</p>', html, flags=re.S)
    assert controls
    assert re.search(r"<button [^>]*data-previous>Previous</button>", controls.group(1))
    assert re.search(r"<button [^>]*data-next>Next</button>", controls.group(1))
    assert 'data-position aria-live="polite"' in controls.group(1)
    assert '<script type="module" src="/static/js/session-screen.js"></script>' in html
    script = sam.get("/static/js/session-screen.js")
    assert script.status_code == 200
    assert script.mimetype in {"text/javascript", "application/javascript"}
    body = script.get_data(as_text=True)
    script.close()
    assert "[data-session-screen]" in body and "ArrowRight" in body and "[data-previous]" in body


def test_session_view_with_nothing_yet_says_so(rivers: FamilyInfo, sam: FlaskClient) -> None:
    text = page_text(sam.get(f"/families/{rivers.id}/session"))
    assert "Moments so far" in text
    assert "Nothing shared since the last session yet." in text


def test_session_view_before_any_session_shows_the_moments_so_far(make: Factory, rivers: FamilyInfo,
                                                                   sam: FlaskClient) -> None:
    make.moment(rivers, rivers.carers[0], "Before any session", occurred_at=days_ago(20))
    assert "Before any session" in page_text(sam.get(f"/families/{rivers.id}/session"))


def test_session_view_after_a_session_with_nothing_new_says_so(app: Flask, make: Factory, rivers: FamilyInfo,
                                                               sam: FlaskClient) -> None:
    make.moment(rivers, rivers.carers[0], "Before any session", occurred_at=days_ago(20))

    assert add_session(sam, rivers, service_today(app) - timedelta(days=1), "09:00").status_code == 302

    text = page_text(sam.get(f"/families/{rivers.id}/session"))
    assert "Before any session" not in text
    assert "Nothing shared since the last session yet." in text


# ---------------------------------------------------------------- audit


def test_therapists_reads_are_audited(app: Flask, rivers: FamilyInfo, sam: FlaskClient, shared_moment: int) -> None:
    assert sam.get(f"/families/{rivers.id}/timeline").status_code == 200
    assert sam.get(f"/families/{rivers.id}/moments/{shared_moment}").status_code == 200
    assert sam.get(f"/families/{rivers.id}/session").status_code == 200

    assert audit_actions(app, rivers.therapist.id) == [
        ("family.timeline.view", rivers.id), ("moment.view", rivers.id), ("family.session_view", rivers.id)]


def test_carers_and_viewers_own_reads_are_not_recorded(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                       shared_moment: int) -> None:
    for person in (rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get(f"/families/{rivers.id}/timeline").status_code == 200
        assert client.get(f"/families/{rivers.id}/moments/{shared_moment}").status_code == 200
        assert audit_actions(app, person.id) == []


def make_every_change(app: Flask, rivers: FamilyInfo, sam: FlaskClient, moment_id: int) -> None:
    """Sam reflects and deletes it, sets a focus, and adds and removes a session."""
    assert reflect(sam, rivers, moment_id, "So gentle").status_code == 302
    assert post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection/delete").status_code == 302
    assert post(sam, f"/families/{rivers.id}/focus", {"text": "Notice the calm"}).status_code == 302
    assert add_session(sam, rivers, service_today(app) + timedelta(days=3)).status_code == 302
    [session_id] = rows(app, select(TherapySession.id))
    assert post(sam, f"/families/{rivers.id}/sessions/{session_id}/delete").status_code == 302


def test_therapists_changes_are_audited(app: Flask, rivers: FamilyInfo, sam: FlaskClient, shared_moment: int) -> None:
    make_every_change(app, rivers, sam, shared_moment)

    changes = [action for action, family_id in audit_actions(app, rivers.therapist.id) if family_id == rivers.id]
    for action in ("reflection.save", "reflection.delete", "focus.set", "session.add", "session.delete"):
        assert action in changes


def test_refused_changes_leave_no_trace(app: Flask, rivers: FamilyInfo, sam: FlaskClient, shared_moment: int) -> None:
    assert reflect(sam, rivers, shared_moment, "").status_code == 400
    assert post(sam, f"/families/{rivers.id}/focus", {"text": ""}).status_code == 400
    assert add_session(sam, rivers, "banana").status_code == 400

    assert [a for a, _f in audit_actions(app, rivers.therapist.id) if not a.endswith(".view")] == []


def test_the_admin_reads_the_therapists_reads_and_changes_in_the_audit_log(
        app: Flask, rivers: FamilyInfo, sam: FlaskClient, sign_in_as: SignInAs, admin: Person,
        shared_moment: int) -> None:
    for path in ("timeline", f"moments/{shared_moment}", "session"):
        assert sam.get(f"/families/{rivers.id}/{path}").status_code == 200
    make_every_change(app, rivers, sam, shared_moment)
    assert sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/timeline").status_code == 200

    log_page = sign_in_as(admin).get("/admin/audit")

    assert log_page.status_code == 200
    audit_text = page_text(log_page)
    for action in ("family.timeline.view", "moment.view", "family.session_view", "reflection.save",
                   "focus.set", "session.add"):
        assert f"Sam {action} Rivers" in audit_text
    assert "Mum family.timeline.view" not in audit_text


# ---------------------------------------------------------------- what needs me: the caseload's figures open the timeline


def figure_link(sam: FlaskClient, label: str) -> str:
    """The address the caseload's figure with this label opens (Rivers' card)."""
    card = sam.get("/caseload").get_data(as_text=True)
    figure = re.search(rf"<dt>{re.escape(label)}</dt><dd><a href=\"([^\"]+)\"", card)
    assert figure, f"{label} is not a link"
    return figure.group(1).replace("&amp;", "&")


def test_each_caseload_figure_opens_the_timeline_showing_just_those(make: Factory, rivers: FamilyInfo,
                                                                    sam: FlaskClient) -> None:
    mum = rivers.carers[0]
    make.session(rivers, utcnow() - timedelta(days=5))
    make.moment(rivers, mum, "Before the session", occurred_at=utcnow() - timedelta(days=6))
    reflected = make.moment(rivers, mum, "Reflected on already", occurred_at=utcnow() - timedelta(days=2))
    make.reflection(reflected, rivers.therapist, "Lovely.")
    make.moment(rivers, mum, "Waiting for Sam", occurred_at=utcnow() - timedelta(days=1))
    make.moment(rivers, mum, "Pinned by Mum", occurred_at=utcnow() - timedelta(days=7), pinned_by=mum)
    sam.get(f"/families/{rivers.id}/timeline")  # Sam looks...
    with make.app.app_context():  # ...a while ago
        db.session.execute(update(CaseloadAssignment).values(last_looked_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    make.moment(rivers, mum, "Added after Sam looked", occurred_at=utcnow() - timedelta(hours=1))

    # The links, as the caseload shows them before any is followed (opening a timeline is a new look).
    links = {label: figure_link(sam, label)
             for label in ("New since you last looked", "Not yet reflected on, since the last session", "Pinned")}
    new = page_text(sam.get(links["New since you last looked"]))
    unreflected = page_text(sam.get(links["Not yet reflected on, since the last session"]))
    pinned = page_text(sam.get(links["Pinned"]))

    assert "Waiting for Sam" in unreflected and "Added after Sam looked" in unreflected
    assert not any(text in unreflected for text in ("Before the session", "Reflected on already", "Pinned by Mum"))
    assert "Pinned by Mum" in pinned and "Waiting for Sam" not in pinned
    assert "Added after Sam looked" in new and "Moments added since you last looked" in new
    assert not any(text in new for text in ("Waiting for Sam", "Before the session"))


def test_a_figure_of_nought_is_not_a_link(rivers: FamilyInfo, sam: FlaskClient) -> None:
    card = sam.get("/caseload").get_data(as_text=True)
    assert "<dt>Pinned</dt><dd>0</dd>" in card


def test_what_needs_me_is_not_offered_to_family_and_friends(rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    nan = sign_in_as(rivers.viewers[0])
    assert "What needs me" not in page_text(nan.get(f"/families/{rivers.id}/timeline"))

    refused = nan.get(f"/families/{rivers.id}/timeline?needs=pinned")

    assert refused.status_code == 400 and "Please choose from the list." in page_text(refused)


@pytest.mark.parametrize("new_since", ["yesterday", "2026-13-01T00:00:00", "2026-12-01T10:00:00", "9" * 40])
def test_a_new_since_that_is_not_a_time_is_refused_plainly(rivers: FamilyInfo, sam: FlaskClient, new_since: str) -> None:
    response = sam.get(f"/families/{rivers.id}/timeline", query_string={"new_since": new_since})

    assert response.status_code == 400
    assert "That link is not right. Please start from all the moments." in page_text(response)


# ---------------------------------------------------------------- preparing a session


def test_preparing_a_session_shows_pins_what_waits_the_focus_and_check_ins(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                          sam: FlaskClient) -> None:
    mum, dad = rivers.carers
    make.session(rivers, utcnow() - timedelta(days=5))
    next_one = make.session(rivers, utcnow() + timedelta(days=2))
    make.moment(rivers, mum, "Pinned from before", occurred_at=utcnow() - timedelta(days=9), pinned_by=mum)
    make.moment(rivers, dad, "Waiting for a reflection", occurred_at=utcnow() - timedelta(days=1))
    done = make.moment(rivers, mum, "Already reflected", occurred_at=utcnow() - timedelta(days=2))
    make.reflection(done, rivers.therapist, "Lovely.")
    make.moment(rivers, mum, "Before the last session", occurred_at=utcnow() - timedelta(days=8))
    make.moment(rivers, mum, "Mum's own", visibility=Visibility.PRIVATE)
    make.focus(rivers, "Notice when she looks for you.")
    make.check_in(rivers, mum, [2, 3, None], at=utcnow() - timedelta(days=3))

    page = page_text(sam.get(f"/families/{rivers.id}/prepare"))

    pinned, rest = page.split("Not yet reflected on, since the session on", 1)
    assert "Pinned from before" in pinned and "Talked about" in pinned
    assert "Waiting for a reflection" in rest
    assert not any(text in page for text in ("Already reflected", "Before the last session", "Mum's own"))
    assert "Notice when she looks for you." in page and "Mum's check-ins" in page and "A bit" in page
    assert "Next session:" in page
    assert rows(app, select(AuditEvent.action).where(AuditEvent.action == "family.prepare.view")) == ["family.prepare.view"]
    assert next_one


def test_talked_about_takes_a_moment_off_the_list_and_comes_back_to_the_page(app: Flask, make: Factory,
                                                                            rivers: FamilyInfo, sam: FlaskClient) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], "Pinned from before", pinned_by=rivers.therapist)
    prepare = f"/families/{rivers.id}/prepare"

    response = post(sam, f"/families/{rivers.id}/moments/{moment_id}/pin", {"pinned": "0", "next": f"{prepare}#pinned-title"})

    assert response.headers["Location"] == f"{prepare}#pinned-title"
    assert "Nothing pinned." in page_text(sam.get(prepare))


def test_only_the_familys_therapist_prepares_its_sessions(make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    assert sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/prepare").status_code == 403
    kim = make.user(Role.THERAPIST, name="Kim")
    assert sign_in_as(kim).get(f"/families/{rivers.id}/prepare").status_code == 404


def test_reflecting_from_the_timeline_comes_back_to_the_same_moment(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                    sam: FlaskClient) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], "She rolled over")
    timeline = f"/families/{rivers.id}/timeline?needs=unreflected"
    page = sam.get(timeline).get_data(as_text=True)
    assert f'action="/families/{rivers.id}/moments/{moment_id}/reflection"' in page
    assert f'id="moment-{moment_id}"' in page

    response = post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection",
                    {"text": "You waited for her.", "next": f"{timeline}#moment-{moment_id}"})

    assert response.headers["Location"] == f"{timeline}#moment-{moment_id}"
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "You waited for her.")]


def test_a_return_address_that_is_not_ours_goes_to_the_moment(rivers: FamilyInfo, make: Factory, sam: FlaskClient) -> None:
    moment_id = make.moment(rivers, rivers.carers[0], "She rolled over")
    for elsewhere in ("https://evil.example/", "//evil.example/", f"/families/{rivers.id}/timeline\\@evil", "/admin/"):
        response = post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection", {"text": "Yes.", "next": elsewhere})
        assert response.headers["Location"] == f"/families/{rivers.id}/moments/{moment_id}", elsewhere
