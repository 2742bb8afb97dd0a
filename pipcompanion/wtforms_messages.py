"""WTForms' own messages that our fields can give, listed so that `make translations` puts them in
our catalogs: every form of ours (forms.CatalogForm) asks our catalog for them
(i18n.RequestCatalog), in every language we offer. Most fields give our own words instead (forms.choice_field, forms.required);
these are what is left. Never imported: extraction reads it."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid datetime value."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Field must be equal to %(other_name)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 1),
)
