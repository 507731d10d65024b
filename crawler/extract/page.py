"""An HTML response's parsed tree, freed as soon as the page has been read."""

from __future__ import annotations

from typing import Any

from lxml import etree, html
from parsel import Selector
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_base_url
from w3lib.encoding import read_bom


def _element_classes() -> etree.ElementNamespaceClassLookup:
    """lxml.html's element classes (`HtmlElement`, and `FormElement`, `InputElement`, ...
    by tag), chosen inside libxml2's walk instead of by a Python call per element.

    lxml.html's own lookup is a Python method that runs each time Python first touches an
    element: every element of every walk over the page (htmldate's alone visits each
    element of the page's copy). Tag names map to the same classes here, so the tree is
    the same tree of the same classes. Only as parsed: the parser lowercases tag names
    and gives none a namespace, which lxml.html's lookup also allows for; an element
    added later as "FORM" or "{ns}form" would be a plain HtmlElement here (extraction
    adds none).
    """
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=html.HtmlElement,
            comment=html.HtmlComment,
            pi=html.HtmlProcessingInstruction,
            entity=html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)
    by_tag.update(html.HtmlElementClassLookup._default_element_classes)
    return lookup


_ELEMENT_CLASSES = _element_classes()


class _PageParser(html.HTMLParser):
    """lxml.html's parser as parsel makes it, with `_ELEMENT_CLASSES`, and without the
    table of `id` values libxml2 builds for XPath's `id()` function (3% of the parse).

    Nothing reads the page through `id()`: CSS's `#x` becomes `@id = 'x'`, which the
    table does not serve, and trafilatura and htmldate parse without it too.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "collect_ids": False})
        self.set_element_class_lookup(_ELEMENT_CLASSES)


def parsed_page(response: HtmlResponse) -> Selector:
    """The page's tree, parsed as `response.selector` parses it but not kept on the response.

    Scrapy's selector holds its response, and the response its selector: a reference cycle
    that only Python's cyclic garbage collector breaks, so every parsed page, tree and
    all, stayed in memory until the next collection (hundreds of pages at a time in a
    crawl). This tree goes with the last reference to it. Parse a page once and pass the
    tree along: each call parses again.
    """
    text = response.text
    base_url = get_base_url(response)
    markup = _utf8_markup(response, text)
    if markup is None:
        root = create_root_node(text, _PageParser, base_url=base_url)
    else:
        # What create_root_node does with the bytes it makes of the text.
        parser = _PageParser(recover=True, encoding="utf-8", huge_tree=True)
        root = etree.fromstring(markup, parser=parser, base_url=base_url)
        if root is None:
            root = etree.fromstring(b"<html/>", parser=parser, base_url=base_url)
    return Selector(root=root, type="html")


def _utf8_markup(response: HtmlResponse, text: str) -> bytes | None:
    """The bytes parsel would parse, ``text.strip().replace("\\x00", "").encode("utf-8")``,
    taken from the response's own bytes when they are exactly those; None otherwise.

    Most pages are UTF-8, and then the decoded text is the body itself: encoding it again
    costs a fifth of a millisecond a page. The body is the text when Scrapy decoded it as
    UTF-8 with no byte order mark and nothing had to be replaced (no U+FFFD: the body is
    valid UTF-8); stripping the bytes strips the same characters as stripping the text
    unless the text begins or ends with white space beyond ASCII's (NBSP, U+2028, ...).
    """
    body = response.body
    if response.encoding != "utf-8" or read_bom(body)[0] is not None or "\ufffd" in text:
        return None
    markup = body.strip()
    first = markup[:4].decode("utf-8", "ignore")[:1]
    last = markup[-4:].decode("utf-8", "ignore")[-1:]
    if first.isspace() or last.isspace():
        return None
    return markup.replace(b"\x00", b"") or b"<html/>"
