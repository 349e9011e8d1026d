"""The languages: every marked text has its Chinese translation, the compiled catalog is current, and the
language comes from --lang or the environment as gettext reads it."""

from __future__ import annotations

import gettext
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tui_dl import i18n

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PACKAGE = i18n.LOCALE_DIR.parent
CATALOG = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def source_messages() -> dict[str, str]:
    """Each marked text of the package (the singular of a plural pair) with the first place it is used."""
    found: dict[str, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS):
        singular = message[0] if isinstance(message, tuple) else message
        if singular:
            found.setdefault(singular, f"{filename}:{line}")
    return found


def chinese() -> dict[str, object]:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_every_marked_text_has_a_chinese_translation():
    catalog = chinese()
    missing = [f"{where}: {text!r}" for text, where in source_messages().items()
               if text not in catalog or not catalog[text].string or catalog[text].fuzzy
               or (isinstance(catalog[text].string, tuple) and not all(catalog[text].string))]
    assert not missing, f"{len(missing)} texts have no Chinese translation (see README, Languages):\n" + \
        "\n".join(missing)


def test_the_catalog_holds_no_texts_the_source_no_longer_has():
    stale = sorted(set(chinese()) - set(source_messages()))
    assert not stale, f"remove from {CATALOG.name}: {stale}"


def test_translations_keep_the_fields_they_fill_in():
    wrong = []
    for text, message in chinese().items():
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        for original in originals:
            for translation in translations:
                if translation and fields(translation) != fields(original):
                    wrong.append(f"{original!r} -> {translation!r}")
    assert not wrong, "\n".join(wrong)


def test_the_shipped_compiled_catalog_is_the_current_one():
    with (CATALOG.with_suffix(".mo")).open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for text, message in chinese().items():
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0], text
        else:
            assert compiled.gettext(text) == message.string, f"recompile the catalog: {text!r}"


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANGUAGE": "fr:zh_CN", "LANG": "fr_FR.UTF-8"}, "zh"),
    ({"LANGUAGE": "", "LC_MESSAGES": "zh_TW.UTF-8"}, "zh"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
])
def test_the_language_comes_from_the_environment_as_gettext_reads_it(environ, expected):
    assert i18n.language_from(environ) == expected


def test_an_unknown_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown language 'fr': choose one of en, zh"):
        i18n.set_language("fr")


def test_the_chosen_language_reaches_child_processes(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en")
    assert i18n.set_language("ZH") == "zh" and i18n.language() == "zh"
    import os

    assert os.environ["LANGUAGE"] == "zh_CN"
    assert i18n.set_language("en") == "en" and os.environ["LANGUAGE"] == "en"
