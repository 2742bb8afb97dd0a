"""Demo data for `make run`: two families, a therapist and an admin. Never used in production."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .extensions import db
from .models import (
    Baby,
    CaseloadAssignment,
    Family,
    Focus,
    MemberKind,
    Membership,
    Moment,
    Reflection,
    Role,
    TherapySession,
    User,
    Visibility,
    utcnow,
)
from .models.moments import MomentLinks, write_moment_links
from .services.kinds import all_kinds
from .services.passwords import hash_password
from .services.settings import service_settings, today_for_service

DEMO_PASSWORD = "demo-pass-2468"
# The demo therapist's and admin's authenticator key (two-step sign-in): the well-known example key,
# printed by `make run` and listed in the README. Development data only.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"

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
        if user.is_staff:  # staff always sign in in two steps
            user.totp_secret, user.two_factor_since = DEMO_TOTP_SECRET, utcnow()
        db.session.add(user)
        return user

    settings = service_settings()
    settings.service_name = "Riverside PIP"
    settings.crisis_contacts = DEMO_CRISIS_CONTACTS

    person("admin@example.org", "Alex (service lead)", Role.ADMIN)
    sam = person("therapist@example.org", "Sam", Role.THERAPIST)
    # About six months old whenever the demo is loaded (a fixed date would age out of the rules).
    born = today_for_service() - timedelta(weeks=26)
    rivers = Family(display_name="Rivers", babies=[Baby(name="Ava", date_of_birth=born)])
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
    _demo_moments(rivers, brooks, sam)
    return True


# (days ago, time, who, kinds, text, feeling, visibility, Sam's reflection, pinned)
RIVERS_MOMENTS = [
    (20, "07:40", "Mum", ["close"], "Ava fell asleep on my chest after her feed. I just stayed there and felt her breathing.", 3, "therapist", "You let yourself stay with her. She felt safe enough to sleep on you.", False),
    (19, "16:10", "Dad", ["playing"], "Peekaboo with the muslin. She laughed for the first time at me!", 5, "therapist", None, False),
    (18, "02:30", "Mum", ["comforting"], "Night feed. She was crying hard and I rocked her until she calmed. I didn't think I could, but I did.", 2, "therapist", "You comforted her, and she used you as her safe base. That is exactly it.", True),
    (17, "11:00", "Mum", [], "Felt very low this morning. Writing it here just for me.", 1, "private", None, False),
    (16, "18:20", "Dad", ["care-time"], "Bath time. She kicked and splashed and kept looking at my face.", 4, "family", None, False),
    (15, "10:15", "Mum", ["noticing"], "She was rubbing her eyes and I knew she was tired before she cried.", 3, "therapist", "You read her signals early. She is learning that you understand her.", False),
    (14, "15:45", "Mum", ["talking"], "Sang 'You are my sunshine' while changing her. She went quiet and watched my mouth.", 4, "family", None, False),
    (12, "09:30", "Mum", ["came-to-me"], "Nan was holding her and she turned and reached for me.", 4, "therapist", "She reached for you. You are her person.", True),
    (11, "20:00", "Dad", ["comforting", "close"], "She settled on my shoulder after a long cry. We swayed by the window.", 3, "therapist", None, False),
    (10, "13:20", "Mum", ["new-thing"], "Took her to the baby group on my own. Scary, but we stayed for the whole song time.", 3, "therapist", "You tried something new together, and you both managed it.", False),
    (9, "08:05", "Mum", [], "Did not want to get up today. Dad did the morning. I want to remember I still fed her.", 2, "private", None, False),
    (8, "17:30", "Mum", ["playing"], "Tummy time on the rug. I lay down next to her and she lifted her head to look at me.", 4, "family", None, False),
    (7, "11:40", "Dad", ["talking"], "Read her the farm book. She grabbed the page with the cow.", 4, "family", None, False),
    (6, "14:00", "Mum", ["close"], "Long cuddle on the sofa after the health visitor left. Just us.", 4, "therapist", "Time just for the two of you. She will remember how that feels.", False),
    (5, "03:10", "Mum", ["comforting", "noticing"], "She woke crying and I could tell it was wind, not hunger. Rubbed her back and she burped and smiled.", 4, "therapist", None, True),
    (4, "16:50", "Dad", ["care-time"], "Gave her the bottle and she held my finger the whole time.", 4, "therapist", None, False),
    (3, "10:30", "Mum", ["playing", "talking"], "We had a 'conversation': I said something, she cooed back, again and again.", 5, "therapist", "A real conversation. You waited for her turn, and she took it.", False),
    (2, "19:15", "Mum", ["came-to-me"], "Dad was holding her but she cried until I took her, then she calmed.", 5, "therapist", None, False),
    (1, "09:00", "Mum", ["new-thing"], "Pushed the pram to the park by myself. She watched the trees the whole way.", 4, "family", None, False),
    (0, "07:20", "Dad", ["close"], "Morning snuggles in our bed, all three of us.", 5, "therapist", None, False),
]

BROOKS_MOMENTS = [
    (3, "12:00", "Mum", ["care-time"], "Leo finished his whole feed and looked up at me at the end.", 4, "therapist", None, False),
    (1, "18:30", "Mum", ["playing"], "Leo grabbed the rattle I was shaking. So proud of him.", 4, "therapist", None, False),
]


def _demo_moments(rivers: Family, brooks: Family, sam: User) -> None:
    """About three weeks of Rivers moments with sessions, reflections, pins and a focus."""
    zone = ZoneInfo(service_settings().timezone)
    today = today_for_service()
    now = utcnow()
    kinds = {kind.key: kind.id for kind in all_kinds()}

    def local(days_ago: int, clock: str) -> datetime:
        hours, minutes = (int(part) for part in clock.split(":"))
        moment_time = datetime.combine(today - timedelta(days=days_ago), time(hours, minutes), zone)
        return min(moment_time.astimezone(ZoneInfo("UTC")), now - timedelta(minutes=5))

    links: list[MomentLinks] = []
    for family, moments in ((rivers, RIVERS_MOMENTS), (brooks, BROOKS_MOMENTS)):
        carers = {m.relation: m.user for m in family.memberships if m.kind is MemberKind.CARER}
        for days_ago, clock, who, kind_keys, text, feeling, visibility, reflection, pinned in moments:
            occurred = local(days_ago, clock)
            moment = Moment(
                family_id=family.id, author_id=carers[who].id, client_id=str(uuid.uuid4()),
                occurred_at=occurred, text=text, feeling=feeling, visibility=Visibility(visibility),
                created_at=occurred, updated_at=occurred,
                pinned_at=occurred if pinned else None, pinned_by_id=sam.id if pinned else None,
            )
            db.session.add(moment)
            db.session.flush()
            links.append(MomentLinks(moment.id, kind_ids=[kinds[key] for key in kind_keys],
                                     carer_ids=[carers[who].id], baby_ids=[family.babies[0].id]))
            if reflection:
                db.session.add(Reflection(moment_id=moment.id, family_id=family.id, author_id=sam.id, text=reflection,
                                          created_at=occurred + timedelta(hours=20), updated_at=occurred + timedelta(hours=20)))
    write_moment_links(db.session, links)
    # Two past sessions (13 and 6 days ago) and the next one tomorrow, at 10 in the morning.
    for days_from_today in (-13, -6, 1):
        starts = datetime.combine(today + timedelta(days=days_from_today), time(10, 0), zone)
        db.session.add(TherapySession(family_id=rivers.id, starts_at=starts, created_by_id=sam.id))
    db.session.add(Focus(family_id=rivers.id, set_by_id=sam.id, created_at=now - timedelta(days=13),
                         text="Notice the moments when Ava looks for you."))
    db.session.add(Focus(family_id=rivers.id, set_by_id=sam.id, created_at=now - timedelta(days=6),
                         text="This week, notice when she settles because you are there."))
    db.session.commit()
