"""dateparser's parser, with locales that cannot read a string ruled out before the slow test.

A parser that knows no language (a page whose language nothing gives; htmldate's
extensive search, which reads any text in any language) asks each of dateparser's 200
locales in turn whether it can read the string (`Locale.is_applicable`), 15 to 40 ms a
string. That test splits the string by the locale's known words with a pattern of
thousands of alternatives, then wants every token to be a number, a relative
expression or a word of the locale's dictionary.

A word of the string the locale does not know makes the answer no, and a substring test
sees that first: the split never cuts a word of letters (its known words begin and end
next to a non-letter), so each run of letters ends up inside a known word or inside a
token of its own that must itself be a known word or a relative expression. A run of
letters that is in none of the locale's words or relative expressions (compared under
regex's case folding, on the string as the locale itself has simplified it) therefore
rules the locale out. Only "no" is answered this way; every other string goes to
dateparser's own test, so the parser's answers are dateparser's, locale for locale
(tests/test_dates_locales.py holds them equal). Written against dateparser 1.5's
`Locale.is_applicable` and `Dictionary.split`, which pyproject pins.
"""

from __future__ import annotations

import sys
from functools import cache
from itertools import product
from typing import Any

import regex
from dateparser.date import DateDataParser
from dateparser.languages.dictionary import Dictionary
from dateparser.languages.locale import Locale
from dateparser.utils import normalize_unicode
from regex import _regex, _regex_core

#: Letters: word characters other than digits and "_", in regex's sense (dateparser's
#: patterns are regex's, whose word characters are Unicode's, not `re`'s).
_LETTERS = regex.compile(r"[^\W\d_]+", regex.UNICODE)
#: Tokens `Dictionary._split_by_known_words` drops after a number ("1st").
_ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")
#: A relative expression's number, with or without the parentheses dateparser strips.
_NUMBER = (r"(\d++[.,]?\d*+)", r"\d++[.,]?\d*+")
#: Optional parts a relative expression may have before it is left to dateparser's test.
MAX_CHOICES = 6
_CASE_FLAGS = _regex_core.IGNORECASE | _regex_core.UNICODE


class LocaleFilteredParser(DateDataParser):
    """A `DateDataParser` that rules out, before dateparser's test, the locales a word of
    the string is unknown to; its answers are `DateDataParser`'s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepared: tuple[str, str] | None = None

    def _is_applicable_locale(
        self, locale: Locale, date_string: str, ignore_surrounding_text: bool = False
    ) -> bool:
        if not ignore_surrounding_text and _unknown_word(
            locale, self._locale_independent(locale, date_string), self._settings
        ):
            return False
        return super()._is_applicable_locale(locale, date_string, ignore_surrounding_text)

    def _locale_independent(self, locale: Locale, date_string: str) -> str:
        """The first steps of `Locale.is_applicable`, which read no locale data (native
        digits to ASCII, Unicode normalisation when the settings ask): done once a string."""
        prepared = self._prepared
        if prepared is None or prepared[0] != date_string:
            text = locale._translate_numerals(date_string)
            if self._settings.NORMALIZE:
                text = normalize_unicode(text)
            prepared = self._prepared = (date_string, text)
        return prepared[1]


def _unknown_word(locale: Locale, prepared: str, settings: Any) -> bool:
    """Whether ``prepared``, simplified as ``locale`` simplifies it, has a run of letters
    that no word or relative expression of the locale holds: then `is_applicable` is
    False. False whenever that cannot be told this way."""
    text = locale._simplify(prepared, settings=settings)
    if "\n" in text:  # a token with a line break in it is dropped, not judged
        return False
    words = _words(locale._get_dictionary(settings))
    if words is None:
        return False
    known, relative = words
    for run in _LETTERS.findall(text):
        folded = _fold(run)
        if folded not in known and folded not in relative:
            return True
    return False


_WORDS: dict[tuple[Any, ...], tuple[str, str] | None] = {}


def _words(dictionary: Dictionary) -> tuple[str, str] | None:
    """The locale's words and relative expressions' spellings, case-folded and joined
    for substring tests; None for a locale whose split can cut a word (no spaces between
    words: Chinese, Japanese) or whose relative expressions are not plain text."""
    key = (dictionary._cache_key, dictionary.info["name"])
    if key not in _WORDS:
        _WORDS[key] = _words_of(dictionary)
    return _WORDS[key]


def _words_of(dictionary: Dictionary) -> tuple[str, str] | None:
    words = list(dictionary)  # the settings' skip tokens, then the dictionary's keys
    if dictionary._no_word_spacing or "" in words:
        return None
    spellings: list[str] = []
    for pattern in dictionary._relative_strings:
        expanded = _spellings(pattern)
        if expanded is None:
            return None
        spellings.extend(expanded)
    joined = "\x00".join
    return _fold(joined([*words, *_ORDINAL_SUFFIXES])), _fold(joined(spellings))


def _spellings(pattern: str) -> list[str] | None:
    """Every text a relative expression's pattern matches, its number written "0": the
    patterns are text with a number, optional letters (`decades?`) and optional white
    space (`\\s*`); None for any other syntax."""
    for number in _NUMBER:
        pattern = pattern.replace(number, "0")
    parts: list[tuple[str, ...]] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith(r"\s*", index):
            parts.append(("", " "))
            index += 3
        elif pattern.startswith(r"\s", index):
            parts.append((" ",))
            index += 2
        elif pattern[index] in "\\[]()+*?{|.^$":
            return None
        elif pattern.startswith("?", index + 1):
            parts.append((pattern[index], ""))
            index += 2
        else:
            parts.append((pattern[index],))
            index += 1
    if sum(len(part) > 1 for part in parts) > MAX_CHOICES:
        return None
    return ["".join(choice) for choice in product(*parts)]


def _fold(text: str) -> str:
    """``text`` with each character replaced by one representative of all the characters
    regex's case-insensitive matching may take it for (transitively: `i`, `I`, `İ`, `ı`)."""
    return text.translate(_case_classes())


@cache
def _case_classes() -> dict[int, int]:
    """Each code point that has other cases, to the least of its class: about 3,000 of
    them, found once a process (0.3 s) from regex's own case tables."""
    table: dict[int, int] = {}
    for code in range(sys.maxunicode + 1):
        if code in table or len(_regex.get_all_cases(_CASE_FLAGS, code)) < 2:
            continue
        members = {code}
        pending = [code]
        while pending:
            for other in _regex.get_all_cases(_CASE_FLAGS, pending.pop()):
                if other not in members:
                    members.add(other)
                    pending.append(other)
        representative = min(members)
        table.update(dict.fromkeys(members, representative))
    return table
