"""Who can see a moment, in words that name the people: "Me, Tom and Sam", "Also Nan and Grandad".

A parent choosing who may read her moment should see the people, not a category. The names come
from the family as it is now: its carers and therapist by name, its family and friends by how
they relate to the baby (the words a carer gave when inviting them).
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from sqlalchemy import and_, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import CaseloadAssignment, Family, MemberKind, Membership, User, Visibility
from ..permissions import FamilyAccess


def names_list(names: list[str]) -> str:
    """Names joined as the reader's language joins a list ("Tom, Sam and Nan")."""
    return format_list(names, locale=get_locale()) if names else ""


@dataclass(frozen=True)
class FamilyAudience:
    """The people of one family who may read moments: carers, the therapist(s), family and friends."""

    carers: list[Membership]
    therapists: list[User]
    viewers: list[Membership]

    # Whether the carers chose to show the therapist's name to their family and friends.
    therapist_named_to_viewers: bool = False

    @classmethod
    def of(cls, family: Family) -> FamilyAudience:
        """The family's people now, in one statement: members in the order they joined, therapists by name."""
        rows = db.session.execute(
            select(User, Membership)
            .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.family_id == family.id))
            .where(or_(Membership.id.is_not(None), User.id.in_(
                select(CaseloadAssignment.therapist_id).where(CaseloadAssignment.family_id == family.id))))
        ).all()
        for user, membership in rows:
            if membership is not None:  # its user came in the same row: keep it there (no lazy load later)
                set_committed_value(membership, "user", user)
        joined = sorted((membership for _user, membership in rows if membership is not None), key=lambda m: m.id)
        therapists = sorted((user for user, membership in rows if membership is None), key=lambda u: (u.name, u.id))
        return cls(carers=[m for m in joined if m.kind is MemberKind.CARER], therapists=therapists,
                   viewers=[m for m in joined if m.kind is MemberKind.VIEWER],
                   therapist_named_to_viewers=family.viewers_see_therapist)

    def carers_by_id(self) -> dict[int, User]:
        """The carers by id: cards name them as "who was there"."""
        return {m.user_id: m.user for m in self.carers}

    def who_can_see(self, reader: FamilyAccess, author_id: int, visibility: Visibility) -> str:
        """Who can see a moment, told to one of them ("You, Tom and Sam can see this"): the people
        by name, family and friends by how they relate to the baby, and the reader as "You". A
        viewer is told the therapist's name only when the carers chose to show it."""
        if visibility is Visibility.PRIVATE:
            return _("Only you can see this")
        if reader.member and not reader.sees_therapy and not self.therapist_named_to_viewers:
            therapists = [_("the family's therapist")] if self.therapists else []
        else:
            therapists = [t.name for t in self.therapists if t.id != reader.user_id]
        people = [_("You"), *(m.user.name for m in self.carers if m.user_id != reader.user_id), *therapists]
        if visibility is Visibility.THERAPIST:
            return _("%(people)s can see this", people=names_list(people))
        others = [m.relation for m in self.viewers if m.user_id != reader.user_id]
        if others:
            return _("%(people)s can see this, and also %(others)s", people=names_list(people), others=names_list(others))
        if reader.log_moments:
            return _("%(people)s can see this, and family and friends you invite", people=names_list(people))
        return _("%(people)s can see this", people=names_list(people))

    def choices_for(self, author_id: int) -> dict[Visibility, str]:
        """The Add a moment form's choices for its author, naming who each one lets in."""
        others = [m.user.name for m in self.carers if m.user_id != author_id]
        team = others + [therapist.name for therapist in self.therapists]
        viewers = [m.relation for m in self.viewers]
        return {
            Visibility.PRIVATE: _("Only me"),
            Visibility.THERAPIST: _("Me, %(people)s", people=names_list(team)) if team else _("Only me, for now"),
            Visibility.FAMILY: (_("Also %(people)s", people=names_list(viewers)) if viewers
                                else _("Also family and friends, once you invite them")),
        }
