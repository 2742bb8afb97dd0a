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

from ..models import Family, MemberKind, Membership, User, Visibility
from .families import members, therapists_of


def names_list(names: list[str]) -> str:
    """Names joined as the reader's language joins a list ("Tom, Sam and Nan")."""
    return format_list(names, locale=get_locale()) if names else ""


@dataclass(frozen=True)
class FamilyAudience:
    """The people of one family who may read moments: carers, the therapist(s), family and friends."""

    carers: list[Membership]
    therapists: list[User]
    viewers: list[Membership]

    @classmethod
    def of(cls, family: Family) -> FamilyAudience:
        everyone = members(family)
        return cls(carers=[m for m in everyone if m.kind is MemberKind.CARER],
                   therapists=therapists_of(family),
                   viewers=[m for m in everyone if m.kind is MemberKind.VIEWER])

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
