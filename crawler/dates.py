"""Raw date strings from news pages -> timezone-aware UTC datetimes, or the reason why not.

Everything goes through :func:`parse_date`. It cleans the string, tries a few exact formats
(ISO 8601, ``DD.MM.YYYY HH:MM``, Unix timestamps, RFC 2822) and only then dateparser, which
is slow. What a string says without the crawl time is cached, because a site prints the same
strings on every listing page. A string without a zone is wall-clock time in the site's
zone; "2 hours ago" is counted back from the crawl instant; a string without a year gets the
latest year that is not after the crawl time. Nothing is ever guessed from digits that only
might be a date, because a wrong date in an archive is worse than none.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.conf import Settings
from dateparser.data.languages_info import language_order
from dateparser.date import DateData
from dateparser.languages.loader import default_loader
from dateparser.timezone_parser import pop_tz_offset_from_string

from crawler.dates_clean import clean
from crawler.dates_locales import LocaleFilteredParser

#: A page's clock may run a little ahead of ours; beyond this a date is "in the future".
CLOCK_SKEW = timedelta(minutes=10)
EARLIEST_YEAR = 1900
#: Longer strings are paragraphs, not dates, and dateparser gets slow on them.
MAX_LENGTH = 100

#: Where the year of a result came from: printed in the ``"text"`` (ISO and timestamps
#: too), counted from the crawl time (``"reference"``: "2 hours ago", "Вчера, 14:15", a bare
#: time), or chosen for a year-less date: the caller's ``"hint"`` or the ``"latest"`` year
#: that keeps the date before the crawl time.
YearSource = Literal["text", "reference", "hint", "latest"]

_KNOWN_LANGUAGES = frozenset(language_order)
_DEFAULT_SETTINGS = Settings()
#: Distinct strings remembered; a crawl of a few dozen sites repeats far fewer.
_CACHE_SIZE = 16384

_TIMESTAMP = re.compile(r"[1-9]\d{9}(?:\d{3})?")
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_RFC_2822 = re.compile(
    r"(?:[A-Za-z]{3},? )?\d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}(?::\d{2})?"
    r" (?:[+-]\d{4}|GMT|UTC?|[ECMP][SD]T)",
)
# Without a four-digit year, a clock time or a word, digits are a counter ("2 of 5",
# "10 11 12") or an offset ("+03:00"), which dateparser would happily read as a date.
_DATE_LIKE = re.compile(r"\d{4}|(?<![+\-\d])\d{1,2}:\d\d|[^\W\d_]{3}")
# dateparser's English rendering of a relative date: "2 hour ago", "1 hour 30 minute ago".
_ELAPSED = re.compile(r"(?:\d+ (?:second|minute|hour|day|week) (?:and )?)+ago")
_AMOUNT = re.compile(r"(\d+) (second|minute|hour|day|week)")
# Without "ago" or "in", an amount of time is a length ("5 min" to read), not a date.
_DURATION = re.compile(r"\d (?:second|minute|hour|day|week|month|year)")
_DIRECTION = re.compile(r"\bago\b|^in\b")

# Two unrelated instants (leap years, different months, weekdays and hours): a string
# that dateparser reads the same against both does not depend on the crawl time.
_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_ANCHORS = (datetime(2000, 12, 31, 12, 0), datetime(1996, 7, 15, 6, 30))
_EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """The result of :func:`parse_date`: a UTC datetime and where its year came from, or
    ``None`` and the reason."""

    value: datetime | None
    reason: str | None = None
    year_from: YearSource | None = None


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a string says without the crawl time; at most one of the fields is set.

    ``when`` is a date (naive: wall-clock time in the site's zone), ``ago`` an elapsed
    time ("2 hours ago"), ``relative`` a date in calendar words or a bare time that only
    dateparser can place once the crawl time is known ("Вчера, 14:15", "14:15").
    """

    when: datetime | None = None
    has_year: bool = True
    ago: timedelta | None = None
    relative: bool = False
    reason: str | None = None


def parse_date(
    raw: str | None,
    *,
    languages: Sequence[str] = (),
    timezone: str = "UTC",
    reference: datetime,
    year_hint: int | None = None,
) -> ParsedDate:
    """Read ``raw`` as a date on a page in ``languages`` from a site in ``timezone``.

    ``reference`` is the crawl time: relative dates count from it and nothing may be
    later. ``year_hint`` (from the page's metadata) is the year of a string without one,
    unless it would put the date after the crawl time. Never raises because of ``raw``;
    raises ``ValueError`` for an unknown language or zone or a naive ``reference``, which
    are the caller's bugs.
    """
    zone = _zone(timezone)
    languages = _checked_languages(tuple(languages))
    if reference.tzinfo is None:
        raise ValueError(f"reference must be timezone-aware, got {reference!r}")
    text = clean(raw or "")
    if not text:
        return ParsedDate(None, "empty")
    if len(text) > MAX_LENGTH:
        return ParsedDate(None, f"too long to be a date ({len(text)} characters)")
    reading = _read(text, languages)
    if reading.ago is not None:
        return _counted_back(reading.ago, text, reference)
    year_from: YearSource = "text"
    if reading.relative:
        base = reference.astimezone(zone).replace(tzinfo=None)
        reading, year_from = _read_relative(text, languages, base), "reference"
    if reading.when is None:
        return ParsedDate(None, reading.reason)
    if not reading.has_year:
        return _with_inferred_year(reading.when, text, zone, reference, year_hint)
    return _plausible(_in_zone(reading.when, zone), reference, year_from)


def isoformat(value: datetime) -> str:
    """``value`` in UTC to the second, e.g. ``2017-09-13T10:15:00+00:00``."""
    if value.tzinfo is None:
        raise ValueError(f"cannot format a naive datetime: {value!r}")
    return value.astimezone(UTC).isoformat(timespec="seconds")


def check_timezone(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is an IANA time zone, e.g. ``Asia/Baku``."""
    _zone(name)


def check_languages(codes: Sequence[str]) -> None:
    """Raise ``ValueError`` unless every code is a dateparser language, e.g. ``az``."""
    if isinstance(codes, str):
        raise ValueError(f"languages must be a list of codes, not the string {codes!r}")
    _checked_languages(tuple(codes))


def known_languages(codes: Sequence[str]) -> tuple[str, ...]:
    """The codes dateparser knows, others dropped: for languages a page declares, which
    may be anything, unlike a site definition's, which :func:`check_languages` vets."""
    return tuple(code for code in codes if code in _KNOWN_LANGUAGES)


def clear_caches() -> None:
    """Forget every cached reading, so that a benchmark can time a crawl that starts cold."""
    for cached in (_read, _read_relative, _parser):
        cached.cache_clear()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}: expected an IANA name such as 'Asia/Baku' or 'UTC'"
        ) from None


@lru_cache(maxsize=64)
def _checked_languages(codes: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [code for code in codes if code not in _KNOWN_LANGUAGES]
    if unknown:
        raise ValueError(
            f"unknown language code(s) {', '.join(map(repr, unknown))}: "
            "expected dateparser codes such as 'en', 'ru', 'az', 'tr', 'uk', 'ka'"
        )
    if len(set(codes)) != len(codes):
        raise ValueError(f"language codes are repeated: {list(codes)}")
    return codes


@lru_cache(maxsize=_CACHE_SIZE)
def _read(text: str, languages: tuple[str, ...]) -> _Reading:
    """Everything that does not depend on the crawl time, hence cached."""
    return (
        _read_exact_format(text)
        or _read_day_month_name(text, languages)
        or _read_natural(text, languages)
    )


def _read_day_month_name(text: str, languages: tuple[str, ...]) -> _Reading | None:
    """``13 september [2017] [14:15]``, the commonest printed form, without dateparser.

    Nearly every article has a date string of its own, so the cache does not spare
    dateparser's cost (a millisecond a string) on this form; its month names are taken
    from dateparser's own locale data, so the reading is the one dateparser gives.
    """
    tokens = text.lower().split(" ")
    if not languages or not 2 <= len(tokens) <= 4 or not tokens[0].isdigit():
        return None
    word = tokens[1].rstrip(".")
    # Shorter words are not read as months at all (see _DATE_LIKE): "22 Ha" is no date.
    month = _month_names(languages).get(word) if len(word) >= 3 else None
    year = tokens[2] if len(tokens) > 2 and len(tokens[2]) == 4 and tokens[2].isdigit() else None
    rest = tokens[3:] if year else tokens[2:]
    clock = _CLOCK.fullmatch(rest[0]) if rest else None
    if month is None or len(rest) > 1 or (rest and not clock):
        return None
    hour, minute, second = (int(group or 0) for group in clock.groups()) if clock else (0, 0, 0)
    # A year-less date is held in the leap year dateparser's first anchor is in.
    when = lambda: datetime(  # noqa: E731
        int(year or _ANCHORS[0].year), month, int(tokens[0]), hour, minute, second
    )
    reading = _exact(text, when)
    if reading.when is None:
        return None  # "31 february": dateparser gives the reason
    return reading if year else _Reading(reading.when, has_year=False)


@lru_cache(maxsize=64)
def _month_names(languages: tuple[str, ...]) -> dict[str, int]:
    """Month names and abbreviations of `languages`, each naming one month only."""
    names: dict[str, set[int]] = {}
    for language in languages:
        info = default_loader.get_locale(language).info
        for number, month in enumerate(_MONTHS, start=1):
            for name in info.get(month, ()):
                names.setdefault(name.lower().rstrip("."), set()).add(number)
    return {name: months.pop() for name, months in names.items() if len(months) == 1}


def _read_exact_format(text: str) -> _Reading | None:
    """Formats that need no language; ``None`` when ``text`` is in none of them."""
    for read in (_read_timestamp, _read_iso, _read_day_month_year, _read_rfc_2822):
        reading = read(text)
        if reading is not None:
            return reading
    return None


def _read_timestamp(text: str) -> _Reading | None:
    """10 digits are Unix seconds, 13 are milliseconds; a leading 0 is not a timestamp."""
    if not _TIMESTAMP.fullmatch(text):
        return None
    seconds = int(text) / 1000 if len(text) == 13 else int(text)
    return _Reading(datetime.fromtimestamp(seconds, UTC))


def _read_iso(text: str) -> _Reading | None:
    if not _ISO.fullmatch(text):
        return None
    return _exact(text, lambda: datetime.fromisoformat(text))


def _read_day_month_year(text: str) -> _Reading | None:
    """``13.09.2018 14:15`` (or time first) is always day first, whatever the language."""
    tokens = text.split(" ")
    dates = [token for token in tokens if ":" not in token]
    clocks = [token for token in tokens if ":" in token]
    if len(dates) != 1 or len(clocks) > 1:
        return None
    date = _DAY_MONTH_YEAR.fullmatch(dates[0])
    clock = _CLOCK.fullmatch(clocks[0] if clocks else "0:00")
    if not date or not clock:
        return None
    day, month, year = map(int, date.groups())
    hour, minute, second = (int(group or 0) for group in clock.groups())
    return _exact(text, lambda: datetime(year, month, day, hour, minute, second))


def _read_rfc_2822(text: str) -> _Reading | None:
    """RFC 2822 says ``-0000`` is UTC; the email module returns that as naive."""
    if not _RFC_2822.fullmatch(text):
        return None
    reading = _exact(text, lambda: email.utils.parsedate_to_datetime(text))
    if reading.when is not None and reading.when.tzinfo is None:
        return _Reading(reading.when.replace(tzinfo=UTC))
    return reading


def _exact(text: str, build: Callable[[], datetime]) -> _Reading:
    """Run ``build``; a ``ValueError`` means the format matched but the values are no date."""
    try:
        return _Reading(build())
    except ValueError as exc:
        return _Reading(reason=f"{text!r} is not a date: {exc}")


def _read_natural(text: str, languages: tuple[str, ...]) -> _Reading:
    """Ask dateparser, then tell dates from elapsed times and calendar words.

    A date with a year that dateparser reads differently against two anchors depends on
    the crawl time, unless the year is printed. An elapsed time ("2 hours ago") is kept
    as a ``timedelta``, so that it is counted back from the crawl instant, not on the
    wall clock (which would be an hour off across a DST change), and can be cached.
    """
    if not _DATE_LIKE.search(text):
        return _Reading(reason=f"no date found in {text!r}")
    data = _dateparser(text, languages, _ANCHORS[0])
    first = _reading_from(data, text)
    if data is None or first.when is None or not first.has_year or _prints_year(text, first.when):
        return first
    second = _dateparser(text, languages, _ANCHORS[1])
    if second is not None and second.date_obj == first.when:
        return first
    english = _in_english(text, data.locale)
    if _DURATION.search(english) and not _DIRECTION.search(english):
        return _Reading(reason=f"{text!r} is a length of time, not a date")
    ago = _elapsed(english)
    return _Reading(ago=ago) if ago is not None else _Reading(relative=True)


def _prints_year(text: str, when: datetime) -> bool:
    """A date whose year is in the text is absolute; saves asking dateparser twice.

    Only for years other than the anchor's: "2000 hours ago" read at the anchor is in 2000.
    """
    year = when.year
    return year != _ANCHORS[0].year and re.search(rf"(?<!\d){year}(?!\d)", text) is not None


def _in_english(text: str, locale: str | None) -> str:
    """dateparser's own translation, e.g. "3 часа назад" -> "3 hour ago"."""
    if locale is None:
        return ""
    return default_loader.get_locale(locale).translate(text, settings=_DEFAULT_SETTINGS).strip()


def _elapsed(english: str) -> timedelta | None:
    """The time in "2 hour ago" or "1 hour 30 minute ago"; ``None`` for anything else."""
    if not _ELAPSED.fullmatch(english):
        return None
    parts = (timedelta(**{f"{unit}s": int(n)}) for n, unit in _AMOUNT.findall(english))
    return sum(parts, timedelta())


@lru_cache(maxsize=1024)
def _read_relative(text: str, languages: tuple[str, ...], base: datetime) -> _Reading:
    return _reading_from(_dateparser(text, languages, base), text)


def _reading_from(data: DateData | None, text: str) -> _Reading:
    """Keep dates precise to the day; ``parts`` also tells whether the text had a year."""
    if data is None or data.date_obj is None:
        return _Reading(reason=f"no date found in {text!r}")
    if not {"month", "day"} <= set(data.parts):
        return _Reading(reason=f"{text!r} is not precise to the day")
    if "year" in data.parts:
        return _Reading(data.date_obj)
    return _Reading(_at_own_offset(data.date_obj, text), has_year=False)


def _at_own_offset(when: datetime, text: str) -> datetime:
    """Undo dateparser's conversion to UTC of a year-less date with an offset.

    The year is chosen later, on the date the text printed: in UTC "1 Mar 01:00 +0300"
    is 28 or 29 February depending on the year, and "29 Feb 02:00 +0500" is the 28th.
    """
    if when.tzinfo is None:
        return when
    offset = pop_tz_offset_from_string(text)[1]
    return when if offset is None else when.astimezone(offset)


def _dateparser(text: str, languages: tuple[str, ...], base: datetime) -> DateData | None:
    """dateparser raises assorted errors on odd input; none of them may stop a crawl."""
    try:
        return _parser(languages, base).get_date_data(text)
    except Exception:
        return None


@lru_cache(maxsize=64)
def _parser(languages: tuple[str, ...], base: datetime) -> LocaleFilteredParser:
    """One parser per language set and base: building it is cheap, reusing it is cheaper.

    Restricting languages is what makes dateparser fast. ``TIMEZONE=UTC`` keeps zone-less
    results naive (the site's zone is applied afterwards, with DST for that date) and
    converts zoned ones to UTC. News is from the past, hence ``PREFER_DATES_FROM``.
    Timestamps are read earlier, and only when the whole string is one; the no-spaces
    parser is left out because it makes dates of any digits ("1409" is 4 January 2009).
    Without languages every locale is asked whether it can read the string: the filtered
    parser gives dateparser's answers, faster (`crawler.dates_locales`).
    """
    return LocaleFilteredParser(
        languages=list(languages) or None,
        settings={
            "RELATIVE_BASE": base,
            "TIMEZONE": "UTC",
            "PREFER_DATES_FROM": "past",
            "PARSERS": ["relative-time", "absolute-time"],
        },
    )


def _counted_back(ago: timedelta, text: str, reference: datetime) -> ParsedDate:
    try:
        value = reference - ago
    except OverflowError:
        return ParsedDate(None, f"{text!r} is before {EARLIEST_YEAR}")
    return _plausible(value, reference, "reference")


def _with_inferred_year(
    when: datetime, text: str, zone: ZoneInfo, reference: datetime, year_hint: int | None
) -> ParsedDate:
    """The hinted year, else the latest year that keeps the date before the crawl time.

    A hint that puts the date after the crawl time is wrong (the metadata may be of a
    later edition), so the latest year is used instead; a hinted common year for
    29 February is a contradiction, not a date.
    """
    latest = reference + CLOCK_SKEW
    if year_hint is not None:
        candidate = _in_year(when, year_hint, zone)
        if candidate is None:
            return ParsedDate(None, f"{text!r} is not a date in {year_hint}")
        if candidate <= latest:
            return _plausible(candidate, reference, "hint")
    for year in range(latest.year + 1, EARLIEST_YEAR - 1, -1):
        candidate = _in_year(when, year, zone)
        if candidate is not None and candidate <= latest:
            return _plausible(candidate, reference, "latest")
    return ParsedDate(None, f"no year puts {text!r} between {EARLIEST_YEAR} and the crawl time")


def _in_year(when: datetime, year: int, zone: ZoneInfo) -> datetime | None:
    try:
        return _in_zone(when.replace(year=year), zone)
    except ValueError:  # 29 February in a common year, or a year datetime cannot hold
        return None


def _in_zone(when: datetime, zone: ZoneInfo) -> datetime:
    """An explicit offset wins; wall-clock time gets the zone's offset on that date.

    An ambiguous time (the hour repeated when DST ends) is taken as the first one, a
    skipped one (the hour lost when DST starts) at the offset before the change.
    """
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


def _plausible(value: datetime, reference: datetime, year_from: YearSource) -> ParsedDate:
    """Reject dates an archive should not store; compared before converting, which can overflow."""
    if value < _EARLIEST:
        return ParsedDate(None, f"{value.isoformat()} is before {EARLIEST_YEAR}")
    if value > reference + CLOCK_SKEW:
        return ParsedDate(
            None, f"{value.isoformat()} is after the crawl time {isoformat(reference)}"
        )
    return ParsedDate(value.astimezone(UTC).replace(microsecond=0), None, year_from)
