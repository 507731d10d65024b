"""Extraction layers on small pages written for the purpose: selectors, metadata, generic."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree, html
from parsel import Selector

from crawler.extract import extract_article, generic, language_code
from crawler.extract.text import (
    clean_paragraphs,
    drop_labels,
    element_text,
    main_blocks,
    remove_keeping_tails,
    short_text,
    shows_text,
)
from crawler.sitedef import SiteDefinition

FETCHED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SITE = SiteDefinition(
    name="example",
    start_urls=("https://example.com/news/",),
    article_url=re.compile(r"/news/\d+"),
    allowed_domains=("example.com",),
    path=Path("example.toml"),
    languages=("en",),
    timezone="Europe/London",
)
PROSE = (
    "The council approved the new budget on Tuesday after a long debate about schools, "
    "roads and the future of the city's libraries, which had faced closure for two years."
)


def page(head: str = "", body: str = "", lang: str = "en") -> Selector:
    return Selector(text=f"<html lang='{lang}'><head>{head}</head><body>{body}</body></html>")


def extract(selector: Selector, site: SiteDefinition = SITE, **kwargs: object):
    return extract_article(
        selector, "https://example.com/news/1?utm_source=x", site, fetched_at=FETCHED, **kwargs
    )


def with_selectors(**selectors: str) -> SiteDefinition:
    return replace(SITE, selectors=MappingProxyType(selectors))


def test_jsonld_graph_fields() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Example"},
            {"@type": "Person", "@id": "#jane", "name": "Jane Doe"},
            {
                "@type": ["ReportageNewsArticle"],
                "headline": "Budget &amp; schools",
                "datePublished": "2018-09-13T14:15:00+01:00",
                "dateModified": "2018-09-14T09:00:00+01:00",
                "author": [{"@id": "#jane"}, {"@type": "Person", "name": "John Roe"}],
                "articleSection": ["Politics", "Local"],
                "description": "The council approved the budget.",
                "keywords": "budget, schools, ",
                "image": {"@type": "ImageObject", "url": "/img/1.jpg"},
                "articleBody": "First paragraph.\nSecond paragraph.",
            },
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    article = extract(page(head, "<h1>Visible headline</h1>"))
    assert article.title == "Budget & schools"
    assert article.published_raw == "2018-09-13T14:15:00+01:00"
    assert article.modified_raw == "2018-09-14T09:00:00+01:00"
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.section == "Politics"
    assert article.summary == "The council approved the budget."
    assert article.tags == ["budget", "schools"]
    assert article.image_url == "https://example.com/img/1.jpg"
    assert article.body == ["First paragraph.", "Second paragraph."]
    assert article.sources["title"] == "metadata"


#: JSON-LD as pages wrap it, and a headline: the marks go, the headline stays whole.
JSONLD_WRAPPED = {
    "bare": ("{doc}", "Budget passes"),
    "HTML comment": ("<!--{doc}-->", "Budget passes"),
    "CDATA with space around": (" \n <![CDATA[ {doc} ]]> \n", "Budget passes"),
    "comment marks inside a string only": ("{doc}", "Budget <!-- passes --> today ]]>"),
}


@pytest.mark.parametrize(
    ("wrapper", "headline"), JSONLD_WRAPPED.values(), ids=JSONLD_WRAPPED.keys()
)
def test_jsonld_wrapped_in_comment_marks(wrapper: str, headline: str) -> None:
    doc = json.dumps({"@type": "NewsArticle", "headline": headline, "datePublished": "2018-09-13"})
    head = f'<script type="application/ld+json">{wrapper.format(doc=doc)}</script>'
    article = extract(page(head, f"<article><h1>Visible</h1><p>{PROSE}</p></article>"))
    assert (article.title, article.published_raw) == (headline, "2018-09-13")


def test_broken_jsonld_falls_back_to_opengraph() -> None:
    head = """
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>
    <meta property="og:title" content="OG title">
    <meta property="og:description" content="OG summary">
    <meta property="og:image" content="https://cdn.example.com/a.jpg">
    <meta property="article:published_time" content="2018-09-13T14:15:00Z">
    <meta property="article:modified_time" content="2018-09-13T16:00:00Z">
    <meta property="article:section" content="World">
    <meta property="article:tag" content="Israel"><meta property="article:tag" content="Defence">
    <meta name="author" content="Jane Doe">
    <link rel="canonical" href="https://example.com/news/1">
    """
    article = extract(page(head, f"<article><h1>Visible</h1><p>{PROSE}</p></article>"))
    assert (article.title, article.summary, article.section) == ("OG title", "OG summary", "World")
    assert article.published_raw == "2018-09-13T14:15:00Z"
    assert article.modified_raw == "2018-09-13T16:00:00Z"
    assert article.tags == ["Israel", "Defence"]
    assert article.authors == ["Jane Doe"]
    assert article.url == "https://example.com/news/1"


def test_canonical_off_site_is_ignored() -> None:
    head = '<link rel="canonical" href="https://aggregator.example.org/story/1">'
    article = extract(page(head, "<h1>T</h1>"))
    assert article.url == "https://example.com/news/1"


NEWS = "https://example.com/news/"


@pytest.mark.parametrize(
    ("head", "declared", "url"),
    [
        ('<link rel="canonical" href="/news/2">', "/news/2", NEWS + "2"),
        ('<link rel="alternate canonical" href="/news/2">', "/news/2", NEWS + "2"),
        ('<link rel="\tcanonical\n" href="/news/2">', "/news/2", NEWS + "2"),
        ('<link rel="canonicals" href="/news/2">', None, NEWS + "1"),
        # The first canonical link that has an href; an empty one gives way to og:url.
        ('<link rel="canonical"><link rel="canonical" href="/news/3">', "/news/3", NEWS + "3"),
        ('<link rel="canonical" href=""><meta property="og:url" content="/news/4">', "/news/4",
         NEWS + "4"),
        # A relative canonical link is read against the page's <base href>, if it has one.
        ('<base target="x"><base href="/news/"><link rel="canonical" href="5">', "5", NEWS + "5"),
    ],
)  # fmt: skip
def test_declared_canonical_link(head: str, declared: str | None, url: str) -> None:
    article = extract(page(head, "<h1>T</h1>"))
    assert (article.declared_url, article.url) == (declared, url)


def test_jsonld_with_parameters_in_its_type_and_meta_tags_without_content() -> None:
    head = """<meta name="author"><meta name="author" content=" Jane Doe ">
    <script type="application/ld+json; charset=utf-8">{"@type": "NewsArticle",
    "headline": "From JSON-LD"}</script>"""
    article = extract(page(head, "<h1>Visible</h1>"))
    assert (article.title, article.authors) == ("From JSON-LD", ["Jane Doe"])


def test_jsonld_nested_too_deep_for_the_parser_is_skipped() -> None:
    deep = "[" * 5000 + "]" * 5000
    head = f"""<script type="application/ld+json">{deep}</script>
    <meta property="og:title" content="OG title">
    <meta property="article:published_time" content="2018-09-13T14:15:00Z">"""
    article = extract(page(head, f"<article><h1>Visible</h1><p>{PROSE}</p></article>"))
    assert (article.title, article.published_raw) == ("OG title", "2018-09-13T14:15:00Z")


def test_an_xhtml_page_s_xml_lang_is_its_language() -> None:
    body = f"<article><h1>Titel</h1><p>{PROSE}</p></article>"
    selector = Selector(text=f"<html xml:lang='de-AT'><head></head><body>{body}</body></html>")
    assert extract(selector).language == "de"


def test_time_element_and_language() -> None:
    body = f"<article><h1>T</h1><time datetime='2018-09-13T14:15'>13 Sep</time><p>{PROSE}</p>"
    article = extract(page(body=body + "</article>", lang="en-GB"))
    assert article.published_raw == "2018-09-13T14:15"
    assert article.language == "en"


def test_generic_layer_without_metadata() -> None:
    body = f"""
    <header><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
      <div class="today">Wednesday, 25 November 2026</div></header>
    <main>
      <div class="breadcrumb"><a href="/">Home</a> › <a href="/news/politics">Politics</a></div>
      <div class="article-head">
        <h1>Council approves budget</h1>
        <div class="meta"><span class="category">Politics</span>
          <span class="date">13 September 2018, 14:15</span></div>
        <div class="byline">By Jane Doe and John Roe</div>
      </div>
      <div class="content"><p>{PROSE}</p><p>{PROSE.upper()}</p><p>{PROSE[::-1]}</p></div>
      <div class="tags"><a rel="tag" href="/tag/budget">Budget</a></div>
    </main>
    <aside><h3>Latest news</h3><ul><li><a href="/news/2">Other story</a>
      <span class="date">12 September 2018, 10:00</span></li></ul></aside>
    """
    article = extract(page(body=body))
    assert article.title == "Council approves budget"
    assert article.published_raw == "13 September 2018, 14:15"
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.section == "Politics"
    assert article.tags == ["Budget"]
    assert article.body[0] == PROSE
    assert all("Other story" not in p for p in article.body)
    assert article.sources["body"] == "generic"


def _story(count: int) -> list[str]:
    return [f"Paragraph {i} of the story. {PROSE}" for i in range(count)]


@pytest.mark.parametrize(("blocks", "fast"), [(100, False), (6_000, True)])
def test_trafilatura_runs_without_fallbacks_on_pages_of_too_many_elements(
    monkeypatch: pytest.MonkeyPatch, blocks: int, fast: bool
) -> None:
    """Its fallback (justext) takes time growing with the square of a page's short
    blocks (20,000 elements 32 s, a 1 MB page of them minutes): beyond
    FALLBACK_MAX_ELEMENTS it is not run. The body is read either way."""
    asked = []
    extract_text = generic.trafilatura.extract
    monkeypatch.setattr(
        generic.trafilatura,
        "extract",
        lambda tree, **options: asked.append(options["fast"]) or extract_text(tree, **options),
    )
    filler = "<div><span>x</span></div>" * blocks
    article = extract(page(body=f"<h1>Budget</h1><article><p>{PROSE}</p></article>{filler}"))
    assert asked == [fast]
    assert article.body == [PROSE]


def test_a_hidden_copy_of_the_story_is_not_read() -> None:
    # Some pages carry a second, hidden copy of the story for machines (microdata): a
    # reader never sees it twice, nor the metadata values beside it.
    paragraphs = _story(4)
    visible = "".join(f"<p>{p}</p>" for p in paragraphs)
    hidden = (
        "<div style='display: none'><div itemprop='articleBody'>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div><span>2026-11-25T08:57:40+01:00</span><span>ExamplePublisher</span></div>"
    )
    article = extract(
        page("<title>Budget</title>", f"<h1>Budget</h1><article>{visible}</article>{hidden}")
    )
    assert article.body == paragraphs


def test_the_chunks_of_a_story_are_one_main_block() -> None:
    # Advertising between containers of the same markup: the story goes on after it,
    # and when trafilatura reads only the first chunk, the fallback reads them all.
    chunk = (
        "<div><div class='grid'><div class='body rich'><p>{0}</p><p>{0}</p></div>"
        "<div class='aside'></div></div></div><div class='ad'>Advertisement</div>"
    )
    html = "".join(chunk.format(f"Chunk {i}. {PROSE}") for i in range(3))
    root = Selector(text=f"<html><body><main>{html}</main><footer><p>{PROSE}</p></footer>").root
    blocks = main_blocks(root)
    assert [b.xpath("string(p[1])") for b in blocks] == [f"Chunk {i}. {PROSE}" for i in range(3)]


def test_a_lone_main_block_has_no_chunks() -> None:
    html = f"<div class='body'><p>{PROSE}</p><p>{PROSE}</p></div><div class='body'>Menu</div>"
    root = Selector(text=f"<html><body><main>{html}</main>").root
    assert [b.get("class") for b in main_blocks(root)] == ["body"]


def test_selectors_win_and_unmatched_ones_fall_back() -> None:
    head = '<meta property="og:title" content="OG title">'
    body = f"""<h1 class="x-title">Selector title</h1>
    <div class="x-date"><time datetime="2018-09-13T14:15:00+04:00">13 september — 14:15</time></div>
    <div class="x-body"><p>{PROSE}</p></div>"""
    site = with_selectors(
        title="h1.x-title", published=".x-date time", body=".x-body", summary=".gone"
    )
    article = extract(page(head, body), site)
    assert article.title == "Selector title"
    assert article.published_raw == "2018-09-13T14:15:00+04:00"
    assert article.body == [PROSE]
    assert article.unmatched_selectors == ["summary"]
    assert article.sources["title"] == "selector"


def test_selector_matching_an_empty_block_gives_no_body() -> None:
    body = f"""<h1>Video: the parade</h1><div class="x-body"><iframe src="/v"></iframe>
    <div class="share-buttons">Share: <a href="#">Facebook</a></div></div>
    <aside><p>{PROSE}</p></aside>"""
    article = extract(page(body=body), with_selectors(body=".x-body"))
    assert article.body == []
    assert "body" not in article.unmatched_selectors


def test_pseudo_element_selectors() -> None:
    body = '<div class="d" data-ts="2018-09-13 14:15">x</div><img class="i" data-src="/a.jpg">'
    site = with_selectors(published=".d::attr(data-ts)", image="img.i")
    article = extract(page(body=body), site)
    assert article.published_raw == "2018-09-13 14:15"
    assert article.image_url == "https://example.com/a.jpg"


def test_listing_section_is_the_last_resort() -> None:
    article = extract(page(body="<h1>T</h1>"), listing_section="Economy")
    assert (article.section, article.sources["section"]) == ("Economy", "listing")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (f"<p>{PROSE}</p><div class='share-buttons'>Share <a>Facebook</a></div>", [PROSE]),
        (
            f"<p>{PROSE}</p><h3>Latest news</h3><ul><li><a href='/1'>One headline here</a></li>"
            "<li><a href='/2'>Another headline</a></li></ul><p>After.</p>",
            [PROSE, "After."],
        ),
        (f"<p>{PROSE}</p><p><a href='/x'>Read more: another story about schools</a></p>", [PROSE]),
        ("Line one<br><br>Line two", ["Line one", "Line two"]),
        ("<ul><li>First point</li><li>Second point</li></ul>", ["First point", "Second point"]),
        (f"<h2>Background</h2><p>{PROSE}</p><h2>Related</h2>", ["Background", PROSE]),
        (f"<figure><img src='a.jpg'><figcaption>Photo: AP</figcaption></figure><p>{PROSE}</p>",
         [PROSE]),
        (f"<p>{PROSE}</p><div id='comments'><p>Great article!</p></div>", [PROSE]),
        (f"<p>{PROSE}</p><script>var x = 'not text';</script>", [PROSE]),
        (f"<p>{PROSE}</p><p>Son xəbərlər</p><p>Читайте также:</p>", [PROSE]),
    ],
)  # fmt: skip
def test_boilerplate_inside_the_body(html: str, expected: list[str]) -> None:
    root = Selector(text=f"<div class='body'>{html}</div>").css(".body")[0].root
    assert clean_paragraphs(root) == expected


def test_a_wrapper_named_like_a_widget_is_kept() -> None:
    html = f"<div class='post tag-politics'><p>{PROSE}</p></div>"
    root = Selector(text=f"<div class='body'>{html}<div class='tags'>x</div></div>")
    assert clean_paragraphs(root.css(".body")[0].root) == [PROSE]


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-US", "en"), ("en_GB", "en"), ("az-Latn-AZ", "az"), ("RU", "ru"), ("", None),
     (None, None), ("english", None)],
)  # fmt: skip
def test_language_code(value: str | None, code: str | None) -> None:
    assert language_code(value) == code


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"<>/=\"' apdivh1scriptmetaé—\n"])))
def test_random_markup_never_raises(html: str) -> None:
    article = extract(Selector(text=html or "<html></html>"), with_selectors(body="p", title="h1"))
    assert article.url.startswith("https://example.com/")


def test_language_is_detected_when_the_page_declares_none() -> None:
    text = (
        "Azərbaycan Respublikasının Müdafiə naziri general-polkovnik Zakir Həsənov İsrailə "
        "rəsmi səfərini davam etdirir. Səfər çərçivəsində hərbi-texniki əməkdaşlıq "
        "məsələləri müzakirə olunacaq."
    )
    site = replace(SITE, languages=())
    selector = Selector(text=f"<html><body><h1>Nazir İsraildə</h1><p>{text}</p></body></html>")
    article = extract(selector, site)
    assert (article.language, article.sources["language"]) == ("az", "generic")
    declared = extract(page(body=f"<h1>T</h1><p>{text}</p>", lang="az-Latn"), site)
    assert (declared.language, declared.sources["language"]) == ("az", "metadata")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Budget &quot;approved&quot;", 'Budget "approved"'),
        ("Budget &amp;quot;approved&amp;quot;", 'Budget "approved"'),
        ("Q&amp;A", "Q&A"),
        ("Fish & chips", "Fish & chips"),
        ("https://example.com/?a=1&region=eu", "https://example.com/?a=1&region=eu"),
    ],
)
def test_metadata_escaped_too_often_is_decoded(raw: str, text: str) -> None:
    data = json.dumps({"@type": "NewsArticle", "headline": raw})
    article = extract(page(f'<script type="application/ld+json">{data}</script>'))
    assert article.title == text


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        ([PROSE, PROSE, "More from The Daily", "Other headline", "Its teaser."], [PROSE, PROSE]),
        ([PROSE, "Related stories:", "Other headline"], [PROSE]),
        ([PROSE, "Digər xəbərlər", "Başqa xəbər"], [PROSE]),
        # Before the middle of the text it is the article's own words.
        (["More from the council meeting", PROSE], ["More from the council meeting", PROSE]),
        # A sentence that starts like a label is text.
        ([PROSE, "More from the archive was released on Monday, the ministry said."],
         [PROSE, "More from the archive was released on Monday, the ministry said."]),
        ([PROSE, "Share", PROSE], [PROSE, PROSE]),
    ],
)  # fmt: skip
def test_labels_and_the_stories_after_them_go(paragraphs: list[str], expected: list[str]) -> None:
    assert drop_labels(paragraphs) == expected


@pytest.mark.parametrize("kind", ["null", "7", "{}", '[null, "NewsArticle"]'])
def test_jsonld_with_an_odd_type_is_read_or_skipped(kind: str) -> None:
    # Found by the fuzzer: "@type": null stopped the page's extraction with a TypeError.
    script = f'{{"@type": {kind}, "headline": "Budget approved"}}'
    article = extract(page(f'<script type="application/ld+json">{script}</script>'))
    assert article.title == ("Budget approved" if "NewsArticle" in kind else None)


ELEMENT_TEXTS = {
    "plain": ("<p>Published <b>4 March</b> 2019</p>", "p", "Published 4 March 2019"),
    "comment and instruction": ("<p>4<!-- x --> March<?pi y?> 2019</p>", "p", "4 March 2019"),
    "script inside": ("<p>4 <script>var d = 1;</script>March</p>", "p", "4 March"),
    "style inside": ("<div>4 <span><style>p {}</style>March</span></div>", "div", "4 March"),
    "the tail stays out": ("<div><span>4 March</span> 2019</div>", "span", "4 March"),
    "white space": ("<p>\n 4\tMarch \n</p>", "p", "4 March"),
}


@pytest.mark.parametrize(("html", "tag", "expected"), ELEMENT_TEXTS.values(), ids=ELEMENT_TEXTS)
def test_element_text_leaves_out_scripts_and_styles(html: str, tag: str, expected: str) -> None:
    element = Selector(text=f"<html><body>{html}</body></html>").root.find(f".//{tag}")
    assert element_text(element) == expected


#: Pieces of an element's content: text, white space of both kinds, code, nested elements.
_TEXT_PIECES = [
    "4 March", " ", "\u00a0", "\n\t", "2019", "<b>x y</b>", "<script>var a = 1;</script>",
    "<style>p {}</style>", "<!-- c -->", "<span> 12 </span>", "abcdefghij",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_TEXT_PIECES), max_size=12).map("".join),
    st.integers(min_value=0, max_value=30),
    st.sampled_from(["p", "time", "meta"]),
)
def test_short_text_is_element_text_within_the_limit(inner: str, limit: int, tag: str) -> None:
    markup = {
        "p": f"<p>{inner}</p>",
        "time": f'<time datetime="{inner[:20]}">{inner}</time>',
        "meta": "<meta content='4 May 2020'>",
    }
    root = Selector(text=f"<html><body>{markup[tag]}</body></html>").root
    element = root.find(f".//{tag}")
    text = element_text(element)
    assert short_text(element, limit) == (text if len(text) <= limit else None)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*_TEXT_PIECES, "\u2028", "\u3000", "<b> </b>", "<script>x</script>"]),
        max_size=6,
    ).map("".join),
    st.sampled_from(["h1", "time", "meta"]),
)
def test_shows_text_is_whether_element_text_is_empty(inner: str, tag: str) -> None:
    markup = {
        "h1": f"<h1>{inner}</h1>",
        "time": f'<time datetime="{inner[:2]}">{inner}</time>',
        "meta": f"<meta content='{inner[:1]}'>",
    }
    root = Selector(text=f"<html><body>{markup[tag]}</body></html>").root
    element = root.find(f".//{tag}")
    assert shows_text(element) == bool(element_text(element))


def remove_one_by_one(element: etree._Element) -> None:
    """An element removed as boilerplate removal first did it: its tail appended at once."""
    parent, previous = element.getparent(), element.getprevious()
    tail = element.tail or ""
    parent.remove(element)
    if tail and previous is not None:
        previous.tail = (previous.tail or "") + tail
    elif tail:
        parent.text = (parent.text or "") + tail


_PIECES = st.recursive(
    st.sampled_from(["", "t", "<!--c-->", "<?pi x?>", "<br>", "<b>x</b>"]),
    lambda inner: st.tuples(st.sampled_from(["div", "p", "button", "span"]), st.lists(inner)).map(
        lambda b: f"<{b[0]}>{'u'.join(b[1])}</{b[0]}>v"
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=6).map("w".join), st.sampled_from(["button", "b", "comment"]))
def test_removing_keeps_the_tails_where_one_by_one_removal_put_them(body: str, kind: str) -> None:
    pages = [html.fromstring(f"<div>{body}</div>") for _ in range(2)]

    def chosen(root: etree._Element) -> list[etree._Element]:
        if kind == "comment":
            return list(root.iter(etree.Comment, etree.ProcessingInstruction))
        return [e for e in root.iter(kind) if not any(a.tag == kind for a in e.iterancestors())]

    for element in chosen(pages[0]):
        remove_one_by_one(element)
    remove_keeping_tails(chosen(pages[1]))
    assert etree.tostring(pages[1]) == etree.tostring(pages[0])
