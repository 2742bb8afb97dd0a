"""Words for a moment's values that every way of showing it shares: the pages, the forms and the
JSON API. Translated lazily, so each reader gets them in its own language."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .models import Role, Visibility
from .models.audit import AuditOutcome

FEELING_WORDS: dict[int, LazyString] = {
    1: _l("Unsure"),
    2: _l("A bit wobbly"),
    3: _l("Okay"),
    4: _l("Good"),
    5: _l("Confident"),
}

VISIBILITY_LABELS: dict[Visibility, LazyString] = {
    Visibility.PRIVATE: _l("Only me"),
    Visibility.THERAPIST: _l("Me, the other carers and our therapist"),
    Visibility.FAMILY: _l("Also our family and friends on the app"),
}

# A person's role, as the admin's People pages name it.
ROLE_LABELS: dict[Role, LazyString] = {
    Role.ADMIN: _l("Admin"),
    Role.THERAPIST: _l("Therapist"),
    Role.CARER: _l("Carer"),
    Role.VIEWER: _l("Family and friends"),
}

# What came of an audited action, as the admin's audit log says it.
OUTCOME_LABELS: dict[AuditOutcome, LazyString] = {
    AuditOutcome.DONE: _l("Done"),
    AuditOutcome.REFUSED: _l("Refused"),
    AuditOutcome.FAILED: _l("Failed"),
}
