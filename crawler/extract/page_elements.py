"""The elements of a page that several fields read, found in one walk over the page.

lxml finds elements by tag name in C, but it visits every node of the page to do so: a
walk costs about the same (0.15 ms on a news page) whether it looks for one tag or six.
The metadata (`<meta>`, JSON-LD `<script>`), the headline (`<h1>`), the date elements
(`<time>`, `itemprop`), the canonical link and `<base>` were each a walk of their own,
some of them twice a page; now one walk serves them all, and the `itemprop` values one
more, when first asked for.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector

TAGS = ("meta", "script", "h1", "time", "link", "base")

#: Every `itemprop` value of a page, each knowing its element (`getparent`): cheaper in
#: libxml2 than comparing strings in a predicate.
_ITEMPROP_VALUES = etree.XPath("descendant::*/@itemprop")


class PageElements:
    """One page's elements of `TAGS`, by tag in document order, and its `itemprop` values.

    Read from the tree as it is when first asked: the extraction leaves the page's tree
    as it found it (whatever prunes works on a copy, or puts back what it pruned before
    it returns: `htmldate_range`), so the lists stay true.
    """

    def __init__(self, root: HtmlElement) -> None:
        self._root = root
        self._by_tag: dict[str, list[HtmlElement]] = {tag: [] for tag in TAGS}
        for element in root.iter(*TAGS):
            self._by_tag[element.tag].append(element)
        self._itemprops: list[str] | None = None

    def by_tag(self, tag: str) -> list[HtmlElement]:
        """The page's ``tag`` elements (one of `TAGS`), in document order, the root included
        (as `root.iter(tag)` gives them)."""
        return self._by_tag[tag]

    def itemprops(self) -> list[str]:
        """Every `itemprop` value below the root, in document order; `getparent()` of each
        is its element."""
        if self._itemprops is None:
            self._itemprops = _ITEMPROP_VALUES(self._root)
        return self._itemprops


_PAGES: WeakKeyDictionary[Selector, PageElements] = WeakKeyDictionary()


def page_elements(page: Selector) -> PageElements:
    """The `PageElements` of ``page``, found once for as long as the page is in use."""
    found = _PAGES.get(page)
    if found is None:
        found = _PAGES[page] = PageElements(page.root)
    return found
