"""Fields read off the visible page when neither selectors nor metadata give them.

The title is the main heading; the body
is the main text block found by trafilatura, the best-measured open-source main-text
extractor (see issue 4's benchmark), run on a copy of the tree the spider already parsed.
"""

from __future__ import annotations

import copy
import re

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector

from crawler.extract.page_elements import page_elements
from crawler.extract.text import (
    block_texts,
    drop_labels,
    element_text,
    main_blocks,
    remove_boilerplate,
    remove_keeping_tails,
    shows_text,
)

_AUTHOR_PREFIX = re.compile(r"^\s*(by|from|von|par|автор[ы]?:?|müəllif:?|yazar:?|автор:)\s+", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\band\b|\bи\b|\bvə\b|\bve\b)\s*")
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+|\s+::\s+")
#: Elements whose class names an author or byline. `[@class]` first: libxml2 then skips
#: the two substring tests on the many elements with no class (0.15 -> 0.10 ms a page).
_AUTHOR_CLASS = etree.XPath(
    'descendant-or-self::*[@class][contains(@class, "author") or contains(@class, "byline")]'
    "[not(self::meta)]"
)
MAX_DATE_TEXT = 80
MAX_AUTHOR_TEXT = 120
#: Below this share of the main block's own text, trafilatura missed the article.
MISSED_SHARE = 0.5


def heading(page: Selector) -> HtmlElement | None:
    """The article's main heading: the first <h1> inside <article> or <main>, else the first.

    The page's <h1>s, as the page's element lists have them (their ancestors tell where
    each stands): the three CSS queries this reads as would each scan the whole page.
    """
    headings = [h for h in page_elements(page).by_tag("h1") if shows_text(h)]
    for container in ("article", "main"):
        for element in headings:
            if any(a.tag == container for a in element.iterancestors()):
                return element
    return headings[0] if headings else None


def title(page: Selector) -> str | None:
    main = heading(page)
    if main is not None:
        return element_text(main)
    page_title = page.xpath("//title/text()").get("")
    parts = [p for p in _TITLE_SEPARATORS.split(page_title) if p.strip()]
    return max(parts, key=len).strip() if parts else None


def authors(page: Selector) -> list[str]:
    names = _names(page.css('[rel~="author"]'))
    if names:
        return names
    # Names inside an itemprop=author exist only where one is: that query, a walk of the
    # whole page, is skipped on the many pages that have none.
    marked = page.css('[itemprop="author"]')
    if marked:
        names = _names(page.css('[itemprop="author"] [itemprop="name"]')) or _names(marked)
        if names:
            return names
    for element in _AUTHOR_CLASS(page.root):
        text = element_text(element)
        if text and len(text) <= MAX_AUTHOR_TEXT:
            return split_authors(text)
    return []


def _names(elements: list[Selector]) -> list[str]:
    """The author names the elements' texts give, each once, in order."""
    return list(dict.fromkeys(n for e in elements for n in split_authors(element_text(e.root))))


def split_authors(text: str) -> list[str]:
    """'By Jane Doe and John Roe' -> ['Jane Doe', 'John Roe']."""
    text = _AUTHOR_PREFIX.sub("", text)
    return [name.strip() for name in _AUTHOR_SPLIT.split(text) if name.strip()]


def section(page: Selector, title_text: str | None) -> str | None:
    """The last breadcrumb that is not the article itself."""
    crumbs = page.css(
        '[itemtype*="BreadcrumbList"] [itemprop="name"], '
        '[class*="breadcrumb"] a, nav[aria-label*="readcrumb"] a'
    )
    names = [t for t in (element_text(c.root) for c in crumbs) if t and t != title_text]
    return names[-1] if len(names) > 1 else None


def tags(page: Selector) -> list[str]:
    names = [element_text(e.root) for e in page.css('a[rel~="tag"]')]
    return list(dict.fromkeys(n for n in names if n))


def image(page: Selector) -> str | None:
    candidates = page.css(
        'link[rel="image_src"]::attr(href), '
        "article img::attr(data-src), article img::attr(src), "
        "main img::attr(data-src), main img::attr(src)"
    ).getall()
    return next((c.strip() for c in candidates if c.strip() and not is_inline_data(c)), None)


def is_inline_data(url: str) -> bool:
    """A `data:` URI: the placeholder of a lazy-loaded image, not an image's address."""
    return url.strip().lower().startswith("data:")


#: Elements beyond which trafilatura runs without its fallback extractors (`fast`): the
#: fallback justext revises each short block by scanning for its neighbours, in time
#: growing with the square of the blocks (about 10 s for 10,000 elements of tiny blocks,
#: 32 s for 20,000, minutes for a 1 MB page of them; with `fast`, 1 s for 40,000). News
#: pages have 500 to 3,000 elements; the largest of the 1,261 evaluation pages 9,751, so
#: none changes. `fast` also keeps "teaser" blocks on trafilatura's recovery path.
FALLBACK_MAX_ELEMENTS = 10_000
_ELEMENTS = etree.XPath("count(//*)")


def body(page: Selector, url: str) -> list[str]:
    """The main text block as paragraphs, by trafilatura on a copy of the parsed tree.

    Widgets are removed first with the same rules as inside a selected body: trafilatura
    alone takes a "Latest news" list for the text of a page that has none (a video page).
    """
    tree = copy.deepcopy(page.root)
    # trafilatura parses without comments and drops the text after one (`When <!-- -->
    # President …` became "When"): give it the tree it expects.
    remove_keeping_tails(list(tree.iter(etree.Comment, etree.ProcessingInstruction)))
    remove_boilerplate(tree)
    extracted = _trafilatura_lines(tree, url)
    # trafilatura sometimes misses the block that plainly holds the text (a page of
    # product deals gave just its <title>); then that block's own paragraphs are better.
    own = [text for block in main_blocks(tree) for text, _ in block_texts(block)]
    if sum(map(len, extracted)) < MISSED_SHARE * sum(map(len, own)):
        extracted = own
    return drop_labels(extracted)


def _trafilatura_lines(tree: HtmlElement, url: str) -> list[str]:
    text = trafilatura.extract(
        tree,
        url=url,
        fast=_ELEMENTS(tree) > FALLBACK_MAX_ELEMENTS,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_images=False,
        with_metadata=False,
        deduplicate=False,
    )
    return [line for line in (text or "").splitlines() if line.strip()]
