"""The filtered parser rules out only locales dateparser rules out, so it answers as dateparser."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import pytest
from dateparser.conf import Settings
from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader
from dateparser.languages.locale import Locale
from dateparser.utils import normalize_unicode
from htmldate import extractors as htmldate_extractors
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates_locales import LocaleFilteredParser, _unknown_word
from crawler.extract import htmldate_range

#: Strings of many scripts and shapes, and the traps of case folding (`ı`, `ſ`, `ß`,
#: `İ`), ordinals, relative expressions, words without spaces, a line break, digits of
#: other scripts and time zones.
STRINGS = [
    "Erstellt von Fabian am Dienstag 6. Mai 2014",
    "17. juni/lipanj 2020.",
    "prije 28 minuta",
    "Miércoles, 15 de Abril de 2020",
    "Германия 15 августа 2016, 13:43",
    "تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً",
    "۱۳۹۹/۰۲/۲۱ ۱۸:۵۹",
    "2020年07月03日 15時",
    "Tue Sep 15 2020 10:01:41 EDT",
    "December 29th 2019",
    "vor 3 Stunden",
    "in 2 decades",
    "3 hours ago",
    "Çarşamba, 1 Ocak 2020",
    "ıi İI 4 Mart 2021",
    "Große ſtraße 3 März 2019",
    "ΣΕΠΤΕΜΒΡΊΟΥ 12 2019 ς",
    "12 мая\n2019",
    "duminică, 20 septembrie 2020",
    "© Cork's 96FM 2020. Powered by",
    "Alta Floresta - MT, 22 de novembro de 2020. 18:20",
    "lundi 3 février 2020 à 14h05",
    "21 Temmuz 2022 Perşembe",
    "1ος Ιανουάριος 2020",
    "Posted on 3rd of March, 2020 at 10am",
    "١٢ مارس ٢٠٢٠",
    "20 वर्ष पहले",
    "sept. 2019 xyzzy",
]


def htmldate_settings() -> Settings:
    return htmldate_extractors.get_external_parser()._settings


def crawler_settings() -> Settings:
    return DateDataParser(settings={"RELATIVE_BASE": datetime(2000, 12, 31, 12)})._settings


@cache
def locales() -> list[Locale]:
    return list(default_loader.get_locales())


def ruled_out_wrongly(text: str, options: Settings) -> list[str]:
    """The locales the filter rules out for ``text`` that dateparser finds applicable."""
    prepared = locales()[0]._translate_numerals(text)
    if options.NORMALIZE:
        prepared = normalize_unicode(prepared)
    return [
        locale.shortname
        for locale in locales()
        if _unknown_word(locale, prepared, options)
        and locale.is_applicable(text, strip_timezone=False, settings=options)
    ]


@pytest.mark.parametrize("text", STRINGS)
def test_only_inapplicable_locales_are_ruled_out(text: str) -> None:
    for options in (htmldate_settings(), crawler_settings()):
        assert ruled_out_wrongly(text, options) == []


@pytest.mark.parametrize("text", STRINGS)
def test_the_filtered_parser_answers_as_dateparser(text: str) -> None:
    options = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": datetime(2000, 12, 31, 12)}
    expected = DateDataParser(settings=options).get_date_data(text)
    found = LocaleFilteredParser(settings=options).get_date_data(text)
    assert (found.date_obj, found.locale, found.period) == (
        expected.date_obj,
        expected.locale,
        expected.period,
    )


def test_a_word_of_one_language_rules_out_most_locales() -> None:
    """The filter does its job (else the tests above prove little)."""
    options = crawler_settings()
    prepared = normalize_unicode("17. juni/lipanj 2020.")
    ruled_out = [locale for locale in locales() if _unknown_word(locale, prepared, options)]
    assert len(ruled_out) > 0.8 * len(locales())


#: Words of several locales' dictionaries, unknown words, digits, separators.
_PIECES = st.sampled_from(
    [
        "mai", "juni", "lipanj", "März", "marzo", "ago", "vor", "hours", "Stunden",
        "de", "le", "am", "pm", "th", "st", "a", "ı", "ſ", "ß", "xyz", "août",
        "сентября", "назад", "ocak", "2020", "12", "3", ":", ".", ",", "/", "-", " ",
    ]
)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=7).map("".join))
def test_any_mix_of_words_rules_out_only_inapplicable_locales(text: str) -> None:
    assert ruled_out_wrongly(text, htmldate_settings()) == []


def test_the_htmldate_pass_uses_htmldate_s_settings_and_puts_its_parser_back() -> None:
    stock = htmldate_extractors.get_external_parser
    filtered = htmldate_range._external_parser()
    assert vars(filtered._settings) == vars(stock()._settings)
    assert (filtered.languages, filtered.locales, filtered.region) == (
        stock().languages,
        stock().locales,
        stock().region,
    )
    with htmldate_range._filtered_dateparser():
        assert htmldate_extractors.get_external_parser() is filtered
    assert htmldate_extractors.get_external_parser is stock


def test_the_htmldate_pass_puts_back_what_it_found_even_after_an_error() -> None:
    def patched() -> DateDataParser:
        return DateDataParser()

    stock = htmldate_extractors.get_external_parser
    htmldate_extractors.get_external_parser = patched
    try:
        with pytest.raises(KeyError), htmldate_range._filtered_dateparser():
            raise KeyError("a step failed")
        assert htmldate_extractors.get_external_parser is patched
    finally:
        htmldate_extractors.get_external_parser = stock


def test_dateparser_asks_the_filter_about_each_locale() -> None:
    """The filter is a hook dateparser calls; a release that renamed the hook would
    leave it unused while every test of equal answers still passed."""
    asked: list[str] = []

    class Counting(LocaleFilteredParser):
        def _locale_independent(self, locale: Locale, date_string: str) -> str:
            asked.append(locale.shortname)
            return super()._locale_independent(locale, date_string)

    parser = Counting(settings={"PREFER_DATES_FROM": "past"})
    assert parser.get_date_data("17. juni 2020").date_obj is not None
    assert len(asked) > 1
