"""Raw date strings from news pages -> timezone-aware UTC datetimes, or the reason why not.

Everything goes through :func:`parse_date`. It cleans the string, tries a few exact formats
(ISO 8601, ``DD.MM.YYYY HH:MM``, Unix timestamps, RFC 2822) and only then dateparser, which
is slow. A string without a zone is wall-clock time in the site's zone. A string without a
year gets the latest year that is not after the crawl time. Nothing is ever guessed from
digits that only might be a date, because a wrong date in an archive is worse than none.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.conf import Settings
from dateparser.data.languages_info import language_order
from dateparser.date import DateData, DateDataParser
from dateparser.languages.loader import default_loader

#: A page's clock may run a little ahead of ours; beyond this a date is "in the future".
CLOCK_SKEW = timedelta(minutes=10)
EARLIEST_YEAR = 1900
#: Longer strings are paragraphs, not dates, and dateparser gets slow on them.
MAX_LENGTH = 100

_KNOWN_LANGUAGES = frozenset(language_order)
_DEFAULT_SETTINGS = Settings()

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_PREFIX = re.compile(
    r"^(?:published|updated|last updated|posted|modified|date"
    r"|опубликовано|обновлено|дата|опубліковано|оновлено"
    r"|yenilənib|son yenilənmə|dərc olunub|dərc edilib|tarix"
    r"|yayınlanma(?: tarihi)?|güncelleme(?: tarihi)?|güncellendi|tarih)\b(?:\s+on\b)?[\s:]*",
    re.IGNORECASE,
)
# Dashes only count as separators with spaces around them, so that ISO dates and
# negative offsets survive; a comma between digits may be a decimal comma.
_SEPARATOR = re.compile(r"[—–|•·]|\s-\s|(?<!\d),|,(?!\d)")
_WORD_BEFORE_TIME = re.compile(r"(?:^|\s)(?:at|в|о|saat)\s+(?=\d{1,2}[:.]\d{2})", re.IGNORECASE)
# dateparser 1.5 knows Azerbaijani "5 saat öncə" but not the usual "5 saat əvvəl".
_AZ_AGO = re.compile(
    r"(\d+\s+(?:saniyə|san|dəqiqə|dəq|saat|gün|həftə|ay|il))\s+əvvəl\b", re.IGNORECASE
)
_SPACES = re.compile(r"\s+")

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
# dateparser's English rendering of a relative date; without "ago" or "in" it is a length.
_DURATION = re.compile(r"\d (?:second|minute|hour|day|week|month|year)")
_DIRECTION = re.compile(r"\bago\b|^in\b")

# Two unrelated instants (leap years, different months, weekdays and hours): a string
# that dateparser reads the same against both does not depend on the crawl time.
_ANCHORS = (datetime(2000, 12, 31, 12, 0), datetime(1996, 7, 15, 6, 30))
_EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """The result of :func:`parse_date`: a UTC datetime, or ``None`` and the reason."""

    value: datetime | None
    reason: str | None = None
    year_inferred: bool = False


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a string says. A naive ``when`` is wall-clock time in the site's zone."""

    when: datetime | None
    has_year: bool = True
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
    later. ``year_hint`` (from the page's metadata) replaces year inference for a
    string without a year. Never raises because of ``raw``; raises ``ValueError`` for
    an unknown language or zone or a naive ``reference``, which are the caller's bugs.
    """
    zone = _zone(timezone)
    languages = _checked_languages(tuple(languages))
    if reference.tzinfo is None:
        raise ValueError(f"reference must be timezone-aware, got {reference!r}")
    text = _clean(raw or "")
    if not text:
        return ParsedDate(None, "empty")
    if len(text) > MAX_LENGTH:
        return ParsedDate(None, f"too long to be a date ({len(text)} characters)")
    reading = _read_exact_format(text) or _read_natural(text, languages, reference, zone)
    if reading.when is None:
        return ParsedDate(None, reading.reason)
    if not reading.has_year:
        return _with_inferred_year(reading.when, text, zone, reference, year_hint)
    return _plausible(_in_zone(reading.when, zone), reference)


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


def _clean(raw: str) -> str:
    """Undo the typography of news pages: odd spaces, label prefixes, separators."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw))
    text = _SPACES.sub(" ", text).strip()
    text = _PREFIX.sub("", text)
    text = _SEPARATOR.sub(" ", text)
    text = _WORD_BEFORE_TIME.sub(" ", text)
    text = _AZ_AGO.sub(r"\1 öncə", text)
    return _SPACES.sub(" ", text).strip()


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
        return _Reading(None, reason=f"{text!r} is not a date: {exc}")


def _read_natural(
    text: str, languages: tuple[str, ...], reference: datetime, zone: ZoneInfo
) -> _Reading:
    if not _DATE_LIKE.search(text):
        return _Reading(None, reason=f"no date found in {text!r}")
    reading = _read_without_reference(text, languages)
    if reading is not None:
        return reading
    local_reference = reference.astimezone(zone).replace(tzinfo=None)
    return _read_relative(text, languages, local_reference)


@lru_cache(maxsize=4096)
def _read_without_reference(text: str, languages: tuple[str, ...]) -> _Reading | None:
    """Read a string whose meaning does not depend on the crawl time, or return ``None``.

    ``None`` means it does ("2 hours ago", "Вчера, 14:15", a bare "14:15"). The result
    can be cached because it depends on nothing else; year inference happens later.
    """
    data = _dateparser(text, languages, _ANCHORS[0])
    first = _reading_from(data, text)
    if data is None or first.when is None or not first.has_year:
        return first
    second = _dateparser(text, languages, _ANCHORS[1])
    if second is not None and second.date_obj == first.when:
        return first
    if _is_duration(text, data.locale):
        return _Reading(None, reason=f"{text!r} is a length of time, not a date")
    return None


def _is_duration(text: str, locale: str | None) -> bool:
    """dateparser reads "5 min" (a reading time) as "5 minutes ago"; we do not."""
    if locale is None:
        return False
    english = default_loader.get_locale(locale).translate(text, settings=_DEFAULT_SETTINGS)
    return bool(_DURATION.search(english)) and not _DIRECTION.search(english)


@lru_cache(maxsize=1024)
def _read_relative(text: str, languages: tuple[str, ...], base: datetime) -> _Reading:
    return _reading_from(_dateparser(text, languages, base), text)


def _reading_from(data: DateData | None, text: str) -> _Reading:
    """Keep dates precise to the day; ``parts`` also tells whether the text had a year."""
    if data is None or data.date_obj is None:
        return _Reading(None, reason=f"no date found in {text!r}")
    if not {"month", "day"} <= set(data.parts):
        return _Reading(None, reason=f"{text!r} is not precise to the day")
    return _Reading(data.date_obj, has_year="year" in data.parts)


def _dateparser(text: str, languages: tuple[str, ...], base: datetime) -> DateData | None:
    """dateparser raises assorted errors on odd input; none of them may stop a crawl."""
    try:
        return _parser(languages, base).get_date_data(text)
    except Exception:
        return None


@lru_cache(maxsize=64)
def _parser(languages: tuple[str, ...], base: datetime) -> DateDataParser:
    """One parser per language set and base: building it is cheap, reusing it is cheaper.

    Restricting languages is what makes dateparser fast. ``TIMEZONE=UTC`` keeps zone-less
    results naive (the site's zone is applied afterwards, with DST for that date) and
    converts zoned ones to UTC. News is from the past, hence ``PREFER_DATES_FROM``.
    Timestamps are read earlier, and only when the whole string is one; the no-spaces
    parser is left out because it makes dates of any digits ("1409" is 4 January 2009).
    """
    return DateDataParser(
        languages=list(languages) or None,
        settings={
            "RELATIVE_BASE": base,
            "TIMEZONE": "UTC",
            "PREFER_DATES_FROM": "past",
            "PARSERS": ["relative-time", "absolute-time"],
        },
    )


def _with_inferred_year(
    when: datetime, text: str, zone: ZoneInfo, reference: datetime, year_hint: int | None
) -> ParsedDate:
    """The latest year (or the hinted one) that keeps the date before the crawl time."""
    if year_hint is not None:
        candidate = _in_year(when, year_hint, zone)
        if candidate is None:
            return ParsedDate(None, f"{text!r} is not a date in {year_hint}")
        return _plausible(candidate, reference, year_inferred=True)
    latest = reference + CLOCK_SKEW
    for year in range(latest.year + 1, EARLIEST_YEAR - 1, -1):
        candidate = _in_year(when, year, zone)
        if candidate is not None and candidate <= latest:
            return _plausible(candidate, reference, year_inferred=True)
    return ParsedDate(None, f"no year puts {text!r} between {EARLIEST_YEAR} and the crawl time")


def _in_year(when: datetime, year: int, zone: ZoneInfo) -> datetime | None:
    try:
        return _in_zone(when.replace(year=year), zone)
    except ValueError:  # 29 February in a common year
        return None


def _in_zone(when: datetime, zone: ZoneInfo) -> datetime:
    """An explicit offset wins; wall-clock time gets the zone's offset on that date.

    An ambiguous time (the hour repeated when DST ends) is taken as the first one.
    """
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


def _plausible(value: datetime, reference: datetime, *, year_inferred: bool = False) -> ParsedDate:
    """Reject dates an archive should not store; compared before converting, which can overflow."""
    if value < _EARLIEST:
        return ParsedDate(None, f"{value.isoformat()} is before {EARLIEST_YEAR}")
    if value > reference + CLOCK_SKEW:
        return ParsedDate(
            None, f"{value.isoformat()} is after the crawl time {isoformat(reference)}"
        )
    return ParsedDate(value.astimezone(UTC).replace(microsecond=0), None, year_inferred)
