"""Confidence check-ins: offered on a carer's home when one is due (never insisted on), answered in
words on the check-in page, seen by the carer and their therapist only, and the admin's questions
and interval.
"""

from __future__ import annotations

import re
import html as html_module
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from pipcompanion.extensions import db
from pipcompanion.models import CheckIn, CheckInAnswer, CheckInQuestion, ServiceSettings, Visibility
from pipcompanion.services.check_ins import SCALE, asked_questions
from pipcompanion.services.settings import service_settings

from .conftest import Clock, Factory
from .helpers import (
    FamilyInfo,
    Person,
    SignInAs,
    audit_trail,
    count,
    csrf_token,
    page_text,
    page_text_of,
    post,
    rows,
)

OFFER = "A check-in, if you'd like"
QUESTIONS = ["How confident do I feel looking after Ava?", "How much am I enjoying time with Ava?",
             "How well do I understand what Ava needs?"]
NOT_A_TEST = "It is not a test or a clinical measure"
WORDS = [str(word) for word in SCALE.values()]
CHOOSE_AN_ANSWER = "Please choose one of the answers on the list."
QUESTIONS_CHANGED = "The questions changed while this page was open."
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------- helpers of this module


def question_ids(app: Flask) -> list[int]:
    """The questions a check-in asks now, in order (made from the defaults the first time)."""
    with app.test_request_context():
        return [question.id for question in asked_questions()]


def check_in_path(family: FamilyInfo) -> str:
    return f"/families/{family.id}/check-in"


def offered(client: FlaskClient) -> bool:
    """Whether the carer's home offers a check-in now."""
    response = client.get("/home")
    assert response.status_code == 200
    return OFFER in page_text(response)


def answer(client: FlaskClient, family: FamilyInfo, steps: dict[int, object]) -> TestResponse:
    """Send the check-in page's form with these answers (question id -> value as sent)."""
    return post(client, check_in_path(family), {f"question_{qid}": value for qid, value in steps.items()})


def saved_answers(app: Flask, carer: Person) -> list[dict[int, int]]:
    """This carer's check-ins as kept, oldest first: question id -> step."""
    with app.app_context():
        check_ins = db.session.scalars(select(CheckIn).where(CheckIn.carer_id == carer.id).order_by(CheckIn.id)).all()
        return [{one.question_id: one.step for one in check_in.answers} for check_in in check_ins]


def set_interval(app: Flask, days: int) -> None:
    with app.test_request_context():
        service_settings().check_in_every_days = days
        db.session.commit()


def session_check_ins(client: FlaskClient, family: FamilyInfo) -> str:
    """The words of the session view's check-ins section ("" when it has none)."""
    response = client.get(f"/families/{family.id}/session")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    label = html.find('aria-labelledby="check-ins-title"')
    if label == -1:
        return ""
    start = html.rfind("<section", 0, label)
    return page_text_of(html[start:html.index("</section>", label)])


# ---------------------------------------------------------------- the offer on a carer's home


def test_a_carer_is_offered_a_first_check_in_below_add_a_moment(rivers: FamilyInfo, mum: FlaskClient) -> None:
    response = mum.get("/home")
    shown = page_text(response)
    assert OFFER in shown
    assert "Just three short questions to think about with Sam." in shown
    assert shown.index("Add a moment") < shown.index(OFFER) < shown.index("Reflected back")
    assert f'href="{check_in_path(rivers)}"' in response.get_data(as_text=True)


def test_the_offer_comes_back_only_when_the_interval_has_passed(app: Flask, rivers: FamilyInfo, make: Factory,
                                                                sign_in_as: SignInAs, clock: Clock) -> None:
    clock.set(START)
    mum = sign_in_as(rivers.carers[0])
    assert answer(mum, rivers, {question_ids(app)[0]: 4}).status_code == 302
    assert not offered(mum)

    clock.set(START + timedelta(days=13, hours=23))
    assert not offered(mum)
    clock.set(START + timedelta(days=14))
    assert offered(mum)


def test_a_weekly_service_offers_after_seven_days(app: Flask, rivers: FamilyInfo, make: Factory,
                                                  sign_in_as: SignInAs, clock: Clock) -> None:
    clock.set(START)
    set_interval(app, 7)
    make.check_in(rivers, rivers.carers[0], [3, 3, 3], at=START)
    mum = sign_in_as(rivers.carers[0])
    clock.set(START + timedelta(days=6, hours=23))
    assert not offered(mum)
    clock.set(START + timedelta(days=7))
    assert offered(mum)


def test_a_service_that_asks_never_offers_a_check_in(app: Flask, rivers: FamilyInfo, mum: FlaskClient,
                                                     clock: Clock) -> None:
    set_interval(app, 0)
    assert not offered(mum)
    clock.advance(timedelta(days=29))  # well past any interval, within a carer's 30-day sign-in
    assert not offered(mum)


def test_not_this_time_hides_the_offer_until_the_next_is_due(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs,
                                                            clock: Clock) -> None:
    clock.set(START)
    mum = sign_in_as(rivers.carers[0])
    response = post(mum, f"/families/{rivers.id}/check-in/not-this-time")
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    home = page_text(mum.get("/home"))
    assert "That's fine: not this time." in home
    assert OFFER not in home
    assert saved_answers(app, rivers.carers[0]) == [{}]

    clock.set(START + timedelta(days=13))
    assert not offered(mum)
    clock.set(START + timedelta(days=14))
    assert offered(mum)


def test_each_carer_has_their_own_offer(app: Flask, rivers: FamilyInfo, make: Factory, sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [4, 4, 4])
    assert not offered(sign_in_as(rivers.carers[0]))
    assert offered(sign_in_as(rivers.carers[1]))


def test_the_home_says_nothing_of_check_ins_when_none_is_due(app: Flask, rivers: FamilyInfo, make: Factory,
                                                            mum: FlaskClient) -> None:
    make.check_in(rivers, rivers.carers[0], [4, 4, 4])
    shown = page_text(mum.get("/home")).lower()
    assert "check-in" not in shown and "check in" not in shown


# ---------------------------------------------------------------- the check-in page


def test_the_check_in_asks_each_question_in_words_with_nothing_chosen(app: Flask, rivers: FamilyInfo,
                                                                      mum: FlaskClient) -> None:
    response = mum.get(check_in_path(rivers))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = page_text(response)
    legends = re.findall(r"<legend[^>]*>([^<]+)</legend>", html)
    assert [legend.strip() for legend in legends] == QUESTIONS
    for qid in question_ids(app):
        options = re.findall(rf'<label class="radio-option"><input[^>]*name="question_{qid}"[^>]*> ([^<]+)</label>', html)
        assert options == WORDS
    assert "checked" not in html
    assert NOT_A_TEST in shown
    assert "Only you and Sam, your therapist, see your answers." in shown
    assert "You can leave any question, or all of them." in shown


def test_a_carer_answers_two_of_three_questions(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    first, second, third = question_ids(app)
    response = answer(mum, rivers, {first: "4", third: "2"})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    home = page_text(mum.get("/home"))
    assert "Thank you for checking in." in home and "Sam" in home
    assert OFFER not in home
    assert saved_answers(app, rivers.carers[0]) == [{first: 4, third: 2}]


def test_sending_the_check_in_with_nothing_chosen_is_not_this_time(app: Flask, rivers: FamilyInfo,
                                                                  mum: FlaskClient) -> None:
    response = answer(mum, rivers, {qid: "" for qid in question_ids(app)})
    assert response.status_code == 302
    assert "That's fine: not this time." in page_text(mum.get("/home"))
    assert saved_answers(app, rivers.carers[0]) == [{}]


def test_a_carer_may_check_in_again_when_none_is_due(app: Flask, rivers: FamilyInfo, make: Factory,
                                                    mum: FlaskClient) -> None:
    make.check_in(rivers, rivers.carers[0], [3, 3, 3], at=datetime.now(UTC) - timedelta(days=1))
    assert mum.get(check_in_path(rivers)).status_code == 200
    assert answer(mum, rivers, {question_ids(app)[1]: 5}).status_code == 302
    assert len(saved_answers(app, rivers.carers[0])) == 2


def test_a_carer_sees_their_own_earlier_check_ins_in_words(app: Flask, rivers: FamilyInfo, make: Factory,
                                                           mum: FlaskClient) -> None:
    make.check_in(rivers, rivers.carers[0], [2, None, 4], at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    make.check_in(rivers, rivers.carers[0], [5, 5, 5], at=datetime(2026, 1, 19, 10, tzinfo=UTC))
    make.check_in(rivers, rivers.carers[0], [], at=datetime(2026, 2, 2, 10, tzinfo=UTC))  # not this time
    make.check_in(rivers, rivers.carers[1], [1, 1, 1], at=datetime(2026, 1, 20, 10, tzinfo=UTC))  # Dad's
    shown = page_text(mum.get(check_in_path(rivers)))
    earlier = shown[shown.index("Your earlier check-ins"):]
    assert earlier.index("19 January 2026") < earlier.index("5 January 2026")
    assert "2 February 2026" not in earlier and "20 January 2026" not in earlier
    assert f"{QUESTIONS[0]} A bit" in earlier and f"{QUESTIONS[2]} Quite a lot" in earlier
    assert "Not really" not in earlier  # Dad's answers are his own


@pytest.mark.parametrize("value", ["9", "0", "-1", "abc", "4.5", "9" * 40, "9" * 5000, " "])
def test_a_hostile_answer_is_refused_with_a_message(app: Flask, rivers: FamilyInfo, mum: FlaskClient, value: str) -> None:
    response = answer(mum, rivers, {question_ids(app)[0]: value})
    if value == " ":  # a blank answer is a question left: fine
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert CHOOSE_AN_ANSWER in page_text(response)
    assert saved_answers(app, rivers.carers[0]) == []


def test_an_answer_to_an_unknown_question_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    response = answer(mum, rivers, {question_ids(app)[0]: "3", 999_999: "4"})
    assert response.status_code == 400
    assert QUESTIONS_CHANGED in page_text(response)
    assert saved_answers(app, rivers.carers[0]) == []


def test_an_answer_to_a_question_changed_meanwhile_is_refused_and_nothing_is_lost_quietly(
        app: Flask, rivers: FamilyInfo, admin: Person, mum: FlaskClient, sign_in_as: SignInAs) -> None:
    old = question_ids(app)[0]
    post(sign_in_as(admin), f"/admin/check-in-questions/{old}/change", {"text": "How calm do I feel with [baby]?"})
    response = answer(mum, rivers, {old: "3"})
    assert response.status_code == 400
    assert QUESTIONS_CHANGED in page_text(response)
    assert "How calm do I feel with Ava?" in page_text(response)
    assert saved_answers(app, rivers.carers[0]) == []


def test_an_answer_sent_twice_for_one_question_takes_the_first(app: Flask, rivers: FamilyInfo,
                                                               mum: FlaskClient) -> None:
    qid = question_ids(app)[0]
    response = mum.post(check_in_path(rivers), data={"csrf_token": csrf_token(mum), f"question_{qid}": ["2", "5"]})
    assert response.status_code == 302
    assert saved_answers(app, rivers.carers[0]) == [{qid: 2}]


def test_a_check_in_without_the_form_token_is_refused(app: Flask, rivers: FamilyInfo, mum: FlaskClient) -> None:
    response = mum.post(check_in_path(rivers), data={f"question_{question_ids(app)[0]}": "3"})
    assert response.status_code == 400
    assert saved_answers(app, rivers.carers[0]) == []
    assert mum.post(f"/families/{rivers.id}/check-in/not-this-time").status_code == 400


# ---------------------------------------------------------------- who may check in, and who sees it


@pytest.mark.parametrize("who", ["viewer", "therapist"])
def test_only_carers_reach_the_check_in(rivers: FamilyInfo, sign_in_as: SignInAs, who: str) -> None:
    person = rivers.viewers[0] if who == "viewer" else rivers.therapist
    client = sign_in_as(person)
    assert client.get(check_in_path(rivers)).status_code == 403
    assert post(client, check_in_path(rivers)).status_code == 403
    assert post(client, f"/families/{rivers.id}/check-in/not-this-time").status_code == 403


def test_another_familys_carer_and_therapist_get_not_found(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                           make: Factory, sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [4, 4, 4])
    papa = sign_in_as(brooks.carers[0])
    assert papa.get(check_in_path(rivers)).status_code == 404
    assert answer(papa, rivers, {question_ids(app)[0]: "3"}).status_code == 404
    assert post(papa, f"/families/{rivers.id}/check-in/not-this-time").status_code == 404
    assert saved_answers(app, brooks.carers[0]) == []
    robin = sign_in_as(brooks.therapist)
    assert robin.get(f"/families/{rivers.id}/session").status_code == 404


def test_viewers_see_nothing_of_check_ins_anywhere(app: Flask, rivers: FamilyInfo, make: Factory,
                                                   sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [4, 2, 5])
    make.moment(rivers, rivers.carers[0], "She laughed", visibility=Visibility.FAMILY)
    nan = sign_in_as(rivers.viewers[0])
    for path in ("/overview", f"/families/{rivers.id}", f"/families/{rivers.id}/timeline"):
        shown = page_text(nan.get(path))
        assert "check-in" not in shown.lower(), path
        for word in ("Quite a lot", "Very much", "A bit"):
            assert word not in shown, (path, word)
    api = nan.get(f"/api/v1/moments?family={rivers.id}").get_data(as_text=True)
    assert "check" not in api.lower() and "Very much" not in api
    assert nan.get(f"/families/{rivers.id}/session").status_code == 403


def test_the_other_carer_never_sees_my_answers(app: Flask, rivers: FamilyInfo, make: Factory,
                                               sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [1, 1, 1], at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    dad = sign_in_as(rivers.carers[1])
    for path in ("/home", f"/families/{rivers.id}", f"/families/{rivers.id}/timeline"):
        shown = page_text(dad.get(path))
        assert "Not really" not in shown and "5 January 2026" not in shown, path
    his_check_in = page_text(dad.get(check_in_path(rivers)))
    assert "Your earlier check-ins" not in his_check_in and "5 January 2026" not in his_check_in


# ---------------------------------------------------------------- the therapist's session view


def test_the_session_view_shows_each_carers_check_ins_in_words(app: Flask, rivers: FamilyInfo, make: Factory,
                                                               sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [2, None, 3], at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    make.check_in(rivers, rivers.carers[0], [4, 5, None], at=datetime(2026, 1, 19, 10, tzinfo=UTC))
    make.check_in(rivers, rivers.carers[1], [3, 3, 3], at=datetime(2026, 1, 12, 10, tzinfo=UTC))
    shown = session_check_ins(sign_in_as(rivers.therapist), rivers)
    # Carers by name: Dad, then Mum.
    dad, mum = shown[:shown.index("Mum's check-ins")], shown[shown.index("Mum's check-ins"):]
    assert "Dad's check-ins" in dad
    assert f"{QUESTIONS[0]} 19 January 2026 Quite a lot 5 January 2026 A bit" in mum
    assert f"{QUESTIONS[1]} 19 January 2026 Very much" in mum
    assert f"{QUESTIONS[2]} 5 January 2026 Somewhat" in mum
    assert f"{QUESTIONS[0]} 12 January 2026 Somewhat" in dad
    # Words, never numbers: the only digits are in the dates.
    without_dates = re.sub(r"\d{1,2} [A-Z][a-z]+ \d{4}", "", shown)
    assert not re.search(r"\d", without_dates), without_dates


def test_the_session_view_has_no_check_ins_for_a_carer_who_has_none(app: Flask, rivers: FamilyInfo, make: Factory,
                                                                    sign_in_as: SignInAs) -> None:
    sam = sign_in_as(rivers.therapist)
    assert session_check_ins(sam, rivers) == ""
    make.check_in(rivers, rivers.carers[1], [])  # not this time: nothing to show
    assert session_check_ins(sam, rivers) == ""
    make.check_in(rivers, rivers.carers[0], [4, None, None])
    shown = session_check_ins(sam, rivers)
    assert "Mum's check-ins" in shown and "Dad" not in shown


def test_the_session_view_shows_the_newest_few_answers(app: Flask, rivers: FamilyInfo, make: Factory,
                                                       sign_in_as: SignInAs) -> None:
    for week in range(6):
        make.check_in(rivers, rivers.carers[0], [1 + week % 5], at=datetime(2026, 1, 5, tzinfo=UTC) + timedelta(weeks=week))
    shown = session_check_ins(sign_in_as(rivers.therapist), rivers)
    assert "9 February 2026" in shown and "19 January 2026" in shown
    assert "12 January 2026" not in shown and "5 January 2026" not in shown


# ---------------------------------------------------------------- the admin's questions


def admin_questions(client: FlaskClient) -> list[tuple[int, str]]:
    """The admin's list: (id, words) in order."""
    response = client.get("/admin/check-in-questions")
    assert response.status_code == 200
    return [(int(qid), html_module.unescape(words)) for qid, words in
            re.findall(r'<input id="question-(\d+)-text" name="text" value="([^"]*)"', response.get_data(as_text=True))]


def asked_words(client: FlaskClient, family: FamilyInfo) -> list[str]:
    response = client.get(check_in_path(family))
    assert response.status_code == 200
    return [legend.strip() for legend in re.findall(r"<legend[^>]*>([^<]+)</legend>", response.get_data(as_text=True))]


def test_the_admin_dashboard_links_to_the_questions(admin: Person, sign_in_as: SignInAs) -> None:
    assert 'href="/admin/check-in-questions"' in sign_in_as(admin).get("/admin/").get_data(as_text=True)


def test_the_admin_sees_the_defaults_with_the_baby_mark(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    assert [words for _id, words in admin_questions(client)] == [
        "How confident do I feel looking after [baby]?", "How much am I enjoying time with [baby]?",
        "How well do I understand what [baby] needs?"]
    shown = page_text(client.get("/admin/check-in-questions"))
    assert "[baby] stands for the family's baby's name" in shown
    assert "not a test or a clinical measure" in shown


def test_changing_a_question_starts_a_new_series_and_old_answers_keep_their_words(
        app: Flask, rivers: FamilyInfo, make: Factory, admin: Person, sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [2, 4, 4], at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    old = question_ids(app)[0]
    client = sign_in_as(admin)
    response = post(client, f"/admin/check-in-questions/{old}/change", {"text": "  How calm do I feel with [baby]? "})
    assert response.status_code == 302
    assert "Earlier answers keep the words they answered." in page_text(client.get("/admin/check-in-questions"))

    new = question_ids(app)[0]
    assert new != old and len(question_ids(app)) == 3
    [replacement] = rows(app, select(CheckInQuestion).where(CheckInQuestion.id == new))
    assert replacement.replaces_id == old and replacement.custom_text == "How calm do I feel with [baby]?"
    assert [words for _id, words in admin_questions(client)][0] == "How calm do I feel with [baby]?"

    mum = sign_in_as(rivers.carers[0])
    assert asked_words(mum, rivers)[0] == "How calm do I feel with Ava?"
    # The old answers keep the old words, for the carer and the therapist; the new series starts empty.
    earlier = page_text(mum.get(check_in_path(rivers)))
    assert f"{QUESTIONS[0]} A bit" in earlier
    sam_sees = session_check_ins(sign_in_as(rivers.therapist), rivers)
    assert f"{QUESTIONS[0]} 5 January 2026 A bit" in sam_sees
    assert "How calm do I feel with Ava?" not in sam_sees
    assert count(app, CheckInAnswer, CheckInAnswer.question_id == new) == 0
    assert count(app, CheckInAnswer, CheckInAnswer.question_id == old) == 1
    assert [entry.action for entry in audit_trail(app) if entry.action.startswith("check_in")] == ["check_in_question.change"]
    assert audit_trail(app)[0].actor_id == admin.id  # the change came before the session view's read


def test_the_same_words_again_change_nothing(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    old = question_ids(app)
    response = post(sign_in_as(admin), f"/admin/check-in-questions/{old[0]}/change",
                    {"text": "How confident do I feel looking after [baby]?"})
    assert response.status_code == 302
    assert question_ids(app) == old
    assert audit_trail(app) == []


def test_the_admin_adds_a_services_own_question(app: Flask, rivers: FamilyInfo, admin: Person,
                                                sign_in_as: SignInAs) -> None:
    response = post(sign_in_as(admin), "/admin/check-in-questions", {"text": "How often do I sing to [baby]?"})
    assert response.status_code == 302
    assert asked_words(sign_in_as(rivers.carers[0]), rivers) == [*QUESTIONS, "How often do I sing to Ava?"]
    assert [entry.action for entry in audit_trail(app)] == ["check_in_question.add"]
    assert "Just four short questions" in page_text(sign_in_as(rivers.carers[1]).get("/home"))


@pytest.mark.parametrize(("text", "message"), [("", "Please write the question."), ("   ", "Please write the question."),
                                                ("x" * 151, "Please use at most 150 characters.")])
def test_a_question_needs_words_that_fit(app: Flask, admin: Person, sign_in_as: SignInAs, text: str, message: str) -> None:
    client = sign_in_as(admin)
    question_ids(app)
    response = post(client, "/admin/check-in-questions", {"text": text})
    assert response.status_code == 400 and message in page_text(response)
    response = post(client, f"/admin/check-in-questions/{question_ids(app)[0]}/change", {"text": text})
    assert response.status_code == 400 and message in page_text(response)
    assert len(question_ids(app)) == 3 and audit_trail(app) == []


def test_the_admin_stops_asking_a_question_and_its_answers_stay(app: Flask, rivers: FamilyInfo, make: Factory,
                                                                admin: Person, sign_in_as: SignInAs) -> None:
    make.check_in(rivers, rivers.carers[0], [2, 4, 4], at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    middle = question_ids(app)[1]
    assert post(sign_in_as(admin), f"/admin/check-in-questions/{middle}/retire").status_code == 302
    assert asked_words(sign_in_as(rivers.carers[0]), rivers) == [QUESTIONS[0], QUESTIONS[2]]
    assert f"{QUESTIONS[1]} 5 January 2026 Quite a lot" in session_check_ins(sign_in_as(rivers.therapist), rivers)
    assert [entry.action for entry in audit_trail(app) if entry.action.startswith("check_in")] == ["check_in_question.retire"]


def test_the_last_question_stays_and_the_admin_is_told_how_to_ask_none(app: Flask, admin: Person,
                                                                        sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    first, second, third = question_ids(app)
    post(client, f"/admin/check-in-questions/{first}/retire")
    post(client, f"/admin/check-in-questions/{second}/retire")
    response = post(client, f"/admin/check-in-questions/{third}/retire")
    assert response.status_code == 409
    assert "A check-in needs at least one question." in page_text(response)
    assert "Never" in page_text(response)
    assert question_ids(app) == [third]


def test_the_admin_moves_a_question(app: Flask, rivers: FamilyInfo, admin: Person, sign_in_as: SignInAs) -> None:
    first, second, third = question_ids(app)
    client = sign_in_as(admin)
    assert post(client, f"/admin/check-in-questions/{third}/move", {"direction": "up"}).status_code == 302
    assert question_ids(app) == [first, third, second]
    assert asked_words(sign_in_as(rivers.carers[0]), rivers) == [QUESTIONS[0], QUESTIONS[2], QUESTIONS[1]]
    assert post(client, f"/admin/check-in-questions/{first}/move", {"direction": "sideways"}).status_code == 400
    assert [entry.action for entry in audit_trail(app)] == ["check_in_question.move"]


def test_a_retired_or_unknown_question_is_not_found(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    old = question_ids(app)[0]
    post(client, f"/admin/check-in-questions/{old}/change", {"text": "How calm do I feel with [baby]?"})
    for question_id in (old, 999_999):
        assert post(client, f"/admin/check-in-questions/{question_id}/change", {"text": "Anything?"}).status_code == 404
        assert post(client, f"/admin/check-in-questions/{question_id}/retire").status_code == 404
        assert post(client, f"/admin/check-in-questions/{question_id}/move", {"direction": "up"}).status_code == 404
    assert post(client, f"/admin/check-in-questions/{2**70}/retire").status_code == 404
    assert len(question_ids(app)) == 3


# ---------------------------------------------------------------- the interval in the service settings

SETTINGS = {
    "service_name": "Harbour PIP",
    "crisis_contacts": "Call 999.",
    "default_locale": "en",
    "timezone": "Europe/London",
}


def interval(app: Flask) -> int:
    [days] = rows(app, select(ServiceSettings.check_in_every_days))
    return days


def test_the_admin_chooses_how_often_check_ins_are_offered(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    form = client.get("/admin/settings").get_data(as_text=True)
    assert "Offer a check-in every" in form
    assert re.findall(r'<option (?:selected )?value="(\d+)">([^<]+)</option>', form)[-5:] == [
        ("7", "1 week"), ("14", "2 weeks"), ("21", "3 weeks"), ("28", "4 weeks"), ("0", "Never")]
    assert '<option selected value="14">2 weeks</option>' in form
    assert post(client, "/admin/settings", {**SETTINGS, "check_in_every_days": "21"}).status_code == 302
    assert interval(app) == 21
    assert [entry.action for entry in audit_trail(app)] == ["check_in.interval_change"]
    assert post(client, "/admin/settings", {**SETTINGS, "check_in_every_days": "21"}).status_code == 302
    assert len(audit_trail(app)) == 1  # unchanged: nothing to put on record


@pytest.mark.parametrize("value", ["3", "abc", "", "-7", "99999999999999999999999", "14.0"])
def test_an_interval_not_on_the_list_is_refused(app: Flask, admin: Person, sign_in_as: SignInAs, value: str) -> None:
    response = post(sign_in_as(admin), "/admin/settings", {**SETTINGS, "check_in_every_days": value})
    assert response.status_code == 400
    assert "Please choose from the list." in page_text(response)
    assert interval(app) == 14


def test_settings_sent_without_the_interval_keep_it(app: Flask, admin: Person, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    post(client, "/admin/settings", {**SETTINGS, "check_in_every_days": "7"})
    assert post(client, "/admin/settings", SETTINGS).status_code == 302
    assert interval(app) == 7


def test_only_admins_change_questions(rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    for person in (rivers.therapist, rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get("/admin/check-in-questions").status_code == 403, person.role
        assert post(client, "/admin/check-in-questions", {"text": "Hello?"}).status_code == 403, person.role


def test_a_family_number_too_big_for_the_database_is_not_found(rivers: FamilyInfo, mum: FlaskClient) -> None:
    huge = 2**70
    assert mum.get(f"/families/{huge}/check-in").status_code == 404
    assert post(mum, f"/families/{huge}/check-in/not-this-time").status_code == 404
