"""The generic date layer on small pages written for the purpose: one per source, one per trap."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parsel import Selector

from crawler.dates import CLOCK_SKEW
from crawler.extract import extract_article
from crawler.extract.article import generic_dates
from crawler.extract.page_dates import FLOOR, SOURCES, PageDates, url_date
from crawler.items import ArticleLoader
from crawler.sitedef import SiteDefinition

FETCHED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SITE = SiteDefinition(
    name="example",
    start_urls=("https://example.com/news/",),
    article_url=re.compile(r"/news/"),
    allowed_domains=("example.com",),
    path=Path("example.toml"),
    languages=("en",),
    timezone="Europe/London",
)
URL = "https://example.com/news/story-1"
PROSE = "<p>" + "The council approved the new budget after a long debate about schools. " * 4


def jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def meta(name: str, content: str, attribute: str = "name") -> str:
    return f'<meta {attribute}="{name}" content="{content}">'


def dates_of(
    head: str = "", body: str = "", url: str = URL, sources: Collection[str] = SOURCES
) -> PageDates:
    page = Selector(text=f"<html lang='en'><head>{head}</head><body>{body}</body></html>")
    return generic_dates(page, url, SITE, FETCHED, sources=sources)


ARTICLE = "<article><h1>Budget approved</h1>{}" + PROSE + "</article>"

# (case, head, body, url, published ISO instant at its own offset or day, its source)
SOURCE_CASES = [
    (
        "jsonld",
        jsonld({"@type": "NewsArticle", "datePublished": "2018-09-13T14:15:00+02:00"}),
        ARTICLE.format(""),
        URL,
        "2018-09-13T14:15:00+02:00",
        "jsonld",
    ),
    (
        "jsonld @graph: the article's date, not the web page's",
        jsonld(
            {
                "@graph": [
                    {"@type": "WebPage", "datePublished": "2017-01-02"},
                    {"@type": "NewsArticle", "datePublished": "2018-09-13T14:15:00Z"},
                ]
            }
        ),
        ARTICLE.format(""),
        URL,
        "2018-09-13T14:15:00+00:00",
        "jsonld",
    ),
    (
        "jsonld dateCreated",
        jsonld({"@type": "BlogPosting", "dateCreated": "2018-09-13"}),
        ARTICLE.format(""),
        URL,
        "2018-09-13T00:00:00+01:00",
        "jsonld",
    ),
    (
        "OpenGraph article:published_time",
        meta("article:published_time", "2018-09-13T14:15:00+04:00", "property"),
        ARTICLE.format(""),
        URL,
        "2018-09-13T14:15:00+04:00",
        "meta",
    ),
    (
        "itemprop datePublished",
        "",
        ARTICLE.format('<span itemprop="datePublished" content="2018-09-13T14:15">13 Sep</span>'),
        URL,
        "2018-09-13T14:15:00+01:00",
        "time",
    ),
    (
        "<time datetime> in the article",
        "",
        ARTICLE.format('<time datetime="2018-09-13T14:15:00Z">13 September</time>'),
        URL,
        "2018-09-13T14:15:00+00:00",
        "time",
    ),
    (
        "text next to the headline, in the site's zone",
        "",
        ARTICLE.format('<span class="post-date">13 September 2018, 14:15</span>'),
        URL,
        "2018-09-13T14:15:00+01:00",
        "text",
    ),
    (
        "URL path",
        "",
        ARTICLE.format(""),
        "https://example.com/news/2018/09/13/budget",
        "2018-09-13",
        "url",
    ),
    (
        "htmldate, on a page no markup dates",
        "",
        "<div><h1>Budget approved</h1><p>Posted on September 13, 2018 by admin</p>"
        + PROSE
        + "</div>",
        URL,
        "2018-09-13",
        "htmldate",
    ),
]

TRAP_CASES = [
    (
        "a comment's newer <time> is not the article's date",
        "",
        ARTICLE.format('<span class="date">13 September 2018</span>').replace(
            "</article>",
            '<section class="comments"><time datetime="2019-01-05T10:00:00Z">5 Jan</time>'
            "</section></article>",
        ),
        URL,
        "2018-09-13",
        "text",
    ),
    (
        "a related article's date is not the article's",
        "",
        ARTICLE.format('<span class="date">13 September 2018</span>').replace(
            "</article>",
            '<div class="related-articles"><h3>More</h3>'
            '<time datetime="2020-05-05T10:00:00Z">5 May</time></div></article>',
        ),
        URL,
        "2018-09-13",
        "text",
    ),
    (
        "a latest-news list in the article's block is not its date",
        "",
        ARTICLE.format(
            '<ul class="latest-news"><li><span class="date">1 Nov 2026</span></li></ul>'
            '<span class="date">13 September 2018, 14:15</span>'
        ),
        URL,
        "2018-09-13T14:15:00+01:00",
        "text",
    ),
    (
        "'Updated' printed before 'Published'",
        "",
        ARTICLE.format(
            '<div class="meta"><span class="date">Updated 14 September 2018</span> '
            '<span class="date">Published 13 September 2018</span></div>'
        ),
        URL,
        "2018-09-13",
        "text",
    ),
    (
        "the URL's date over metadata on another day (a republished article)",
        meta("article:published_time", "2019-06-17T18:28:00+02:00", "property"),
        ARTICLE.format(""),
        "https://example.com/news/2018/09/13/budget",
        "2018-09-13",
        "url",
    ),
    (
        "metadata in UTC on the URL's day somewhere keeps its time and takes the URL's day",
        meta("article:published_time", "2018-09-14T02:00:00Z", "property"),
        ARTICLE.format(""),
        "https://example.com/news/2018/09/13/budget",
        "2018-09-14T02:00:00+00:00",
        "meta",
    ),
    (
        "a date after the crawl is skipped",
        meta("article:published_time", "2030-01-01T00:00:00Z", "property"),
        ARTICLE.format('<span class="date">13 September 2018</span>'),
        URL,
        "2018-09-13",
        "text",
    ),
    (
        "a date before the floor (a founding year) is skipped",
        meta("date", "1990-05-01"),
        ARTICLE.format('<span class="date">13 September 2018</span>'),
        URL,
        "2018-09-13",
        "text",
    ),
    (
        "publication over modification, whatever their order",
        jsonld(
            {
                "@type": "NewsArticle",
                "dateModified": "2018-09-20T10:00:00Z",
                "datePublished": "2018-09-13T10:00:00Z",
            }
        ),
        ARTICLE.format(""),
        URL,
        "2018-09-13T10:00:00+00:00",
        "jsonld",
    ),
    (
        "relative text only when nothing else dates the page",
        "",
        ARTICLE.format('<span class="date">2 hours ago</span>'),
        URL,
        "2026-11-25T10:00:00+00:00",
        "text",
    ),
]


@pytest.mark.parametrize(
    ("head", "body", "url", "expected", "source"),
    [case[1:] for case in SOURCE_CASES + TRAP_CASES],
    ids=[case[0] for case in SOURCE_CASES + TRAP_CASES],
)
def test_published(head: str, body: str, url: str, expected: str, source: str) -> None:
    """Our own layers without htmldate (which reads the same text first on such small
    pages), then the whole layer, which must give the same day."""
    own = [s for s in SOURCES if s != "htmldate" or source == "htmldate"]
    found = dates_of(head, body, url, own).published
    assert found is not None
    assert found.source == source
    if "T" in expected:
        assert found.value.isoformat() == expected
    else:
        assert found.day.isoformat() == expected
    whole = dates_of(head, body, url).published
    assert whole is not None and whole.day == found.day


@pytest.mark.parametrize(
    "name",
    [
        "pubdate",
        "date",
        "DC.date.issued",
        "dcterms.created",
        "citation_publication_date",
        "parsely-pub-date",
        "sailthru.date",
        "publish-date",
    ],
)
def test_meta_names(name: str) -> None:
    found = dates_of(meta(name, "2018/09/13"), ARTICLE.format("")).published
    assert found is not None
    assert (found.source, found.day.isoformat()) == ("meta", "2018-09-13")


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (  # "Updated" printed first is the modification date
            "",
            ARTICLE.format(
                '<span class="date">Updated 14 September 2018</span> '
                '<span class="date">Published 13 September 2018</span>'
            ),
            "2018-09-14",
        ),
        (
            meta("article:modified_time", "2018-09-20T08:00:00Z", "property")
            + meta("article:published_time", "2018-09-13T08:00:00Z", "property"),
            ARTICLE.format(""),
            "2018-09-20",
        ),
        (  # a "modification" before the publication is some other date
            meta("article:modified_time", "2017-01-01T08:00:00Z", "property")
            + meta("article:published_time", "2018-09-13T08:00:00Z", "property"),
            ARTICLE.format(""),
            None,
        ),
    ],
)
def test_modified(head: str, body: str, expected: str | None) -> None:
    found = dates_of(head, body).modified
    assert (found.day.isoformat() if found else None) == expected


def test_copyright_year_is_no_date() -> None:
    body = ARTICLE.format("") + "<footer><p>© 2024 Example Media. All rights reserved.</p></footer>"
    assert dates_of("", body).published is None


def test_unreadable_machine_date_is_kept_for_the_record() -> None:
    found = dates_of(meta("article:published_time", "Latest news", "property"), ARTICLE.format(""))
    assert found.published is None
    assert found.unreadable == ("meta", "Latest news")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/2018/09/13/story", "2018-09-13"),
        ("https://example.com/2018/9/3/story", "2018-09-03"),
        ("https://example.com/news/2018-09-13-budget", "2018-09-13"),
        ("https://example.com/news/20180913/budget", "2018-09-13"),
        ("https://example.com/2018/09/story", None),  # a month is not a day
        ("https://example.com/news/12345678901/", None),
        ("https://example.com/news/2018-13-45-x", None),
        ("https://example.com/news/story?date=2018-09-13", None),  # the path only
    ],
)
def test_url_date(url: str, expected: str | None) -> None:
    assert url_date(url) == expected


def test_article_records_the_source_and_the_selector_wins() -> None:
    page = Selector(
        text="<html lang='en'><head>"
        + meta("article:published_time", "2018-09-13T14:15:00Z", "property")
        + "</head><body>"
        + ARTICLE.format('<span class="x-date">14 September 2018</span>')
        + "</body></html>"
    )
    generic = extract_article(page, URL, SITE, fetched_at=FETCHED)
    assert (generic.published_raw, generic.sources["published"]) == (
        "2018-09-13T14:15:00Z",
        "meta",
    )
    site = replace(SITE, selectors=MappingProxyType({"published": ".x-date"}))
    selected = extract_article(page, URL, site, fetched_at=FETCHED)
    assert (selected.published_raw, selected.sources["published"]) == (
        "14 September 2018",
        "selector",
    )
    # A year-less selected date takes the year of the page's machine date.
    assert selected.published_hint == "2018-09-13T14:15:00Z"


def test_loader_keeps_published_source() -> None:
    loader = ArticleLoader()
    loader.add_value("published_source", "jsonld")
    assert loader.load_item().published_source == "jsonld"


def test_relative_text_counts_from_the_crawl() -> None:
    found = dates_of("", ARTICLE.format('<span class="date">3 hours ago</span>')).published
    assert found is not None and found.relative
    assert found.value == FETCHED - timedelta(hours=3)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_text_gives_a_plausible_date_or_none(meta_value: str, text: str) -> None:
    head = f"<meta name='date' content='{html.escape(meta_value, quote=True)}'>"
    body = ARTICLE.format(f'<span class="date">{html.escape(text)}</span>')
    found = dates_of(head, body)
    for date in (found.published, found.modified):
        assert date is None or FLOOR <= date.value <= FETCHED + CLOCK_SKEW
