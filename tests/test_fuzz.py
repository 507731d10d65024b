"""Untrusted input, generated: random and mutated pages through the extractors, random
URL-like text through canonicalisation. Whatever a server sends, no exception escapes."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from crawler.extract import extract_article
from crawler.sitedef import SiteDefinition, load_site
from crawler.spiders import listing
from crawler.urls import canonical_url, clean_url, year_in_path
from demosite.generate import generate_site
from tests.crawling import DEMO_DEFINITION

FETCHED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8750/politics/31990"
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON_LD_KEYS = (
    "@context", "@type", "@graph", "@id", "headline", "name", "description", "articleBody",
    "datePublished", "dateModified", "author", "image", "url", "keywords", "articleSection",
    "inLanguage", "mainEntityOfPage", "publisher",
)  # fmt: skip
META_NAMES = (
    "og:title", "og:description", "og:image", "og:url", "article:published_time",
    "article:modified_time", "article:section", "article:tag", "article:author",
    "description", "author", "keywords", "date", "pubdate",
)  # fmt: skip


@cache
def real_pages() -> tuple[bytes, ...]:
    """Heavy demo pages (articles and listings) as the crawler receives them."""
    with tempfile.TemporaryDirectory(prefix="fuzz-site-") as directory:
        root = Path(directory)
        generate_site(root, articles=12, now=FETCHED, heavy=True)
        pages = (p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())
        return tuple(page for page in pages if page.startswith(b"<!doctype html>"))


@cache
def sites() -> tuple[SiteDefinition, SiteDefinition]:
    """The demo definition with its selectors, and with none and no languages."""
    with_selectors = load_site(DEMO_DEFINITION)
    return with_selectors, replace(with_selectors, selectors=MappingProxyType({}), languages=())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(JSON_LD_KEYS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def fragments(draw: st.DrawFn) -> str:
    """A piece of markup a page might carry: structured data, meta tags, dates, junk."""
    kind = draw(st.sampled_from(["json-ld", "meta", "time", "tag", "text", "raw-json"]))
    if kind == "json-ld":
        value = json.dumps(draw(json_values))
        return f'<script type="application/ld+json">{value}</script>'
    if kind == "raw-json":
        return f'<script type="application/ld+json">{draw(st.text(max_size=40))}</script>'
    if kind == "meta":
        name = draw(st.sampled_from(META_NAMES))
        return f'<meta property="{name}" name="{name}" content="{draw(st.text(max_size=40))}">'
    if kind == "time":
        return f'<time datetime="{draw(st.text(max_size=30))}">{draw(st.text(max_size=30))}</time>'
    if kind == "tag":
        tag = draw(st.sampled_from(["p", "div", "h1", "article", "a", "img", "span", "br"]))
        attrs = draw(st.sampled_from(["", ' class="news-text"', ' href="//"', ' src=":"']))
        return f"<{tag}{attrs}>{draw(st.text(max_size=30))}"
    return draw(st.text(max_size=60))


@st.composite
def mutated_pages(draw: st.DrawFn) -> bytes:
    """A real page cut, spliced, repeated and sprinkled with fragments."""
    page = draw(st.sampled_from(real_pages()))
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(page)))
        end = draw(st.integers(start, min(len(page), start + 4000)))
        action = draw(st.sampled_from(["delete", "insert", "repeat", "truncate", "bytes"]))
        if action == "delete":
            page = page[:start] + page[end:]
        elif action == "insert":
            page = page[:start] + draw(fragments()).encode("utf-8", "surrogatepass") + page[start:]
        elif action == "repeat":
            page = page[:end] + page[start:end] * draw(st.integers(2, 5)) + page[end:]
        elif action == "truncate":
            page = page[:start]
        else:
            page = page[:start] + draw(st.binary(max_size=50)) + page[start:]
    return page


def run_extractors(body: bytes) -> None:
    """What the spider does with a page: listing links, next page, the article fields."""
    response = HtmlResponse(URL, body=body)
    for site in sites():
        page = response.selector
        listing.article_entries(page, URL, listing.ArticleLinks(site), lambda text: None)
        listing.next_page(page, URL, site)
        listing.section_label(page)
        article = extract_article(page, URL, site, fetched_at=FETCHED, listing_section="X")
        assert article.url.startswith("http")


@SETTINGS
@given(mutated_pages())
def test_mutated_real_pages_never_raise(body: bytes) -> None:
    run_extractors(body)


@SETTINGS
@given(st.lists(fragments(), max_size=12))
def test_random_structured_data_never_raises(pieces: list[str]) -> None:
    head = "".join(p for p in pieces if p.startswith(("<script", "<meta")))
    body = "".join(p for p in pieces if not p.startswith(("<script", "<meta")))
    run_extractors(
        f"<html><head>{head}</head><body>{body}</body></html>".encode("utf-8", "replace")
    )


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(body: bytes) -> None:
    run_extractors(body)


url_pieces = st.tuples(
    st.sampled_from(
        ["http://", "https://", "HTTP://", "ftp://", "//", "", "http:/", "javascript:"]
    ),
    st.text(max_size=12) | st.sampled_from(["a.org", "xn--80ak6aa92e.com", "[::1]", "пример.рф"]),
    st.sampled_from(["", ":80", ":0", ":99999", ":-1", ":", ":8o"]),
    st.text(max_size=20) | st.from_regex(r"(/[\w.%~-]{0,6}){0,4}", fullmatch=True),
    st.sampled_from(["", "?"]) | st.from_regex(r"\?([\w%;=&+]{0,8}){0,3}", fullmatch=True),
    st.sampled_from(["", "#", "#x"]),
)


@settings(max_examples=200, deadline=None)
@given(url_pieces)
def test_url_like_text_gives_a_url_or_a_value_error(pieces: tuple[str, ...]) -> None:
    text = "".join(pieces)
    try:
        canonical = canonical_url(text)
        cleaned = clean_url(text)
    except ValueError:
        return
    assert "#" not in canonical
    assert canonical_url(canonical) == canonical
    assert canonical_url(cleaned) == canonical
    year = year_in_path(text)
    assert year is None or 1900 <= year <= 2100 or re.search(str(year), text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_listing_links_of_any_text_are_skipped_or_read(href: str) -> None:
    site = sites()[0]
    body = f'<html><body><a href="{href}">x</a><a class="next" href="{href}">Next</a></body></html>'
    response = HtmlResponse(URL, body=body.encode("utf-8", "surrogatepass"))
    listing.article_entries(response.selector, URL, listing.ArticleLinks(site), lambda text: None)
    listing.next_page(response.selector, URL, site)


def test_control_characters_beside_a_removed_element_do_not_raise() -> None:
    """Found by the fuzzer: lxml's HTML parser keeps a control character in a tail that
    lxml then refuses to assign, when the element before it is removed."""
    paragraphs = "".join(
        f"<p>Paragraph {n} of the story, long enough to count.</p>" for n in range(6)
    )
    body = (
        f"<html><body><article><h1>Title</h1><div hidden>gone</div>tail\x01 text<\x01meta>"
        f'<div class="share-buttons">Share</div>after\x0b{paragraphs}</article></body></html>'
    )
    run_extractors(body.encode("utf-8"))
