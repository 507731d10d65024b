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
from lxml import etree
from parsel import Selector

from crawler.dates import CLOCK_SKEW
from crawler.extract import extract_article, page_dates
from crawler.extract.article import generic_dates
from crawler.extract.date_candidates import (
    FOREIGN_BLOCK,
    MODIFIED_WORDS,
    Words,
    _in_foreign_block,
    is_date_element,
    is_list,
    url_date,
)
from crawler.extract.page_dates import FLOOR, SOURCES, PageDates
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
    head: str = "",
    body: str = "",
    url: str = URL,
    sources: Collection[str] = SOURCES,
    *,
    lang: str = "en",
    site: SiteDefinition = SITE,
) -> PageDates:
    page = Selector(text=f"<html lang='{lang}'><head>{head}</head><body>{body}</body></html>")
    return generic_dates(page, url, site, FETCHED, sources=sources)


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
        "2018-09-13T15:15:00+01:00",
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
        "2018-09-13T15:15:00+01:00",
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
        "2018-09-14T03:00:00+01:00",
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
        "2018-09-13T11:00:00+01:00",
        "jsonld",
    ),
    (
        "metadata in UTC takes the day printed by the headline when the instant is on it",
        meta("article:published_time", "2021-11-04T23:00:00Z", "property"),
        ARTICLE.format('<span class="date">5 November 2021</span>'),
        URL,
        "2021-11-05",
        "meta",
    ),
    (
        "metadata at its own offset keeps its day, whatever the text says",
        meta("article:published_time", "2020-04-16T01:00:03+05:30", "property"),
        ARTICLE.format('<span class="date">15 April 2020</span>'),
        URL,
        "2020-04-16",
        "meta",
    ),
    (
        "the date inside a byline line",
        "",
        ARTICLE.format('<p class="post-meta">Published in News on 26 Jan 2022 by Jo Smith</p>'),
        URL,
        "2022-01-26",
        "text",
    ),
    (
        "a spaced numeric date inside a byline",
        "",
        ARTICLE.format('<p class="post-meta">Von Redaktion 4. 2. 2022.</p>'),
        URL,
        "2022-02-04",
        "text",
    ),
    (
        "a printed date's day at the zone it names",
        "",
        ARTICLE.format('<span class="date">7:40 p.m. ET March 17, 2020</span>'),
        URL,
        "2020-03-17",
        "text",
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


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en-GB", "2020-10-02"),
        ("en-IN", "2020-10-02"),
        ("en-US", "2020-02-10"),
        ("en", None),  # English of no stated region: 2 October or February 10, unknown
        ("fr", "2020-10-02"),  # the language's own order
    ],
)
def test_slashed_dates_by_the_pages_locale(lang: str, expected: str | None) -> None:
    body = ARTICLE.format('<span class="date">02/10/2020</span>')
    site = replace(SITE, languages=())  # the page's language is the one read in
    found = dates_of("", body, sources=("text",), lang=lang, site=site).published
    assert (found.day.isoformat() if found else None) == expected
    if found is not None:  # the archive reads the string kept, and must read the same day
        assert found.raw in ("02.10.2020", "02/10/2020")


def test_slashed_date_that_is_not_ambiguous_needs_no_locale() -> None:
    body = ARTICLE.format('<span class="date">25/10/2020</span>')
    found = dates_of("", body, sources=("text",), lang="en").published
    assert found is not None and found.day.isoformat() == "2020-10-25"


def test_utc_instant_on_the_sites_day() -> None:
    berlin = replace(SITE, timezone="Europe/Berlin")
    head = meta("article:published_time", "2021-11-04T23:30:00Z", "property")
    found = dates_of(head, ARTICLE.format(""), site=berlin).published
    assert found is not None
    assert (found.day.isoformat(), found.raw) == ("2021-11-05", "2021-11-04T23:30:00Z")


LIST = (
    '<ul class="posts">'
    + "".join(f'<li><span class="date">{day} March 2019</span> Post</li>' for day in (4, 2, 1))
    + "</ul>"
)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["4 March 2019", "Posted 4 March 2019"], False),
        (["4 March 2019", "2 March 2019"], False),
        (["4 March 2019", "2 March 2019", "01.03.2019 10:00"], True),
        (["2 hours ago", "yesterday", "Monday"], False),
    ],
)
def test_dates_around_the_headline_that_are_a_list(texts: list[str], expected: bool) -> None:
    assert is_list([("text", text) for text in texts]) is expected


def test_a_list_of_dates_is_read_only_when_nothing_else_dates_the_page() -> None:
    """An index page: the teasers' dates are the last resort, and the URL comes first."""
    body = f"<main><h1>Blog</h1>{LIST}</main>"
    found = dates_of("", body, sources=("text",)).published
    assert found is not None and found.day.isoformat() == "2019-03-04"
    head = meta("article:published_time", "2019-03-04T23:30:00Z", "property")
    kept = dates_of(head, body, sources=("meta", "text")).published
    assert kept is not None and kept.day.isoformat() == "2019-03-04"  # no printed day


@pytest.mark.parametrize(
    ("head", "printed"),
    [
        (
            meta("article:published_time", "2021-12-20T11:02:44+01:00", "property"),
            "27 January 2022",
        ),
        (meta("article:published_time", "2021-11-04T12:00:00Z", "property"), "7 November 2021"),
        (meta("date", "2020-04-30"), "29 April 2020 12:01"),  # a day alone is no instant
        (
            jsonld({"@type": "NewsArticle", "datePublished": "2021-01-01T11:00:00.000Z"}),
            "01.04.2023, 12:00",
        ),
    ],
)
def test_the_printed_date_over_a_machine_date_it_contradicts(head: str, printed: str) -> None:
    body = ARTICLE.format(f'<span class="date">{printed}</span>')
    found = dates_of(head, body).published
    assert found is not None and found.source == "text"
    assert found.raw in printed  # the full date read, kept for the archive to read again
    page = Selector(text=f"<html lang='en'><head>{head}</head><body>{body}</body></html>")
    article = extract_article(page, URL, SITE, fetched_at=FETCHED)
    assert (article.published_raw, article.sources["published"]) == (found.raw, "text")


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("2020-04-16T01:00:03+05:30", "15 April 2020"),  # the 15th in Europe: one instant
        ("2021-11-04T10:00:00+01:00", "Updated 9 November 2021"),  # a modification
        ("2021-11-04T10:00:00+01:00", "4 November 2021, 10:00"),
    ],
)
def test_a_printed_day_that_agrees_or_is_a_modification_is_no_contradiction(
    raw: str, printed: str
) -> None:
    head = meta("article:published_time", raw, "property")
    found = dates_of(head, ARTICLE.format(f'<span class="date">{printed}</span>'))
    assert found.published is not None and found.published.raw == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20200413T16:38:07Z", "2020-04-13T16:38:07+00:00"),
        ("20200413T163807+0200", "2020-04-13T16:38:07+02:00"),
        ("20200413T1638Z", "2020-04-13T16:38:00+00:00"),
    ],
)
def test_iso_basic_format(raw: str, expected: str) -> None:
    utc = replace(SITE, timezone="UTC")
    found = dates_of(meta("date", raw), ARTICLE.format(""), site=utc).published
    assert found is not None and found.value.isoformat() == expected
    assert found.raw.startswith("2020-04-13T16:38")  # the archive reads the same string


def test_a_page_of_no_declared_language_is_read_in_its_headlines() -> None:
    """A page and a site that declare no language: the dateline is read in the language
    of the headline's block (German here), not in every language at once."""
    bare = replace(SITE, languages=())
    body = (
        "<article><h1>Der Gemeinderat hat den Haushalt nach langer Debatte beschlossen</h1>"
        "<p>Die Stadt investiert vor allem in die Schulen und in den Nahverkehr.</p>"
        '<span class="date">Veröffentlicht am 4. März 2019</span></article>'
    )
    page = Selector(text=f"<html><head></head><body>{body}</body></html>")
    found = generic_dates(page, URL, bare, FETCHED, sources=("text",)).published
    assert found is not None and found.day.isoformat() == "2019-03-04"


PLAIN = (
    "<div><h2>Budget approved</h2><p>The council approved the budget after a long debate "
    "about schools and buses in the town.</p><p>Posted on 4 March 2019 by the editors.</p>{}"
    "</div>"
)


@pytest.mark.parametrize(
    ("later", "expected", "contradicted"),
    [
        ("", "2019-03-04", None),  # one day on the page: htmldate's reading is taken
        ("<p>Last changed on 6 May 2019.</p>", None, "2019-03-04"),  # two: a guess, not taken
    ],
)
def test_htmldate_is_taken_only_when_sure(
    later: str, expected: str | None, contradicted: str | None
) -> None:
    found = dates_of("", PLAIN.format(later), sources=("htmldate",))
    assert (found.published.day.isoformat() if found.published else None) == expected
    assert (found.contradicted.day.isoformat() if found.contradicted else None) == contradicted
    if contradicted:
        assert found.contradicted.source == "htmldate"
        page = Selector(text=f"<html lang='en'><body>{PLAIN.format(later)}</body></html>")
        article = extract_article(page, URL, SITE, fetched_at=FETCHED)
        assert (article.published_raw, article.sources["published"]) == (None, "contradicted")


def test_htmldate_leaves_the_crawls_tree_whole() -> None:
    """htmldate prunes the tree it searches; the crawl's own tree, which the other fields
    are read from after the dates, must come back unchanged."""
    page = Selector(
        text="<html lang='en'><body><nav>Menu</nav>"
        + PLAIN.format("<script>var x = 1;</script><footer>© 2019</footer>")
        + "</body></html>"
    )
    before = etree.tostring(page.root)
    assert generic_dates(page, URL, SITE, FETCHED).published is not None
    assert etree.tostring(page.root) == before


@settings(max_examples=40, deadline=None)
@given(
    st.recursive(
        st.just("<span class='date'>1 May 2020</span>"),
        lambda inner: st.tuples(
            st.sampled_from(["div", "aside", "section", "footer", "p"]),
            st.sampled_from(["", "comments", "article-body", "related-news", "meta"]),
            st.lists(inner, min_size=1, max_size=3),
        ).map(lambda t: f"<{t[0]} class='{t[1]}'>{''.join(t[2])}</{t[0]}>"),
        max_leaves=12,
    )
)
def test_foreign_blocks_known_along_the_way_give_the_same_answers(markup: str) -> None:
    """Answers remembered for the ancestors of one element (the rings around the headline
    ask for many elements of one block) are the answers a fresh walk gives."""
    root = Selector(text=f"<html><body>{markup}</body></html>").root
    known: dict[etree._Element, bool] = {}
    elements = list(root.iter())
    for element in [*elements, *reversed(elements)]:
        assert _in_foreign_block(element, known) == _in_foreign_block(element)


_WORDS = (FOREIGN_BLOCK, MODIFIED_WORDS)


@pytest.mark.parametrize("words", _WORDS, ids=["foreign", "modified"])
def test_words_are_written_so_that_lower_cased_ascii_finds_what_re_i_finds(words: Words) -> None:
    """The shortcut's two conditions: the pattern's ASCII letters are lower case (escapes
    such as \\W aside), and none of its other letters has an ASCII case partner under
    `re.I` (as the dotless ı has i, and the Kelvin sign k)."""
    source = re.sub(r"\\.", "", words.pattern.pattern)
    assert not re.search("[A-Z]", source)
    partners = [
        (char, ascii_char)
        for char in set(source)
        if not char.isascii()
        for ascii_char in map(chr, range(128))
        if re.fullmatch(re.escape(char), ascii_char, re.I)
    ]
    assert partners == []


@pytest.mark.parametrize(
    ("text", "foreign", "modified"),
    [
        ("", False, False),
        ("post-COMMENTS", True, False),
        ("SideBar widget-area", True, False),
        ("article-body", False, False),
        ("Last UPDATED 4 May", False, True),
        ("Zuletzt GEÄNDERT", False, True),
        ("ОБНОВЛЕНО 4 мая", False, True),
        ("Yenilənib", False, True),
        ("dates mis À jour", False, True),
        ("ed\u0131ted", False, True),  # re.I folds the dotless ı to i; lower() does not
    ],
)
def test_words_match_whatever_the_case(text: str, foreign: bool, modified: bool) -> None:
    assert FOREIGN_BLOCK.search(text) is foreign
    assert MODIFIED_WORDS.search(text) is modified


_WORD_PIECES = [
    "comment", "Related", "UPDATED", "edit", "geändert", "ОБНОВЛЕН", "more-news", "Most_Read",
    "mis à jour", "\u0131", "\u212a", "-", " ", "x", "Ä",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORD_PIECES) | st.text(max_size=4), max_size=6).map("".join))
def test_words_find_what_re_i_finds(text: str) -> None:
    for words in _WORDS:
        assert words.search(text) is (words.pattern.search(text) is not None)


_DATE_WORDS = ("date", "time", "publish", "posted", "meta", "created")
#: The element lists the rings read before they walked in Python: libxml2's XPath of the
#: elements with a class, id or itemprop, or a <time>.
_MARKED = etree.XPath("descendant-or-self::*[self::time or @class or @id or @itemprop]")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["div", "span", "time", "p"]),
            st.sampled_from(["class", "id", "itemprop", "title", "CLASS"]),
            st.sampled_from(["", "x", "Date", "post-META", "TIMEstamp", "publish", "dat e", " "]),
            st.booleans(),
        ),
        max_size=8,
    ),
    st.sampled_from(["", 'class="post-meta"', 'id="x"', 'itemprop="datePublished"']),
)
def test_date_elements_as_the_words_and_the_marked_elements_say(
    elements: list[tuple[str, str, str, bool]], marking: str
) -> None:
    """The rings' walk finds the elements the XPath did, the ring's own block included,
    and the test's shortcut for elements without a class, id or itemprop answers as the
    words do."""
    body = "".join(
        f'<{tag} {name}="{value}">x<!-- c --><?pi x?>' + ("" if nested else f"</{tag}>")
        for tag, name, value, nested in elements
    )
    page = etree.HTML(f"<html><body><div {marking}>{body}</div></body></html>")
    root = page.find("body/div")
    found = [e for e in root.iter(etree.Element) if is_date_element(e)]
    assert found == [e for e in _MARKED(root) if is_date_element(e)]
    for element in root.iter():
        if not isinstance(element.tag, str):  # a comment
            assert not is_date_element(element)
            continue
        markup = " ".join(element.get(a, "") for a in ("class", "id", "itemprop")).lower()
        expected = element.tag == "time" or any(word in markup for word in _DATE_WORDS)
        assert is_date_element(element) == expected


_PRINTED = st.sampled_from(
    ["4 March 2019", "5 March 2019", "2 March 2019", "Updated 6 March 2019", "4 hours ago", "x"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["2019-03-04T23:30:00Z", "2019-03-04T10:00:00+01:00", "2019-03-04", "2019-03-05T01:00Z"]
    ),
    st.lists(_PRINTED, max_size=4),
    st.lists(_PRINTED, max_size=4),
    st.booleans(),
)
def test_the_first_ring_settles_a_machine_date_as_both_rings_do(
    raw: str, first: list[str], second: list[str], modified: bool
) -> None:
    """A page whose headline's block settles its machine date without the next ring
    (`_settled_by_first_ring`) gets the date reading both rings gives."""
    spans = lambda texts: "".join(f'<span class="date">{t}</span>' for t in texts)  # noqa: E731
    head = meta("article:published_time", raw, "property") + (
        meta("article:modified_time", "2019-03-07T10:00:00Z", "property") if modified else ""
    )
    body = f"<article><div><h1>Budget</h1>{spans(first)}</div>{spans(second)}{PROSE}</article>"
    berlin = replace(SITE, timezone="Europe/Berlin")
    fast = dates_of(head, body, site=berlin)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(page_dates, "_settled_by_first_ring", lambda found, ring: False)
        slow = dates_of(head, body, site=berlin)
    assert fast == slow
