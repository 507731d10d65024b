"""One article page -> raw field values, each from the best layer that has it.

For every field: the site's selector; otherwise the page's metadata; otherwise the
generic reading of the visible page. Values stay raw here (dates are strings); the item
loader and pipelines clean and normalise them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler import dates
from crawler.extract import generic, page_dates
from crawler.extract.language import detect_language
from crawler.extract.metadata import Metadata
from crawler.extract.names import people, site_names, without_site_name
from crawler.extract.page_elements import page_elements
from crawler.extract.selectors import select
from crawler.sitedef import SiteDefinition
from crawler.urls import canonical_url

_LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_].*)?$")
#: Characters of title and body that language detection reads: plenty for a confident
#: answer, and the cost stays flat on long articles.
LANGUAGE_SAMPLE = 1000
#: How much of the visible main text a declared articleBody must hold to be used.
COMPLETE_SHARE = 0.8
#: Codes pages declare that are not ISO 639-1: country codes and ISO 639-2 codes.
LANGUAGE_ALIASES = {
    "ua": "uk", "ge": "ka", "gr": "el", "cz": "cs", "dk": "da", "jp": "ja", "se": "sv",
    "eng": "en", "rus": "ru", "aze": "az", "tur": "tr", "ukr": "uk", "kat": "ka", "geo": "ka",
    "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es",
}  # fmt: skip


@dataclass(slots=True)
class ExtractedArticle:
    url: str
    title: str | None = None
    published_raw: str | None = None
    #: The metadata's own publication date when `published_raw` came from another layer:
    #: the year it carries is used when `published_raw` has none.
    published_hint: str | None = None
    modified_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    summary: str | None = None
    body: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    language: str | None = None
    #: The page's own canonical link (rel=canonical, else og:url) as written, if any.
    declared_url: str | None = None
    #: Which layer gave each field: "selector", "metadata", "generic" or "listing"; for
    #: the dates, the generic layer's own source (see page_dates.SOURCES).
    sources: dict[str, str] = field(default_factory=dict)
    #: Fields whose site selector matched nothing on this page (a sign of a redesign).
    unmatched_selectors: list[str] = field(default_factory=list)


def extract_article(
    page: Selector,
    url: str,
    site: SiteDefinition,
    *,
    fetched_at: datetime,
    listing_section: str | None = None,
) -> ExtractedArticle:
    """Read one article page; `url` is the URL the page was fetched from."""
    meta = Metadata(page)
    declared = language_code(meta.language())
    language_declared = declared is not None
    language = _site_language(site, declared)
    bases = (base.get("href") for base in page_elements(page).by_tag("base"))
    base_url = urljoin(url, next((href for href in bases if href is not None), "").strip())
    declared_url = meta.canonical()
    article = ExtractedArticle(
        url=_article_url(declared_url, base_url, url, site),
        language=language,
        declared_url=declared_url,
    )
    date_languages = _date_languages(site, language)

    def readable(text: str) -> bool:
        parsed = dates.parse_date(
            text, languages=date_languages, timezone=site.timezone, reference=fetched_at
        )
        return parsed.value is not None

    def pick(name: str, *layers: tuple[str, Callable[[], str | list[str] | None]]) -> list[str]:
        css = site.selectors.get(name)
        if css is not None:
            values = select(page, name, css)
            if values is not None:
                article.sources[name] = "selector"
                return values
            article.unmatched_selectors.append(name)
        for source, layer in layers:
            value = layer()
            values = [v for v in ([value] if isinstance(value, str) else value or []) if v.strip()]
            if values:
                article.sources[name] = source
                return values
        return []

    def first(values: list[str]) -> str | None:
        return values[0] if values else None

    publication = site_names(meta, url)
    article.title = without_site_name(
        first(pick("title", ("metadata", meta.title), ("generic", lambda: generic.title(page)))),
        publication,
    )
    found = cache(lambda: generic_dates(page, url, site, fetched_at, meta))
    for name in ("published", "modified"):
        raw = first(pick(name, ("generic", lambda n=name: _raw(getattr(found(), n)))))
        setattr(article, f"{name}_raw", raw)
        if article.sources.get(name) == "generic":
            article.sources[name] = getattr(found(), name).source
    if article.published_raw is None and found().unreadable:
        # The page declares a date no one can read: kept, so the archive logs why it has none.
        article.sources["published"], article.published_raw = found().unreadable
    elif article.published_raw is None and found().contradicted:
        # The page contradicts its own date: none is taken, and the archive says why.
        article.sources["published"] = "contradicted"
    if article.sources.get("published") == "selector":
        # A year-less selected date takes its year from the page's machine date.
        machine = found().published
        if machine is not None and machine.source in page_dates.MACHINE_SOURCES:
            article.published_hint = machine.raw
    article.authors = people(
        pick("authors", ("metadata", meta.authors), ("generic", lambda: generic.authors(page))),
        publication,
    )
    article.section = first(
        pick(
            "section",
            ("metadata", meta.section),
            ("generic", lambda: generic.section(page, article.title)),
            ("listing", lambda: listing_section),
        )
    )
    article.summary = first(pick("summary", ("metadata", meta.summary)))
    visible_body = cache(lambda: generic.body(page, url))
    article.body = _without_head(
        pick(
            "body",
            ("metadata", lambda: _complete(meta.body(), visible_body)),
            ("generic", visible_body),
        ),
        article.title,
        readable,
    )
    article.tags = pick("tags", ("metadata", meta.tags), ("generic", lambda: generic.tags(page)))
    image = first(pick("image", ("metadata", meta.image), ("generic", lambda: generic.image(page))))
    article.image_url = urljoin(base_url, image) if image else None
    if article.language is None:
        sample = " ".join([article.title or "", *article.body])[:LANGUAGE_SAMPLE]
        article.language = detect_language(sample)
        if article.language:
            article.sources["language"] = "generic"
    elif language_declared:
        article.sources["language"] = "metadata"
    return article


def generic_dates(
    page: Selector,
    url: str,
    site: SiteDefinition,
    fetched_at: datetime,
    meta: Metadata | None = None,
    *,
    sources: Collection[str] = page_dates.SOURCES,
) -> page_dates.PageDates:
    """The generic layer of `published` and `modified`: what a site without date selectors
    gets (bench/page_dates.py measures exactly this)."""
    meta = meta or Metadata(page)
    languages = _date_languages(site, _site_language(site, language_code(meta.language())))
    context = page_dates.Context(languages, site.timezone, fetched_at)
    return page_dates.find_dates(page, url, context, meta, sources=sources)


def _site_language(site: SiteDefinition, declared: str | None) -> str | None:
    """The page's declared language, else the site's when it has only one."""
    return declared or (site.languages[0] if len(site.languages) == 1 else None)


def _date_languages(site: SiteDefinition, language: str | None) -> tuple[str, ...]:
    """The languages dates are read in: the site's, else the page's when dateparser knows it."""
    return site.languages or dates.known_languages((language,) if language else ())


def _raw(found: page_dates.PageDate | None) -> str | None:
    return found.raw if found else None


def _complete(declared: list[str], visible: Callable[[], list[str]]) -> list[str]:
    """A JSON-LD articleBody, unless it is shorter than the text the page shows.

    Publishers often declare only a teaser there (the first few hundred characters), so
    it is taken only when it holds at least COMPLETE_SHARE of the visible main text.
    """
    if not declared:
        return []
    declared_length = sum(map(len, declared))
    return declared if declared_length >= COMPLETE_SHARE * sum(map(len, visible())) else []


def _without_head(
    paragraphs: list[str], title: str | None, readable: Callable[[str], bool]
) -> list[str]:
    """The body without the headline and the dateline that blocks often start with."""
    body = [p for p in paragraphs if p.strip() != (title or "").strip()]
    while body and len(body[0]) <= generic.MAX_DATE_TEXT and readable(body[0]):
        body.pop(0)
    return body


def language_code(value: str | None) -> str | None:
    """'en-US', 'en_GB', 'az-Latn-AZ', 'ua' -> 'en', 'en', 'az', 'uk' (ISO 639-1)."""
    match = _LANGUAGE.match((value or "").strip().lower())
    if not match:
        return None
    return LANGUAGE_ALIASES.get(match.group(1), match.group(1))


def _article_url(canonical: str | None, base_url: str, url: str, site: SiteDefinition) -> str:
    """The page's own canonical URL when it is an article URL of the site, else the fetched
    URL: many CMSs point og:url, or even rel=canonical, at the home page of every article."""
    if canonical:
        absolute = urljoin(base_url, canonical.strip())
        if (
            urlsplit(absolute).scheme in ("http", "https")
            and site.allows(absolute)
            and site.article_url.search(absolute)
        ):
            try:
                return canonical_url(absolute)
            except ValueError:
                pass  # a malformed canonical link: the fetched URL is still good
    return canonical_url(url)
