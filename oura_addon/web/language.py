"""The request's language: negotiated from ``Accept-Language`` (the ingress iframe sends the
browser's), English when nothing shipped fits. Templates get ``_()``, ``ngettext()`` and the
locale-aware filters; Python views call ``translator()``.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, has_request_context, request
from markupsafe import Markup

from oura_addon.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogues, Translator

EXTENSION_KEY = "oura_addon.i18n"


def install(app: Flask, catalogues: Catalogues | None = None) -> None:
    app.extensions[EXTENSION_KEY] = catalogues or Catalogues()
    app.jinja_env.add_extension("jinja2.ext.i18n")
    # Newstyle: _("... %(name)s", name=value) formats and escapes the values itself.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda msgid: translator().translations.gettext(msgid),
        ngettext=lambda one, many, n: translator().translations.ngettext(one, many, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        message=lambda value: translator().text(value),
        number=lambda value: translator().number(value),
        datetime=_datetime,
        date=lambda day: translator().date(day) if isinstance(day, date) else day,
    )
    app.jinja_env.globals["translator"] = translator
    app.context_processor(lambda: {"language": translator().language})


def _datetime(moment: datetime | None) -> Markup | str:
    if not isinstance(moment, datetime):
        return ""
    return Markup('<time datetime="{}">{}</time>').format(
        moment.isoformat(), translator().datetime(moment)
    )


def request_language() -> str:
    """The browser's most preferred tag whose language is shipped ("de-AT"), else English."""
    for tag, _quality in request.accept_languages:  # best first
        if tag.replace("_", "-").split("-")[0].lower() in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def translator() -> Translator:
    """The current request's translator (English outside a request)."""
    catalogues: Catalogues = current_app.extensions[EXTENSION_KEY]
    if not has_request_context():
        return catalogues.translator(DEFAULT_LANGUAGE)
    if "translator" not in g:
        g.translator = catalogues.translator(request_language())
    return g.translator
