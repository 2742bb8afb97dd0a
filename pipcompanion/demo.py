"""Demo data for `make run`: two families, a therapist and an admin. Never used in production."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from .extensions import db
from .models import Baby, CaseloadAssignment, Family, MemberKind, Membership, Role, User
from .services.passwords import hash_password
from .services.settings import service_settings

DEMO_PASSWORD = "demo-pass-2468"

DEMO_CRISIS_CONTACTS = """If you or your baby are in danger now, call 999.
NHS 111 (press 2 for mental health crisis support), any time.
Samaritans: 116 123, free, any time.
PANDAS (perinatal mental health) helpline: 0808 1961 776."""


def demo_sign_ins() -> list[tuple[str, str]]:
    return [
        ("admin@example.org", "admin"),
        ("therapist@example.org", "therapist Sam (both families)"),
        ("mum@example.org", "carer, Mum in the Rivers family (baby Ava)"),
        ("dad@example.org", "carer, Dad in the Rivers family"),
        ("nan@example.org", "viewer, Nan in the Rivers family"),
        ("carer@example.org", "carer, Mum in the Brooks family (baby Leo)"),
    ]


def load_demo_data() -> bool:
    """Create the demo accounts and families; False (and nothing changed) when any user exists."""
    if db.session.scalar(select(func.count(User.id))):
        return False
    password_hash = hash_password(DEMO_PASSWORD)

    def person(email: str, name: str, role: Role) -> User:
        user = User(email=email, name=name, role=role, password_hash=password_hash, locale="en")
        db.session.add(user)
        return user

    settings = service_settings()
    settings.service_name = "Riverside PIP"
    settings.crisis_contacts = DEMO_CRISIS_CONTACTS

    person("admin@example.org", "Alex (service lead)", Role.ADMIN)
    sam = person("therapist@example.org", "Sam", Role.THERAPIST)
    rivers = Family(display_name="Rivers", babies=[Baby(name="Ava", date_of_birth=date(2026, 6, 2))])
    brooks = Family(display_name="Brooks", babies=[Baby(name="Leo")])
    db.session.add_all([rivers, brooks])
    for email, name, role, family, relation in [
        ("mum@example.org", "Jess", Role.CARER, rivers, "Mum"),
        ("dad@example.org", "Tom", Role.CARER, rivers, "Dad"),
        ("nan@example.org", "Maureen", Role.VIEWER, rivers, "Nan"),
        ("carer@example.org", "Priya", Role.CARER, brooks, "Mum"),
    ]:
        kind = MemberKind.CARER if role is Role.CARER else MemberKind.VIEWER
        family.memberships.append(
            Membership(user=person(email, name, role), kind=kind, relation=relation)
        )
    db.session.flush()
    for family in (rivers, brooks):
        db.session.add(CaseloadAssignment(therapist_id=sam.id, family_id=family.id))
    db.session.commit()
    return True
