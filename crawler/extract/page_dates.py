"""The publication and modification dates of a page never seen before, and where each was found.

Every place a page states a date is a candidate: JSON-LD (`datePublished`, `dateCreated`,
`dateModified`, in `@graph` too), the meta tags of OpenGraph, Dublin Core, Highwire,
Parse.ly, Sailthru and CMSs, `<time>` and `itemprop` elements, the text next to the
headline and the byline, and the URL path. Sources are tried from the most to the least
reliable (the order of `SOURCES` below, measured on htmldate's 1,000-page evaluation; see
bench/README.md), and within a source, publication names before creation names; a full
date in the URL decides the day over machine dates on another day. A candidate is taken
only when the dates module reads it and it is plausible: not after the crawl's reference
time, not before `FLOOR`. Comment threads, related-article and "latest
news" blocks, sidebars and footers are never searched, so their newer dates are not taken
for the article's. When none of those is found, htmldate's heuristics (already installed
with trafilatura) search the rest of the page, which finds the dates of pages no markup
announces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone
from functools import cache
from itertools import islice
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dateparser.timezone_parser import pop_tz_offset_from_string
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector

from crawler import dates
from crawler.extract import generic
from crawler.extract.language import detect_language
from crawler.extract.metadata import Metadata, json_types
from crawler.extract.text import element_text

Kind = Literal["published", "modified"]
#: Where a date was found, surest first; the site's own `selector` is surer than any.
SOURCES = ("selector", "meta", "jsonld", "time", "url", "text", "htmldate")
#: Sources of machine-written dates, surest first; a year-less selected date may take
#: the year of one.
MACHINE_ORDER = ("meta", "jsonld", "time")
MACHINE_SOURCES = frozenset(MACHINE_ORDER)
#: No news page is older than the web's news sites; earlier "dates" are founding years,
#: birth dates and copyright lines.
FLOOR = datetime(1995, 1, 1, tzinfo=UTC)

#: Meta names (lower-cased name, property, itemprop or http-equiv) by kind, surest first.
META_NAMES: dict[Kind, tuple[str, ...]] = {
    "published": (
        "article:published_time", "og:published_time", "og:article:published_time",
        "article.published", "datepublished", "date_published", "published_time",
        "published-date", "publication_date", "publish-date", "publish_date", "publishdate",
        "pubdate", "og:pubdate", "bt:pubdate", "parsely-pub-date", "sailthru.date",
        "citation_publication_date", "citation_date", "citation_online_date",
        "dc.date.issued", "dcterms.issued", "dc.date.published", "dc.date.created",
        "dcterms.created", "dc.date", "dcterms.date", "date", "datecreated", "created",
        "cxenseparse:recs:publishtime", "originalpublicationdate", "article_date_original",
        "displaydate", "release_date", "uploaddate",
    ),
    "modified": (
        "article:modified_time", "og:updated_time", "article:updated_time", "datemodified",
        "date_modified", "dcterms.modified", "dc.date.modified", "last-modified", "lastmod",
        "revised",
    ),
}  # fmt: skip
#: JSON-LD keys by kind, surest first.
JSONLD_KEYS: dict[Kind, tuple[str, ...]] = {
    "published": ("datePublished", "dateCreated", "uploadDate"),
    "modified": ("dateModified",),
}
#: JSON-LD objects whose dates are not the page's.
_FOREIGN_TYPES = frozenset({"Comment", "Answer", "Question", "Event", "Offer", "Review"})
_ITEMPROPS: dict[Kind, tuple[str, ...]] = {
    "published": ("datePublished", "dateCreated"),
    "modified": ("dateModified",),
}
#: Class or id words of blocks whose dates are someone else's: comments, teasers of
#: other articles, sidebars, footers.
FOREIGN_BLOCK = re.compile(
    r"comment|reply|respon[sd]|related|latest|popular|recommend|teaser|sidebar|widget|"
    r"footer|more-?news|also|trending|most-?read|other|similar|discuss|forum",
    re.I,
)
_FOREIGN_TAGS = frozenset({"aside", "footer", "nav"})
#: Words of an element or its label that mark a modification date.
MODIFIED_WORDS = re.compile(
    r"updated?|modified|edited|revised|aktualisiert|geändert|обновлено|обновлен|"
    r"оновлено|yenilən|güncellen|mis à jour|actualizado|aggiornato",
    re.I,
)
#: Elements that may be date elements: libxml2 skips the bare ones before Python looks
#: (cheaper than testing the words in XPath, whose string functions are slow).
_MARKED = etree.XPath("descendant-or-self::*[self::time or @class or @id or @itemprop]")
#: Every `itemprop` value of a page, each knowing its element (`getparent`): cheaper in
#: libxml2 than comparing strings in a predicate.
_ITEMPROP_VALUES = etree.XPath("descendant::*/@itemprop")
ANCESTOR_LEVELS = 4
#: Characters of the headline's block that language detection reads.
LANGUAGE_SAMPLE = 600
#: The rings whose dates may contradict a machine date or say it was modified: the
#: headline's block and its parent's, where the dateline is (further out, a date is as
#: likely someone else's).
NEAR_RINGS = 2
#: Different days printed around the headline that make a list, not a dateline.
LIST_DAYS = 3
SIBLING_WINDOW = 4
_URL_DATE = re.compile(
    r"(?<![\d])((?:19|20)\d{2})([/_.-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?![\d])"
)
_URL_DATE_SLASHED = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)")
_DIGIT = re.compile(r"\d")
#: Text that names a day: a year, a numeric day and month, or a day and a month name.
_DAY = re.compile(
    r"(?:19|20)\d\d|\d{1,2}\s*[./-]\s*\d{1,2}|\d{1,2}\.?\s+[^\W\d_]{3,}|[^\W\d_]{3,}\.?\s+\d{1,2}\b"
)
_OFFSET = re.compile(r"Z$|([+-])(\d{2}):?(\d{2})$")
#: A zone name or abbreviation a printed date may end with ("GMT", "WIB", "ET", "CEST").
_ZONE_WORD = re.compile(r"\b(?![AP]M\b)[A-Z]{2,5}\b")
#: A full date inside a longer line ("Erschienen am 26. Jan 2022 im Format Aktuelles",
#: "Von Redaktion 4. 2. 2022", "Publié le 02/11/2023 à 14h49"), with a clock time right
#: after it: ISO, numeric day-month-year, day-month name-year, month name-day-year.
_PRINTED_DATE = re.compile(
    r"(?<![\d.])(?:"
    r"(?:19|20)\d\d-\d{1,2}-\d{1,2}"
    r"|\d{1,2}\s?[./]\s?\d{1,2}\s?[./]\s?(?:19|20)\d\d"
    r"|\d{1,2}\.?\s+[^\W\d_]{3,}\.?,?\s+(?:19|20)\d\d"
    r"|[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d"
    r")(?![\d])(?:,?\s+\d{1,2}:\d{2}(?![\d]))?"
)
_NUMBERS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]{3,}")
#: ISO 8601's basic format, `20200413T16:38:07Z`, as the extended one the dates module reads.
_COMPACT_ISO = re.compile(r"^((?:19|20)\d\d)(\d\d)(\d\d)T(\d\d):?(\d\d)(?::?(\d\d))?(?=$|Z|[+-.])")
_CLOCK_TIME = re.compile(r"\d[:h]\d\d")
_SPACED_NUMERIC = re.compile(r"(\d)\s?([./])\s?(?=\d)")
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
    #: A machine publication date the page contradicts, so not taken: no day the page
    #: prints next to its headline is that date's day (`contradicts`).
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
    heading = cache(lambda: generic.heading(page))
    if not context.languages:
        context = replace(context, languages=_detected_languages(heading()))
    rings = cache(lambda: HeadlineTexts(heading()))
    texts = cache(lambda: rings().upto())
    near = cache(lambda: rings().upto(NEAR_RINGS))
    unreadable: list[tuple[str, str]] = []
    contradicted: list[PageDate] = []
    published = _published(page, url, context, meta, sources, texts, near, unreadable, contradicted)
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
    unreadable: list[tuple[str, str]],
    contradicted: list[PageDate],
) -> PageDate | None:
    """The surest absolute date; with a date in the URL, the surest one on the URL's day.
    Machine dates that cannot be read are added to ``unreadable``.

    A URL's date is fixed when the article is first filed, in the site's own day, while
    metadata dates are often reset by CMS migrations and republishing, or written in UTC,
    which can be the next or previous day: the URL's day decides, and a machine date on
    that day (at some real-world offset) keeps its time of day. The text next to the
    headline comes before htmldate, which takes an "Updated" line or a "latest news"
    list in the article's block for the date (bench/README.md weighs the two).
    """
    in_url = context.read(url_date(url), "url") if "url" in sources else None
    texts_found = cache(
        lambda: list(_candidates(page, meta, "published", ("text",), sources, texts))
    )
    printed = cache(lambda: printed_days(near()) if "text" in sources else [])
    for source, raw in _candidates(page, meta, "published", MACHINE_ORDER, sources, texts):
        found = context.read(raw, source)
        if found is None:
            unreadable.append((source, raw))
        elif found.relative:
            continue  # "2 hours ago" in machine data: no surer than text
        elif in_url is None:
            found = _on_printed_day(found, printed(), context)
            if contradicts(found, printed(), context):
                contradicted.append(found)
                return None
            return found
        elif _falls_on(found.value, in_url.day):
            return replace(found, day=in_url.day)
    if in_url is not None:
        return in_url
    guessed = cache(lambda: _htmldate(page, url, context) if "htmldate" in sources else None)
    listed = is_list(texts_found())
    # Text that names no day is a clock time or "2 hours ago" at best: the last resort.
    return (
        (None if listed else _first(_dated(texts_found()), context))
        or guessed()
        or (_first(_dated(texts_found()), context) if listed else None)
        or _first(iter(texts_found()), context, relative=True)
    )


def _dated(texts: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    return (text for text in texts if _DAY.search(text[1]))


def is_list(texts: list[tuple[str, str]]) -> bool:
    """Whether the dates printed around the headline are a list: as many different days
    as `LIST_DAYS` are the dates of other articles (an index page, teasers next to the
    story), and which of them, if any, is the article's, their place does not say."""
    days = {match[0] for _, text in texts if (match := _PRINTED_DATE.search(text))}
    return len(days) >= LIST_DAYS


def printed_days(texts: list[tuple[str, bool]]) -> list[str]:
    """The full dates (with their year) printed as publication dates in ``texts``; none
    when they are a list (`is_list`)."""
    published = [("text", text) for text, modified in texts if not modified]
    if is_list(published):
        return []
    return [match[0] for _, text in published if (match := _PRINTED_DATE.search(text))]


def contradicts(found: PageDate, printed: list[str], context: Context) -> bool:
    """Whether the page prints days next to its headline and none is ``found``'s day.

    Then the page says two things: its metadata one day, what it shows its readers
    another (an update shown as the date, a republication, a CMS's draft or migration
    date in the metadata), and which is the publication neither says. A wrong date
    files the article under the wrong day for ever; no date is a visible gap. A day on
    which the instant falls in some real-world zone is no contradiction (`01:00+05:30`
    on the 16th is the 15th in Europe): the metadata's own offset then gives the day.
    """
    timed = bool(_CLOCK_TIME.search(found.raw))  # a day alone is that day, not an instant
    contradicted = False
    for raw in printed:
        if _may_print(raw, found.day):
            return False
        shown = context.read(raw, "text")
        if shown is None or shown.relative:
            continue
        if shown.day == found.day or (timed and _falls_on(found.value, shown.day)):
            return False
        contradicted = True
    return contradicted


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


def jsonld_dates(meta: Metadata, kind: Kind) -> Iterator[str]:
    """The article object's dates first, then those of the page's other objects."""
    others = (o for document in meta.jsonld_documents for o in document if o is not meta.jsonld)
    objects = [meta.jsonld, *others]
    for obj in objects:
        if json_types(obj) & _FOREIGN_TYPES:
            continue
        for key in JSONLD_KEYS[kind]:
            value = _json_text(obj.get(key))
            if value:
                yield value


def time_dates(page: Selector, kind: Kind) -> Iterator[str]:
    """Machine dates of `itemprop` and `<time>` elements outside comments and teasers."""
    props = _ITEMPROPS[kind]
    for prop in _ITEMPROP_VALUES(page.root):
        element = prop.getparent()
        if prop.strip() in props and not _in_foreign_block(element):
            value = _element_date(element)
            if value:
                yield value
    if kind == "modified":
        return
    for element in page.root.iter("time"):
        value = (element.get("datetime") or "").strip()
        if (
            value
            and (element.get("pubdate") is not None or _in_article(element))
            and not _in_foreign_block(element)
            and not MODIFIED_WORDS.search(_context_words(element))
        ):
            yield value


class HeadlineTexts:
    """Date-like text in the headline's block and its neighbours (bylines, datelines),
    ring by ring outwards (`_neighbourhoods`), each ring read once and only when asked
    for: most pages need only the nearest ones, and the outer rings are most of the page.

    Within a ring, shortest first (the date, not its whole meta line); each text comes
    with whether its words or markup call it a modification. Text without a digit is a
    name or a label, or at best a weekday: never read.
    """

    def __init__(self, main: HtmlElement | None) -> None:
        self._rings = _neighbourhoods(main, ANCESTOR_LEVELS) if main is not None else iter(())
        self._read: list[list[tuple[str, bool]]] = []

    def upto(self, rings: int | None = None) -> list[tuple[str, bool]]:
        """The texts of the ``rings`` nearest rings (all when None), nearest first."""
        while rings is None or len(self._read) < rings:
            ring = next(self._rings, None)
            if ring is None:
                break
            self._read.append(_ring_texts(ring))
        return [text for ring in self._read[:rings] for text in ring]


def text_dates(main: HtmlElement | None) -> list[tuple[str, bool]]:
    """All of `HeadlineTexts` around the heading ``main``."""
    return HeadlineTexts(main).upto()


def _ring_texts(ring: list[HtmlElement]) -> list[tuple[str, bool]]:
    texts = []
    for root in ring:
        for element in _MARKED(root):
            if not is_date_element(element):
                continue
            text = element_text(element)
            if (
                len(text) > generic.MAX_DATE_TEXT
                or not _DIGIT.search(text)
                or _in_foreign_block(element)
            ):
                continue
            modified = bool(MODIFIED_WORDS.search(f"{text} {_context_words(element)}"))
            texts.append((len(text), [(t, modified) for t in printed_dates(text)]))
    return [text for _, found in sorted(texts, key=lambda text: text[0]) for text in found]


def printed_dates(text: str) -> list[str]:
    """The line itself, then the full date inside it when the dates module cannot read
    the whole line (a byline: "Von Redaktion, 4. 2. 2022")."""
    match = _PRINTED_DATE.search(text)
    if match is None or match[0] == text:
        return [text]
    return [text, _SPACED_NUMERIC.sub(r"\1\2", match[0])]


def url_date(url: str) -> str | None:
    """A full date in the URL path (`/2018/09/13/`, `/2018-09-13-`, `/20180913/`) as ISO."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    match = _URL_DATE_SLASHED.search(path)
    if match:
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    match = _URL_DATE.search(path.split("//", 1)[-1].partition("/")[2])
    if match:
        year, _, month, day = match.groups()
        return f"{year}-{month}-{day}"
    return None


def _htmldate(page: Selector, url: str, context: Context) -> PageDate | None:
    """htmldate's reading of the whole page.

    It is given the parsed tree, never a string: a string that looks like a URL it
    downloads. It prunes a copy of a tree it is given (htmldate 1.11), so the page's own
    tree stays whole for the other fields.
    """
    try:
        found = find_date(
            page.root,
            extensive_search=True,
            original_date=True,
            url=url,
            min_date=context.floor.replace(tzinfo=None),
            max_date=context.reference.astimezone(ZoneInfo(context.timezone)).replace(tzinfo=None),
        )
    except Exception:  # a heuristic library must not stop a crawl on odd markup
        return None
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


def _neighbourhoods(element: HtmlElement, levels: int) -> Iterator[list[HtmlElement]]:
    """Ever wider rings around the heading, each only what the previous did not hold: its
    parent's block, then the rest of each ancestor's a few levels up, below <body>; then,
    when <body> is reached, the blocks next to the heading's own top-level block."""
    top, node = element, element.getparent()
    for _ in range(levels):
        if node is None or node.tag in ("body", "html"):
            break
        yield [node] if top is element else [c for c in node.iterchildren("*") if c is not top]
        top, node = node, node.getparent()
    else:
        return
    yield [
        *islice(top.itersiblings("*", preceding=True), SIBLING_WINDOW),
        *islice(top.itersiblings("*"), SIBLING_WINDOW),
    ]


def is_date_element(element: HtmlElement) -> bool:
    """A <time>, or an element whose class, id or itemprop says it holds a date: has a
    word such as "date", "time", "publish", "posted", "meta" or "created" in it
    ("pubdate", "dateline", "timestamp", "post-meta", ...)."""
    if not isinstance(element.tag, str):
        return False
    if element.tag == "time":
        return True
    get = element.get
    markup = f"{get('class', '')} {get('id', '')} {get('itemprop', '')}".lower()
    # Plain substring tests, not a regex: a page has thousands of marked elements.
    return (
        "date" in markup
        or "time" in markup
        or "publish" in markup
        or "posted" in markup
        or "meta" in markup
        or "created" in markup
    )


def _context_words(element: HtmlElement) -> str:
    return " ".join(element.get(a, "") for a in ("class", "id", "itemprop", "name"))


def _in_article(element: HtmlElement) -> bool:
    return any(a.tag in ("article", "main") for a in element.iterancestors())


def _in_foreign_block(element: HtmlElement) -> bool:
    """Inside a comment thread, a teaser list, a sidebar or a footer."""
    for ancestor in element.iterancestors():
        if ancestor.tag in _FOREIGN_TAGS:
            return True
        markup = f"{ancestor.get('class', '')} {ancestor.get('id', '')}"
        if markup.strip() and FOREIGN_BLOCK.search(markup):
            return True
    return False


def _element_date(element: HtmlElement) -> str | None:
    value = element.get("datetime") or element.get("content") or element_text(element)
    return value.strip() if value and value.strip() else None


def _json_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | int | float)), None)
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value).strip()
    return None
