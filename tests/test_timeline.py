"""The family timeline: newest first, grouped between sessions, paged by keyset, filtered; what
each person sees on it; and privacy: a private moment is its author's alone on every page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import Moment, Role, Visibility, utcnow

from .conftest import Factory
from .helpers import (
    LONDON,
    PINNED_BADGE,
    REFLECTED_BY,
    FamilyInfo,
    MomentSpec,
    Person,
    SignInAs,
    caseload_figures,
    kind_ids,
    page_text,
    page_text_of,
    post,
    set_service_timezone,
)

BAD_PAGE_LINK = "That page link is not right. Please start from the newest moments."
NOT_ON_LIST = "Please choose from the list."
NOT_A_DATE = "Please enter a real date, like 2 June 2026."
NOTHING_MATCHES = "No moments match. Try showing all."


# ---------------------------------------------------------------- helpers of this module


def at_local(day_offset: int, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    """A time `day_offset` days from today, at hour:minute in `zone`."""
    day = datetime.now(zone).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), zone)


def long_date(when: datetime) -> str:
    return babel_format_date(when.astimezone(LONDON).date(), "long", locale="en_GB")


MOMENT_TEXT = re.compile(r'<p class="moment__text"[^>]*>(.*?)</p>', re.S)
GROUP_OR_TEXT = re.compile(r'class="timeline-group__title">\s*(.*?)\s*</h2>|<p class="moment__text"[^>]*>(.*?)</p>', re.S)
OLDER_LINK = re.compile(r'<a class="button[^"]*" href="([^"]+)">Older moments</a>')


def moment_texts(response: TestResponse) -> list[str]:
    """The moments' words on a page, in the order shown."""
    return [html.unescape(text) for text in MOMENT_TEXT.findall(response.get_data(as_text=True))]


def headings_and_texts(response: TestResponse) -> list[str]:
    return [html.unescape(heading or text)
            for heading, text in GROUP_OR_TEXT.findall(response.get_data(as_text=True))]


def older_link(response: TestResponse) -> str | None:
    found = OLDER_LINK.search(response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


def walk(client: FlaskClient, path: str) -> list[list[str]]:
    """Follow "Older moments" from the first page to the last; the moments of each page."""
    pages = []
    next_path: str | None = path
    while next_path:
        response = client.get(next_path)
        assert response.status_code == 200, page_text(response)
        pages.append(moment_texts(response))
        next_path = older_link(response)
        assert len(pages) < 20, "the pages never end"
    return pages


def bulk_moments(make: Factory, family: FamilyInfo, count: int,
                 kind_of: Callable[[int], str | None] = lambda i: None) -> list[str]:
    """`count` moments, three at a time at the very same time, kinds by `kind_of(i)`; their words, newest first."""
    now = utcnow().replace(microsecond=123456)
    whens = [now - timedelta(hours=i // 3 + 1) for i in range(count)]
    texts = [f"Moment {i:02d}" for i in range(count)]
    ids = make.moments(family, [
        MomentSpec(family.carers[i % len(family.carers)], texts[i], occurred_at=whens[i],
                   kinds=[kind] if (kind := kind_of(i)) else [], carers=(), babies=())
        for i in range(count)
    ])
    newest_first = sorted(range(count), key=lambda i: (whens[i], ids[i]), reverse=True)
    return [texts[i] for i in newest_first]


# ---------------------------------------------------------------- order and grouping


@pytest.mark.parametrize("who", ["mum", "dad", "therapist"])
def test_newest_first_grouped_between_sessions(make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs,
                                               who: str) -> None:
    mum, dad = rivers.carers
    first_session, second_session, next_session = at_local(-10, 10), at_local(-3, 10), at_local(4, 10)
    for session in (second_session, next_session, first_session):
        make.session(rivers, session)
    make.moment(rivers, mum, "Before we started", occurred_at=at_local(-12, 9))
    make.moment(rivers, dad, "After the first session", occurred_at=at_local(-8, 18))
    make.moment(rivers, mum, "An hour after the first session", occurred_at=first_session + timedelta(hours=1))
    make.moment(rivers, mum, "Right after the second session", occurred_at=second_session + timedelta(minutes=5))
    make.moment(rivers, dad, "Yesterday's moment", occurred_at=at_local(-1, 8))
    make.moment(rivers, mum, "Just before the second session", occurred_at=second_session - timedelta(minutes=5))
    person = {"mum": mum, "dad": dad, "therapist": rivers.therapist}[who]

    response = sign_in_as(person).get(f"/families/{rivers.id}/timeline")

    assert response.status_code == 200
    assert headings_and_texts(response) == [
        f"Since the session on {long_date(second_session)}",
        "Yesterday's moment",
        "Right after the second session",
        f"Since the session on {long_date(first_session)}",
        "Just before the second session",
        "After the first session",
        "An hour after the first session",
        "Before the first session",
        "Before we started",
    ]
    when = babel_format_datetime(next_session, "EEEE d MMMM, HH:mm", tzinfo=LONDON, locale="en_GB")
    assert f"Next session: {when}" in page_text(response)


def test_with_no_sessions_everything_is_before_the_first(app: Flask, make: Factory, rivers: FamilyInfo,
                                                         sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Older", occurred_at=at_local(-2, 9))
    make.moment(rivers, mum, "Newer", occurred_at=at_local(-1, 9))
    make.session(rivers, at_local(2, 9))  # only a coming one

    response = sign_in_as(mum).get(f"/families/{rivers.id}/timeline")

    assert headings_and_texts(response) == ["Before the first session", "Newer", "Older"]


def test_an_empty_timeline_encourages(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    page = page_text(sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/timeline"))

    assert "No moments yet. Small things count: a smile, a cuddle" in page
    assert "Older moments" not in page


# ---------------------------------------------------------------- keyset pages


def test_45_moments_come_in_pages_of_20_each_exactly_once_in_order(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                   sign_in_as: SignInAs) -> None:
    newest_first = bulk_moments(make, rivers, 45)
    client = sign_in_as(rivers.carers[0])

    first = client.get(f"/families/{rivers.id}/timeline")
    assert len(moment_texts(first)) == 20
    assert "Older moments" in page_text(first)

    pages = walk(client, f"/families/{rivers.id}/timeline")

    assert [len(page) for page in pages] == [20, 20, 5]
    shown = [text for page in pages for text in page]
    assert shown == newest_first
    assert len(set(shown)) == 45


def test_older_pages_keep_the_filters(app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    newest_first = bulk_moments(make, rivers, 50, kind_of=lambda i: "comforting" if i % 2 else "playing")
    comforting = [text for text in newest_first if int(text.split()[1]) % 2]

    pages = walk(sign_in_as(rivers.therapist), f"/families/{rivers.id}/timeline?kind={kind_ids(app)['comforting']}")

    assert [len(page) for page in pages] == [20, 5]
    assert [text for page in pages for text in page] == comforting


def test_moments_at_the_same_second_are_not_lost_between_pages(app: Flask, make: Factory, rivers: FamilyInfo,
                                                               sign_in_as: SignInAs) -> None:
    # "Yesterday" with no time is midday: many moments can share one time exactly.
    midday = at_local(-1, 12)
    for i in range(25):
        make.moment(rivers, rivers.carers[0], f"Midday {i:02d}", occurred_at=midday)

    pages = walk(sign_in_as(rivers.carers[1]), f"/families/{rivers.id}/timeline")

    assert [len(page) for page in pages] == [20, 5]
    assert [text for page in pages for text in page] == [f"Midday {i:02d}" for i in reversed(range(25))]


GARBAGE_CURSORS = ["abc", "1.2.3", "12345", ".", "nan.1", "1e9.1", "9" * 40 + ".1", "1." + "9" * 40,
                   "1700000000000000.-", "1700000000000000.0"]


def test_a_garbage_page_link_gets_a_message_not_an_error(app: Flask, make: Factory, rivers: FamilyInfo,
                                                         sign_in_as: SignInAs) -> None:
    make.moment(rivers, rivers.carers[0], "Something", occurred_at=at_local(-1, 9))
    client = sign_in_as(rivers.carers[0])

    for cursor in GARBAGE_CURSORS:
        response = client.get(f"/families/{rivers.id}/timeline", query_string={"before": cursor})

        assert response.status_code == 400, (cursor, page_text(response))
        assert BAD_PAGE_LINK in page_text(response), cursor
        assert "Something" not in moment_texts(response), cursor


# ---------------------------------------------------------------- filters


def test_filter_by_kind(app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    kinds = kind_ids(app)
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Cuddle", occurred_at=at_local(-1, 9), kinds=["comforting"])
    make.moment(rivers, mum, "Cuddle and song", occurred_at=at_local(-1, 10), kinds=["comforting", "talking"])
    make.moment(rivers, mum, "Song", occurred_at=at_local(-1, 11), kinds=["talking"])
    make.moment(rivers, mum, "Words only", occurred_at=at_local(-1, 12))
    client = sign_in_as(mum)

    comforting = client.get(f"/families/{rivers.id}/timeline?kind={kinds['comforting']}")
    nothing = client.get(f"/families/{rivers.id}/timeline?kind={kinds['new-thing']}")

    assert moment_texts(comforting) == ["Cuddle and song", "Cuddle"]
    assert moment_texts(nothing) == [] and NOTHING_MATCHES in page_text(nothing)


def test_filter_by_who_logged_it(app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum, dad = rivers.carers
    make.moment(rivers, mum, "Mum 1", occurred_at=at_local(-2, 9))
    make.moment(rivers, dad, "Dad 1", occurred_at=at_local(-2, 10))
    make.moment(rivers, mum, "Mum 2", occurred_at=at_local(-1, 9))

    response = sign_in_as(rivers.therapist).get(f"/families/{rivers.id}/timeline?author={dad.id}")
    mums = sign_in_as(dad).get(f"/families/{rivers.id}/timeline?author={mum.id}")

    assert moment_texts(response) == ["Dad 1"]
    assert moment_texts(mums) == ["Mum 2", "Mum 1"]


def test_filter_by_dates_in_the_services_time_zone(app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    # Auckland is 11 to 13 hours ahead of UTC: a day there is not the same as a day in UTC.
    auckland = ZoneInfo("Pacific/Auckland")
    set_service_timezone(app, "Pacific/Auckland")
    mum = rivers.carers[0]
    make.moment(rivers, mum, "Late on day -4", occurred_at=at_local(-4, 23, 30, auckland))
    make.moment(rivers, mum, "Early on day -3", occurred_at=at_local(-3, 0, 30, auckland))
    make.moment(rivers, mum, "Late on day -3", occurred_at=at_local(-3, 23, 30, auckland))
    make.moment(rivers, mum, "Early on day -2", occurred_at=at_local(-2, 0, 30, auckland))

    def day(offset: int) -> str:
        return (datetime.now(auckland).date() + timedelta(days=offset)).isoformat()

    client = sign_in_as(mum)

    one_day = client.get(f"/families/{rivers.id}/timeline?date_from={day(-3)}&date_to={day(-3)}")
    from_day = client.get(f"/families/{rivers.id}/timeline?date_from={day(-2)}")
    to_day = client.get(f"/families/{rivers.id}/timeline?date_to={day(-4)}")

    assert moment_texts(one_day) == ["Late on day -3", "Early on day -3"]
    assert moment_texts(from_day) == ["Early on day -2"]
    assert moment_texts(to_day) == ["Late on day -4"]


@pytest.mark.parametrize("case", [
    "kind=abc", "kind=999999", "author=abc", "author=other-family", "author=our-viewer",
    "date_from=banana", "date_to=2026-13-01", "date_from after date_to",
])
def test_bad_filters_get_a_message(app: Flask, make: Factory, rivers: FamilyInfo, brooks: FamilyInfo, sign_in_as: SignInAs,
                                   case: str) -> None:
    make.moment(rivers, rivers.carers[0], "Something", occurred_at=at_local(-1, 9))
    args, message = {
        "kind=abc": ({"kind": "abc"}, NOT_ON_LIST),
        "kind=999999": ({"kind": "999999"}, NOT_ON_LIST),
        "author=abc": ({"author": "abc"}, NOT_ON_LIST),
        "author=other-family": ({"author": str(brooks.carers[0].id)}, NOT_ON_LIST),
        "author=our-viewer": ({"author": str(rivers.viewers[0].id)}, NOT_ON_LIST),
        "date_from=banana": ({"date_from": "banana"}, NOT_A_DATE),
        "date_to=2026-13-01": ({"date_to": "2026-13-01"}, NOT_A_DATE),
        "date_from after date_to": ({"date_from": "2026-03-02", "date_to": "2026-03-01"},
                                    "The end date is before the start date."),
    }[case]

    response = sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/timeline", query_string=args)

    assert response.status_code == 400
    assert message in page_text(response)
    assert moment_texts(response) == []


@pytest.mark.parametrize("zone", ["Europe/London", "Pacific/Auckland", "America/Los_Angeles"])
def test_dates_at_the_ends_of_the_calendar_are_not_an_error(app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                            zone: str) -> None:
    set_service_timezone(app, zone)
    make.moment(rivers, rivers.carers[0], "Something", occurred_at=at_local(-1, 9))
    client = sign_in_as(rivers.carers[0])

    # Real dates, however far: from the year 1 or up to the year 9999 is everything, the other way nothing.
    for args, shown in (({"date_to": "9999-12-31"}, ["Something"]), ({"date_from": "0001-01-01"}, ["Something"]),
                        ({"date_from": "9999-12-31"}, []), ({"date_to": "0001-01-01"}, []),
                        ({"date_from": "0001-01-01", "date_to": "9999-12-31"}, ["Something"])):
        response = client.get(f"/families/{rivers.id}/timeline", query_string=args)

        assert response.status_code == 200, (args, page_text(response))
        assert moment_texts(response) == shown, args


# ---------------------------------------------------------------- reflections and pins


def test_reflections_and_pins_show_under_each_moment_for_carers_and_therapist(
        app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum, dad = rivers.carers
    reflected = make.moment(rivers, mum, "She came to me", occurred_at=at_local(-2, 9), visibility=Visibility.FAMILY,
                           pinned_by=dad)
    make.moment(rivers, dad, "Bath and song", occurred_at=at_local(-1, 9))
    make.reflection(reflected, rivers.therapist, "You were her safe base.")

    for person in (mum, dad, rivers.therapist):
        client = sign_in_as(person)
        response = client.get(f"/families/{rivers.id}/timeline")
        cards = response.get_data(as_text=True).split('<article class="moment')[1:]
        newer, older = (page_text_of(card) for card in cards)

        assert "Bath and song" in newer and REFLECTED_BY not in newer and PINNED_BADGE not in newer
        assert "She came to me" in older
        assert "You were her safe base." in older and REFLECTED_BY in older
        assert PINNED_BADGE in older
        detail = page_text(client.get(f"/families/{rivers.id}/moments/{reflected}"))
        assert "You were her safe base." in detail and PINNED_BADGE in detail


def test_viewers_see_neither_reflections_nor_pins(app: Flask, make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    # Both belong to the therapy; a grandparent sees the moment itself.
    moment = make.moment(rivers, rivers.carers[0], "She came to me", occurred_at=at_local(-2, 9),
                        visibility=Visibility.FAMILY, pinned_by=rivers.carers[0])
    make.reflection(moment, rivers.therapist, "You were her safe base.")
    nan = sign_in_as(rivers.viewers[0])

    timeline = nan.get(f"/families/{rivers.id}/timeline")
    detail = nan.get(f"/families/{rivers.id}/moments/{moment}")

    for response in (timeline, detail):
        page = page_text(response)
        assert "She came to me" in page
        assert "You were her safe base." not in page and "Reflected back" not in page
        assert PINNED_BADGE not in page and "moment--pinned" not in response.get_data(as_text=True)
        assert "Pin for our next session" not in page and "Unpin" not in page


def test_pinning_from_the_timeline_comes_back_to_it_with_the_badge(make: Factory, rivers: FamilyInfo,
                                                                   sign_in_as: SignInAs) -> None:
    moment = make.moment(rivers, rivers.carers[0], "First laugh", occurred_at=at_local(-1, 9))
    dad = sign_in_as(rivers.carers[1])
    timeline = f"/families/{rivers.id}/timeline"

    pinned = post(dad, f"/families/{rivers.id}/moments/{moment}/pin", {"pinned": "1", "next": timeline})

    assert pinned.status_code == 302 and pinned.headers["Location"].endswith(timeline)
    page = page_text(dad.get(timeline))
    assert "Pinned for your next session." in page and PINNED_BADGE in page


def test_unpinning_takes_the_badge_off_the_timeline(make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    moment = make.moment(rivers, rivers.carers[0], "First laugh", occurred_at=at_local(-1, 9),
                         pinned_by=rivers.carers[1])
    dad = sign_in_as(rivers.carers[1])
    assert PINNED_BADGE in page_text(dad.get(f"/families/{rivers.id}/timeline"))

    unpinned = post(sign_in_as(rivers.therapist), f"/families/{rivers.id}/moments/{moment}/pin", {"pinned": "0"})

    assert unpinned.status_code == 302
    assert PINNED_BADGE not in page_text(dad.get(f"/families/{rivers.id}/timeline"))


# ---------------------------------------------------------------- privacy


SECRET = "Mum's private thought"
SECRET_REFLECTION = "A reflection from when it was shared"


@dataclass
class Household:
    family: FamilyInfo
    mum: Person
    dad: Person
    nan: Person
    therapist: Person
    kinds: dict[str, int]
    shared_id: int
    family_id_moment: int


@pytest.fixture
def household(app: Flask, make: Factory, rivers: FamilyInfo) -> Household:
    """Mum and Dad's shared moments, Nan, and a session; no private moment yet."""
    mum, dad = rivers.carers
    now = utcnow()
    make.session(rivers, now - timedelta(days=5))
    make.session(rivers, now + timedelta(days=2))
    shared = make.moment(rivers, mum, "Mum's shared moment", occurred_at=now - timedelta(days=2), kinds=["comforting"])
    family_moment = make.moment(rivers, dad, "Dad's family moment", occurred_at=now - timedelta(days=3),
                                visibility=Visibility.FAMILY, kinds=["playing"])
    return Household(rivers, mum, dad, rivers.viewers[0], rivers.therapist, kind_ids(app), shared, family_moment)


def add_private_moment(make: Factory, house: Household) -> int:
    """Mum's private moment: the newest, with its own kind, pinned by her, and reflected on when it
    was still shared (a visibility can change after a reflection)."""
    moment = make.moment(house.family, house.mum, SECRET, occurred_at=utcnow() - timedelta(minutes=10),
                         visibility=Visibility.PRIVATE, kinds=["new-thing"], pinned_by=house.mum, created_at=utcnow())
    make.reflection(moment, house.therapist, SECRET_REFLECTION)
    return moment


def assert_not_shown(response: TestResponse, *secrets: str) -> None:
    assert response.status_code == 200, page_text(response)
    page = response.get_data(as_text=True)
    for secret in (SECRET, SECRET_REFLECTION, *secrets):
        assert html.escape(secret) not in page and secret not in page_text(response), secret


def test_mum_sees_her_private_moment_everywhere_she_looks(app: Flask, make: Factory, household: Household,
                                                          sign_in_as: SignInAs) -> None:
    secret = add_private_moment(make, household)
    mum = sign_in_as(household.mum)
    base = f"/families/{household.family.id}"

    for path in ("/home", f"{base}/timeline", f"{base}/timeline?kind={household.kinds['new-thing']}",
                 f"{base}/timeline?author={household.mum.id}", f"{base}/moments/{secret}"):
        page = page_text(mum.get(path))
        assert SECRET in page and "Only you can see this" in page, path
    assert post(mum, f"{base}/moments/{secret}/pin", {"pinned": "0"}).status_code == 302


def test_the_other_carer_never_sees_a_private_moment(app: Flask, make: Factory, household: Household,
                                                     sign_in_as: SignInAs) -> None:
    add_private_moment(make, household)
    dad = sign_in_as(household.dad)
    base = f"/families/{household.family.id}"
    today = datetime.now(LONDON).date().isoformat()

    home = dad.get("/home")
    assert_not_shown(home)
    assert "Mum's shared moment" in page_text(home)
    assert "When your therapist reflects on a moment, it will show here." in page_text(home)
    assert_not_shown(dad.get(f"{base}/timeline"))
    assert moment_texts(dad.get(f"{base}/timeline")) == ["Mum's shared moment", "Dad's family moment"]
    assert moment_texts(dad.get(f"{base}/timeline?kind={household.kinds['new-thing']}")) == []
    assert moment_texts(dad.get(f"{base}/timeline?author={household.mum.id}")) == ["Mum's shared moment"]
    assert moment_texts(dad.get(f"{base}/timeline?date_from={today}&date_to={today}")) == []


def test_the_therapists_caseload_never_counts_a_private_moment(make: Factory, household: Household,
                                                               sign_in_as: SignInAs) -> None:
    therapist = sign_in_as(household.therapist)
    before = caseload_figures(therapist)["Rivers"]
    assert before["New since you last looked"] == "2"
    assert before["Not yet reflected on, since the last session"] == "2"
    assert before["Pinned"] == "0"

    add_private_moment(make, household)

    assert caseload_figures(therapist)["Rivers"] == before
    assert_not_shown(therapist.get("/caseload"))


def test_the_therapists_timeline_never_shows_a_private_moment(make: Factory, household: Household,
                                                              sign_in_as: SignInAs) -> None:
    add_private_moment(make, household)
    therapist = sign_in_as(household.therapist)
    base = f"/families/{household.family.id}"

    timeline = therapist.get(f"{base}/timeline")

    assert_not_shown(timeline)
    assert moment_texts(timeline) == ["Mum's shared moment", "Dad's family moment"]
    assert moment_texts(therapist.get(f"{base}/timeline?kind={household.kinds['new-thing']}")) == []
    assert moment_texts(therapist.get(f"{base}/timeline?author={household.mum.id}")) == ["Mum's shared moment"]


def test_the_session_view_never_shows_a_private_moment(make: Factory, household: Household,
                                                       sign_in_as: SignInAs) -> None:
    add_private_moment(make, household)

    session = sign_in_as(household.therapist).get(f"/families/{household.family.id}/session")

    assert_not_shown(session)
    assert "Pinned to talk about" not in page_text(session)
    assert moment_texts(session) == ["Dad's family moment", "Mum's shared moment"]


def test_a_private_moment_does_not_make_anything_new_after_a_look(make: Factory, household: Household,
                                                                  sign_in_as: SignInAs) -> None:
    therapist = sign_in_as(household.therapist)
    assert therapist.get(f"/families/{household.family.id}/timeline").status_code == 200
    seen = caseload_figures(therapist)["Rivers"]
    assert seen["New since you last looked"] == "0"

    add_private_moment(make, household)

    assert caseload_figures(therapist)["Rivers"] == seen


def test_the_viewer_sees_family_moments_only(app: Flask, make: Factory, household: Household, sign_in_as: SignInAs) -> None:
    add_private_moment(make, household)
    nan = sign_in_as(household.nan)
    base = f"/families/{household.family.id}"

    timeline = nan.get(f"{base}/timeline")
    assert_not_shown(timeline, "Mum's shared moment")
    assert moment_texts(timeline) == ["Dad's family moment"]
    assert moment_texts(nan.get(f"{base}/timeline?author={household.mum.id}")) == []
    assert nan.get(f"{base}/moments/{household.family_id_moment}").status_code == 200
    assert nan.get(f"{base}/moments/{household.shared_id}").status_code == 404
    assert_not_shown(nan.get("/overview"))


@pytest.mark.parametrize("who", ["dad", "therapist", "nan", "another family's carer", "another therapist"])
def test_direct_addresses_of_a_private_moment_are_refused_to_everyone_but_mum(
        app: Flask, make: Factory, household: Household, brooks: FamilyInfo, sign_in_as: SignInAs, who: str) -> None:
    secret = add_private_moment(make, household)
    person = {"dad": household.dad, "therapist": household.therapist, "nan": household.nan,
              "another family's carer": brooks.carers[0], "another therapist": make.user(Role.THERAPIST)}[who]
    client = sign_in_as(person)
    base = f"/families/{household.family.id}/moments"
    missing = 999999

    def answers(moment_id: int) -> list[int]:
        return [
            client.get(f"{base}/{moment_id}").status_code,
            post(client, f"{base}/{moment_id}/pin", {"pinned": "0"}).status_code,
            post(client, f"{base}/{moment_id}/reflection", {"text": "Lovely"}).status_code,
            client.get(f"{base}/{moment_id}/edit").status_code,
            post(client, f"{base}/{moment_id}/delete").status_code,
        ]

    got = answers(secret)

    # Exactly what a moment that does not exist gets: nothing tells it is there.
    assert got == answers(missing)
    assert set(got) <= {403, 404}
    may_pin = person.role in (Role.CARER, Role.THERAPIST)
    assert got[0] == 404 and got[1] == (404 if may_pin else 403)
    assert got[2] == (404 if person.role is Role.THERAPIST else 403)
    with app.app_context():
        moment = db.session.get(Moment, secret)
        assert moment is not None and moment.pinned_at is not None and moment.text == SECRET
        assert [r.text for r in moment.reflections] == [SECRET_REFLECTION]


def test_making_a_moment_private_takes_it_out_of_everyone_elses_view(app: Flask, household: Household,
                                                                     sign_in_as: SignInAs) -> None:
    mum = sign_in_as(household.mum)
    therapist = sign_in_as(household.therapist)
    before = caseload_figures(therapist)["Rivers"]
    edit = f"/families/{household.family.id}/moments/{household.shared_id}/edit"
    with app.app_context():
        moment = db.session.get_one(Moment, household.shared_id)
        client_id, when = moment.client_id, moment.occurred_at.astimezone(LONDON)
    assert mum.get(edit).status_code == 200

    changed = post(mum, edit, {
        "client_id": client_id, "text": "Mum's shared moment", "kinds": household.kinds["comforting"],
        "when": "date", "day": when.date().isoformat(), "at_time": when.strftime("%H:%M"),
        "carers": household.mum.id, "babies": household.family.baby_id, "feeling": "", "visibility": "private",
    })

    assert changed.status_code == 302, page_text(changed)

    after = caseload_figures(therapist)["Rivers"]
    assert after["Not yet reflected on, since the last session"] == "1"
    assert int(after["New since you last looked"]) == int(before["New since you last looked"]) - 1
    for client in (therapist, sign_in_as(household.dad)):
        assert "Mum's shared moment" not in moment_texts(client.get(f"/families/{household.family.id}/timeline"))
        assert client.get(f"/families/{household.family.id}/moments/{household.shared_id}").status_code == 404


def test_family_moments_reach_the_viewer_and_therapist_moments_do_not(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                      sign_in_as: SignInAs) -> None:
    mum = rivers.carers[0]
    family = make.moment(rivers, mum, "For Nan too", occurred_at=at_local(-1, 9), visibility=Visibility.FAMILY)
    therapist_only = make.moment(rivers, mum, "For the therapist", occurred_at=at_local(-1, 10))
    nan = sign_in_as(rivers.viewers[0])

    assert moment_texts(nan.get(f"/families/{rivers.id}/timeline")) == ["For Nan too"]
    assert "For Nan too" in page_text(nan.get(f"/families/{rivers.id}/moments/{family}"))
    assert nan.get(f"/families/{rivers.id}/moments/{therapist_only}").status_code == 404
    for person in (rivers.carers[1], rivers.therapist):
        assert moment_texts(sign_in_as(person).get(f"/families/{rivers.id}/timeline")) == ["For the therapist",
                                                                                            "For Nan too"]


@pytest.mark.parametrize("who", ["mum", "dad", "therapist", "nan"])
def test_each_person_pages_through_exactly_the_moments_they_may_see(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                    sign_in_as: SignInAs, who: str) -> None:
    make.session(rivers, utcnow() - timedelta(days=3))
    make.session(rivers, utcnow() + timedelta(days=4))
    make.many_moments(rivers, 75)  # both carers, every visibility, some reflected and pinned
    with app.app_context():
        rows = db.session.execute(select(Moment.text, Moment.author_id, Moment.visibility)
                                  .order_by(Moment.occurred_at.desc(), Moment.id.desc())).tuples().all()
    mum, dad = rivers.carers
    person, may_see = {
        "mum": (mum, lambda author, visibility: visibility is not Visibility.PRIVATE or author == mum.id),
        "dad": (dad, lambda author, visibility: visibility is not Visibility.PRIVATE or author == dad.id),
        "therapist": (rivers.therapist, lambda author, visibility: visibility is not Visibility.PRIVATE),
        "nan": (rivers.viewers[0], lambda author, visibility: visibility is Visibility.FAMILY),
    }[who]
    client = sign_in_as(person)

    shown = [text for page in walk(client, f"/families/{rivers.id}/timeline") for text in page]

    expected = [text for text, author, visibility in rows if may_see(author, visibility)]
    assert shown == expected
    assert 20 < len(expected) < 75
    if person.role is Role.VIEWER:
        assert REFLECTED_BY not in page_text(client.get(f"/families/{rivers.id}/timeline"))
    else:
        assert REFLECTED_BY in page_text(client.get(f"/families/{rivers.id}/timeline"))


def test_another_familys_timeline_and_moments_are_not_found(app: Flask, make: Factory, rivers: FamilyInfo, brooks: FamilyInfo,
                                                            sign_in_as: SignInAs) -> None:
    moment = make.moment(rivers, rivers.carers[0], "Rivers only", occurred_at=at_local(-1, 9), visibility=Visibility.FAMILY)

    for person in (brooks.carers[0], brooks.viewers[0], brooks.therapist):
        client = sign_in_as(person)
        assert client.get(f"/families/{rivers.id}/timeline").status_code == 404
        assert client.get(f"/families/{rivers.id}/moments/{moment}").status_code == 404
        # ...nor through their own family's address.
        assert client.get(f"/families/{brooks.id}/moments/{moment}").status_code == 404


def test_carers_reach_their_timeline_from_the_navigation(make: Factory, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    mum = sign_in_as(rivers.carers[0])
    nav = mum.get("/home").get_data(as_text=True)
    nav = nav[nav.index('<nav aria-label="Main">'):nav.index("</nav>")]
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', nav) == [
        ("/home", "Home"), ("/timeline", "Timeline"), ("/progress", "Progress"), ("/settings", "Settings"), ("/help", "Help")]

    response = mum.get("/timeline")

    assert response.status_code == 302 and response.headers["Location"] == f"/families/{rivers.id}/timeline"
    assert sign_in_as(make.user(name="Not yet in a family")).get("/timeline").headers["Location"] == "/home"
    assert sign_in_as(rivers.viewers[0]).get("/timeline").status_code == 403
