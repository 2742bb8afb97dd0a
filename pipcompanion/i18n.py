"""Language and time zone for each request, and Babel helpers for templates."""

from __future__ import annotations

import json
from functools import cache

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_time, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup

from .extensions import babel
from .services.settings import babel_locale, language_on_offer, local_zone, offered_languages, service_settings


# The session key of a language chosen on a page before signing in (sign-in, invitation).
CHOSEN_LANGUAGE_KEY = "language"


def chosen_language() -> str:
    """The language of this request: the signed-in person's setting, else one chosen on the sign-in
    or invitation page (kept in the session), else the browser's best match, else the service's
    default; only ever a language the service offers."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    offered = offered_languages()
    if current_user.is_authenticated and current_user.locale in offered:
        return current_user.locale
    in_session = session.get(CHOSEN_LANGUAGE_KEY)
    if isinstance(in_session, str) and in_session in offered:
        return in_session
    return language_on_offer(request.accept_languages.best_match(list(offered)))


def select_locale() -> str:
    """The Babel locale: the chosen language with its regional formats (en -> en_GB)."""
    return babel_locale(chosen_language())


def language_tag() -> str:
    """The BCP 47 tag for <html lang>, such as 'en-GB'."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale else "en"


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    return local_zone().key


def text_direction() -> str:
    """'rtl' or 'ltr' for the current language, for <html dir>."""
    return get_locale().text_direction if get_locale() else "ltr"


def request_translations() -> NullTranslations:
    """This request's catalog, looked up once: a page says `_()` a hundred times or more, and
    Flask-Babel finds the catalog afresh for each (the locale itself is fixed once chosen)."""
    translations: NullTranslations | None = g.get("translations")
    if translations is None:
        translations = g.translations = get_translations()
    return translations


def plural_texts(singular: str, plural: str, **variables: object) -> str:
    """A message about a number the page's script fills in, as JSON: each CLDR plural category of
    this language ("one", "few", "many", ...) with its form, chosen from the catalog with a number
    of that category, so the script picks the right one with Intl.PluralRules (static/js/app.js)."""
    translations = request_translations()
    forms = {category: translations.ungettext(singular, plural, number) % variables
             for category, number in _plural_samples(str(get_locale()))}
    # "other" is for fractions in some languages (Polish): a script's whole number never needs it,
    # but an unexpected category falls back to it.
    forms.setdefault("other", translations.ungettext(singular, plural, 1_000_000) % variables)
    return json.dumps(forms, ensure_ascii=False)


@cache
def _plural_samples(locale: str) -> tuple[tuple[str, int], ...]:
    """A whole number for each plural category of `locale` (the smallest), such as one: 1, few: 2."""
    rule = Locale.parse(locale).plural_form
    samples: dict[str, int] = {}
    for number in range(0, 1000):
        samples.setdefault(rule(number), number)
    return tuple(samples.items())


def as_written(lang: str | None) -> Markup:
    """Attributes for someone's own words, shown as written: their language when known (so a screen
    reader speaks Polish words as Polish on an English page), and their own direction (Arabic words
    on an English page read right to left, and English words on an Arabic page left to right)."""
    return Markup(' lang="%s" dir="auto"') % lang if lang else Markup(' dir="auto"')


class RequestCatalog:
    """This request's catalog, for whoever asks by name: templates (Jinja's i18n extension) and
    WTForms' own messages (forms.CatalogForm)."""

    def gettext(self, string: str) -> str:
        return request_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return request_translations().ungettext(singular, plural, n)

    def pgettext(self, context: str, string: str) -> str:
        return request_translations().upgettext(context, string)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return request_translations().unpgettext(context, singular, plural, n)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    catalog = RequestCatalog()
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by Jinja's i18n extension
        gettext=catalog.gettext, ngettext=catalog.ngettext, pgettext=catalog.pgettext,
        npgettext=catalog.npgettext, newstyle=True,
    )
    app.jinja_env.globals.update(
        text_direction=text_direction,
        current_locale=get_locale,
        language_tag=language_tag,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        service_settings=service_settings,
        offered_languages=offered_languages,
        as_written=as_written,
        plural_texts=plural_texts,
        chosen_language=chosen_language,
    )
