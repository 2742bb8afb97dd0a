"""Language and time zone for each request, and Babel helpers for templates."""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, format_time, get_locale, get_translations
from flask_login import current_user

from .extensions import babel
from .services.settings import babel_locale, language_on_offer, service_settings


def chosen_language() -> str:
    """The person's chosen language, else the browser's if on offer, else the service default."""
    offered = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated and current_user.locale in offered:
        return current_user.locale
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
    return service_settings().timezone


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


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by Jinja's i18n extension
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        text_direction=text_direction,
        current_locale=get_locale,
        language_tag=language_tag,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        service_settings=service_settings,
    )
