"""The publication and modification dates of a page never seen before, and where each was found.

Every place a page states a date is a candidate: JSON-LD (`datePublished`, `dateCreated`,
`dateModified`, in `@graph` too), the meta tags of OpenGraph, Dublin Core, Highwire,
Parse.ly, Sailthru and CMSs, `<time>` and `itemprop` elements, the text next to the
headline and the byline, and the URL path. Sources are tried from the most to the least
reliable (the order of `SOURCES` below, measured on htmldate's 1,000-page evaluation; see
bench/README.md), and within a source, publication names before creation names; a full
date in the URL decides the day over machine dates on another day. A candidate is taken
only when the dates module reads it and it is plausible: not after the crawl's reference
time, not before `FLOOR`. Comment threads, related-article and "latest news" blocks,
sidebars and footers are never searched, so their newer dates are not taken for the
article's; several different days around the headline are a list, not a dateline.

The days the page prints next to its headline check its machine date: a UTC instant
takes the printed day it falls on (the publisher's day, which UTC does not say), and a
machine date that no printed day agrees with gives way to the printed one. When nothing
of this dates the page, htmldate's heuristics (already installed with trafilatura)
search the rest of it, which finds the dates of pages no markup announces; its reading
is taken only when it is sure, since a wrong date files an article under the wrong day
for ever and no date is a visible gap (`contradicted`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from dateparser.timezone_parser import pop_tz_offset_from_string
from lxml.html import HtmlElement
from parsel import Selector

from crawler import dates
from crawler.extract import generic
from crawler.extract.date_candidates import (
    META_NAMES,
    HeadlineTexts,
    Kind,
    is_list,
    jsonld_dates,
    printed_days,
    time_dates,
    url_date,
)
from crawler.extract.htmldate_range import oldest_and_newest
from crawler.extract.language import detect_language
from crawler.extract.metadata import Metadata
from crawler.extract.text import element_text

#: Where a date was found, surest first; the site's own `selector` is surer than any.
SOURCES = ("selector", "meta", "jsonld", "time", "url", "text", "htmldate")
#: Sources of machine-written dates, surest first; a year-less selected date may take
#: the year of one.
MACHINE_ORDER = ("meta", "jsonld", "time")
MACHINE_SOURCES = frozenset(MACHINE_ORDER)
#: No news page is older than the web's news sites; earlier "dates" are founding years,
#: birth dates and copyright lines.
FLOOR = datetime(1995, 1, 1, tzinfo=UTC)

#: Characters of the headline's block that language detection reads.
LANGUAGE_SAMPLE = 600
#: The rings whose dates may contradict a machine date or say it was modified: the
#: headline's block and its parent's, where the dateline is (further out, a date is as
#: likely someone else's).
NEAR_RINGS = 2
#: Text that names a day: a year, a numeric day and month, or a day and a month name.
_DAY = re.compile(
    r"(?:19|20)\d\d|\d{1,2}\s*[./-]\s*\d{1,2}|\d{1,2}\.?\s+[^\W\d_]{3,}|[^\W\d_]{3,}\.?\s+\d{1,2}\b"
)
_OFFSET = re.compile(r"Z$|([+-])(\d{2}):?(\d{2})$")
#: A zone name or abbreviation a printed date may end with ("GMT", "WIB", "ET", "CEST").
_ZONE_WORD = re.compile(r"\b(?![AP]M\b)[A-Z]{2,5}\b")
_NUMBERS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]{3,}")
#: ISO 8601's basic format, `20200413T16:38:07Z`, as the extended one the dates module reads.
_COMPACT_ISO = re.compile(r"^((?:19|20)\d\d)(\d\d)(\d\d)T(\d\d):?(\d\d)(?::?(\d\d))?(?=$|Z|[+-.])")
_CLOCK_TIME = re.compile(r"\d[:h]\d\d")
#: `3/4/2020`: 3 April or March 4, as the writer's country has it.
_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)(?![\d/])")
#: Regions whose English writes the month first; the rest of the English-writing world
#: writes the day first (en-GB, en-AU, en-IN, en-IE, ...).
MONTH_FIRST_REGIONS = frozenset({"US", "PH"})
_REGION = re.compile(r"^([a-z]{2,3})(?:[-_]([a-z]{2}))?\b", re.I)
#: The offsets of real time zones: a UTC instant falls on the local day D somewhere iff it
#: lies between D 00:00 at UTC+14 and D 24:00 at UTC-12.
_EARLIEST_OFFSET = timedelta(hours=14)
_LATEST_OFFSET = timedelta(hours=12)


T = TypeVar("T")


class _Once(Generic[T]):
    """A value made when first asked for, then kept: what `functools.cache` does for a
    function of no arguments, without the wrapper it builds (and copies attributes to)
    for each of the half-dozen such values of every page."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make

    def __call__(self) -> T:
        if self._make is not None:
            self._value = self._make()
            self._make = None
        return self._value


@dataclass(frozen=True, slots=True)
class PageDate:
    """A date a page states: the string as found (what the archive normalises), the
    instant at the page's own offset (or the site's zone), where it was found, and the
    calendar day the page means."""

    raw: str
    value: datetime
    source: str
    day: date
    #: Counted from the crawl time ("2 hours ago", "Monday", a bare clock time): right
    #: only if the page is as fresh as its fetch, so the last resort.
    relative: bool = False


@dataclass(frozen=True, slots=True)
class PageDates:
    published: PageDate | None
    modified: PageDate | None
    #: When no publication date was found: the first (source, string) the page declared
    #: as one in its machine data that could not be read, so that the archive says why.
    unreadable: tuple[str, str] | None = None
    #: A publication date not taken because the page contradicts it: htmldate's oldest
    #: date of a page whose newest is another day (`_htmldate_unsure`).
    contradicted: PageDate | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What the crawl knows when it reads a page: languages, zone, reference time."""

    languages: tuple[str, ...]
    timezone: str
    reference: datetime
    floor: datetime = FLOOR
    #: Whether `3/4/2020` is 3 April (True) or March 4 (False) on this page; None when
    #: neither the page's locale nor its language says, and then such a date is not read.
    day_first: bool | None = None

    def read(self, raw: str | None, source: str) -> PageDate | None:
        """``raw`` as a plausible date, at its own offset when it has one.

        The string kept (``raw`` of the result) is the one read, so that the archive,
        which reads it again, reads the same date.
        """
        if not raw or not raw.strip():
            return None
        raw = self._ordered(_COMPACT_ISO.sub(_extended_iso, raw.strip()))
        if raw is None:
            return None
        parsed = dates.parse_date(
            raw, languages=self.languages, timezone=self.timezone, reference=self.reference
        )
        if parsed.value is None or parsed.value < self.floor:
            return None
        value = _local(parsed.value, raw, self.timezone)
        return PageDate(raw, value, source, value.date(), parsed.year_from == "reference")

    def _ordered(self, raw: str) -> str | None:
        """``raw`` with an ambiguous slashed date written day first (`3.4.2020`, which the
        dates module always reads so) when the page writes the day first; unchanged
        when it is not ambiguous or the page writes the month first; None when nothing
        says which, since a wrong day is worse than none."""
        match = _SLASHED.search(raw)
        if match is None:
            return raw
        first, second, year = match.groups()
        if first == second or int(first) > 12 or int(second) > 12:
            return raw
        day_first = self.day_first
        if day_first is None and self.languages and "en" not in self.languages:
            return raw  # the language's own order (dateparser's locale data)
        if day_first is None:
            return None
        if not day_first:
            return raw
        return f"{raw[: match.start()]}{first}.{second}.{year}{raw[match.end() :]}"


def _extended_iso(match: re.Match[str]) -> str:
    year, month, day, hour, minute, second = match.groups()
    return f"{year}-{month}-{day}T{hour}:{minute}" + (f":{second}" if second else "")


def day_first(declared: str | None) -> bool | None:
    """From a page's declared locale (`en-GB`, `en_US`): whether its English writes the
    day first; None for English without a region and for other languages."""
    match = _REGION.match((declared or "").strip())
    if match is None or match[1].lower() != "en" or match[2] is None:
        return None
    return match[2].upper() not in MONTH_FIRST_REGIONS


def find_dates(
    page: Selector,
    url: str,
    context: Context,
    meta: Metadata | None = None,
    *,
    sources: Collection[str] = SOURCES,
) -> PageDates:
    """The page's publication and modification dates, each from its surest source among
    ``sources`` (all of them but in benchmarks, which leave each out in turn)."""
    meta = meta or Metadata(page)
    if context.day_first is None:
        context = replace(context, day_first=day_first(meta.language()))
    heading = _Once(lambda: generic.heading(page))
    if not context.languages:
        context = replace(context, languages=_detected_languages(heading()))
    rings = _Once(lambda: HeadlineTexts(heading()))
    texts = _Once(lambda: rings().upto())
    near = _Once(lambda: rings().upto(NEAR_RINGS))
    unreadable: list[tuple[str, str]] = []
    contradicted: list[PageDate] = []
    first_ring = _Once(lambda: rings().upto(1))
    published = _published(
        page, url, context, meta, sources, texts, near, first_ring, unreadable, contradicted
    )
    order = (*MACHINE_ORDER, "text")
    # A modification printed as such is a dateline's: next to the headline.
    modified = _first(_candidates(page, meta, "modified", order, sources, near), context)
    if published and modified and modified.value < published.value:
        modified = None  # a "modification" before the publication is some other date
    if contradicted:
        return PageDates(None, modified, None, contradicted[0])
    return PageDates(published, modified, None if published or not unreadable else unreadable[0])


def _detected_languages(heading: HtmlElement | None) -> tuple[str, ...]:
    """The language of the headline's block, for a page and site that declare none.

    Read in every language at once, printed dates are slow to read (every locale is
    tried) and ambiguous (a word of one language is a month name in another); the
    text next to the headline says which language its dates are in.
    """
    block = heading.getparent() if heading is not None else None
    if block is None:
        return ()
    code = detect_language(element_text(block)[:LANGUAGE_SAMPLE])
    return dates.known_languages((code,)) if code else ()


def _published(
    page: Selector,
    url: str,
    context: Context,
    meta: Metadata,
    sources: Collection[str],
    texts: Callable[[], list[tuple[str, bool]]],
    near: Callable[[], list[tuple[str, bool]]],
    first_ring: Callable[[], list[tuple[str, bool]]],
    unreadable: list[tuple[str, str]],
    contradicted: list[PageDate],
) -> PageDate | None:
    """The surest absolute date; with a date in the URL, the surest one on the URL's day.
    Machine dates that cannot be read are added to ``unreadable``.

    A URL's date is fixed when the article is first filed, in the site's own day, while
    metadata dates are often reset by CMS migrations and republishing, or written in UTC,
    which can be the next or previous day: the URL's day decides, and a machine date on
    that day (at some real-world offset) keeps its time of day. Without one, the days
    printed next to the headline check the machine date (`_on_printed_day`,
    `shown_instead`). The text next to the headline comes before htmldate, which takes
    an "Updated" line or a "latest news" list in the article's block for the date, and
    htmldate's reading is taken only when it is sure; an unsure one is added to
    ``contradicted``.
    """
    in_url = context.read(url_date(url), "url") if "url" in sources else None
    texts_found = _Once(
        lambda: list(_candidates(page, meta, "published", ("text",), sources, texts))
    )
    printed = _Once(lambda: printed_days(near()) if "text" in sources else [])
    for source, raw in _candidates(page, meta, "published", MACHINE_ORDER, sources, texts):
        found = context.read(raw, source)
        if found is None:
            unreadable.append((source, raw))
        elif found.relative:
            continue  # "2 hours ago" in machine data: no surer than text
        elif in_url is None:
            if "text" in sources and _settled_by_first_ring(found, first_ring()):
                return found
            found = _on_printed_day(found, printed(), context)
            return shown_instead(found, printed(), context) or found
        elif _falls_on(found.value, in_url.day):
            return replace(found, day=in_url.day)
    if in_url is not None:
        return in_url
    listed = is_list(texts_found())
    printed_first = None if listed else _first(_dated(texts_found()), context)
    if printed_first is not None:
        return printed_first
    guessed, newest = _htmldate(page, url, context) if "htmldate" in sources else (None, None)
    if guessed is not None and _htmldate_unsure(guessed, newest):
        contradicted.append(guessed)
        return None
    # Text that names no day is a clock time or "2 hours ago" at best: the last resort.
    return (
        guessed
        or (_first(_dated(texts_found()), context) if listed else None)
        or _first(iter(texts_found()), context, relative=True)
    )


def _settled_by_first_ring(found: PageDate, first_ring: list[tuple[str, bool]]) -> bool:
    """Whether the headline's own block leaves ``found`` as it is, whatever the next ring
    holds: then that ring is not read (most of a page's date elements are there).

    Ring by ring, the dates printed by the headline (`printed_days`) begin with this
    ring's. If this ring is a list, so are both rings: no printed date, ``found`` stands.
    Otherwise, if the first printed date may print ``found``'s day (`_may_print`), both
    `_on_printed_day` and `shown_instead` stop at it and keep ``found``; and if both rings
    are a list, no printed date is left to change it.
    """
    if is_list([("text", text) for text, modified in first_ring if not modified]):
        return True
    printed = printed_days(first_ring)
    return bool(printed) and _may_print(printed[0], found.day)


def _htmldate_unsure(oldest: PageDate, newest: PageDate | None) -> bool:
    """Whether htmldate, asked for the page's newest date instead of its oldest, names
    another day.

    htmldate reads pages no markup dates; when it finds several plausible days there,
    which one is the publication it guesses, and a guess files the article under the
    wrong day as often as not (bench/README.md); without one, the gap is visible.
    """
    return newest is not None and newest.day != oldest.day


def _dated(texts: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    return (text for text in texts if _DAY.search(text[1]))


def shown_instead(found: PageDate, printed: list[str], context: Context) -> PageDate | None:
    """The date the page prints next to its headline when no printed day is ``found``'s
    day: then the page shows its readers one day and its metadata declares another.

    The printed date is the one the publisher shows as the article's; a machine date
    that no printed date agrees with is a CMS's field (a draft's creation, a migration,
    a scheduled slot) as often as the publication (on the dev pages, the printed date
    was right on 6 of 7 such pages). A day on which the instant falls in some real-world
    zone is no disagreement (`01:00+05:30` on the 16th is the 15th in Europe): the
    metadata's own offset then gives the day.
    """
    timed = bool(_CLOCK_TIME.search(found.raw))  # a day alone is that day, not an instant
    first: PageDate | None = None
    for raw in printed:
        if _may_print(raw, found.day):
            return None
        shown = context.read(raw, "text")
        if shown is None or shown.relative:
            continue
        if shown.day == found.day or (timed and _falls_on(found.value, shown.day)):
            return None
        first = first or shown
    return first


def _may_print(text: str, day: date) -> bool:
    """Whether ``text`` writes ``day``'s year, day and month (or a month name) as numbers:
    then it prints that day, or at worst a day it is not worth reading to rule out."""
    numbers = {int(n) for n in _NUMBERS.findall(text)}
    return (
        day.year in numbers
        and day.day in numbers
        and (day.month in numbers or _LETTERS.search(text) is not None)
    )


def _on_printed_day(found: PageDate, printed: list[str], context: Context) -> PageDate:
    """A machine date written in UTC, on the day the page prints next to its headline
    when the instant falls on that day in some real-world zone.

    UTC says the instant, not the publisher's day: `2021-11-04T23:00Z` is 5 November in
    Berlin, and the page that prints "5. November 2021" says which day was meant.
    """
    if not _in_utc(found.raw):
        return found
    for raw in printed:
        if _may_print(raw, found.day):
            return found
        shown = context.read(raw, "text")
        if shown is not None and not shown.relative:
            if _falls_on(found.value, shown.day):
                return replace(found, day=shown.day)
            return found
    return found


def _in_utc(raw: str) -> bool:
    match = _OFFSET.search(raw)
    return match is not None and (match[0] == "Z" or match[2] == match[3] == "00")


def _falls_on(value: datetime, day: date) -> bool:
    """Whether ``value`` is on ``day`` in some real-world time zone."""
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return midnight - _EARLIEST_OFFSET <= value < midnight + timedelta(days=1) + _LATEST_OFFSET


def _first(
    candidates: Iterator[tuple[str, str]], context: Context, *, relative: bool = False
) -> PageDate | None:
    """The first readable candidate; relative ones ("2 hours ago") only if ``relative``."""
    for source, raw in candidates:
        found = context.read(raw, source)
        if found is not None and (relative or not found.relative):
            return found
    return None


def _candidates(
    page: Selector,
    meta: Metadata,
    kind: Kind,
    order: Sequence[str],
    sources: Collection[str],
    texts: Callable[[], list[tuple[str, bool]]],
) -> Iterator[tuple[str, str]]:
    """(source, raw string) pairs from the ``order`` sources that are in ``sources``;
    read lazily, so the cheap sure ones usually end the search."""
    found = {
        "meta": lambda: (v for name in META_NAMES[kind] for v in meta.meta.get(name, ())),
        "jsonld": lambda: jsonld_dates(meta, kind),
        "time": lambda: time_dates(page, kind),
        "text": lambda: (t for t, modified in texts() if modified == (kind == "modified")),
    }
    for source in order:
        if source in sources:
            for value in found[source]():
                yield source, value


def _htmldate(
    page: Selector, url: str, context: Context
) -> tuple[PageDate | None, PageDate | None]:
    """htmldate's reading of the whole page: its oldest plausible date, the original
    publication, and its newest, both from one pass (`htmldate_range`).

    It is given the parsed tree, never a string: a string that looks like a URL it
    downloads. It prunes the tree as htmldate prunes its copy, and puts back what it
    pruned before it returns: the page's own tree is whole again for the other fields.
    """
    found = oldest_and_newest(
        page.root,
        url,
        min_date=context.floor.replace(tzinfo=None),
        max_date=context.reference.astimezone(ZoneInfo(context.timezone)).replace(tzinfo=None),
    )
    return _htmldate_day(found[0], context), _htmldate_day(found[1], context)


def _htmldate_day(found: str | None, context: Context) -> PageDate | None:
    if not found or found.endswith("-01-01"):
        # htmldate fills a year found alone (a copyright line, "© 2016") with 1 January:
        # that is a year, not the day of publication.
        return None
    return context.read(found, "htmldate")


def _local(value: datetime, raw: str, timezone: str) -> datetime:
    """A UTC instant back at the offset ``raw`` ends with, or the zone it names ("WIB",
    "ET"), else in the site's zone: the day a page prints is the day at its own offset.
    An instant written in UTC is a machine's, and the site's day is in the site's zone."""
    match = _OFFSET.search(raw)
    if match is None:
        named = pop_tz_offset_from_string(raw)[1] if _ZONE_WORD.search(raw) else None
        return value.astimezone(named or ZoneInfo(timezone))
    if _in_utc(raw):
        return value.astimezone(ZoneInfo(timezone))
    sign = -1 if match[1] == "-" else 1
    return value.astimezone(
        dt_timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))
    )
