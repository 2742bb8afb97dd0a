"""Check-ins in a real browser, on a 360×740 phone: a carer finds the offer on her home, answers
some of the questions (or says "not this time"), and the offer is gone until the next is due.
Found by roles and labels, as a person (and a screen reader) finds them.
"""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pipcompanion.extensions import db
from pipcompanion.models import CheckIn

from ..helpers import FamilyInfo, Person
from .pages import expect_announced, heading, path_of, sign_in

OFFER = "A check-in, if you'd like"
QUESTIONS = ["How confident do I feel looking after Ava?", "How much am I enjoying time with Ava?",
             "How well do I understand what Ava needs?"]


def check_ins_of(app: Flask, carer: Person) -> list[list[tuple[int, int]]]:
    """The carer's check-ins as the server keeps them, oldest first: (question position, step) pairs."""
    with app.app_context():
        kept = db.session.scalars(select(CheckIn).where(CheckIn.carer_id == carer.id).order_by(CheckIn.id)).all()
        return [sorted((answer.question.position, answer.step) for answer in check_in.answers) for check_in in kept]


def offer(page: Page) -> None:
    expect(page.get_by_role("heading", name=OFFER, level=2)).to_be_visible()


def test_a_carer_answers_two_of_three_questions_and_the_offer_goes(app: Flask, rivers: FamilyInfo, phone: Page) -> None:
    sign_in(phone, rivers.carers[0])
    offer(phone)
    expect(phone.get_by_text("Just three short questions to think about with Sam.")).to_be_visible()
    phone.get_by_role("link", name="Start the check-in").tap()
    expect(heading(phone, "A check-in")).to_be_visible()
    expect(phone.get_by_text("It is not a test or a clinical measure", exact=False)).to_be_visible()
    expect(phone.get_by_text("Only you and Sam, your therapist, see your answers.", exact=False)).to_be_visible()

    groups = [phone.get_by_role("group", name=question) for question in QUESTIONS]
    for group in groups:
        expect(group.get_by_role("radio")).to_have_count(5)
        for radio in group.get_by_role("radio").all():
            expect(radio).not_to_be_checked()
    groups[0].get_by_label("Quite a lot").check()
    groups[2].get_by_label("A bit").check()
    phone.get_by_role("button", name="Save my check-in").tap()

    phone.wait_for_url("**/home")
    expect_announced(phone, "Thank you for checking in.")
    expect(phone.get_by_role("heading", name=OFFER)).to_have_count(0)
    assert check_ins_of(app, rivers.carers[0]) == [[(0, 4), (2, 2)]]

    # Her answers are there for her, in words, on the check-in page.
    phone.goto(f"/families/{rivers.id}/check-in")
    earlier = phone.get_by_role("region", name="Your earlier check-ins")
    expect(earlier).to_contain_text(f"{QUESTIONS[0]}Quite a lot")
    expect(earlier).to_contain_text(f"{QUESTIONS[2]}A bit")
    expect(earlier).not_to_contain_text(QUESTIONS[1])


def test_not_this_time_hides_the_offer(app: Flask, rivers: FamilyInfo, phone: Page) -> None:
    sign_in(phone, rivers.carers[0])
    offer(phone)
    phone.get_by_role("button", name="Not this time").tap()
    expect_announced(phone, "That's fine: not this time.")
    assert path_of(phone) == "/home"
    expect(phone.get_by_role("heading", name=OFFER)).to_have_count(0)
    phone.reload()
    expect(phone.get_by_role("heading", name="Reflected back")).to_be_visible()
    expect(phone.get_by_role("heading", name=OFFER)).to_have_count(0)
    assert check_ins_of(app, rivers.carers[0]) == [[]]
