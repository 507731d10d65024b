"""An HTML response's parsed tree, freed as soon as the page has been read."""

from __future__ import annotations

from typing import Any

from lxml import etree, html
from parsel import Selector
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_base_url


def _element_classes() -> etree.ElementNamespaceClassLookup:
    """lxml.html's element classes (`HtmlElement`, and `FormElement`, `InputElement`, ...
    by tag), chosen inside libxml2's walk instead of by a Python call per element.

    lxml.html's own lookup is a Python method that runs each time Python first touches an
    element: every element of every walk over the page (htmldate's alone visits each
    element of the page's copy). Tag names map to the same classes here, so the tree is
    the same tree of the same classes.
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
    """lxml.html's parser as parsel makes it, with `_ELEMENT_CLASSES`."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.set_element_class_lookup(_ELEMENT_CLASSES)


def parsed_page(response: HtmlResponse) -> Selector:
    """The page's tree, parsed as `response.selector` parses it but not kept on the response.

    Scrapy's selector holds its response, and the response its selector: a reference cycle
    that only Python's cyclic garbage collector breaks, so every parsed page, tree and
    all, stayed in memory until the next collection (hundreds of pages at a time in a
    crawl). This tree goes with the last reference to it. Parse a page once and pass the
    tree along: each call parses again.
    """
    root = create_root_node(response.text, _PageParser, base_url=get_base_url(response))
    return Selector(root=root, type="html")
