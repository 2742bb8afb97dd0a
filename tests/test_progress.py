"""The progress page, a viewer's home as the summary of their family, "Preview as" a viewer, and
what viewers may never see: each figure checked against what a person would count by hand."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from pipcompanion.extensions import db
from pipcompanion.models import Family, MemberKind, Membership, User, Visibility, utcnow
from pipcompanion.models.audit import AuditAction
from pipcompanion.permissions import FamilyAccess, family_access
from pipcompanion.progress.charts import weekly_bars, word_dots
from pipcompanion.services import ServiceError
from pipcompanion.services.check_ins import asked_questions, record_check_in
from pipcompanion.services.progress import PeriodChoice, WeeklyCounts, choose_period, progress, viewer_overview
from pipcompanion.services.sessions import FamilySessions

from .conftest import Clock, Factory
from .helpers import (
    PINNED_BADGE,
    REFLECTED_BY,
    FamilyInfo,
    MomentSpec,
    Person,
    SignInAs,
    audit_trail,
    page_text,
    page_text_of,
    post,
)

SVG = "{http://www.w3.org/2000/svg}"
CHECK_IN_NOTE = "Check-ins are for reflecting with your therapist. They are not a test or a clinical measure."
# A Wednesday in November, after the clocks went back (25 October 2026).
WEDNESDAY = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def access_of(app: Flask, person: Person, family: FamilyInfo) -> FamilyAccess:
    """What this person may do in the family, as the gate would work it out (inside a request context)."""
    user = db.session.get_one(User, person.id)
    kinds = {m.family_id: m.kind for m in user.memberships}
    return family_access(user, family.id, kinds.get(family.id))


@pytest.fixture
def at_wednesday(clock: Clock) -> datetime:
    return clock.set(WEDNESDAY)


def svgs(html: str) -> list[ET.Element]:
    """Every chart on a page, parsed as XML (fails on anything that is not well-formed)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def viewer_summary(html: str) -> list[str]:
    """The families' sections a viewer's home shows (and a preview shows), as HTML."""
    return [part.split("</section>")[0] for part in html.split("data-viewer-summary>")[1:]]


# ---------------------------------------------------------------- periods


def test_the_four_weeks_are_four_weeks_from_monday_in_the_service_time_zone(app: Flask, rivers: FamilyInfo,
                                                                             at_wednesday: datetime) -> None:
    with app.test_request_context():
        access = access_of(app, rivers.carers[0], rivers)
        family = db.session.get_one(Family, rivers.id)
        period = choose_period(None, access, family, None)
        assert period.choice is PeriodChoice.FOUR_WEEKS
        assert [monday.isoformat() for monday in period.weeks] == ["2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02"]
        # Monday 12 October began at midnight in London, in summer time: 23:00 UTC the day before.
        assert period.start == datetime(2026, 10, 11, 23, 0, tzinfo=UTC)
        assert period.end == datetime(2026, 11, 9, 0, 0, tzinfo=UTC)
        week = choose_period("week", access, family, None)
        assert week.weeks == period.weeks[-1:] and week.start == datetime(2026, 11, 2, tzinfo=UTC)


def test_weeks_across_the_change_of_clocks(app: Flask, rivers: FamilyInfo, make: Factory, at_wednesday: datetime) -> None:
    mum = rivers.carers[0]
    # Monday 19 October 00:30 in London is Sunday 23:30 UTC; Sunday 25 October 23:30 (after the
    # change) is 23:30 UTC too, and still the week of 19 October; Monday 26 October 00:30 is next week.
    for when in (datetime(2026, 10, 18, 23, 30, tzinfo=UTC), datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
                 datetime(2026, 10, 26, 0, 30, tzinfo=UTC), datetime(2026, 10, 11, 22, 59, tzinfo=UTC)):
        make.moment(rivers, mum, kinds=["playing"], occurred_at=when)
    with app.test_request_context():
        access = access_of(app, mum, rivers)
        family = db.session.get_one(Family, rivers.id)
        page = progress(access, family, choose_period(None, access, family, None))
    [playing] = page.summary.kinds
    # The last one was 11 October at 23:59 in London: before the period.
    assert playing.counts == (0, 2, 1, 0)
    assert page.summary.moments_noticed == 3


def test_since_therapy_began_starts_with_the_family_or_its_first_session_whichever_was_earlier(
        app: Flask, rivers: FamilyInfo, make: Factory, at_wednesday: datetime) -> None:
    with app.test_request_context():
        db.session.execute(update(Family).where(Family.id == rivers.id).values(created_at=datetime(2026, 9, 30, tzinfo=UTC)))
        db.session.commit()
    with app.test_request_context():
        access = access_of(app, rivers.carers[0], rivers)
        family = db.session.get_one(Family, rivers.id)
        assert choose_period("since-start", access, family, None).weeks[0].isoformat() == "2026-09-28"
    make.session(rivers, datetime(2026, 9, 15, 9, tzinfo=UTC))
    with app.test_request_context():
        family = db.session.get_one(Family, rivers.id)
        period = choose_period("since-start", access, family, None)
        assert period.weeks[0].isoformat() == "2026-09-14" and len(period.weeks) == 8


def test_between_two_sessions_is_for_those_who_see_the_therapy(app: Flask, rivers: FamilyInfo, make: Factory,
                                                              at_wednesday: datetime) -> None:
    first = make.session(rivers, datetime(2026, 10, 21, 10, tzinfo=UTC))
    make.session(rivers, datetime(2026, 10, 28, 10, tzinfo=UTC))
    make.session(rivers, datetime(2026, 11, 11, 10, tzinfo=UTC))  # to come: 28 October to 11 November is a pair too
    with app.test_request_context():
        family = db.session.get_one(Family, rivers.id)
        sessions = FamilySessions.of(family)
        mum = access_of(app, rivers.carers[0], rivers)
        period = choose_period(f"sessions-{first}", mum, family, sessions)
        assert (period.start, period.end) == (datetime(2026, 10, 21, 10, tzinfo=UTC), datetime(2026, 10, 28, 10, tzinfo=UTC))
        assert [monday.isoformat() for monday in period.weeks] == ["2026-10-19", "2026-10-26"]
        nan = access_of(app, rivers.viewers[0], rivers)
        with pytest.raises(ServiceError):
            choose_period(f"sessions-{first}", nan, family, sessions)


@pytest.mark.parametrize("value", ["banana", "sessions-", "sessions-abc", "sessions-99999999999999999999", "sessions-1.5",
                                   "WEEK", "four-weeks ", "\x00", "sessions--1"])
def test_a_period_that_is_not_on_the_list_is_a_clear_400_with_the_four_weeks_shown(
        sign_in_as: SignInAs, rivers: FamilyInfo, make: Factory, value: str) -> None:
    make.moment(rivers, rivers.carers[0], "She laughed", kinds=["playing"])
    response = sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/progress", query_string={"period": value})
    assert response.status_code == 400
    text = page_text(response)
    assert "Please choose a time from the list." in text
    assert "In the last four weeks the family noticed 1 moment." in text


def test_the_period_choices_each_person_sees(sign_in_as: SignInAs, rivers: FamilyInfo, make: Factory) -> None:
    first = make.session(rivers, utcnow() - timedelta(days=10))
    make.session(rivers, utcnow() - timedelta(days=3))
    for person, shown in ((rivers.carers[0], True), (rivers.therapist, True), (rivers.viewers[0], False)):
        html = sign_in_as(person).get(f"/families/{rivers.id}/progress").get_data(as_text=True)
        assert 'value="four-weeks" selected' in html and 'value="since-start"' in html and 'value="week"' in html
        assert (f'value="sessions-{first}"' in html) is shown
        assert ("Between the sessions on" in html) is shown
    refused = sign_in_as(rivers.viewers[0]).get(f"/families/{rivers.id}/progress?period=sessions-{first}")
    assert refused.status_code == 400 and "Please choose a time from the list." in page_text(refused)
    chosen = sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/progress?period=sessions-{first}")
    assert chosen.status_code == 200 and f'value="sessions-{first}" selected' in chosen.get_data(as_text=True)
    assert "Between these two sessions the family noticed" in page_text(chosen) or "Nothing noted" in page_text(chosen)


# ---------------------------------------------------------------- what each person sees


@pytest.fixture
def lived_in(app: Flask, rivers: FamilyInfo, make: Factory) -> FamilyInfo:
    """Four weeks of the Rivers family: Mum and Dad's moments of every visibility, with feelings, a
    pin, a reflection, a check-in each and a session."""
    mum, dad = rivers.carers
    now = utcnow()
    make.session(rivers, now - timedelta(days=6))
    make.moments(rivers, [
        MomentSpec(mum, "Tummy time together", kinds=["playing", "close"], visibility=Visibility.FAMILY,
                   feeling=5, occurred_at=now - timedelta(hours=1)),
        MomentSpec(mum, "Only for me", kinds=["comforting"], visibility=Visibility.PRIVATE, feeling=1,
                   occurred_at=now - timedelta(hours=2)),
        MomentSpec(mum, "Bath time", kinds=["care-time"], visibility=Visibility.THERAPIST, feeling=2,
                   occurred_at=now - timedelta(days=9), pinned_by=mum),
        MomentSpec(dad, "Dad sang to her", kinds=["talking"], visibility=Visibility.FAMILY, feeling=3,
                   carers=[mum, dad], occurred_at=now - timedelta(days=2)),
        MomentSpec(dad, "Dad's own moment", kinds=["playing"], visibility=Visibility.PRIVATE, feeling=4,
                   occurred_at=now - timedelta(days=3)),
    ])
    bath = make.moments(rivers, [MomentSpec(mum, "Walk in the park", visibility=Visibility.THERAPIST,
                                            occurred_at=now - timedelta(days=1))])[0]
    make.reflection(bath, rivers.therapist, "You took her out: that was brave.")
    with app.test_request_context():
        family = db.session.get_one(Family, rivers.id)
        questions = asked_questions()
        record_check_in(db.session.get_one(User, mum.id), family, {q.id: 3 for q in questions}, now=now - timedelta(days=8))
        record_check_in(db.session.get_one(User, mum.id), family, {q.id: 4 for q in questions}, now=now - timedelta(days=1))
        record_check_in(db.session.get_one(User, dad.id), family, {questions[0].id: 2}, now=now - timedelta(days=1))
    return rivers


def test_a_viewer_sees_the_summary_of_what_is_shared_with_family_and_nothing_of_the_therapy(
        sign_in_as: SignInAs, lived_in: FamilyInfo) -> None:
    response = sign_in_as(lived_in.viewers[0]).get(f"/families/{lived_in.id}/progress")
    assert response.status_code == 200
    text = page_text(response)
    assert "In the last four weeks the family noticed 2 moments." in text
    for hidden in ("How I felt", "How each carer felt", "Check-ins", CHECK_IN_NOTE, "Highlights", "Only for me",
                   "Bath time", "Sam", "Between the sessions", "session", "Unsure", "Confident", REFLECTED_BY,
                   PINNED_BADGE, "Walk in the park", "Quite a lot"):
        assert hidden not in text, hidden
    assert "Mum and Dad with Ava" in text and "Mum with Ava" in text


def test_a_carer_sees_her_own_feelings_and_check_ins_never_the_other_carers(
        sign_in_as: SignInAs, lived_in: FamilyInfo) -> None:
    mum_page = sign_in_as(lived_in.carers[0]).get(f"/families/{lived_in.id}/progress")
    text = page_text(mum_page)
    # Mum counts her private moment; not Dad's.
    assert "In the last four weeks the family noticed 5 moments." in text
    assert "How I felt, week by week" in text and "How Dad felt" not in text
    assert CHECK_IN_NOTE in text
    html = mum_page.get_data(as_text=True)
    assert f"-check-in-{lived_in.carers[0].id}-" in html and f"-check-in-{lived_in.carers[1].id}-" not in html
    assert f"-felt-{lived_in.carers[1].id}" not in html
    # Her feelings table: Confident once and Unsure once this week, A bit wobbly the week of the bath.
    table = _table_after(html, f"family-{lived_in.id}-felt-{lived_in.carers[0].id}-caption")
    assert table[-1][1:] == ["1", "0", "0", "0", "1"]
    assert "Highlights" in text and "Bath time" in text and "You took her out: that was brave." in text
    dad_text = page_text(sign_in_as(lived_in.carers[1]).get(f"/families/{lived_in.id}/progress"))
    assert "How I felt, week by week" in dad_text and "How Mum felt" not in dad_text and "Only for me" not in dad_text
    assert "In the last four weeks the family noticed 5 moments." in dad_text  # his private one, not hers


def test_the_therapist_sees_each_carer_and_the_read_is_on_record(app: Flask, sign_in_as: SignInAs,
                                                                 lived_in: FamilyInfo) -> None:
    response = sign_in_as(lived_in.therapist).get(f"/families/{lived_in.id}/progress")
    text = page_text(response)
    assert "In the last four weeks the family noticed 4 moments." in text  # no private moment
    assert "How Mum felt, week by week" in text and "How Dad felt, week by week" in text
    html = response.get_data(as_text=True)
    for carer in lived_in.carers:
        assert f"-check-in-{carer.id}-" in html
    assert "Mum: How confident do I feel looking after Ava?" in text
    assert "Only for me" not in text and "Dad's own moment" not in text
    # Dad's feelings: only his shared moment's (Okay); his private one (Good) is his alone.
    dad_table = _table_after(html, f"family-{lived_in.id}-felt-{lived_in.carers[1].id}-caption")
    assert [row[1:] for row in dad_table if row[1:] != ["0"] * 5] == [["0", "0", "1", "0", "0"]]
    assert (AuditAction.PROGRESS_VIEW.value, lived_in.therapist.id, lived_in.id) in {
        (entry.action, entry.actor_id, entry.family_id) for entry in audit_trail(app)}


def _table_after(html: str, caption_id: str) -> list[list[str]]:
    """The body rows of the table whose caption has this id, as the cells' words."""
    table = html.split(f'id="{caption_id}"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [[page_text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def test_the_summary_sentence_counts_in_words_and_names_a_clear_favourite_only(
        sign_in_as: SignInAs, rivers: FamilyInfo, make: Factory) -> None:
    mum = rivers.carers[0]
    client = sign_in_as(mum)
    path = f"/families/{rivers.id}/progress"
    assert "Nothing noted in this time yet. Small things count" in page_text(client.get(path))
    make.moment(rivers, mum, kinds=["playing"])
    assert "In the last four weeks the family noticed 1 moment." in page_text(client.get(path))
    make.moment(rivers, mum, kinds=["comforting"])
    text = page_text(client.get(path))
    assert "noticed 2 moments." in text and "Most often" not in text  # one each: no favourite
    make.moment(rivers, mum, kinds=["playing", "comforting"])
    make.moment(rivers, mum, kinds=["playing"])
    text = page_text(client.get(path))
    assert "noticed 4 moments. Most often: Playing together." in text
    make.moment(rivers, mum)  # no kind
    text = page_text(client.get(path))
    assert "noticed 5 moments." in text and "Not given a kind" in text
    assert "Nothing shared with you in this time yet" in page_text(sign_in_as(rivers.viewers[0]).get(path))


# ---------------------------------------------------------------- the charts


def test_every_chart_is_well_formed_titled_and_its_table_holds_the_same_numbers(
        sign_in_as: SignInAs, lived_in: FamilyInfo) -> None:
    html = sign_in_as(lived_in.therapist).get(f"/families/{lived_in.id}/progress").get_data(as_text=True)
    charts = svgs(html)
    assert len(charts) >= 5  # kinds, time together, two carers' feelings, check-ins
    for chart in charts:
        chart_id = chart.get("id")
        assert chart.get("role") == "img" and chart.get("aria-labelledby") == f"{chart_id}-t {chart_id}-d"
        title, desc = chart.find(f"{SVG}title"), chart.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        for element in chart.iter():
            assert "style" not in element.attrib
            assert not any("href" in name for name in element.attrib), element.attrib
    svg_text = "".join(re.findall(r"<svg\b.*?</svg>", html, flags=re.S))
    assert "url(" not in svg_text and "http://" not in svg_text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    kinds = next(chart for chart in charts if chart.get("id") == f"family-{lived_in.id}-kinds")
    drawn = [int(text.text or "") for text in kinds.iter(f"{SVG}text") if text.get("class") == "chart__count"]
    table = _table_after(html, f"family-{lived_in.id}-kinds-caption")
    # The chart draws row by row (kind), a count per week; the table has a row per week.
    by_kind = [[int(row[1 + kind]) for row in table] for kind in range(len(table[0]) - 1)]
    assert drawn == [count for kind in by_kind for count in kind]
    assert sum(drawn) == 5  # four moments, one of two kinds


def test_a_chart_with_many_weeks_stays_narrow_and_keeps_its_labels_apart() -> None:
    labels = [f"{day} Jan" for day in range(1, 53)]
    chart = ET.fromstring(weekly_bars("c", "Title", "Description", labels,
                                      [WeeklyCounts("k", "Playing together", tuple(range(52)))]))
    assert chart.get("viewBox", "").startswith("0 0 320 ")
    ticks = [text for text in chart.iter(f"{SVG}text") if text.get("class") == "chart__tick"]
    xs = [float(text.get("x", "0")) for text in ticks]
    assert all(later - earlier >= 30 for earlier, later in zip(xs, xs[1:], strict=False))
    dots = ET.fromstring(word_dots("d", "T", "D", ["1 Jan", "8 Jan"], ["Very much", "Not really"], {(0, 1): 1, (1, 0): 1},
                                   joined=True))
    assert len(list(dots.iter(f"{SVG}circle"))) == 2 and len(list(dots.iter(f"{SVG}polyline"))) == 1


# ---------------------------------------------------------------- a viewer's home and "Preview as"


def test_a_viewers_home_is_the_progress_summary_of_her_family(sign_in_as: SignInAs, lived_in: FamilyInfo) -> None:
    response = sign_in_as(lived_in.viewers[0]).get("/overview")
    text = page_text(response)
    assert "In the last four weeks the family noticed 2 moments." in text
    assert "Moments noticed by kind" in text and "Time together" in text
    assert "Tummy time together" in text and "Dad sang to her" in text
    assert "Shared moments" in text and "Ava" in text
    for hidden in ("Bath time", "Only for me", "Walk in the park", "I felt", "Sam", "session", "focus",
                   "Reflected", PINNED_BADGE, "Confident"):
        assert hidden not in text, hidden
    assert len(svgs(response.get_data(as_text=True))) == 2


def test_carers_choose_whether_viewers_see_the_therapists_name(app: Flask, sign_in_as: SignInAs,
                                                               rivers: FamilyInfo) -> None:
    nan = sign_in_as(rivers.viewers[0])
    assert "Sam" not in page_text(nan.get("/overview"))
    assert "Sam" not in page_text(nan.get(f"/families/{rivers.id}"))
    mum = sign_in_as(rivers.carers[0])
    viewers_page = page_text(mum.get(f"/families/{rivers.id}/viewers"))
    assert "Can family and friends see our therapist's name?" in viewers_page
    response = post(mum, f"/families/{rivers.id}/viewers/therapist-name", {"shown": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == f"/families/{rivers.id}/viewers"
    assert "Family and friends can now see your therapist's name." in page_text(mum.get(response.headers["Location"]))
    assert "Therapist: Sam" in page_text(nan.get("/overview"))
    assert "Therapist: Sam" in page_text(nan.get(f"/families/{rivers.id}"))
    post(mum, f"/families/{rivers.id}/viewers/therapist-name", {"shown": "no"})
    assert "Sam" not in page_text(nan.get("/overview"))
    assert post(mum, f"/families/{rivers.id}/viewers/therapist-name", {"shown": "maybe"}).status_code == 400
    assert post(nan, f"/families/{rivers.id}/viewers/therapist-name", {"shown": "yes"}).status_code == 403
    assert post(sign_in_as(rivers.therapist), f"/families/{rivers.id}/viewers/therapist-name",
                {"shown": "yes"}).status_code == 403
    with app.app_context():
        assert db.session.get_one(Family, rivers.id).viewers_see_therapist is False


def test_a_preview_shows_the_carer_exactly_what_the_viewer_sees(sign_in_as: SignInAs, lived_in: FamilyInfo) -> None:
    nan = lived_in.viewers[0]
    hers = viewer_summary(sign_in_as(nan).get("/overview").get_data(as_text=True))
    mum = sign_in_as(lived_in.carers[0])
    family_page = mum.get(f"/families/{lived_in.id}").get_data(as_text=True)
    preview_path = f"/families/{lived_in.id}/progress/preview/{nan.id}"
    assert preview_path in family_page and preview_path in mum.get(f"/families/{lived_in.id}/viewers").get_data(as_text=True)
    response = mum.get(preview_path)
    assert response.status_code == 200
    assert "This is what Nan sees" in page_text(response)
    assert viewer_summary(response.get_data(as_text=True)) == hers
    assert len(hers) == 1 and "<svg" in hers[0] and "Tummy time together" in hers[0]


def test_a_carer_cannot_preview_another_familys_viewer_and_others_cannot_preview(
        sign_in_as: SignInAs, rivers: FamilyInfo, brooks: FamilyInfo) -> None:
    mum = sign_in_as(rivers.carers[0])
    assert mum.get(f"/families/{rivers.id}/progress/preview/{brooks.viewers[0].id}").status_code == 404
    assert mum.get(f"/families/{rivers.id}/progress/preview/{rivers.carers[1].id}").status_code == 404
    assert mum.get(f"/families/{brooks.id}/progress/preview/{brooks.viewers[0].id}").status_code == 404
    for person in (rivers.viewers[0], rivers.therapist):
        assert sign_in_as(person).get(f"/families/{rivers.id}/progress/preview/{rivers.viewers[0].id}").status_code == 403


# ---------------------------------------------------------------- what viewers reach elsewhere


def test_nothing_a_viewer_reaches_shows_session_dates_feelings_pins_reflections_focus_or_the_therapist(
        sign_in_as: SignInAs, lived_in: FamilyInfo, make: Factory) -> None:
    make.focus(lived_in, "Notice when she settles.")
    shared = make.moment(lived_in, lived_in.carers[0], "Shared and pinned", visibility=Visibility.FAMILY, feeling=5,
                         pinned_by=lived_in.therapist)
    make.reflection(shared, lived_in.therapist, "Lovely noticing.")
    nan = sign_in_as(lived_in.viewers[0])
    for path in ("/overview", f"/families/{lived_in.id}", f"/families/{lived_in.id}/timeline",
                 f"/families/{lived_in.id}/moments/{shared}", f"/families/{lived_in.id}/progress",
                 f"/families/{lived_in.id}/progress?period=since-start", f"/families/{lived_in.id}/progress?period=week"):
        response = nan.get(path)
        assert response.status_code == 200, path
        text = page_text(response)
        for hidden in ("Sam", "session", "Session", "Notice when she settles", "Lovely noticing", PINNED_BADGE,
                       "I felt", "Confident", "focus"):
            assert hidden not in text, (path, hidden)
    [listed, *_rest] = (nan.get(f"/api/v1/moments?family={lived_in.id}").json or {})["moments"]
    assert listed["text"] == "Shared and pinned"
    assert listed["feeling"] is None and listed["pinned"] is False and "reflections" not in listed
    assert "Sam" not in nan.get("/api/v1/me").get_data(as_text=True)


# ---------------------------------------------------------------- navigation


def test_carers_reach_progress_from_the_navigation(sign_in_as: SignInAs, rivers: FamilyInfo, make: Factory) -> None:
    mum = sign_in_as(rivers.carers[0])
    home = mum.get("/home").get_data(as_text=True)
    assert 'href="/progress">Progress</a>' in home
    response = mum.get("/progress")
    assert response.status_code == 302 and response.headers["Location"] == f"/families/{rivers.id}/progress"
    assert "Our progress" in page_text(mum.get(response.headers["Location"]))
    lonely = make.user(name="New carer")
    assert sign_in_as(lonely).get("/progress").headers["Location"] == "/home"
    assert 'href="/progress"' not in sign_in_as(rivers.viewers[0]).get("/overview").get_data(as_text=True)


def test_the_therapist_reaches_progress_from_the_caseload_and_the_timeline(sign_in_as: SignInAs,
                                                                           rivers: FamilyInfo) -> None:
    sam = sign_in_as(rivers.therapist)
    link = f'href="/families/{rivers.id}/progress"'
    assert link in sam.get("/caseload").get_data(as_text=True)
    assert link in sam.get(f"/families/{rivers.id}/timeline").get_data(as_text=True)
    assert link in sam.get(f"/families/{rivers.id}").get_data(as_text=True)


def test_a_quiet_week_is_a_zero_without_comment(sign_in_as: SignInAs, rivers: FamilyInfo, make: Factory,
                                                at_wednesday: datetime) -> None:
    make.moment(rivers, rivers.carers[0], kinds=["playing"], occurred_at=WEDNESDAY - timedelta(days=20))
    html = sign_in_as(rivers.carers[0]).get(f"/families/{rivers.id}/progress").get_data(as_text=True)
    table = _table_after(html, f"family-{rivers.id}-kinds-caption")
    assert [row[1] for row in table] == ["1", "0", "0", "0"]
    assert [row[0] for row in table] == ["Week of 12 Oct", "Week of 19 Oct", "Week of 26 Oct", "Week of 2 Nov"]
    for word in ("streak", "missed", "haven't", "no moments this week"):
        assert word not in page_text_of(html).lower()


def test_a_viewer_of_two_families_sees_each_in_its_own_section(app: Flask, sign_in_as: SignInAs, rivers: FamilyInfo,
                                                              brooks: FamilyInfo, make: Factory) -> None:
    nan = rivers.viewers[0]
    with app.app_context():
        db.session.add(Membership(family_id=brooks.id, user_id=nan.id, kind=MemberKind.VIEWER, relation="Friend"))
        db.session.commit()
    make.moment(rivers, rivers.carers[0], "Rivers shared", kinds=["playing"], visibility=Visibility.FAMILY)
    make.moments(brooks, [MomentSpec(brooks.carers[0], f"Brooks shared {i}", kinds=["comforting"],
                                     visibility=Visibility.FAMILY) for i in range(3)])
    make.moment(brooks, brooks.carers[0], "Brooks therapy only", visibility=Visibility.THERAPIST)
    sections = viewer_summary(sign_in_as(nan).get("/overview").get_data(as_text=True))
    by_family = {("Rivers" if "The Rivers family" in section else "Brooks"): page_text_of(section) for section in sections}
    assert "noticed 1 moment." in by_family["Rivers"] and "Brooks shared" not in by_family["Rivers"]
    assert "noticed 3 moments. Most often: Comforting." in by_family["Brooks"]
    assert "Brooks therapy only" not in by_family["Brooks"] and "Robin" not in by_family["Brooks"]


def test_a_long_period_keeps_its_charts_small() -> None:
    rows = [WeeklyCounts(f"kind-{kind}", f"Kind number {kind}", tuple((week * kind) % 4 for week in range(60)))
            for kind in range(9)]
    chart = weekly_bars("family-1-kinds", "Moments noticed by kind", "Description", [f"{w} Jan" for w in range(60)], rows)
    assert len(chart.encode()) < 40_000  # a cheap phone on a slow connection (and the page is compressed)
    ET.fromstring(chart)


def test_the_demo_shows_a_gentle_trend_over_six_weeks(app: Flask) -> None:
    """`make run`'s Rivers family: more playing together and more Mum-and-Ava time on their own as
    the weeks go by, Mum's check-ins rising from "A bit" to "Quite a lot", and enough for Nan."""
    assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code == 0
    with app.test_request_context():
        people = {user.email: user for user in db.session.scalars(select(User))}
        rivers = db.session.scalars(select(Family).where(Family.display_name == "Rivers")).one()
        jess = family_access(people["mum@example.org"], rivers.id, MemberKind.CARER)
        page = progress(jess, rivers, choose_period("since-start", jess, rivers, FamilySessions.of(rivers)))
        weeks = len(page.summary.period.weeks)
        half = weeks // 2
        by_label = {row.label: row.counts for row in page.summary.kinds + page.summary.together}

        def early_and_late(label: str) -> tuple[int, int]:
            return sum(by_label[label][:half]), sum(by_label[label][half:])

        assert weeks >= 6
        early, late = early_and_late("Playing together")
        assert late > early + 2
        early, late = early_and_late("Jess with Ava")
        assert late > early + 2
        early, late = early_and_late("Jess and Tom with Ava")
        assert late < early
        confident = next(series for series in page.check_ins if series.question.key == "confident"
                         and series.carer.email == "mum@example.org")
        assert [point.step for point in confident.points] == [2, 2, 4]  # "A bit", "A bit", "Quite a lot"
        assert page.highlights
        nan = family_access(people["nan@example.org"], rivers.id, MemberKind.VIEWER)
        assert viewer_overview(nan, rivers).summary.moments_noticed >= 5
