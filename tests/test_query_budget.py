"""SQL statements per page stay fixed as a family's moments grow (no N+1), and small."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from pipcompanion.extensions import db
from pipcompanion.models import Moment, MomentKind, Reflection, TherapySession, Visibility, utcnow
from pipcompanion.models.moments import moment_babies, moment_carers, moment_kind_links
from pipcompanion.services.kinds import all_kinds

from .helpers import sign_in

# The therapist's timeline is the largest: its read goes on the audit record and moves their
# "last looked" mark on the caseload (an INSERT and an UPDATE by key) before the page is read.
MAX_STATEMENTS = 11
PAGES = {
    "carer home": ("carer", "/home"),
    "carer timeline": ("carer", "/families/{family}/timeline"),
    "viewer timeline": ("viewer", "/families/{family}/timeline"),
    "therapist caseload": ("therapist", "/caseload"),
    "therapist family timeline": ("therapist", "/families/{family}/timeline"),
    "therapist session view": ("therapist", "/families/{family}/session"),
}


def add_moments(app, family, count: int) -> None:  # type: ignore[no-untyped-def]
    """Bulk-insert `count` moments by the family's carers, a mix of kinds, visibilities and reflections."""
    now = utcnow()
    visibilities = [Visibility.FAMILY, Visibility.THERAPIST, Visibility.PRIVATE]
    with app.test_request_context():
        kind_ids = [kind.id for kind in all_kinds()]
        start = db.session.scalar(select(db.func.count(Moment.id))) or 0
        rows = [
            {
                "family_id": family.id,
                "author_id": family.carers[i % len(family.carers)].id,
                "client_id": str(uuid.uuid4()),
                "occurred_at": now - timedelta(minutes=30 * (i + 1)),
                "text": f"Moment number {start + i}",
                "feeling": 1 + i % 5,
                "visibility": visibilities[i % 3],
                "pinned_at": now if i % 50 == 0 else None,
                "created_at": now - timedelta(minutes=30 * (i + 1)),
                "updated_at": now,
            }
            for i in range(count)
        ]
        db.session.execute(insert(Moment), rows)
        ids = list(db.session.scalars(select(Moment.id).where(Moment.family_id == family.id).order_by(Moment.id)))
        new_ids = ids[-count:]
        db.session.execute(insert(moment_kind_links), [{"moment_id": m, "kind_id": kind_ids[m % len(kind_ids)]} for m in new_ids])
        db.session.execute(insert(moment_carers), [{"moment_id": m, "user_id": family.carers[0].id} for m in new_ids])
        db.session.execute(insert(moment_babies), [{"moment_id": m, "baby_id": family.baby_id} for m in new_ids])
        assert family.therapist is not None
        db.session.execute(insert(Reflection), [
            {"moment_id": m, "family_id": family.id, "author_id": family.therapist.id, "text": "You noticed.",
             "created_at": now, "updated_at": now}
            for m in new_ids[::3]
        ])
        db.session.add(TherapySession(family_id=family.id, starts_at=now - timedelta(days=3)))
        db.session.add(TherapySession(family_id=family.id, starts_at=now + timedelta(days=4)))
        db.session.commit()
        assert db.session.scalar(select(db.func.count(MomentKind.id))) >= 1


def statements_for(client, path: str, count_queries) -> int:  # type: ignore[no-untyped-def]
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


@pytest.mark.parametrize("page", list(PAGES))
def test_statements_per_page_do_not_grow_with_moments(app, make, make_client, count_queries, page):  # type: ignore[no-untyped-def]
    family = make.family("Rivers", carers=("Mum", "Dad"), viewers=("Nan",))
    make.family("Brooks", therapist=family.therapist)  # a second family on the caseload
    role, path_template = PAGES[page]
    person = {"carer": family.carers[0], "viewer": family.viewers[0], "therapist": family.therapist}[role]
    client = make_client()
    sign_in(client, person)
    path = path_template.format(family=family.id)

    add_moments(app, family, 1)
    client.get(path)  # first visit creates the default kinds and settings rows
    with_one = statements_for(client, path, count_queries)
    add_moments(app, family, 999)
    with_thousand = statements_for(client, path, count_queries)

    assert with_one == with_thousand, f"{page}: {with_one} statements with 1 moment, {with_thousand} with 1,000"
    assert with_thousand <= MAX_STATEMENTS, f"{page}: {with_thousand} statements"
