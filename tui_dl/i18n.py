"""The language of every user-facing text: English in the source, translations in gettext catalogs.

The catalogs ship compiled in `tui_dl/locale/<locale>/LC_MESSAGES/tui_dl.mo` (their sources are the `.po` files
beside them). The language comes from `--lang` (or the UI's saved choice), else from LANGUAGE, LC_ALL,
LC_MESSAGES and LANG as gettext reads them (`zh_CN.UTF-8` gives Chinese), else English. Machine-readable output
(`--json`, files, config keys, run states in summary.json) stays English.

Texts are written as `_("...")`, with `{name}` fields filled in by `.format` after translation; module-level
lists of texts mark theirs with `N_` and translate at the point of display.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "tui_dl"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = {"en": "English", "zh": "中文"}  # code: name in its own language; English is the source
LOCALES = {"en": "en", "zh": "zh_CN"}  # the catalog folder of each language
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def language_from(environ: Mapping[str, str] = os.environ) -> str:
    """The language the environment asks for: the first of ENVIRONMENT that is set, read as gettext does
    (LANGUAGE may list several, `:`-separated; the first one there is a catalog for wins); English otherwise."""
    for name in ENVIRONMENT:
        value = environ.get(name, "")
        if not value:
            continue
        for entry in value.split(":"):
            code = entry.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
        return "en"
    return "en"


def check_language(code: str) -> str:
    """`code` if it names a language (en, zh; any case), else ValueError saying which exist."""
    lowered = code.strip().lower()
    if lowered not in LANGUAGES:
        raise ValueError(_("unknown language {code!r}: choose one of {languages}").format(
            code=code, languages=", ".join(LANGUAGES)))
    return lowered


def set_language(code: str | None = None) -> str:
    """Use language `code` (None: the environment's) from now on, for this process and the processes it starts
    (LANGUAGE is set, so a run process speaks the same language); returns the code."""
    global _translation, _language
    _language = check_language(code) if code else language_from()
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[LOCALES[_language]], fallback=True)
    os.environ["LANGUAGE"] = LOCALES[_language]
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))  # argparse's own texts ("usage:") come from this domain
    gettext.textdomain(DOMAIN)
    return _language


def language() -> str:
    """The language in use: a key of LANGUAGES."""
    return _language


def _(message: str) -> str:
    """`message` in the language in use."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for count `n`, in the language in use."""
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for translation where it is defined; `_` translates it where it is shown."""
    return message
