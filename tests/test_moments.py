"""Carers log moments: the Add-a-moment form and its rules, saving once whatever the network does,
changing and deleting one's own moments, and the carer's home page.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime as babel_format_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import Moment, MomentKind, Reflection, Role, Visibility, utcnow
from pipcompanion.models.moments import moment_babies, moment_carers, moment_kind_links

from .conftest import Clock, Factory
from .helpers import LONDON, FamilyInfo, SignInAs, count, kind_ids, page_text, post, set_service_timezone

SAVED = "Saved. Thank you for noticing this moment."
ALREADY_SAVED = "This moment was already saved."
NOTHING_GIVEN = "Please pick at least one kind of moment, or write a few words."
IN_THE_FUTURE = "A moment cannot be in the future. Please choose a time that has passed."
TOO_OLD = "Please choose a date within the last year."
CONFLICT = "This moment was already saved with other details. Your saved moment is unchanged."
NOT_ON_LIST = "Please choose from the list."
NOT_OUR_KIND = "Please choose kinds of moment from the list."
NOT_OUR_PEOPLE = "Please choose people from your family."
# Words that would make a carer feel watched or behind: they must never appear (the product's tone: docs/clinical-safety.md, H4).
GUILT_WORDS = ("streak", "in a row", "haven't", "have not logged", "not logged", "missed", "days since",
               "overdue", "score")


# ---------------------------------------------------------------- helpers of this module


class _MomentFormReader(HTMLParser):
    """What a browser would send from the page's moment form if the person changed nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = defaultdict(list)
        self._inside = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and "moment-form" in found.get("class", ""):
            self._inside = True
        if not self._inside:
            return
        if tag == "input":
            kind = found.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in found:
                    self.fields[found["name"]].append(found.get("value", "on"))
            elif kind != "submit":
                self.fields[found["name"]].append(found.get("value", ""))
        elif tag == "textarea":
            self._textarea = found["name"]
            self.fields[self._textarea].append("")
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = found["name"], None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = found.get("value", "")
            if "selected" in found:
                self.fields[self._select] = [found.get("value", "")]
                self._select_chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that starts a textarea's content.
            value = self.fields[self._textarea][-1].replace("\r\n", "\n")
            self.fields[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "select" and self._select:
            if not self._select_chosen:
                self.fields[self._select] = [self._select_first or ""]
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][-1] += data


def read_moment_form(response: TestResponse) -> dict[str, list[str]]:
    assert response.status_code == 200, page_text(response)
    reader = _MomentFormReader()
    reader.feed(response.get_data(as_text=True))
    assert reader.fields, "no moment form on the page"
    return dict(reader.fields)


def as_form_values(changes: dict[str, object]) -> dict[str, list[str]]:
    return {name: [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
            for name, value in changes.items()}


def new_moment_page(client: FlaskClient, family_id: int) -> dict[str, list[str]]:
    """Open Add a moment and read the form as it comes."""
    return read_moment_form(client.get(f"/families/{family_id}/moments/new"))


def send_moment(client: FlaskClient, family_id: int, form: dict[str, list[str]], **changes: object) -> TestResponse:
    return post(client, f"/families/{family_id}/moments/new", {**form, **as_form_values(changes)})


def add_moment(client: FlaskClient, family_id: int, **changes: object) -> TestResponse:
    """Open Add a moment, change some fields, press Save."""
    return send_moment(client, family_id, new_moment_page(client, family_id), **changes)


def hide_kind(app: Flask, kind_id: int) -> None:
    with app.app_context():
        db.session.execute(update(MomentKind).where(MomentKind.id == kind_id).values(hidden=True))
        db.session.commit()


def saved_moments(app: Flask) -> list[dict[str, Any]]:
    """Every moment row with its links, oldest first."""
    with app.app_context():
        rows = []
        for moment in db.session.scalars(select(Moment).order_by(Moment.id)):
            rows.append({
                "id": moment.id, "family": moment.family_id, "author": moment.author_id,
                "client_id": moment.client_id, "text": moment.text, "feeling": moment.feeling,
                "visibility": moment.visibility, "occurred_at": moment.occurred_at,
                "updated_at": moment.updated_at, "pinned": moment.pinned_at is not None,
                "kinds": set(db.session.scalars(select(moment_kind_links.c.kind_id)
                                                .where(moment_kind_links.c.moment_id == moment.id))),
                "carers": set(db.session.scalars(select(moment_carers.c.user_id)
                                                 .where(moment_carers.c.moment_id == moment.id))),
                "babies": set(db.session.scalars(select(moment_babies.c.baby_id)
                                                 .where(moment_babies.c.moment_id == moment.id))),
            })
        return rows


def link_rows(app: Flask) -> int:
    return sum(count(app, table) for table in (moment_kind_links, moment_carers, moment_babies))


def assert_nothing_saved(app: Flask) -> None:
    assert saved_moments(app) == []
    assert link_rows(app) == 0


def local(moment_time: object) -> datetime:
    assert isinstance(moment_time, datetime)
    return moment_time.astimezone(LONDON)


def this_afternoon() -> datetime:
    """Today at 15:00 in the service's time zone: a time of day with hours either side."""
    return datetime.combine(datetime.now(LONDON).date(), time(15, 0), LONDON)


# ---------------------------------------------------------------- the form as it comes


def test_the_add_form_starts_with_me_and_the_baby_now_and_shared_with_the_therapist(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    form = new_moment_page(mum, rivers.id)

    assert uuid.UUID(form["client_id"][0])
    assert form["carers"] == [str(rivers.carers[0].id)]
    assert form["babies"] == [str(rivers.baby_id)]
    assert form["when"] == ["now"]
    assert form["visibility"] == ["therapist"]
    assert form["feeling"] == [""]
    assert "kinds" not in form and form["text"] == [""]
    # Every visit makes a new id, so two moments never share one.
    assert new_moment_page(mum, rivers.id)["client_id"] != form["client_id"]


def test_a_hidden_kind_is_not_offered(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    kinds = kind_ids(app)
    hide_kind(app, kinds["other"])

    page = mum.get(f"/families/{rivers.id}/moments/new")

    assert f'name="kinds" value="{kinds["other"]}"' not in page.get_data(as_text=True)
    assert f'name="kinds" value="{kinds["comforting"]}"' in page.get_data(as_text=True)


# ---------------------------------------------------------------- logging


def test_a_kind_and_no_words_is_saved_with_a_thank_you(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    kinds = kind_ids(app)
    before = utcnow()

    response = add_moment(mum, rivers.id, kinds=[kinds["comforting"]])

    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    home = mum.get("/home")
    assert SAVED in page_text(home)
    assert "Comforting" in page_text(home)
    [moment] = saved_moments(app)
    assert moment["text"] == "" and moment["kinds"] == {kinds["comforting"]}
    assert moment["author"] == rivers.carers[0].id and moment["family"] == rivers.id
    assert before - timedelta(seconds=1) <= moment["occurred_at"] <= utcnow()


def test_words_and_no_kind_is_saved(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    response = add_moment(mum, rivers.id, text="  She reached for me when I came in.  ")

    assert response.status_code == 302
    assert SAVED in page_text(mum.get("/home"))
    [moment] = saved_moments(app)
    assert moment["text"] == "She reached for me when I came in."
    assert moment["kinds"] == set()


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_neither_a_kind_nor_words_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient, text: str) -> None:
    response = add_moment(mum, rivers.id, text=text)

    assert response.status_code == 400
    assert NOTHING_GIVEN in page_text(response)
    assert_nothing_saved(app)


def test_the_saved_row_holds_everything_chosen(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    kinds = kind_ids(app)
    dad = rivers.carers[1]
    form = new_moment_page(mum, rivers.id)

    response = send_moment(mum, rivers.id, form, kinds=[kinds["playing"], kinds["close"]],
                           text="Peekaboo and giggles", carers=[rivers.carers[0].id, dad.id],
                           babies=[rivers.baby_id], feeling=4, visibility="family")

    assert response.status_code == 302
    [moment] = saved_moments(app)
    assert moment == {
        **moment,
        "author": rivers.carers[0].id, "family": rivers.id, "client_id": form["client_id"][0],
        "text": "Peekaboo and giggles", "kinds": {kinds["playing"], kinds["close"]},
        "carers": {rivers.carers[0].id, dad.id}, "babies": {rivers.baby_id}, "feeling": 4,
        "visibility": Visibility.FAMILY,
    }
    page = page_text(mum.get(f"/families/{rivers.id}/moments/{moment['id']}"))
    assert "Peekaboo and giggles" in page
    assert "Who was there: Mum, Dad, Ava" in page
    assert "I felt: Good" in page
    assert "You, Dad and Sam can see this, and also Nan" in page


def test_nobody_there_and_no_feeling_is_fine(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    form = new_moment_page(mum, rivers.id)
    del form["carers"], form["babies"]

    response = send_moment(mum, rivers.id, form, text="A quiet cuddle", feeling="")

    assert response.status_code == 302
    [moment] = saved_moments(app)
    assert moment["carers"] == set() and moment["babies"] == set() and moment["feeling"] is None


def test_earlier_today_with_a_time(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    now = clock.set(this_afternoon())

    response = add_moment(mum, rivers.id, text="Bath time", when="earlier", at_time="09:30")

    assert response.status_code == 302
    [moment] = saved_moments(app)
    assert local(moment["occurred_at"]) == datetime.combine(now.date(), time(9, 30), LONDON)


def test_earlier_today_without_a_time_is_a_little_while_ago_today(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                                  clock: Clock) -> None:
    now = clock.set(this_afternoon())

    add_moment(mum, rivers.id, text="Bath time", when="earlier")

    [moment] = saved_moments(app)
    when = local(moment["occurred_at"])
    assert when.date() == now.date() and when < now


def test_yesterday(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    now = clock.set(this_afternoon())

    add_moment(mum, rivers.id, text="Long walk", when="yesterday", at_time="18:05")
    add_moment(mum, rivers.id, text="A nap on me", when="yesterday")

    first, second = saved_moments(app)
    yesterday = now.date() - timedelta(days=1)
    assert local(first["occurred_at"]) == datetime.combine(yesterday, time(18, 5), LONDON)
    assert local(second["occurred_at"]).date() == yesterday


def test_another_day_without_the_day_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                clock: Clock) -> None:
    clock.set(this_afternoon())

    refused = add_moment(mum, rivers.id, text="Story time", when="date")

    assert refused.status_code == 400
    assert "Please enter the day, like 2 June 2026." in page_text(refused)
    assert_nothing_saved(app)


def test_another_day_with_its_day_and_time(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    day = clock.set(this_afternoon()).date() - timedelta(days=5)

    response = add_moment(mum, rivers.id, text="Story time", when="date", day=day.isoformat(), at_time="07:45")

    assert response.status_code == 302
    [moment] = saved_moments(app)
    assert local(moment["occurred_at"]) == datetime.combine(day, time(7, 45), LONDON)


def test_the_day_and_time_are_read_in_the_services_time_zone(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                             clock: Clock) -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    set_service_timezone(app, "Pacific/Auckland")
    now = clock.set(datetime.combine(datetime.now(auckland).date(), time(15, 0), auckland))

    add_moment(mum, rivers.id, text="First bath", when="date",
               day=(now.date() - timedelta(days=2)).isoformat(), at_time="08:00")

    [moment] = saved_moments(app)
    expected = datetime.combine(now.date() - timedelta(days=2), time(8, 0), auckland)
    assert moment["occurred_at"] == expected


# ---------------------------------------------------------------- never in the future, not too long ago


def test_a_time_later_today_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    clock.set(this_afternoon())

    response = add_moment(mum, rivers.id, text="Later", when="earlier", at_time="16:00")

    assert response.status_code == 400
    assert IN_THE_FUTURE in page_text(response)
    assert_nothing_saved(app)


def test_a_future_date_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    now = clock.set(this_afternoon())

    response = add_moment(mum, rivers.id, text="Tomorrow", when="date",
                          day=(now.date() + timedelta(days=1)).isoformat(), at_time="00:01")

    assert response.status_code == 400
    assert IN_THE_FUTURE in page_text(response)
    assert_nothing_saved(app)


def test_a_phone_clock_a_minute_fast_is_taken_as_now(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    now = clock.set(this_afternoon())

    response = add_moment(mum, rivers.id, text="Just then", when="earlier", at_time="15:01")

    assert response.status_code == 302
    [moment] = saved_moments(app)
    assert moment["occurred_at"] == now


def test_a_date_more_than_a_year_ago_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    now = clock.set(this_afternoon())

    response = add_moment(mum, rivers.id, text="Long ago", when="date",
                          day=(now.date() - timedelta(days=400)).isoformat())

    assert response.status_code == 400
    assert TOO_OLD in page_text(response)
    assert_nothing_saved(app)


# ---------------------------------------------------------------- bad input


BAD_INPUT: dict[str, tuple[dict[str, object], str]] = {
    "text of 2001 characters": ({"text": "a" * 2001}, "Please use at most 2000 characters."),
    "an unknown kind": ({"kinds": [999999]}, NOT_OUR_KIND),
    "a kind that is not a number": ({"kinds": ["abc"]}, NOT_ON_LIST),
    "a huge kind number": ({"kinds": ["9" * 30]}, NOT_OUR_KIND),
    "feeling 9": ({"feeling": "9"}, NOT_ON_LIST),
    "feeling x": ({"feeling": "x"}, NOT_ON_LIST),
    "visibility everyone": ({"visibility": "everyone"}, NOT_ON_LIST),
    "when tomorrow": ({"when": "tomorrow"}, NOT_ON_LIST),
    "a garbage client id": ({"client_id": "not-a-uuid'); DROP TABLE moments;--"},
                            "This form is out of date. Please reload the page and try again."),
    "a garbage day": ({"when": "date", "day": "31/02/2026"}, "Please enter a real date, like 2 June 2026."),
    "an impossible day": ({"when": "date", "day": "2026-02-31"}, "Please enter a real date, like 2 June 2026."),
    "a garbage time": ({"when": "earlier", "at_time": "25:99"}, "Please enter a time like 14:30."),
    "a carer who is not a number": ({"carers": ["mum"]}, NOT_ON_LIST),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_gets_a_clear_message_and_saves_nothing(app: Flask, rivers: FamilyInfo, mum: FlaskClient, case: str) -> None:
    changes, message = BAD_INPUT[case]

    response = add_moment(mum, rivers.id, **{"text": "She smiled", "kinds": [kind_ids(app)["comforting"]], **changes})

    assert response.status_code == 400, page_text(response)
    assert "Please check this" in page_text(response)
    assert message in page_text(response)
    assert_nothing_saved(app)


@pytest.mark.parametrize("changes", [
    {"text": ""},  # on the kinds
    {"when": "date", "day": "2000-01-01"},  # on "When?"
    {"visibility": "everyone", "feeling": "9", "carers": ["x"], "babies": ["999999"]},
    {"client_id": "garbage"},
])
def test_each_message_in_the_summary_leads_to_its_question(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                           changes: dict[str, Any]) -> None:
    response = add_moment(mum, rivers.id, **{"text": "Words", **changes})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    targets = re.findall(r'<a href="#([^"]+)">', summary)
    assert targets, summary
    for target in targets:
        assert f'id="{target}"' in html, f"the message links to #{target}, which is not on the page"


def test_a_hidden_kind_cannot_be_picked_for_a_new_moment(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    kinds = kind_ids(app)
    form = new_moment_page(mum, rivers.id)  # opened before the kind was hidden
    hide_kind(app, kinds["other"])

    response = send_moment(mum, rivers.id, form, kinds=[kinds["comforting"], kinds["other"]])

    assert response.status_code == 400
    assert NOT_OUR_KIND in page_text(response)
    assert_nothing_saved(app)


@pytest.mark.parametrize("who", ["another family's carer", "our viewer", "our therapist"])
def test_people_from_outside_the_familys_carers_are_refused(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo, mum: FlaskClient,
                                                            who: str) -> None:
    person = {"another family's carer": brooks.carers[0], "our viewer": rivers.viewers[0],
              "our therapist": rivers.therapist}[who]

    response = add_moment(mum, rivers.id, text="Nice", carers=[rivers.carers[0].id, person.id])

    assert response.status_code == 400
    assert NOT_OUR_PEOPLE in page_text(response)
    assert_nothing_saved(app)


def test_a_baby_from_another_family_is_refused(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo, mum: FlaskClient) -> None:

    response = add_moment(mum, rivers.id, text="Nice", babies=[rivers.baby_id, brooks.baby_id])

    assert response.status_code == 400
    assert NOT_OUR_PEOPLE in page_text(response)
    assert_nothing_saved(app)


def test_the_refused_form_keeps_what_was_entered(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    kinds = kind_ids(app)
    form = new_moment_page(mum, rivers.id)

    response = send_moment(mum, rivers.id, form, kinds=[kinds["comforting"]], text="She settled on me",
                           feeling="9")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "She settled on me" in html
    assert re.search(rf'name="kinds" value="{kinds["comforting"]}" checked', html)
    assert f'value="{form["client_id"][0]}"' in html


def test_nul_characters_in_the_words_are_dropped_not_an_error(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    # PostgreSQL cannot store a NUL; a broken keyboard app must not cost the moment.
    response = add_moment(mum, rivers.id, text="She \x00smiled\x00")

    assert response.status_code == 302, page_text(response)
    [moment] = saved_moments(app)
    assert moment["text"] == "She smiled"


def test_words_of_exactly_2000_characters_are_fine(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    response = add_moment(mum, rivers.id, text="a" * 2000)

    assert response.status_code == 302
    assert saved_moments(app)[0]["text"] == "a" * 2000


def test_words_over_the_limit_come_back_whole_with_the_reason_never_cut(app: Flask, rivers: FamilyInfo,
                                                                        mum: FlaskClient) -> None:
    """Without JavaScript too: the box has no `maxlength` (a browser drops what goes past it without a
    word), and words over the limit come back in the box, every one of them, with the reason."""
    form = mum.get(f"/families/{rivers.id}/moments/new").get_data(as_text=True)
    textarea = re.search(r"<textarea[^>]*>", form)
    assert textarea and 'data-limit="2000"' in textarea[0] and "maxlength" not in textarea[0]
    words = "Her first giggle. " * 120  # 2,160 characters

    response = add_moment(mum, rivers.id, text=words)

    assert response.status_code == 400
    assert "Please use at most 2000 characters." in page_text(response)
    assert words.rstrip() in response.get_data(as_text=True)
    assert_nothing_saved(app)


def test_who_can_see_it_names_the_people_and_is_never_folded_away(rivers: FamilyInfo, mum: FlaskClient) -> None:
    page = mum.get(f"/families/{rivers.id}/moments/new").get_data(as_text=True)

    folded = page[page.index("<details"):page.index("</details>")]
    choices = page[page.index('id="visibility"'):]
    choices = choices[:choices.index("</fieldset>")]
    assert 'name="visibility"' not in folded
    assert [re.sub(r"\s+", " ", label).strip() for label in re.findall(r">([^<]*)</label>", choices)] == [
        "Only me", "Me, Dad and Sam", "Also Nan"]


def test_who_can_see_it_says_so_when_nobody_else_is_there_yet(make: Factory, sign_in_as: SignInAs) -> None:
    alone = make.family("Alone", therapist=None, carers=("Mum",), viewers=())
    page = sign_in_as(alone.carers[0]).get(f"/families/{alone.id}/moments/new").get_data(as_text=True)

    assert "Only me, for now" in page and "Also family and friends, once you invite them" in page


def test_the_date_picker_offers_no_day_after_today(rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    clock.set(datetime(2026, 7, 1, 0, 30, tzinfo=LONDON))  # still 30 June in UTC: the service's day counts

    form = mum.get(f"/families/{rivers.id}/moments/new").get_data(as_text=True)

    assert re.search(r'<input[^>]*id="day"[^>]*max="2026-07-01"', form)


def test_only_carers_of_the_family_can_open_the_form(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                     sign_in_as: SignInAs) -> None:
    path = f"/families/{rivers.id}/moments/new"

    assert sign_in_as(brooks.carers[0]).get(path).status_code == 404
    assert sign_in_as(rivers.viewers[0]).get(path).status_code == 403
    assert sign_in_as(rivers.therapist).get(path).status_code == 403
    assert add_moment(sign_in_as(rivers.carers[1]), rivers.id, text="Dad's moment").status_code == 302
    outsider = sign_in_as(brooks.carers[0])
    refused = post(outsider, path, {**new_moment_page(outsider, brooks.id), "text": "Sneaky"})
    assert refused.status_code == 404
    assert [m["text"] for m in saved_moments(app)] == ["Dad's moment"]


# ---------------------------------------------------------------- saved once


def test_the_same_form_sent_twice_makes_one_moment(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    kinds = kind_ids(app)
    form = new_moment_page(mum, rivers.id)
    changes = {"kinds": [kinds["comforting"]], "text": "She settled on my chest", "feeling": 5}

    first = send_moment(mum, rivers.id, form, **changes)
    second = send_moment(mum, rivers.id, form, **changes)

    assert first.status_code == second.status_code == 302
    home = page_text(mum.get("/home"))
    assert ALREADY_SAVED in home and SAVED not in home
    [moment] = saved_moments(app)
    assert moment["text"] == "She settled on my chest"
    assert link_rows(app) == 3  # one kind, Mum, Ava: nothing added twice


def test_a_replay_minutes_later_of_a_moment_yesterday_makes_one_moment(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    clock.set(this_afternoon())
    form = new_moment_page(mum, rivers.id)
    changes = {"text": "Singing", "when": "yesterday", "at_time": "10:00"}

    send_moment(mum, rivers.id, form, **changes)
    clock.advance(timedelta(minutes=3))
    send_moment(mum, rivers.id, form, **changes)

    assert ALREADY_SAVED in page_text(mum.get("/home"))
    assert len(saved_moments(app)) == 1


@pytest.mark.parametrize("when", ["now", "earlier", "yesterday"])
def test_sending_again_a_few_seconds_later_with_no_time_given_makes_one_moment(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock, when: str) -> None:
    # A slow network: Save, nothing seems to happen, Save again. "Earlier today" with no time is
    # worked out from the clock, so the second send carries a slightly different time.
    clock.set(this_afternoon())
    form = new_moment_page(mum, rivers.id)

    first = send_moment(mum, rivers.id, form, text="Sang to her", when=when)
    clock.advance(timedelta(seconds=20))
    second = send_moment(mum, rivers.id, form, text="Sang to her", when=when)

    assert first.status_code == second.status_code == 302, page_text(second)
    assert ALREADY_SAVED in page_text(mum.get("/home"))
    assert len(saved_moments(app)) == 1


def test_sending_again_with_another_time_given_is_a_conflict(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                             clock: Clock) -> None:
    clock.set(this_afternoon())
    form = new_moment_page(mum, rivers.id)
    send_moment(mum, rivers.id, form, text="Sang to her", when="earlier", at_time="10:00")

    response = send_moment(mum, rivers.id, form, text="Sang to her", when="earlier", at_time="11:00")

    assert response.status_code == 409
    assert CONFLICT in page_text(response)
    assert local(saved_moments(app)[0]["occurred_at"]).time() == time(10, 0)


def test_the_same_client_id_with_different_words_is_a_conflict(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    form = new_moment_page(mum, rivers.id)
    send_moment(mum, rivers.id, form, text="She laughed at the dog")
    [first] = saved_moments(app)

    response = send_moment(mum, rivers.id, form, text="She laughed at the cat")

    assert response.status_code == 409
    assert CONFLICT in page_text(response)
    assert f'/families/{rivers.id}/moments/{first["id"]}"' in response.get_data(as_text=True)
    assert saved_moments(app) == [first]


def test_two_carers_with_the_same_client_id_each_keep_their_moment(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                                   sign_in_as: SignInAs) -> None:
    dad = sign_in_as(rivers.carers[1])
    shared_id = str(uuid.uuid4())

    mums = add_moment(mum, rivers.id, client_id=shared_id, text="Mum's cuddle")
    dads = add_moment(dad, rivers.id, client_id=shared_id, text="Dad's song")

    assert mums.status_code == dads.status_code == 302
    assert SAVED in page_text(dad.get("/home"))
    saved = saved_moments(app)
    assert [(m["author"], m["text"], m["client_id"]) for m in saved] == [
        (rivers.carers[0].id, "Mum's cuddle", shared_id),
        (rivers.carers[1].id, "Dad's song", shared_id),
    ]


def test_the_client_id_is_compared_in_its_standard_form(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    client_id = uuid.uuid4()

    add_moment(mum, rivers.id, client_id=str(client_id), text="Tummy time")
    add_moment(mum, rivers.id, client_id=str(client_id).upper(), text="Tummy time")

    assert ALREADY_SAVED in page_text(mum.get("/home"))
    [moment] = saved_moments(app)
    assert moment["client_id"] == str(client_id)


# ---------------------------------------------------------------- changing and deleting


def logged(app: Flask, client: FlaskClient, family: FamilyInfo, **changes: object) -> dict[str, Any]:
    """Log a moment through the form; return its row."""
    response = add_moment(client, family.id, **changes)
    assert response.status_code == 302, page_text(response)
    return saved_moments(app)[-1]


@pytest.fixture
def crying(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> dict[str, Any]:
    """Mum's moment from 11:20 this morning (the clock stopped at 15:00), logged through the form."""
    clock.set(this_afternoon())
    return logged(app, mum, rivers, kinds=[kind_ids(app)["comforting"]], text="She cried and I held her",
                  when="earlier", at_time="11:20", feeling=2)


def test_the_change_form_shows_the_moment_as_it_was_saved(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                          crying: dict[str, Any]) -> None:
    form = read_moment_form(mum.get(f"/families/{rivers.id}/moments/{crying['id']}/edit"))

    assert form["text"] == ["She cried and I held her"]
    assert form["kinds"] == [str(kind_ids(app)["comforting"])]
    assert form["feeling"] == ["2"]
    assert form["day"] == [this_afternoon().date().isoformat()] and form["at_time"] == ["11:20"]


def test_the_author_changes_a_moment_and_sees_the_change(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                         clock: Clock, crying: dict[str, Any]) -> None:
    kinds = kind_ids(app)
    edit_path = f"/families/{rivers.id}/moments/{crying['id']}/edit"
    form = read_moment_form(mum.get(edit_path))
    clock.advance(timedelta(minutes=10))

    response = post(mum, edit_path, {**form, **as_form_values({
        "text": "She cried, I held her and she settled", "kinds": [kinds["comforting"], kinds["close"]],
        "feeling": 4, "visibility": "private", "at_time": "11:00"})})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/families/{rivers.id}/moments/{crying['id']}")
    page = page_text(mum.get(response.headers["Location"]))
    assert "Your changes are saved." in page
    assert "She cried, I held her and she settled" in page
    assert "Close and loving" in page and "I felt: Good" in page and "Only you can see this" in page
    [changed] = saved_moments(app)
    assert changed["client_id"] == crying["client_id"]
    assert changed["kinds"] == {kinds["comforting"], kinds["close"]}
    assert local(changed["occurred_at"]) == datetime.combine(this_afternoon().date(), time(11, 0), LONDON)


def test_changing_the_time_to_just_now(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    clock.set(this_afternoon())
    moment = logged(app, mum, rivers, text="Nap on my chest", when="yesterday")
    edit_path = f"/families/{rivers.id}/moments/{moment['id']}/edit"
    form = read_moment_form(mum.get(edit_path))
    assert form["when"] == ["date"]  # the form shows the moment's own day and time

    later = clock.advance(timedelta(minutes=30))
    response = post(mum, edit_path, {**form, "when": ["now"]})

    assert response.status_code == 302
    [changed] = saved_moments(app)
    assert changed["occurred_at"] == later


def test_a_change_keeps_the_rules(app: Flask, rivers: FamilyInfo, mum: FlaskClient, clock: Clock) -> None:
    now = clock.set(this_afternoon())
    moment = logged(app, mum, rivers, text="Rocking to sleep")
    edit_path = f"/families/{rivers.id}/moments/{moment['id']}/edit"
    form = read_moment_form(mum.get(edit_path))

    empty = post(mum, edit_path, {**form, "text": [""]})
    future = post(mum, edit_path, {**form, "day": [(now.date() + timedelta(days=2)).isoformat()]})

    assert empty.status_code == future.status_code == 400
    assert NOTHING_GIVEN in page_text(empty)
    assert IN_THE_FUTURE in page_text(future)
    assert saved_moments(app) == [moment]


@pytest.fixture
def swimming(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> dict[str, Any]:
    """Mum's moment of the kind "Other", which the admin has since hidden."""
    moment = logged(app, mum, rivers, kinds=[kind_ids(app)["other"]], text="Swimming")
    hide_kind(app, kind_ids(app)["other"])
    return moment


def test_a_hidden_kind_already_on_a_moment_can_stay_when_changing_it(app: Flask, rivers: FamilyInfo,
                                                                     mum: FlaskClient,
                                                                     swimming: dict[str, Any]) -> None:
    other = kind_ids(app)["other"]
    edit_path = f"/families/{rivers.id}/moments/{swimming['id']}/edit"
    form = read_moment_form(mum.get(edit_path))
    assert form["kinds"] == [str(other)]  # still shown, still ticked

    response = post(mum, edit_path, {**form, "text": ["Swimming, her first time"]})

    assert response.status_code == 302
    [changed] = saved_moments(app)
    assert changed["kinds"] == {other} and changed["text"] == "Swimming, her first time"


def test_another_hidden_kind_cannot_be_added_when_changing_a_moment(app: Flask, rivers: FamilyInfo,
                                                                    mum: FlaskClient,
                                                                    swimming: dict[str, Any]) -> None:
    kinds = kind_ids(app)
    edit_path = f"/families/{rivers.id}/moments/{swimming['id']}/edit"
    form = read_moment_form(mum.get(edit_path))
    hide_kind(app, kinds["new-thing"])

    refused = post(mum, edit_path, {**form, "kinds": [str(kinds["other"]), str(kinds["new-thing"])]})

    assert refused.status_code == 400
    assert NOT_OUR_KIND in page_text(refused)
    assert saved_moments(app) == [swimming]


@pytest.fixture
def rocked(app: Flask, make: Factory, rivers: FamilyInfo, mum: FlaskClient) -> dict[str, Any]:
    """Mum's moment, which Sam has reflected on, and another of hers that is not to be deleted."""
    moment = logged(app, mum, rivers, kinds=[kind_ids(app)["comforting"]], text="Rocked her to sleep")
    logged(app, mum, rivers, text="A moment that stays")
    make.reflection(moment["id"], rivers.therapist, "You were her safe base.")
    return moment


def test_asking_to_delete_a_moment_deletes_nothing(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                   rocked: dict[str, Any]) -> None:
    confirm = mum.get(f"/families/{rivers.id}/moments/{rocked['id']}/delete")

    assert "Delete this moment?" in page_text(confirm)
    assert "Rocked her to sleep" in page_text(confirm)
    assert len(saved_moments(app)) == 2
    assert count(app, Reflection) == 1


def test_the_author_deletes_a_moment_after_saying_yes_and_its_reflections_go_too(
        app: Flask, rivers: FamilyInfo, mum: FlaskClient, rocked: dict[str, Any]) -> None:
    response = post(mum, f"/families/{rivers.id}/moments/{rocked['id']}/delete")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/families/{rivers.id}/timeline")
    timeline = page_text(mum.get(response.headers["Location"]))
    assert "The moment is deleted." in timeline
    assert "Rocked her to sleep" not in timeline and "A moment that stays" in timeline
    assert [m["text"] for m in saved_moments(app)] == ["A moment that stays"]
    assert count(app, Reflection) == 0
    assert link_rows(app) == 2  # the kept moment's Mum and Ava only
    assert mum.get(f"/families/{rivers.id}/moments/{rocked['id']}").status_code == 404


def test_deleting_needs_the_forms_token(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    moment = logged(app, mum, rivers, text="Stays")

    response = mum.post(f"/families/{rivers.id}/moments/{moment['id']}/delete", data={})

    assert response.status_code == 400
    assert saved_moments(app) == [moment]


@pytest.mark.parametrize("who", ["the other carer", "the therapist", "a viewer", "another family's carer"])
def test_nobody_else_can_change_or_delete_a_moment(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo, mum: FlaskClient,
                                                   sign_in_as: SignInAs, who: str) -> None:
    person = {"the other carer": rivers.carers[1], "the therapist": rivers.therapist,
              "a viewer": rivers.viewers[0], "another family's carer": brooks.carers[0]}[who]
    moment = logged(app, mum, rivers, text="Shared with everyone", visibility="family")
    other = sign_in_as(person)
    base = f"/families/{rivers.id}/moments/{moment['id']}"
    # The moment itself they may see (except the other family)...
    assert other.get(base).status_code == (404 if person is brooks.carers[0] else 200)

    answers = [
        other.get(f"{base}/edit"),
        post(other, f"{base}/edit", {"text": "Changed by someone else", "client_id": moment["client_id"],
                                     "when": "now", "visibility": "family"}),
        other.get(f"{base}/delete"),
        post(other, f"{base}/delete"),
    ]

    assert [a.status_code for a in answers] == [404 if person.role.value == "carer" else 403] * 4
    assert saved_moments(app) == [moment]
    assert f'href="{base}/edit"' not in other.get(base).get_data(as_text=True)


# ---------------------------------------------------------------- home


def next_session_in_three_days() -> datetime:
    return (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)


@pytest.fixture
def home(app: Flask, make: Factory, rivers: FamilyInfo, mum: FlaskClient) -> TestResponse:
    """Mum's home, with four moments, two focuses, sessions past and to come, and a reflection."""
    now = utcnow()
    moment = logged(app, mum, rivers, text="She grabbed my finger")
    for i in range(3):
        logged(app, mum, rivers, text=f"Older moment {i}", when="date",
               day=(datetime.now(LONDON).date() - timedelta(days=3 + i)).isoformat())
    make.focus(rivers, "This week, notice when she looks for you", created_at=now - timedelta(days=1))
    make.focus(rivers, "An older focus", created_at=now - timedelta(days=8))
    for starts_at in (now - timedelta(days=4), now + timedelta(days=10), next_session_in_three_days()):
        make.session(rivers, starts_at)
    make.reflection(moment["id"], rivers.therapist, "She was finding her safe base in you.", created_at=now)
    return mum.get("/home")


def test_home_offers_add_a_moment_and_the_timeline(rivers: FamilyInfo, home: TestResponse) -> None:
    html = home.get_data(as_text=True)
    assert re.search(rf'<a class="button[^"]*" href="/families/{rivers.id}/moments/new">Add a moment</a>', html)
    assert f'href="/families/{rivers.id}/timeline"' in html


def test_home_shows_this_weeks_focus_only(home: TestResponse) -> None:
    page = page_text(home)
    assert "This week, notice when she looks for you" in page and "An older focus" not in page


def test_home_shows_the_reflection_on_mums_moment(home: TestResponse) -> None:
    page = page_text(home)
    assert "She was finding her safe base in you." in page
    assert "Sam reflected on your moment" in page


def test_home_shows_the_next_session(home: TestResponse) -> None:
    when = babel_format_datetime(next_session_in_three_days(), "EEEE d MMMM, HH:mm", tzinfo=LONDON, locale="en_GB")
    assert f"Next session: {when}" in page_text(home)


def test_home_shows_a_few_recent_moments_not_the_whole_timeline(home: TestResponse) -> None:
    recent = page_text(home).split("Recent moments", 1)[1]
    assert "She grabbed my finger" in recent
    assert "Older moment 0" in recent and "Older moment 1" in recent
    assert "Older moment 2" not in recent


def test_home_shows_the_newest_reflections_first(app: Flask, make: Factory, rivers: FamilyInfo, mum: FlaskClient) -> None:
    now = utcnow()
    moments = [logged(app, mum, rivers, text=f"Moment {i}") for i in range(4)]
    for i, moment in enumerate(moments):
        make.reflection(moment["id"], rivers.therapist, f"Reflection {i}", created_at=now - timedelta(days=4 - i))

    reflected = page_text(mum.get("/home")).split("Reflected back", 1)[1].split("Recent moments", 1)[0]

    shown = re.findall(r"Reflection \d", reflected)
    assert shown == ["Reflection 3", "Reflection 2", "Reflection 1"]
    assert reflected.count("Sam reflected on your moment") == 3


def test_the_other_carer_sees_the_reflection_as_on_a_moment(app: Flask, make: Factory, rivers: FamilyInfo, mum: FlaskClient,
                                                            sign_in_as: SignInAs) -> None:
    moment = logged(app, mum, rivers, text="Mum's shared moment")
    make.reflection(moment["id"], rivers.therapist, "Lovely noticing.")

    page = page_text(sign_in_as(rivers.carers[1]).get("/home"))

    assert "Sam reflected on Mum's moment" in page and "Lovely noticing." in page
    assert "Sam reflected on your moment" not in page
    assert "Mum's shared moment" in page


def test_home_is_warm_when_there_is_nothing_yet(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    page = page_text(mum.get("/home"))

    assert "Add a moment" in page
    assert "When your therapist reflects on a moment, it will show here." in page
    assert "Small things count: a smile, a cuddle, a moment you noticed what your baby needed." in page
    assert "Next session" not in page and "This week's focus" not in page


def test_a_carer_in_no_family_is_told_how_to_join(app: Flask, make: Factory, sign_in_as: SignInAs) -> None:
    page = page_text(sign_in_as(make.user(Role.CARER)).get("/home"))

    assert "Your therapist can send you an invitation." in page
    assert "Add a moment" not in page


def test_no_page_counts_days_or_streaks(make: Factory, rivers: FamilyInfo, mum: FlaskClient,
                                        sign_in_as: SignInAs) -> None:
    # A carer who last noted something ten days ago, and one who never did.
    make.moment(rivers, rivers.carers[0], "A cuddle on the sofa", occurred_at=utcnow() - timedelta(days=10))
    dad = sign_in_as(rivers.carers[1])
    pages = {
        "Mum's home": mum.get("/home"),
        "Mum's timeline": mum.get(f"/families/{rivers.id}/timeline"),
        "Mum's add form": mum.get(f"/families/{rivers.id}/moments/new"),
        "Dad's home": dad.get("/home"),
        "Dad's timeline": dad.get(f"/families/{rivers.id}/timeline"),
        "Dad's progress": dad.get(f"/families/{rivers.id}/progress?period=since-start"),
        "Dad's check-in": dad.get(f"/families/{rivers.id}/check-in"),
        "Mum's progress": mum.get(f"/families/{rivers.id}/progress"),
        "Nan's home": sign_in_as(rivers.viewers[0]).get("/overview"),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        text = page_text(response).lower()
        for words in (*GUILT_WORDS, "10 days", "ten days"):
            assert words not in text, f"{name} says {words!r}"


def test_a_home_with_no_moments_at_all_does_not_count_either(mum: FlaskClient) -> None:
    empty = page_text(mum.get("/home")).lower()
    assert not [words for words in GUILT_WORDS if words in empty]


def test_a_long_moment_is_shortened_in_lists_and_whole_on_its_own_page(rivers: FamilyInfo, make: Factory,
                                                                     sign_in_as: SignInAs) -> None:
    words = "We sat on the grass and she watched the leaves move for a long time. " * 8  # 552 characters
    moment_id = make.moment(rivers, rivers.carers[0], words.strip())
    mum = sign_in_as(rivers.carers[0])
    sam = sign_in_as(rivers.therapist)

    for listed in (mum.get(f"/families/{rivers.id}/timeline"), mum.get("/home")):
        text = page_text(listed)
        assert words.strip() not in text
        assert "We sat on the grass and she watched the leaves move" in text and "…" in text
        assert f'href="/families/{rivers.id}/moments/{moment_id}">Read more' in listed.get_data(as_text=True)
    for whole in (mum.get(f"/families/{rivers.id}/moments/{moment_id}"), sam.get(f"/families/{rivers.id}/session")):
        assert words.strip() in page_text(whole) and "Read more" not in page_text(whole)


def test_a_short_moment_is_whole_everywhere(rivers: FamilyInfo, make: Factory, mum: FlaskClient) -> None:
    make.moment(rivers, rivers.carers[0], "She held my finger.")

    page = page_text(mum.get(f"/families/{rivers.id}/timeline"))

    assert "She held my finger." in page and "Read more" not in page
