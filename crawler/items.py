"""The Article item and its loader: every text field cleaned the same way on its way in."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from itemloaders.processors import Identity, Join, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

#: Characters that render as a space (no-break, thin, figure, ideographic, ...).
_SPACE_LIKE = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000\t\r\n\f\v"
)
#: Invisible characters that only break search and comparison. Joiners (U+200C/U+200D) stay:
#: they change how Persian script and emoji read.
_INVISIBLE = "\u200b\u2060\ufeff\u00ad"
#: Control characters (tab, line and page breaks are spaces, above).
_CONTROL = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]))


def _any_of(characters: str) -> re.Pattern[str]:
    return re.compile(f"[{''.join(map(re.escape, characters))}]")


# One regular expression each, not str.translate: on the mostly unchanged text of an
# article, translate costs twice as much (bench/README.md).
_SPACE = _any_of(_SPACE_LIKE)
_DROPPED = _any_of(_CONTROL + _INVISIBLE)
_SPACES = re.compile(r" {2,}")


def clean_text(value: str) -> str | None:
    """One line of text: NFC, one kind of space, trimmed; None when empty.

    Entities were decoded by the HTML parser (and, for metadata, once more where CMSs
    double-escape); decoding again here would turn text about `&lt;b&gt;` into markup.
    """
    text = _DROPPED.sub("", _SPACE.sub(" ", unicodedata.normalize("NFC", value)))
    return _SPACES.sub(" ", text).strip() or None


def unique(values: list[str]) -> list[str]:
    """Values in first-seen order, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return list(seen.values())


@dataclass(slots=True)
class Article:
    """One article as the archive will store it; dates still raw until normalised."""

    url: str | None = None
    site: str | None = None
    section: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    published_raw: str | None = None
    published_hint: str | None = None
    #: Where the publication date was found: "selector" (the site's own), or the generic
    #: layer's "meta", "jsonld", "time", "text", "url" or "htmldate" (see
    #: crawler/extract/page_dates.py), or "feed" (the feed or sitemap that linked it), so
    #: that sure dates can be told from guesses; "contradicted" when the page's dates
    #: disagree and none was taken (published_raw is then None).
    published_source: str | None = None
    modified_at: str | None = None
    modified_raw: str | None = None
    language: str | None = None
    summary: str | None = None
    body: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    seen_at: datetime | None = None
    #: The year the section listing's date order gives this article's year-less date.
    listing_year: int | None = None
    #: When the feed or sitemap that linked the article says it was published (ISO 8601,
    #: UTC): evidence for the date, and its year when the page prints none.
    found_published: str | None = None
    #: How published_at's year was decided: see NormaliseDates.
    published_year_source: str | None = None
    #: Every URL this article was reached through or names itself by: (url, kind) pairs.
    urls: list[tuple[str, str]] = field(default_factory=list)
    #: The fetched response (see crawler.article_page.raw_page): kept by the archive beside
    #: the article, never one of its columns.
    raw_page: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SeenUnchanged:
    """An archived article re-fetched conditionally and answered `304 Not Modified`."""

    url: str
    site: str
    seen_at: datetime


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    url_in = Identity()
    image_url_in = MapCompose(str.strip)
    seen_at_in = Identity()
    listing_year_in = Identity()
    authors_out = unique
    tags_out = unique
    body_out = Join("\n\n")

    #: Each field's processors, looked up once: itemloaders looks them up for every
    #: value added, reading the item class's field metadata each time.
    _processors: ClassVar[dict[tuple[type, type, str, str], Callable[..., Any]]] = {}

    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        return self._processor(field_name, "in", super().get_input_processor)

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        return self._processor(field_name, "out", super().get_output_processor)

    def _processor(
        self, field_name: str, way: str, look_up: Callable[[str], Callable[..., Any]]
    ) -> Callable[..., Any]:
        key = (type(self), type(self.item), field_name, way)
        if key not in self._processors:
            self._processors[key] = look_up(field_name)
        return self._processors[key]
