"""An HTML response's parsed tree, freed as soon as the page has been read."""

from __future__ import annotations

from parsel import Selector
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_base_url


def parsed_page(response: HtmlResponse) -> Selector:
    """The page's tree, parsed as `response.selector` parses it but not kept on the response.

    Scrapy's selector holds its response, and the response its selector: a reference cycle
    that only Python's cyclic garbage collector breaks, so every parsed page, tree and
    all, stayed in memory until the next collection (hundreds of pages at a time in a
    crawl). This tree goes with the last reference to it. Parse a page once and pass the
    tree along: each call parses again.
    """
    return Selector(text=response.text, type="html", base_url=get_base_url(response))
