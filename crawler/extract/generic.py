"""Fields read off the visible page when neither selectors nor metadata give them.

The title is the main heading; the date is the date-like element nearest to it; the body
is the main text block found by trafilatura, the best-measured open-source main-text
extractor (see issue 4's benchmark), run on a copy of the tree the spider already parsed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from itertools import islice

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector

from crawler.extract.text import (
    block_texts,
    drop_labels,
    element_text,
    main_blocks,
    remove_boilerplate,
)

#: Class or id words of elements that hold an article's date.
DATE_WORDS = re.compile(
    r"date|time|publish|posted|pubdate|dateline|datetime|meta|timestamp|created", re.I
)
MODIFIED_WORDS = re.compile(r"updated|modified|edited", re.I)
_AUTHOR_PREFIX = re.compile(r"^\s*(by|from|von|par|автор[ы]?:?|müəllif:?|yazar:?|автор:)\s+", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\band\b|\bи\b|\bvə\b|\bve\b)\s*")
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+|\s+::\s+")
MAX_DATE_TEXT = 80
MAX_AUTHOR_TEXT = 120
ANCESTOR_LEVELS = 4
SIBLING_WINDOW = 4
#: Below this share of the main block's own text, trafilatura missed the article.
MISSED_SHARE = 0.5


def heading(page: Selector) -> HtmlElement | None:
    """The article's main heading: the first <h1> inside <article> or <main>, else the first."""
    for css in ("article h1", "main h1", "h1"):
        for element in page.css(css):
            if element_text(element.root):
                return element.root
    return None


def title(page: Selector) -> str | None:
    main = heading(page)
    if main is not None:
        return element_text(main)
    page_title = page.xpath("//title/text()").get("")
    parts = [p for p in _TITLE_SEPARATORS.split(page_title) if p.strip()]
    return max(parts, key=len).strip() if parts else None


def date_near_heading(
    page: Selector, readable: Callable[[str], bool], words: re.Pattern[str] = DATE_WORDS
) -> str | None:
    """The readable date-like text nearest the main heading, in the heading's own block.

    Only the heading's ancestors a few levels up are searched, so dates of "Latest news"
    lists elsewhere on the page are not taken for the article's date.
    """
    main = heading(page)
    if main is None:
        return None
    for elements in _neighbourhoods(main):
        candidates = [
            text
            for element in elements
            if is_date_element(element, words)
            and (text := element_text(element))
            and len(text) <= MAX_DATE_TEXT
        ]
        # The shortest text is the most specific element: the date, not its whole meta line.
        for text in sorted(candidates, key=len):
            if readable(text):
                return text
    return None


def is_date_element(element: HtmlElement, words: re.Pattern[str] = DATE_WORDS) -> bool:
    """A <time>, or an element whose class, id or itemprop says it holds a date."""
    if not isinstance(element.tag, str):
        return False
    markup = f"{element.get('class', '')} {element.get('id', '')} {element.get('itemprop', '')}"
    return element.tag == "time" or bool(words.search(markup))


def authors(page: Selector) -> list[str]:
    for css in ('[rel~="author"]', '[itemprop="author"] [itemprop="name"]', '[itemprop="author"]'):
        names = [n for e in page.css(css) for n in split_authors(element_text(e.root))]
        if names:
            return list(dict.fromkeys(names))
    for element in page.xpath(
        '//*[contains(@class, "author") or contains(@class, "byline")][not(self::meta)]'
    ):
        text = element_text(element.root)
        if text and len(text) <= MAX_AUTHOR_TEXT:
            return split_authors(text)
    return []


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


def body(page: Selector, url: str) -> list[str]:
    """The main text block as paragraphs, by trafilatura on a copy of the parsed tree.

    Widgets are removed first with the same rules as inside a selected body: trafilatura
    alone takes a "Latest news" list for the text of a page that has none (a video page).
    """
    tree = copy.deepcopy(page.root)
    # trafilatura parses without comments and drops the text after one (`When <!-- -->
    # President …` became "When"): give it the tree it expects.
    etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, with_tail=False)
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
        output_format="txt",
        include_comments=False,
        include_tables=True,
        include_images=False,
        with_metadata=False,
        deduplicate=False,
    )
    return [line for line in (text or "").splitlines() if line.strip()]


def _neighbourhoods(element: HtmlElement) -> Iterator[list[HtmlElement]]:
    """Ever wider blocks around the heading: its ancestors a few levels up, below <body>;
    then, when <body> is reached, the blocks next to the heading's own top-level block."""
    top, node = element, element.getparent()
    for _ in range(ANCESTOR_LEVELS):
        if node is None or node.tag in ("body", "html"):
            break
        yield list(node.iter())
        top, node = node, node.getparent()
    else:
        return
    siblings = [
        *islice(top.itersiblings(preceding=True), SIBLING_WINDOW),
        *islice(top.itersiblings(), SIBLING_WINDOW),
    ]
    yield [e for sibling in siblings for e in sibling.iter()]
