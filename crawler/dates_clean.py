"""Date strings as news pages print them -> the plain form that dateparser reads.

Two jobs, both before any parsing: undo the typography of pages (odd spaces, label
prefixes, separators between date and time) and fill the gaps in dateparser 1.5's
Azerbaijani and Georgian. Used by :mod:`crawler.dates` only.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_PREFIX = re.compile(
    r"^(?:published|updated|last updated|posted|modified|date"
    r"|опубликовано|обновлено|дата|опубліковано|оновлено"
    r"|yenilənib|son yenilənmə|dərc olunub|dərc edilib|tarix"
    r"|yayınlanma(?: tarihi)?|güncelleme(?: tarihi)?|güncellendi|tarih"
    r"|გამოქვეყნდა|განახლდა)\b(?:\s+on\b)?[\s:]*",
    re.IGNORECASE,
)
# Dashes only count as separators with spaces around them, so that ISO dates and
# negative offsets survive; a comma between digits may be a decimal comma.
_SEPARATOR = re.compile(r"[—–|•·]|\s-\s|(?<!\d),|,(?!\d)")
_WORD_BEFORE_TIME = re.compile(r"(?:^|\s)(?:at|в|о|saat)\s+(?=\d{1,2}[:.]\d{2})", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

# dateparser knows "5 saat öncə" but not the usual "5 saat əvvəl", nor the spellings of
# keyboards without Azerbaijani letters ("5 deqiqe evvel", "Dunen") or abbreviations.
_AZ_AGO = re.compile(r"(\d+)\s+([^\W\d_]+)\.?\s+(?:əvvəl|evvel|öncə)(?!\w)", re.IGNORECASE)
_AZ_UNITS = {
    "san": "saniyə",
    "saniye": "saniyə",
    "dəq": "dəqiqə",
    "deq": "dəqiqə",
    "deqiqe": "dəqiqə",
    "gun": "gün",
    "hefte": "həftə",
}
_AZ_YESTERDAY = re.compile(r"(?<!\w)dunen(?!\w)", re.IGNORECASE)
# "13 sentyabr 2018-ci il": the year as an ordinal, "the 2018th year".
_AZ_YEAR = re.compile(r"(?<!\d)(\d{4})-(?:ci|cı|cu|cü)(?:\s+il)?(?!\w)", re.IGNORECASE)

# dateparser knows Georgian months only in the nominative; pages print them in the
# genitive ("2018 წლის 13 სექტემბრის") and the dative ("13 სექტემბერს", on the 13th).
_KA_MONTHS = {
    "იანვარი": ("იანვრის", "იანვარს"),
    "თებერვალი": ("თებერვლის", "თებერვალს"),
    "მარტი": ("მარტის", "მარტს"),
    "აპრილი": ("აპრილის", "აპრილს"),
    "მაისი": ("მაისის", "მაისს"),
    "ივნისი": ("ივნისის", "ივნისს"),
    "ივლისი": ("ივლისის", "ივლისს"),
    "აგვისტო": ("აგვისტოს",),
    "სექტემბერი": ("სექტემბრის", "სექტემბერს"),
    "ოქტომბერი": ("ოქტომბრის", "ოქტომბერს"),
    "ნოემბერი": ("ნოემბრის", "ნოემბერს"),
    "დეკემბერი": ("დეკემბრის", "დეკემბერს"),
}
_KA_NOMINATIVE = {form: nominative for nominative, forms in _KA_MONTHS.items() for form in forms}
_KA_MONTH = re.compile(rf"(?<!\w)(?:{'|'.join(_KA_NOMINATIVE)})(?!\w)")


#: What machines write (`2021-03-04T10:20:30+01:00`, `1615000000`): no letter, space or
#: mark that any step of `clean` changes, so the string is already clean.
_MACHINE = re.compile(r"[0-9][0-9:+.TZ-]*")


def clean(raw: str) -> str:
    """``raw`` without typography, in words dateparser knows; "" when nothing is left."""
    if _MACHINE.fullmatch(raw):
        return raw  # most of a page's machine dates: seven pattern passes saved
    return _cleaned(raw)


def _cleaned(raw: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw))
    text = _SPACES.sub(" ", text).strip()
    text = _PREFIX.sub("", text)
    text = _SEPARATOR.sub(" ", text)
    text = _WORD_BEFORE_TIME.sub(" ", text)
    return _SPACES.sub(" ", _fill_language_gaps(text)).strip()


def _fill_language_gaps(text: str) -> str:
    text = _AZ_AGO.sub(_az_ago, text)
    text = _AZ_YESTERDAY.sub("dünən", text)
    text = _AZ_YEAR.sub(r"\1", text)
    return _KA_MONTH.sub(lambda match: _KA_NOMINATIVE[match[0]], text)


def _az_ago(match: re.Match[str]) -> str:
    amount, unit = match[1], match[2]
    return f"{amount} {_AZ_UNITS.get(unit.casefold(), unit)} öncə"
