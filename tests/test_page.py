"""The crawl's one parse of a page, and the elements several fields read from it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from scrapy.http import HtmlResponse

from crawler.extract.page import parsed_page
from crawler.extract.page_elements import TAGS, page_elements

CYRILLIC = "<html><head>{meta}</head><body><h1>Новости дня</h1><p>Текст статьи</p></body></html>"

#: (bytes, Content-Type header or None): the kinds of page whose parse must not change.
PAGES: dict[str, tuple[bytes, str | None]] = {
    "comments and processing instructions": (
        b"<?xml-stylesheet href='a.xsl'?><html><head><!-- 2019-01-02 -->"
        b"<!--[if IE]><meta name='date' content='2001-01-01'><![endif]--></head>"
        b"<body><?php echo 1; ?><script>var s = '<!-- x -->';</script><p>Text</p></body></html>",
        None,
    ),
    "NUL bytes and surrounding space": (
        b"  \n\x00<html><body><p>Te\x00xt</p>\x00</body></html>\n\t ",
        None,
    ),
    "base href": (
        b'<html><head><base href="/section/"></head><body><a href="a.html">a</a></body></html>',
        None,
    ),
    "windows-1251 declared in meta": (
        CYRILLIC.format(meta='<meta charset="windows-1251">').encode("cp1251"),
        None,
    ),
    "windows-1251 mislabelled as utf-8": (
        CYRILLIC.format(meta="").encode("cp1251"),
        "text/html; charset=utf-8",
    ),
    "windows-1251 unlabelled": (CYRILLIC.format(meta="").encode("cp1251"), "text/html"),
    "UTF-8 with a byte order mark": (
        b"\xef\xbb\xbf" + CYRILLIC.format(meta="").encode("utf-8"),
        None,
    ),
    "ids, one of them twice": (
        b'<html><body><div id="main"><p id="x">a</p><p id="x">b</p></div></body></html>',
        None,
    ),
    "forms": (
        b"<html><body><form><label>Q</label><input name=q value=x><select><option>1"
        b"</select><textarea>t</textarea></form></body></html>",
        None,
    ),
    "UTF-8 with NUL bytes, spaces and white space beyond ASCII's at the ends": (
        "\u00a0\x1c \x00<html><body><p>Grüße\x00 \u2028</p></body></html>\x00 \u2028\x1f".encode(),
        "text/html; charset=utf-8",
    ),
    "UTF-8 that is not valid UTF-8": (
        b"<html><body><p>caf\xe9 \xef\xbf\xbd</p></body></html>",
        "text/html; charset=utf-8",
    ),
    "UTF-8 declared in meta, NUL and space only": (b' <meta charset="utf-8">\x00 ', None),
    "empty": (b"", None),
    "empty UTF-8": (b" \n ", "text/html; charset=utf-8"),
    "not HTML at all": (b"just text \xff\xfe", None),
}


#: The same pages declared UTF-8, which parsed_page takes from the body's own bytes.
PAGES |= {
    f"{name} (UTF-8)": (body, "text/html; charset=utf-8")
    for name, (body, content_type) in list(PAGES.items())
    if content_type is None and name != "not HTML at all"
}


def response(body: bytes, content_type: str | None) -> HtmlResponse:
    headers = {"Content-Type": content_type} if content_type else {}
    return HtmlResponse("https://example.com/news/1", body=body, headers=headers)


@pytest.mark.parametrize(("body", "content_type"), PAGES.values(), ids=PAGES.keys())
def test_parsed_page_is_the_tree_scrapy_parses(body: bytes, content_type: str | None) -> None:
    """Same nodes, text, comments, element classes and base URL as `response.selector`,
    so every selector and field reads the page as before."""
    ours = parsed_page(response(body, content_type))
    scrapys = response(body, content_type).selector
    assert etree.tostring(ours.root, encoding="unicode") == etree.tostring(
        scrapys.root, encoding="unicode"
    )
    assert [type(e) for e in ours.root.iter()] == [type(e) for e in scrapys.root.iter()]
    assert ours.root.getroottree().docinfo.URL == scrapys.root.getroottree().docinfo.URL
    assert ours.css("*::text").getall() == scrapys.css("*::text").getall()
    assert ours.xpath("//comment()").getall() == scrapys.xpath("//comment()").getall()
    assert ours.css("#main, [id]").getall() == scrapys.css("#main, [id]").getall()


def test_cyrillic_text_survives_the_parse() -> None:
    """A charset the page declares, or none, is still read as Scrapy decodes it (a header
    that lies wins, as it does for Scrapy: test_faults covers what the crawl does then)."""
    for name in ("windows-1251 declared in meta", "windows-1251 unlabelled"):
        body, content_type = PAGES[name]
        assert parsed_page(response(body, content_type)).css("h1::text").get() == "Новости дня"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_parsed_page_equals_scrapys_parse_on_any_bytes(body: bytes) -> None:
    for content_type in (None, "text/html; charset=utf-8"):
        ours = parsed_page(response(body, content_type))
        scrapys = response(body, content_type).selector
        assert etree.tostring(ours.root) == etree.tostring(scrapys.root)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\n\x00\x1c\u00a0\u2028\u3000<>/pé€😀x")))
def test_parsed_page_equals_scrapys_parse_on_utf8_text(text: str) -> None:
    """Text made of what the bytes shortcut must get right: spaces of both kinds at the
    ends, NULs, characters of one to four bytes."""
    body = f"{text}<p>{text}</p>{text}".encode()
    ours = parsed_page(response(body, "text/html; charset=utf-8"))
    scrapys = response(body, "text/html; charset=utf-8").selector
    assert etree.tostring(ours.root) == etree.tostring(scrapys.root)


PAGE_WITH_ELEMENTS = (
    b'<html itemprop="x"><head><meta name="date" content="2020-01-02"><link rel="canonical" '
    b'href="/a"><base href="/b/"><script type="application/ld+json">{}</script></head><body>'
    b'<h1>One</h1><div itemprop="datePublished">2020</div><time datetime="2020-01-02"></time>'
    b'<meta itemprop="dateModified" content="2020-01-03"><h1>Two</h1><script>x</script>'
    b"</body></html>"
)


def test_page_elements_are_what_walks_by_tag_find() -> None:
    page = parsed_page(response(PAGE_WITH_ELEMENTS, None))
    elements = page_elements(page)
    for tag in TAGS:
        assert elements.by_tag(tag) == list(page.root.iter(tag)), tag
    assert [e.tag for e in elements.by_tag("meta")] == ["meta", "meta"]
    assert elements.itemprops() == page.root.xpath("descendant::*/@itemprop")
    assert [p.getparent().tag for p in elements.itemprops()] == ["div", "meta"]


def test_page_elements_are_found_once_per_page() -> None:
    first = parsed_page(response(PAGE_WITH_ELEMENTS, None))
    second = parsed_page(response(PAGE_WITH_ELEMENTS, None))
    assert page_elements(first) is page_elements(first)
    assert page_elements(first) is not page_elements(second)
    assert page_elements(second).by_tag("h1")[0] is next(second.root.iter("h1"))
