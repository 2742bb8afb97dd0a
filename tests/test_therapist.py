"""The therapist's side: reflecting back, pins, the weekly focus, session dates, the caseload,
the session view and the audit of therapists' reads and changes.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pipcompanion.extensions import db
from pipcompanion.models import (
    AuditEvent,
    Focus,
    Moment,
    Reflection,
    Role,
    TherapySession,
    Visibility,
    utcnow,
)
from pipcompanion.services.kinds import all_kinds

from .helpers import (
    PINNED_BADGE,
    FamilyInfo,
    caseload_figures,
    count,
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


# ---------------------------------------------------------------- helpers of this module


def days_ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def add_through_form(client: FlaskClient, family: FamilyInfo, text: str, visibility: str = "therapist") -> None:
    """A carer adds a moment with the Add-a-moment form."""
    with client.application.test_request_context():
        kind_id = all_kinds()[0].id
    response = post(client, f"/families/{family.id}/moments/new", {
        "client_id": str(uuid.uuid4()), "kinds": str(kind_id), "text": text, "when": "now",
        "visibility": visibility,
    })
    assert response.status_code == 302, page_text(response)


def reflections_on(app: Flask, moment_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        return [(r.author_id, r.text) for r in db.session.scalars(
            select(Reflection).where(Reflection.moment_id == moment_id))]


def pinned_at(app: Flask, moment_id: int) -> datetime | None:
    with app.app_context():
        return db.session.get(Moment, moment_id).pinned_at


def reflect(client: FlaskClient, family: FamilyInfo, moment_id: int, text: str):  # type: ignore[no-untyped-def]
    return post(client, f"/families/{family.id}/moments/{moment_id}/reflection", {"text": text})


def pin(client: FlaskClient, family: FamilyInfo, moment_id: int, pinned: bool = True):  # type: ignore[no-untyped-def]
    return post(client, f"/families/{family.id}/moments/{moment_id}/pin", {"pinned": "1" if pinned else "0"})


def add_session(client: FlaskClient, family: FamilyInfo, day: date | str, at: str = "10:30"):  # type: ignore[no-untyped-def]
    day_text = day.isoformat() if isinstance(day, date) else day
    return post(client, f"/families/{family.id}/sessions", {"day": day_text, "at_time": at})


NEW = "New since you last looked"
UNREFLECTED = "Not yet reflected on, since the last session"
PINNED = "Pinned"
LAST_ACTIVITY = "Last activity"
NEXT_SESSION = "Next session"


def audit_actions(app: Flask, actor_id: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        return list(db.session.execute(
            select(AuditEvent.action, AuditEvent.family_id).where(AuditEvent.actor_id == actor_id)
            .order_by(AuditEvent.id)
        ).tuples())


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by this heading id."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, flags=re.S)
    assert match, f"no section {heading_id}"
    return match.group(1)


# ---------------------------------------------------------------- reflecting back


def test_therapist_reflects_back_and_the_carers_see_it(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum", "Dad"), viewers=("Nan",))
    mum, dad = rivers.carers
    moment_id = make.moment(rivers, mum, "She reached for me when the dog barked", visibility=Visibility.FAMILY)
    sam = sign_in_as(rivers.therapist)

    detail = sam.get(f"/families/{rivers.id}/moments/{moment_id}")
    assert "Reflect back" in page_text(detail)
    response = reflect(sam, rivers, moment_id, "  You were her safe base.  ")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/families/{rivers.id}/moments/{moment_id}"
    assert "Your reflection is saved" in page_text(sam.get(response.headers["Location"]))
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "You were her safe base.")]

    mum_client = sign_in_as(mum)
    timeline = page_text(mum_client.get(f"/families/{rivers.id}/timeline"))
    assert "You were her safe base. Reflected back by Sam" in timeline
    mum_detail = page_text(mum_client.get(f"/families/{rivers.id}/moments/{moment_id}"))
    assert "You were her safe base. Reflected back by Sam" in mum_detail
    assert "Save reflection" not in mum_detail  # reflecting back is the therapist's
    home = page_text(mum_client.get("/home"))
    assert "You were her safe base." in home
    assert "Sam reflected on your moment" in home
    assert "When your therapist reflects on a moment" not in home
    # The other carer sees it too, as a reflection on someone else's moment.
    assert "Sam reflected on a moment" in page_text(sign_in_as(dad).get("/home"))
    # Reflections are between the carers and the therapist: not for viewers.
    nan_timeline = page_text(sign_in_as(rivers.viewers[0]).get(f"/families/{rivers.id}/timeline"))
    assert "She reached for me" in nan_timeline
    assert "safe base" not in nan_timeline


def test_changing_a_reflection_replaces_it_and_deleting_removes_it(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    mum = rivers.carers[0]
    moment_id = make.moment(rivers, mum, "Bath time giggles")
    sam = sign_in_as(rivers.therapist)
    mum_client = sign_in_as(mum)

    assert reflect(sam, rivers, moment_id, "First thought").status_code == 302
    assert reflect(sam, rivers, moment_id, "A warmer second thought").status_code == 302
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "A warmer second thought")]
    detail = sam.get(f"/families/{rivers.id}/moments/{moment_id}")
    assert "Change your reflection" in page_text(detail)
    assert re.search(r">\s*A warmer second thought</textarea>", detail.get_data(as_text=True))
    timeline = page_text(mum_client.get(f"/families/{rivers.id}/timeline"))
    assert "A warmer second thought" in timeline
    assert "First thought" not in timeline

    response = post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection/delete")
    assert response.status_code == 302
    assert "Your reflection is deleted" in page_text(sam.get(response.headers["Location"]))
    assert reflections_on(app, moment_id) == []
    assert "Reflected back by" not in page_text(mum_client.get(f"/families/{rivers.id}/moments/{moment_id}"))
    assert "When your therapist reflects on a moment, it will show here." in page_text(mum_client.get("/home"))
    # Nothing left to delete.
    assert post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection/delete").status_code == 404


def test_each_therapist_has_one_reflection_of_their_own(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    kim = make.user(Role.THERAPIST, name="Kim")
    make.caseload(rivers, kim)
    moment_id = make.moment(rivers, rivers.carers[0], "Slept on my chest")
    assert reflect(sign_in_as(rivers.therapist), rivers, moment_id, "From Sam").status_code == 302
    kim_client = sign_in_as(kim)
    assert reflect(kim_client, rivers, moment_id, "From Kim").status_code == 302
    assert sorted(text for _author, text in reflections_on(app, moment_id)) == ["From Kim", "From Sam"]
    # Kim deletes only her own.
    assert post(kim_client, f"/families/{rivers.id}/moments/{moment_id}/reflection/delete").status_code == 302
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "From Sam")]


def test_bad_reflections_get_a_message_and_nothing_is_saved(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    moment_id = make.moment(rivers, rivers.carers[0], "Tummy time")
    sam = sign_in_as(rivers.therapist)
    for text, message in (("", REFLECT_EMPTY), ("   \n ", REFLECT_EMPTY),
                          ("x" * 1001, "Please use at most 1000 characters.")):
        response = reflect(sam, rivers, moment_id, text)
        assert response.status_code == 400
        assert message in page_text(response)
        assert "Tummy time" in page_text(response)  # the moment is still on the page
    assert reflections_on(app, moment_id) == []
    # A missing field is refused the same way; exactly 1000 characters is fine.
    assert post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection").status_code == 400
    assert reflect(sam, rivers, moment_id, "y" * 1000).status_code == 302
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "y" * 1000)]
    # Without the page's token nothing is saved.
    response = sam.post(f"/families/{rivers.id}/moments/{moment_id}/reflection", data={"text": "No token"})
    assert response.status_code == 400
    assert "This form had expired" in page_text(response)
    # A failed change keeps the saved reflection.
    assert reflect(sam, rivers, moment_id, "").status_code == 400
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "y" * 1000)]


def test_a_stray_nul_character_is_dropped_not_a_crash(app: Flask, make, sign_in_as) -> None:
    # A broken client can send one; PostgreSQL cannot store it.
    rivers = make.family()
    moment_id = make.moment(rivers, rivers.carers[0], "Cuddles")
    sam = sign_in_as(rivers.therapist)
    assert reflect(sam, rivers, moment_id, "So\x00 close").status_code == 302
    assert reflections_on(app, moment_id) == [(rivers.therapist.id, "So close")]
    assert reflect(sam, rivers, moment_id, "\x00").status_code == 400
    assert post(sam, f"/families/{rivers.id}/focus", {"text": "Notice\x00 her"}).status_code == 302
    assert rows(app, select(Focus.text)) == ["Notice her"]


def test_only_the_familys_therapist_may_reflect(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum",), viewers=("Nan",))
    brooks = make.family("Brooks", therapist=make.user(Role.THERAPIST, name="Alex"))
    moment_id = make.moment(rivers, rivers.carers[0], "Peekaboo", visibility=Visibility.FAMILY)
    brooks_moment = make.moment(brooks, brooks.carers[0], "Brooks moment")
    url = f"/families/{rivers.id}/moments/{moment_id}/reflection"

    for person in (rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert post(client, url, {"text": "Not mine to say"}).status_code == 403
        assert post(client, url + "/delete").status_code == 403
    alex = sign_in_as(brooks.therapist)
    assert post(alex, url, {"text": "Wrong family"}).status_code == 404
    assert post(alex, url + "/delete").status_code == 404
    # Another family's moment under one's own family's address is not found either.
    sam = sign_in_as(rivers.therapist)
    assert reflect(sam, rivers, brooks_moment, "Wrong moment").status_code == 404
    assert count(app, Reflection) == 0


def test_a_private_moment_cannot_be_reflected_on(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    private_id = make.moment(rivers, rivers.carers[0], "Just for me", visibility=Visibility.PRIVATE)
    sam = sign_in_as(rivers.therapist)
    assert sam.get(f"/families/{rivers.id}/moments/{private_id}").status_code == 404
    assert reflect(sam, rivers, private_id, "I should not see this").status_code == 404
    assert count(app, Reflection) == 0


# ---------------------------------------------------------------- pins


def test_therapist_and_carer_pin_for_the_next_session(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum",), viewers=("Nan",))
    moment_id = make.moment(rivers, rivers.carers[0], "She copied my smile", visibility=Visibility.FAMILY)
    other_id = make.moment(rivers, rivers.carers[0], "Walk in the park")
    sam = sign_in_as(rivers.therapist)
    mum = sign_in_as(rivers.carers[0])
    assert caseload_figures(sam)["Rivers"][PINNED] == "0"

    response = pin(sam, rivers, moment_id)
    assert response.status_code == 302
    assert pinned_at(app, moment_id) is not None
    assert "Pinned for your next session." in page_text(sam.get(response.headers["Location"]))
    timeline = mum.get(f"/families/{rivers.id}/timeline").get_data(as_text=True)
    pinned_card = re.search(rf'<article class="moment moment--pinned"[^>]*moment-{moment_id}-when.*?</article>',
                            timeline, flags=re.S)
    assert pinned_card and PINNED_BADGE in pinned_card.group(0)
    assert page_text(mum.get(f"/families/{rivers.id}/timeline")).count(PINNED_BADGE) == 1
    assert caseload_figures(sam)["Rivers"][PINNED] == "1"

    # Mum pins another; pinning again changes nothing.
    assert pin(mum, rivers, other_id).status_code == 302
    first_pin = pinned_at(app, other_id)
    assert first_pin is not None
    assert pin(mum, rivers, other_id).status_code == 302
    assert pinned_at(app, other_id) == first_pin
    assert caseload_figures(sam)["Rivers"][PINNED] == "2"

    # Unpinning takes the mark off everywhere.
    assert pin(sam, rivers, moment_id, pinned=False).status_code == 302
    assert pin(mum, rivers, other_id, pinned=False).status_code == 302
    assert pinned_at(app, moment_id) is None and pinned_at(app, other_id) is None
    assert PINNED_BADGE not in page_text(mum.get(f"/families/{rivers.id}/timeline"))
    assert caseload_figures(sam)["Rivers"][PINNED] == "0"

    # A viewer cannot pin, even a moment shared with them.
    nan = sign_in_as(rivers.viewers[0])
    assert pin(nan, rivers, moment_id).status_code == 403
    assert pinned_at(app, moment_id) is None
    assert "Pin for our next session" not in page_text(nan.get(f"/families/{rivers.id}/moments/{moment_id}"))
    # Another family's therapist cannot either.
    alex = sign_in_as(make.family("Brooks", therapist=make.user(Role.THERAPIST, name="Alex")).therapist)
    assert pin(alex, rivers, moment_id).status_code == 404
    assert pinned_at(app, moment_id) is None


# ---------------------------------------------------------------- focus


def test_focus_shows_on_the_carers_home_and_earlier_ones_are_kept(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum", "Dad"))
    sam = sign_in_as(rivers.therapist)
    mum = sign_in_as(rivers.carers[0])
    assert "This week's focus" not in page_text(mum.get("/home"))
    assert "No focus set yet." in page_text(sam.get(f"/families/{rivers.id}/plan"))

    response = post(sam, f"/families/{rivers.id}/focus", {"text": "This week, notice when she looks for you."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/families/{rivers.id}/plan"
    assert "This week's focus This week, notice when she looks for you." in page_text(mum.get("/home"))
    assert "This week, notice when she looks for you." in page_text(sign_in_as(rivers.carers[1]).get("/home"))

    assert post(sam, f"/families/{rivers.id}/focus", {"text": "Notice what helps him settle."}).status_code == 302
    home = page_text(mum.get("/home"))
    assert "This week's focus Notice what helps him settle." in home
    assert "notice when she looks for you" not in home
    plan = page_text(sam.get(f"/families/{rivers.id}/plan"))
    current, _, earlier = plan.partition("Earlier focuses")
    assert "Notice what helps him settle." in current
    assert "This week, notice when she looks for you." in earlier
    assert "Notice what helps him settle." not in earlier
    assert count(app, Focus, Focus.family_id == rivers.id) == 2


def test_bad_focus_gets_a_message_and_nothing_is_saved(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    sam = sign_in_as(rivers.therapist)
    for text, message in (("", FOCUS_EMPTY), ("   ", FOCUS_EMPTY),
                          ("x" * 301, "Please use at most 300 characters.")):
        response = post(sam, f"/families/{rivers.id}/focus", {"text": text})
        assert response.status_code == 400
        assert message in page_text(response)
    assert count(app, Focus) == 0
    assert post(sam, f"/families/{rivers.id}/focus", {"text": "z" * 300}).status_code == 302
    assert count(app, Focus) == 1


def test_only_the_familys_therapist_sets_focus_and_sessions(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum",), viewers=("Nan",))
    alex = make.user(Role.THERAPIST, name="Alex")
    make.family("Brooks", therapist=alex)
    next_week = service_today(app) + timedelta(days=7)
    for person in (rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get(f"/families/{rivers.id}/plan").status_code == 403
        assert client.get(f"/families/{rivers.id}/session").status_code == 403
        assert post(client, f"/families/{rivers.id}/focus", {"text": "Mine"}).status_code == 403
        assert add_session(client, rivers, next_week).status_code == 403
    alex_client = sign_in_as(alex)
    assert alex_client.get(f"/families/{rivers.id}/plan").status_code == 404
    assert alex_client.get(f"/families/{rivers.id}/session").status_code == 404
    assert post(alex_client, f"/families/{rivers.id}/focus", {"text": "Not mine"}).status_code == 404
    assert add_session(alex_client, rivers, next_week).status_code == 404
    assert count(app, Focus) == 0
    assert count(app, TherapySession) == 0


# ---------------------------------------------------------------- sessions


def test_a_coming_session_shows_on_home_and_caseload_until_removed(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    sam = sign_in_as(rivers.therapist)
    mum = sign_in_as(rivers.carers[0])
    zone = service_zone(app)
    day = service_today(app) + timedelta(days=7)
    starts_at = datetime.combine(day, time(10, 30), zone)

    response = add_session(sam, rivers, day, "10:30")
    assert response.status_code == 302
    assert "The session is saved." in page_text(sam.get(response.headers["Location"]))
    saved = rows(app, select(TherapySession))
    assert [(s.family_id, s.starts_at) for s in saved] == [(rivers.id, starts_at)]

    home_line = babel_datetime(starts_at, "EEEE d MMMM, HH:mm", tzinfo=zone, locale=LOCALE)
    assert f"Next session: {home_line}" in page_text(mum.get("/home"))
    assert f"Next session: {home_line}" in page_text(sam.get(f"/families/{rivers.id}/timeline"))
    caseload_line = babel_datetime(starts_at, "EEE d MMM, HH:mm", tzinfo=zone, locale=LOCALE)
    assert caseload_figures(sam)["Rivers"][NEXT_SESSION] == caseload_line
    plan = page_text(sam.get(f"/families/{rivers.id}/plan"))
    assert babel_datetime(starts_at, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=LOCALE) in plan

    response = post(sam, f"/families/{rivers.id}/sessions/{saved[0].id}/delete")
    assert response.status_code == 302
    assert "The session is removed." in page_text(sam.get(response.headers["Location"]))
    assert count(app, TherapySession) == 0
    assert "Next session:" not in page_text(mum.get("/home"))
    assert caseload_figures(sam)["Rivers"][NEXT_SESSION] == "Not set"
    assert "No sessions recorded yet." in page_text(sam.get(f"/families/{rivers.id}/plan"))
    # Gone is gone; and another family's session cannot be removed through this family.
    assert post(sam, f"/families/{rivers.id}/sessions/{saved[0].id}/delete").status_code == 404
    brooks = make.family("Brooks", therapist=rivers.therapist)
    assert add_session(sam, brooks, day).status_code == 302
    brooks_session = rows(app, select(TherapySession.id))[0]
    assert post(sam, f"/families/{rivers.id}/sessions/{brooks_session}/delete").status_code == 404
    assert count(app, TherapySession) == 1


def test_the_next_session_is_the_soonest_coming_one(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    sam = sign_in_as(rivers.therapist)
    today = service_today(app)
    for days in (21, 3, -2):
        assert add_session(sam, rivers, today + timedelta(days=days), "09:00").status_code == 302
    soonest = datetime.combine(today + timedelta(days=3), time(9, 0), service_zone(app))
    line = babel_datetime(soonest, "EEEE d MMMM, HH:mm", tzinfo=service_zone(app), locale=LOCALE)
    assert f"Next session: {line}" in page_text(sign_in_as(rivers.carers[0]).get("/home"))


def test_a_past_session_groups_the_timeline(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Before we met again", occurred_at=days_ago(5))
    make.moment(rivers, mum, "After the session", occurred_at=days_ago(1))
    sam = sign_in_as(rivers.therapist)
    timeline = page_text(sam.get(f"/families/{rivers.id}/timeline"))
    assert "Before the first session" in timeline
    assert "Since the session on" not in timeline

    day = service_today(app) - timedelta(days=3)
    assert add_session(sam, rivers, day, "10:00").status_code == 302
    since = f"Since the session on {babel_date(day, 'long', locale=LOCALE)}"
    for client in (sam, sign_in_as(mum)):
        timeline = page_text(client.get(f"/families/{rivers.id}/timeline"))
        assert timeline.index(since) < timeline.index("After the session")
        assert timeline.index("After the session") < timeline.index("Before the first session")
        assert timeline.index("Before the first session") < timeline.index("Before we met again")
        assert "Next session:" not in timeline


def test_bad_session_dates_get_a_message_and_nothing_is_saved(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    sam = sign_in_as(rivers.therapist)
    today = service_today(app)
    cases = [
        ({"day": "", "at_time": "10:00"}, "Please enter the session date."),
        ({"at_time": "10:00"}, "Please enter the session date."),
        ({"day": today.isoformat(), "at_time": ""}, "Please enter the session time."),
        ({"day": "banana", "at_time": "10:00"}, "Please enter a real date, like 2 June 2026."),
        ({"day": today.isoformat(), "at_time": "teatime"}, "Please enter a time like 14:30."),
        ({"day": "2026-02-30", "at_time": "10:00"}, "Please enter a real date, like 2 June 2026."),
        ({"day": (today + timedelta(days=730)).isoformat(), "at_time": "10:00"},
         "Please choose a date within a year of today."),
        ({"day": (today - timedelta(days=730)).isoformat(), "at_time": "10:00"},
         "Please choose a date within a year of today."),
    ]
    for data, message in cases:
        response = post(sam, f"/families/{rivers.id}/sessions", data)
        assert response.status_code == 400, data
        assert message in page_text(response), (data, page_text(response))
    assert count(app, TherapySession) == 0
    # Most of a year ahead (or back) is fine.
    assert add_session(sam, rivers, today + timedelta(days=300)).status_code == 302
    assert add_session(sam, rivers, today - timedelta(days=300)).status_code == 302
    assert count(app, TherapySession) == 2


# ---------------------------------------------------------------- caseload


def test_caseload_figures_follow_what_happens(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum", "Dad"))
    mum, dad = rivers.carers
    sam = sign_in_as(rivers.therapist)
    quiet = make.family("Quiet", therapist=rivers.therapist)
    assert caseload_figures(sam)["Quiet"] == {
        NEXT_SESSION: "Not set", NEW: "0", UNREFLECTED: "0", PINNED: "0", LAST_ACTIVITY: "None yet"}

    make.moment(rivers, mum, "Before the session", occurred_at=days_ago(6))
    after = [make.moment(rivers, mum, "Cuddle after nap", occurred_at=days_ago(2)),
             make.moment(rivers, dad, "Bottle and song", occurred_at=days_ago(1))]
    make.moment(rivers, mum, "Private worry", visibility=Visibility.PRIVATE)
    assert add_session(sam, rivers, service_today(app) - timedelta(days=4), "10:00").status_code == 302
    figures = caseload_figures(sam)["Rivers"]
    assert figures[NEW] == "3"  # private moments are nobody's business but their author's
    assert figures[UNREFLECTED] == "2"  # only those since the last session
    with app.app_context():
        newest = db.session.scalar(select(func.max(Moment.created_at)).where(
            Moment.family_id == rivers.id, Moment.visibility != Visibility.PRIVATE))
    assert figures[LAST_ACTIVITY] == babel_datetime(newest, "EEE d MMM, HH:mm", tzinfo=service_zone(app),
                                                    locale=LOCALE)

    # Opening the family's timeline counts as looking.
    assert sam.get(f"/families/{rivers.id}/timeline").status_code == 200
    assert caseload_figures(sam)["Rivers"][NEW] == "0"
    # Looking at another family does not.
    mum_client = sign_in_as(mum)
    add_through_form(mum_client, rivers, "She laughed at the bubbles")
    add_through_form(mum_client, rivers, "Only for me", visibility="private")
    assert sam.get(f"/families/{quiet.id}/timeline").status_code == 200
    figures = caseload_figures(sam)["Rivers"]
    assert figures[NEW] == "1"
    assert figures[UNREFLECTED] == "3"

    assert reflect(sam, rivers, after[0], "You settled her.").status_code == 302
    assert caseload_figures(sam)["Rivers"][UNREFLECTED] == "2"
    # Another therapist's view of "new" is their own.
    kim = make.user(Role.THERAPIST, name="Kim")
    make.caseload(rivers, kim)
    assert caseload_figures(sign_in_as(kim))["Rivers"][NEW] == "4"
    assert caseload_figures(sam)["Rivers"][NEW] == "1"


def test_caseload_lists_own_families_soonest_session_first(app: Flask, make, sign_in_as) -> None:
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
    # A therapist with no families is told what to do.
    empty = sign_in_as(make.user(Role.THERAPIST, name="New"))
    assert "No families on your caseload yet." in page_text(empty.get("/caseload"))
    # The caseload is for therapists.
    assert sign_in_as(alder.carers[0]).get("/caseload").status_code == 403


# ---------------------------------------------------------------- session view


def test_session_view_shows_pinned_and_since_last_session_oldest_first(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum", "Dad"))
    mum, dad = rivers.carers
    old_pinned = make.moment(rivers, mum, "Old pinned smile", occurred_at=days_ago(9))
    make.moment(rivers, mum, "Old bath time", occurred_at=days_ago(8))
    make.moment(rivers, dad, "First after the session", occurred_at=days_ago(2))
    make.moment(rivers, mum, "Second after the session", occurred_at=days_ago(1), visibility=Visibility.FAMILY)
    make.moment(rivers, mum, "Private worry", visibility=Visibility.PRIVATE)
    make.moment(rivers, mum, "Third, just now")
    sam = sign_in_as(rivers.therapist)
    day = service_today(app) - timedelta(days=5)
    assert add_session(sam, rivers, day, "10:00").status_code == 302
    assert add_session(sam, rivers, service_today(app) + timedelta(days=2), "10:00").status_code == 302
    assert pin(sam, rivers, old_pinned).status_code == 302

    response = sam.get(f"/families/{rivers.id}/session")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert f"Since our session on {babel_date(day, 'long', locale=LOCALE)}" in text
    pinned = page_text_of(section(html, "pinned-title"))
    since = page_text_of(section(html, "since-title"))
    assert "Old pinned smile" in pinned and PINNED_BADGE in pinned
    assert "Old pinned smile" not in since
    assert since.index("First after the session") < since.index("Second after the session") < since.index(
        "Third, just now")
    assert "Old bath time" not in text
    assert "Private worry" not in text

    # Large type: every moment sits inside the session screen, whose stylesheet makes it big.
    screen = re.search(r'<div class="session-screen" data-session-screen>(.*)</div>', html, flags=re.S)
    assert screen and screen.group(1).count('<article class="moment') == 4
    css = sam.get("/static/css/" + re.search(r'/static/css/([\w.-]+\.css)', html).group(1))
    sizes = re.findall(r"\.session-screen \.moment[^{]*\{[^}]*font-size:\s*([\d.]+)rem", css.get_data(as_text=True))
    css.close()
    assert sizes and min(float(size) for size in sizes) > 1.2

    # The keyboard script's controls, hidden until the script shows them, and the script itself.
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


def test_session_view_before_any_session_and_when_nothing_is_new(app: Flask, make, sign_in_as) -> None:
    rivers = make.family()
    sam = sign_in_as(rivers.therapist)
    text = page_text(sam.get(f"/families/{rivers.id}/session"))
    assert "Moments so far" in text
    assert "Nothing shared since the last session yet." in text

    make.moment(rivers, rivers.carers[0], "Before any session", occurred_at=days_ago(20))
    assert "Before any session" in page_text(sam.get(f"/families/{rivers.id}/session"))
    assert add_session(sam, rivers, service_today(app) - timedelta(days=1), "09:00").status_code == 302
    text = page_text(sam.get(f"/families/{rivers.id}/session"))
    assert "Before any session" not in text
    assert "Nothing shared since the last session yet." in text


# ---------------------------------------------------------------- audit


def test_therapists_reads_and_changes_are_audited(app: Flask, make, sign_in_as) -> None:
    rivers = make.family("Rivers", carers=("Mum",), viewers=("Nan",))
    mum = rivers.carers[0]
    moment_id = make.moment(rivers, mum, "Rocking to sleep", visibility=Visibility.FAMILY)
    sam = sign_in_as(rivers.therapist)

    assert sam.get(f"/families/{rivers.id}/timeline").status_code == 200
    assert sam.get(f"/families/{rivers.id}/moments/{moment_id}").status_code == 200
    assert sam.get(f"/families/{rivers.id}/session").status_code == 200
    reads = audit_actions(app, rivers.therapist.id)
    assert reads == [("family.timeline.view", rivers.id), ("moment.view", rivers.id),
                     ("family.session_view", rivers.id)]

    # Carers' and viewers' own reads are not recorded.
    for person in (mum, rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get(f"/families/{rivers.id}/timeline").status_code == 200
        assert client.get(f"/families/{rivers.id}/moments/{moment_id}").status_code == 200
        assert audit_actions(app, person.id) == []

    assert reflect(sam, rivers, moment_id, "So gentle").status_code == 302
    assert post(sam, f"/families/{rivers.id}/moments/{moment_id}/reflection/delete").status_code == 302
    assert post(sam, f"/families/{rivers.id}/focus", {"text": "Notice the calm"}).status_code == 302
    assert add_session(sam, rivers, service_today(app) + timedelta(days=3)).status_code == 302
    session_id = rows(app, select(TherapySession.id))[0]
    assert post(sam, f"/families/{rivers.id}/sessions/{session_id}/delete").status_code == 302
    changes = [action for action, family_id in audit_actions(app, rivers.therapist.id)[3:]
               if family_id == rivers.id]
    for action in ("reflection.save", "reflection.delete", "focus.set", "session.add", "session.delete"):
        assert action in changes
    # Refused changes leave no trace.
    before = len(audit_actions(app, rivers.therapist.id))
    assert reflect(sam, rivers, moment_id, "").status_code == 400
    assert post(sam, f"/families/{rivers.id}/focus", {"text": ""}).status_code == 400
    assert add_session(sam, rivers, "banana").status_code == 400
    assert [a for a, _f in audit_actions(app, rivers.therapist.id)[before:]
            if not a.endswith(".view")] == []

    admin = sign_in_as(make.user(Role.ADMIN, name="Lead"))
    log_page = admin.get("/admin/audit")
    assert log_page.status_code == 200
    audit_text = page_text(log_page)
    for action in ("family.timeline.view", "moment.view", "family.session_view", "reflection.save",
                   "focus.set", "session.add"):
        assert f"Sam {action} Rivers" in audit_text
    assert "Mum family.timeline.view" not in audit_text
