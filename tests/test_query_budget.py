"""SQL statements per page stay fixed as a family's moments grow (no N+1), and small."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from pipcompanion.extensions import db
from pipcompanion.models import Family, Moment, User, utcnow
from pipcompanion.services.check_ins import asked_questions, record_check_in

from .conftest import CountQueries, Factory
from .helpers import FamilyInfo, MakeClient, sign_in

# The therapist's timeline is the largest: its read goes on the audit record (an INSERT) before the
# page is read. Its first view in a minute also moves the therapist's "last looked" mark on the
# caseload (an UPDATE by key, one statement more): the warm-up visit below makes that one.
# The carer's home with a check-in due reads whether one is due (one statement) and the family's
# therapists to name in the offer (one more); the session view reads the carers' check-ins with
# their answers and carers (one): each a constant, whatever the family's size.
MAX_STATEMENTS = 10
# Preparing a session gathers the most on one page: the pins and what waits for a reflection (one
# statement each), their cards (links, reflections), the family's people, the focus, the sessions
# and the carers' check-ins, after the read on the audit record: each a constant.
MAX_STATEMENTS_OF = {"therapist session preparation": 12}
PAGES = {
    "carer home": ("carer", "/home"),
    "carer timeline": ("carer", "/families/{family}/timeline"),
    "viewer timeline": ("viewer", "/families/{family}/timeline"),
    "therapist caseload": ("therapist", "/caseload"),
    "therapist family timeline": ("therapist", "/families/{family}/timeline"),
    "therapist session view": ("therapist", "/families/{family}/session"),
    "therapist session preparation": ("therapist", "/families/{family}/prepare"),
    # A memory book reads the period's moments in one statement, their cards in two and their photos
    # in one (9; the therapist's 10 with the read on record).
    "carer memory book": ("carer", "/families/{family}/memory-book/book?reflections=1&mine=1"),
    "therapist memory book": ("therapist", "/families/{family}/memory-book/book?reflections=1"),
    "carer memory book download": ("carer", "/families/{family}/memory-book/download?reflections=1&mine=1"),
}


def statements_for(client: FlaskClient, path: str, count_queries: CountQueries) -> int:
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


@pytest.mark.parametrize("page", list(PAGES))
def test_statements_per_page_do_not_grow_with_moments(app: Flask, rivers: FamilyInfo, make: Factory, make_client: MakeClient,
                                                      count_queries: CountQueries, page: str) -> None:
    make.family("Brooks", therapist=rivers.therapist)  # a second family on the caseload
    make.session(rivers, utcnow() - timedelta(days=3))
    make.session(rivers, utcnow() + timedelta(days=4))
    make.check_in(rivers, rivers.carers[0], [4, None, 5], at=utcnow() - timedelta(days=20))
    make.check_in(rivers, rivers.carers[1], [3, 3, 2], at=utcnow() - timedelta(days=30))
    role, path_template = PAGES[page]
    person = {"carer": rivers.carers[0], "viewer": rivers.viewers[0], "therapist": rivers.therapist}[role]
    client = make_client()
    sign_in(client, person)
    path = path_template.format(family=rivers.id)

    # Photos on moments (three on some) add no statement per moment: their addresses come with the
    # cards' links, and a memory book reads all its photos' bytes in one statement.
    make.photos(make.many_moments(rivers, 1), per_moment=3)
    client.get(path)  # first visit creates the default kinds and settings rows
    with_one = statements_for(client, path, count_queries)
    ids = make.many_moments(rivers, 999)
    make.photos(ids[:12], per_moment=3)
    make.photos(ids[12:60])
    with_thousand = statements_for(client, path, count_queries)

    assert with_one == with_thousand, f"{page}: {with_one} statements with 1 moment, {with_thousand} with 1,000"
    assert with_thousand <= MAX_STATEMENTS_OF.get(page, MAX_STATEMENTS), f"{page}: {with_thousand} statements"


# The progress pages read the period's moments and their links once, whatever the period's length:
# weeks are made in Python. The therapist's is the largest: the audit INSERT, the sessions, the
# carers, the moments and their links, the check-ins and their carers, and the highlights' cards.
PROGRESS_STATEMENTS = 13
PROGRESS_PAGES = {
    "carer progress": ("carer", "/families/{family}/progress?period=since-start"),
    "therapist progress": ("therapist", "/families/{family}/progress?period=since-start"),
    "viewer progress": ("viewer", "/families/{family}/progress?period=since-start"),
    "viewer home": ("viewer", "/overview"),
}


@pytest.mark.parametrize("page", list(PROGRESS_PAGES))
def test_progress_pages_read_a_fixed_number_of_statements(app: Flask, rivers: FamilyInfo, make: Factory,
                                                          make_client: MakeClient, count_queries: CountQueries,
                                                          page: str) -> None:
    make.session(rivers, utcnow() - timedelta(days=200))  # since therapy began: thirty weeks and more
    make.session(rivers, utcnow() - timedelta(days=3))
    role, path_template = PROGRESS_PAGES[page]
    person = {"carer": rivers.carers[0], "viewer": rivers.viewers[0], "therapist": rivers.therapist}[role]
    client = make_client()
    sign_in(client, person)
    path = path_template.format(family=rivers.id)

    with app.test_request_context():  # Mum has checked in (the therapist and she see it)
        mum = db.session.get_one(User, rivers.carers[0].id)
        family = db.session.get_one(Family, rivers.id)
        record_check_in(mum, family, {question.id: 4 for question in asked_questions()},
                        now=utcnow() - timedelta(days=10))
    make.many_moments(rivers, 3)
    client.get(path)  # first visit creates the default kinds, questions and settings rows
    with_three = statements_for(client, path, count_queries)
    ids = make.many_moments(rivers, 997)
    with app.app_context():  # spread over the weeks since therapy began, not all in the last days
        for index, moment_id in enumerate(ids):
            db.session.execute(update(Moment).where(Moment.id == moment_id)
                               .values(occurred_at=utcnow() - timedelta(hours=5 * index + 1)))
        db.session.commit()
    with_thousand = statements_for(client, path, count_queries)

    assert with_three == with_thousand, f"{page}: {with_three} statements with 3 moments, {with_thousand} with 1,000"
    assert with_thousand <= PROGRESS_STATEMENTS, f"{page}: {with_thousand} statements"
