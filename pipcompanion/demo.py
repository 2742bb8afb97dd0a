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
    CheckIn,
    CheckInAnswer,
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
from .services.check_ins import asked_questions
from .services.kinds import all_kinds
from .services.passwords import hash_password
from .services.privacy import add_agreement, current_notice
from .services.settings import service_settings, today_here

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
    notice = current_notice()  # before anything is added: made (and committed) here if need be

    def person(email: str, name: str, role: Role) -> User:
        user = User(email=email, name=name, role=role, password_hash=password_hash, locale="en")
        if user.is_staff:  # staff always sign in in two steps
            user.totp_secret, user.two_factor_since = DEMO_TOTP_SECRET, utcnow()
        db.session.add(user)
        return user

    settings = service_settings()
    settings.service_name = "Riverside PIP"
    settings.crisis_contacts = DEMO_CRISIS_CONTACTS
    # 020 7946 0xxx is set aside by Ofcom for drama: nobody's real number.
    settings.team_name, settings.team_phone = "Riverside Parent-Infant Team", "020 7946 0000"
    settings.team_hours = "Monday to Friday, 9am to 5pm"

    person("admin@example.org", "Alex (service lead)", Role.ADMIN)
    sam = person("therapist@example.org", "Sam", Role.THERAPIST)
    # About six months old whenever the demo is loaded (a fixed date would age out of the rules).
    born = today_here() - timedelta(weeks=26)
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
    # Everyone in the demo has agreed to the privacy notice, so `make run` signs straight in.
    for user in db.session.scalars(select(User)):
        add_agreement(user, notice)
    db.session.commit()
    _demo_moments(rivers, brooks, sam)
    return True


# (days ago, time, who noted it, who was there with Ava, kinds, text, feeling, visibility, Sam's reflection,
# pinned). Six weeks with a gentle trend, as the therapy hopes: more playing together, and more
# time for Mum and Ava on their own while Dad steps back a little.
RIVERS_MOMENTS = [
    (41, "18:00", "Dad", "both", ["care-time"], "First bath together, all three of us. Ava was not sure about the water.", 3, "family", None, False),
    (40, "03:20", "Mum", "Mum", ["comforting"], "Long night. Tom took over at 3. I held her for a bit first.", 2, "therapist", "You held her first, even when you were so tired.", False),
    (38, "12:30", "Dad", "Dad", ["care-time"], "Did the lunchtime bottle so Jess could sleep.", 4, "therapist", None, False),
    (36, "16:00", "Mum", "both", ["close"], "Skin to skin on the sofa with Tom next to us.", 3, "family", None, False),
    (34, "10:00", "Dad", "both", ["playing"], "Ava watched the mobile while we both talked to her.", 4, "family", None, False),
    (33, "21:10", "Mum", "Mum", [], "Cried after she went down. I don't feel like I know what I'm doing.", 1, "private", None, False),
    (31, "09:15", "Mum", "both", ["talking"], "Tom read and I sang. She kicked her legs at the song.", 3, "therapist", None, False),
    (29, "14:40", "Dad", "Dad", ["comforting"], "Walked her round the garden until she settled.", 4, "therapist", None, False),
    (27, "11:30", "Mum", "Mum", ["noticing"], "I saw her turn away from the bottle and gave her a break. She came back to it.", 3, "therapist", "You let her set the pace, and she came back to you.", False),
    (26, "17:45", "Mum", "both", ["playing"], "She grabbed my hair and I pretended to be surprised. She did it again.", 4, "family", None, False),
    (24, "08:30", "Dad", "Dad", ["care-time"], "Morning nappy and a song before work.", 4, "family", None, False),
    (23, "15:20", "Mum", "Mum", ["playing"], "Rolled a ball towards her on the mat. She watched it all the way.", 3, "family", None, False),
    (22, "19:00", "Mum", "both", ["close"], "Fell asleep between us on the bed.", 4, "therapist", None, False),
    (20, "07:40", "Mum", "Mum", ["close"], "Ava fell asleep on my chest after her feed. I just stayed there and felt her breathing.", 3, "therapist", "You let yourself stay with her. She felt safe enough to sleep on you.", False),
    (19, "16:10", "Dad", "Dad", ["playing"], "Peekaboo with the muslin. She laughed for the first time at me!", 5, "therapist", None, False),
    (18, "02:30", "Mum", "Mum", ["comforting"], "Night feed. She was crying hard and I rocked her until she calmed. I didn't think I could, but I did.", 2, "therapist", "You comforted her, and she used you as her safe base. That is exactly it.", True),
    (17, "11:00", "Mum", "Mum", [], "Felt very low this morning. Writing it here just for me.", 1, "private", None, False),
    (16, "18:20", "Dad", "both", ["care-time"], "Bath time. She kicked and splashed and kept looking at my face.", 4, "family", None, False),
    (15, "10:15", "Mum", "Mum", ["noticing"], "She was rubbing her eyes and I knew she was tired before she cried.", 3, "therapist", "You read her signals early. She is learning that you understand her.", False),
    (14, "15:45", "Mum", "Mum", ["talking", "playing"], "Sang 'You are my sunshine' while changing her. She went quiet and watched my mouth.", 4, "family", None, False),
    (13, "17:10", "Mum", "Mum", ["playing"], "Splashing in the bath, just the two of us. She smacked the water and laughed.", 4, "family", None, False),
    (12, "09:30", "Mum", "Mum", ["came-to-me"], "Nan was holding her and she turned and reached for me.", 4, "therapist", "She reached for you. You are her person.", True),
    (11, "20:00", "Dad", "Dad", ["comforting", "close"], "She settled on my shoulder after a long cry. We swayed by the window.", 3, "therapist", None, False),
    (10, "13:20", "Mum", "Mum", ["new-thing", "playing"], "Took her to the baby group on my own. Scary, but we stayed for the whole song time.", 3, "therapist", "You tried something new together, and you both managed it.", False),
    (9, "08:05", "Mum", "Mum", [], "Did not want to get up today. Dad did the morning. I want to remember I still fed her.", 2, "private", None, False),
    (8, "17:30", "Mum", "Mum", ["playing"], "Tummy time on the rug. I lay down next to her and she lifted her head to look at me.", 4, "family", None, False),
    (7, "11:40", "Dad", "Dad", ["talking"], "Read her the farm book. She grabbed the page with the cow.", 4, "family", None, False),
    (6, "14:00", "Mum", "Mum", ["close"], "Long cuddle on the sofa after the health visitor left. Just us.", 4, "therapist", "Time just for the two of you. She will remember how that feels.", False),
    (5, "03:10", "Mum", "Mum", ["comforting", "noticing"], "She woke crying and I could tell it was wind, not hunger. Rubbed her back and she burped and smiled.", 4, "therapist", None, True),
    (4, "16:50", "Mum", "Mum", ["playing"], "Blew raspberries on her tummy. She giggled and grabbed my nose.", 5, "family", None, False),
    (3, "10:30", "Mum", "Mum", ["playing", "talking"], "We had a 'conversation': I said something, she cooed back, again and again.", 5, "therapist", "A real conversation. You waited for her turn, and she took it.", False),
    (2, "19:15", "Mum", "both", ["came-to-me"], "Tom was holding her but she cried until I took her, then she calmed.", 5, "therapist", None, False),
    (1, "09:00", "Mum", "Mum", ["new-thing", "playing"], "Pushed the pram to the park by myself and we played on the swings. She watched the trees the whole way.", 4, "family", None, False),
    (0, "07:20", "Dad", "both", ["close"], "Morning snuggles in our bed, all three of us.", 5, "therapist", None, False),
]

# Check-ins: (days ago, who, {question key: step}). Mum's move from "A bit" to "Quite a lot"; Dad has
# one from a month ago, so his home offers him the next.
RIVERS_CHECK_INS = [
    (40, "Mum", {"confident": 2, "enjoying": 2, "understanding": 2}),
    (26, "Mum", {"confident": 2, "enjoying": 3, "understanding": 3}),
    (33, "Dad", {"confident": 4, "enjoying": 4, "understanding": 3}),
    (12, "Mum", {"confident": 4, "enjoying": 4, "understanding": 3}),
]

BROOKS_MOMENTS = [
    (3, "12:00", "Mum", "Mum", ["care-time"], "Leo finished his whole feed and looked up at me at the end.", 4, "therapist", None, False),
    (1, "18:30", "Mum", "Mum", ["playing"], "Leo grabbed the rattle I was shaking. So proud of him.", 4, "therapist", None, False),
]


def _demo_moments(rivers: Family, brooks: Family, sam: User) -> None:
    """Six weeks of Rivers moments with weekly sessions, reflections, pins, focuses and check-ins."""
    zone = ZoneInfo(service_settings().timezone)
    today = today_here()
    now = utcnow()
    kinds = {kind.key: kind.id for kind in all_kinds()}

    def local(days_ago: int, clock: str) -> datetime:
        hours, minutes = (int(part) for part in clock.split(":"))
        moment_time = datetime.combine(today - timedelta(days=days_ago), time(hours, minutes), zone)
        return min(moment_time.astimezone(ZoneInfo("UTC")), now - timedelta(minutes=5))

    links: list[MomentLinks] = []
    for family, moments in ((rivers, RIVERS_MOMENTS), (brooks, BROOKS_MOMENTS)):
        carers = {m.relation: m.user for m in family.memberships if m.kind is MemberKind.CARER}
        for days_ago, clock, who, there, kind_keys, text, feeling, visibility, reflection, pinned in moments:
            occurred = local(days_ago, clock)
            moment = Moment(
                family_id=family.id, author_id=carers[who].id, client_id=str(uuid.uuid4()),
                occurred_at=occurred, text=text, lang="en" if text else None, feeling=feeling,
                visibility=Visibility(visibility),
                created_at=occurred, updated_at=occurred,
                pinned_at=occurred if pinned else None, pinned_by_id=sam.id if pinned else None,
            )
            db.session.add(moment)
            db.session.flush()
            links.append(MomentLinks(moment.id, kind_ids=[kinds[key] for key in kind_keys],
                                     carer_ids=sorted(carers[relation].id for relation in
                                                      (("Mum", "Dad") if there == "both" else (there,))),
                                     baby_ids=[family.babies[0].id]))
            if reflection:
                db.session.add(Reflection(moment_id=moment.id, family_id=family.id, author_id=sam.id, text=reflection,
                                          created_at=occurred + timedelta(hours=20), updated_at=occurred + timedelta(hours=20)))
    write_moment_links(db.session, links)
    # Weekly sessions since therapy began six weeks ago, and the next one tomorrow, at 10 in the morning.
    for days_from_today in (-41, -34, -27, -20, -13, -6, 1):
        starts = datetime.combine(today + timedelta(days=days_from_today), time(10, 0), zone)
        db.session.add(TherapySession(family_id=rivers.id, starts_at=starts, created_by_id=sam.id))
    for days_ago, focus in ((34, "Notice one moment each day when you and Ava enjoy each other."),
                            (13, "Notice the moments when Ava looks for you."),
                            (6, "This week, notice when she settles because you are there.")):
        db.session.add(Focus(family_id=rivers.id, set_by_id=sam.id, created_at=now - timedelta(days=days_ago), text=focus))
    rivers_carers = {m.relation: m.user for m in rivers.memberships if m.kind is MemberKind.CARER}
    questions = {question.key: question.id for question in asked_questions()}
    for days_ago, who, steps in RIVERS_CHECK_INS:
        db.session.add(CheckIn(
            family_id=rivers.id, carer_id=rivers_carers[who].id, created_at=local(days_ago, "21:00"),
            answers=[CheckInAnswer(question_id=questions[key], step=step) for key, step in steps.items()],
        ))
    db.session.commit()
