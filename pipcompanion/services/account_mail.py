"""The emails an account gets: a password link a therapist or admin made for the person.

Written in the person's own language (not the sender's), in plain words: who asked for it, how
long it works, and what to do if it was not expected. Nothing about their family is in it: an
inbox is not a private place.
"""

from __future__ import annotations

from datetime import timedelta

from babel import Locale
from flask_babel import force_locale, format_timedelta
from flask_babel import gettext as _
from markupsafe import Markup

from ..mail import Mail
from ..models import PasswordLinkPurpose, User
from .settings import babel_locale, language_on_offer, service_settings


def lifetime_words(lifetime: timedelta) -> str:
    """How long a link works, in words: "24 hours", "7 days" (never rounded up to "1 day")."""
    return format_timedelta(lifetime, threshold=1.1)


def password_link_mail(person: User, purpose: PasswordLinkPurpose, *, made_by: User, url: str,
                       lifetime: timedelta) -> Mail:
    """The email that brings `person` the password link `made_by` made for them."""
    language = language_on_offer(person.locale)
    locale = babel_locale(language)
    with force_locale(locale):
        service = service_settings().service_name
        words = {"name": person.name, "staff": made_by.name, "service": service, "lifetime": lifetime_words(lifetime)}
        if purpose is PasswordLinkPurpose.SETUP:
            subject = _("Choose your password for %(service)s", **words)
            opening = _("%(staff)s has made you an account on %(service)s. This link lets you choose your password:",
                        **words)
            after = [_("The link works once, for %(lifetime)s.", **words)]
            if person.is_staff:
                after.append(_("After choosing your password, you will set up two-step sign-in, so have your phone "
                               "with you."))
        else:
            subject = _("A link to choose a new password for %(service)s", **words)
            opening = _("%(staff)s at %(service)s asked us to send you this link, so that you can choose a new "
                        "password:", **words)
            after = [_("The link works once, for %(lifetime)s. When you have chosen your new password, sign in "
                       "with it.", **words)]
        before = [_("Hello %(name)s,", **words), opening]
        after += [
            _("Not expecting this email? You do not need to do anything: nothing changes unless the link is used. "
              "If you are worried, please tell %(staff)s or the service.", **words),
            _("From %(service)s", **words),
        ]
    text = "\n\n".join([*before, url, *after]) + "\n"
    paragraphs = [*(Markup("<p>%s</p>") % line for line in before),
                  Markup('<p><a href="%s">%s</a></p>') % (url, url),
                  *(Markup("<p>%s</p>") % line for line in after)]
    html = Markup('<!DOCTYPE html>\n<html lang="%s" dir="%s"><body>\n%s\n</body></html>\n') % (
        language, Locale.parse(locale).text_direction, Markup("\n").join(paragraphs))
    return Mail(to_name=person.name, to_address=person.email, subject=subject, text=text, html=str(html),
                sender_name=service)
