"""Every moment says who can see it, naming the people, told to the person reading (issue 12):
"You, Dad and Sam can see this", "…, and also Nan", "Only you can see this". Viewers are told the
therapist's name only when the carers chose to show it."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import update

from pipcompanion.extensions import db
from pipcompanion.models import Family, Visibility

from .conftest import Factory
from .helpers import FamilyInfo, Person, SignInAs, page_text


def timeline_of(sign_in_as: SignInAs, family: FamilyInfo, reader: Person) -> str:
    return page_text(sign_in_as(reader).get(f"/families/{family.id}/timeline"))


@pytest.mark.parametrize(("reader", "visibility", "told"), [
    ("mum", Visibility.PRIVATE, "Only you can see this"),
    ("mum", Visibility.THERAPIST, "You, Dad and Sam can see this"),
    ("dad", Visibility.THERAPIST, "You, Mum and Sam can see this"),
    ("sam", Visibility.THERAPIST, "You, Mum and Dad can see this"),
    ("mum", Visibility.FAMILY, "You, Dad and Sam can see this, and also Nan"),
    ("sam", Visibility.FAMILY, "You, Mum and Dad can see this, and also Nan"),
    ("nan", Visibility.FAMILY, "You, Mum, Dad and the family's therapist can see this"),
])
def test_each_reader_is_told_who_can_see_the_moment(rivers: FamilyInfo, make: Factory, sign_in_as: SignInAs,
                                                    reader: str, visibility: Visibility, told: str) -> None:
    make.moment(rivers, rivers.carers[0], "Her first roll", visibility=visibility)
    person = {"mum": rivers.carers[0], "dad": rivers.carers[1], "sam": rivers.therapist, "nan": rivers.viewers[0]}[reader]

    page = timeline_of(sign_in_as, rivers, person)

    assert "Her first roll" in page and told in page


def test_a_viewer_is_told_the_therapists_name_once_the_carers_show_it(app: Flask, rivers: FamilyInfo, make: Factory,
                                                                      sign_in_as: SignInAs) -> None:
    make.moment(rivers, rivers.carers[0], "Her first roll", visibility=Visibility.FAMILY)
    with app.app_context():
        db.session.execute(update(Family).where(Family.id == rivers.id).values(viewers_see_therapist=True))
        db.session.commit()

    page = timeline_of(sign_in_as, rivers, rivers.viewers[0])

    assert "You, Mum, Dad and Sam can see this" in page


def test_a_carer_with_nobody_else_yet_is_told_so(make: Factory, sign_in_as: SignInAs) -> None:
    alone = make.family("Alone", therapist=None, carers=("Mum",), viewers=())
    make.moment(alone, alone.carers[0], "Just us", visibility=Visibility.FAMILY)

    page = timeline_of(sign_in_as, alone, alone.carers[0])

    assert "You can see this, and family and friends you invite" in page


def test_nans_home_says_who_can_see_each_moment_shared_with_her(rivers: FamilyInfo, make: Factory,
                                                                sign_in_as: SignInAs) -> None:
    make.moment(rivers, rivers.carers[0], "Her first roll", visibility=Visibility.FAMILY)

    home = page_text(sign_in_as(rivers.viewers[0]).get("/overview"))

    assert "Her first roll" in home and "You, Mum, Dad and the family's therapist can see this" in home
