"""Where a page states its dates: every candidate string, by source, before any is chosen.

Meta tags and JSON-LD (through `Metadata`), `itemprop` and `<time>` elements, the text
around the headline ring by ring, and the URL path. Blocks whose dates are someone
else's (comment threads, teasers of other articles, sidebars, footers) are never
searched. Choosing among the candidates is `page_dates`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any, Literal

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector

from crawler.extract import generic
from crawler.extract.metadata import Metadata, json_types
from crawler.extract.page_elements import page_elements
from crawler.extract.text import element_text, short_text

Kind = Literal["published", "modified"]


#: Meta names (lower-cased name, property, itemprop or http-equiv) by kind, surest first.
META_NAMES: dict[Kind, tuple[str, ...]] = {
    "published": (
        "article:published_time", "og:published_time", "og:article:published_time",
        "article.published", "datepublished", "date_published", "published_time",
        "published-date", "publication_date", "publish-date", "publish_date", "publishdate",
        "pubdate", "og:pubdate", "bt:pubdate", "parsely-pub-date", "sailthru.date",
        "citation_publication_date", "citation_date", "citation_online_date",
        "dc.date.issued", "dcterms.issued", "dc.date.published", "dc.date.created",
        "dcterms.created", "dc.date", "dcterms.date", "date", "datecreated", "created",
        "cxenseparse:recs:publishtime", "originalpublicationdate", "article_date_original",
        "displaydate", "release_date", "uploaddate",
    ),
    "modified": (
        "article:modified_time", "og:updated_time", "article:updated_time", "datemodified",
        "date_modified", "dcterms.modified", "dc.date.modified", "last-modified", "lastmod",
        "revised",
    ),
}  # fmt: skip


#: JSON-LD keys by kind, surest first.
JSONLD_KEYS: dict[Kind, tuple[str, ...]] = {
    "published": ("datePublished", "dateCreated", "uploadDate"),
    "modified": ("dateModified",),
}


#: JSON-LD objects whose dates are not the page's.
_FOREIGN_TYPES = frozenset({"Comment", "Answer", "Question", "Event", "Offer", "Review"})


_ITEMPROPS: dict[Kind, tuple[str, ...]] = {
    "published": ("datePublished", "dateCreated"),
    "modified": ("dateModified",),
}


class Words:
    """Words searched as `re.I` searches them: a case-insensitive pattern, written in
    lower case.

    With `re.I`, the regex engine folds the case of every character it tries, which
    makes a search of many words five times slower. The class, id and label text this
    searches is nearly always ASCII; for ASCII text, searching its lower-case form for
    the lower-case pattern finds what `re.I` finds, because the pattern's letters are
    ASCII or have no ASCII letter as a case partner (tests/test_page_dates.py checks
    both for each use).
    """

    __slots__ = ("_lower", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern, re.I)
        self._lower = re.compile(pattern)

    def search(self, text: str) -> bool:
        if text.isascii():
            return self._lower.search(text.lower()) is not None
        return self.pattern.search(text) is not None


#: Class or id words of blocks whose dates are someone else's: comments, teasers of
#: other articles, sidebars, footers.
FOREIGN_BLOCK = Words(
    r"comment|reply|respon[sd]|related|latest|popular|recommend|teaser|sidebar|widget|"
    r"footer|more-?news|also|trending|most-?read|other|similar|discuss|forum"
)


_FOREIGN_TAGS = frozenset({"aside", "footer", "nav"})


#: Words of an element or its label that mark a modification date.
MODIFIED_WORDS = Words(
    r"updated?|modified|edited|revised|aktualisiert|geändert|обновлено|обновлен|"
    r"оновлено|yenilən|güncellen|mis à jour|actualizado|aggiornato"
)


ANCESTOR_LEVELS = 4


#: Different days printed around the headline that make a list, not a dateline.
LIST_DAYS = 3


SIBLING_WINDOW = 4


_URL_DATE = re.compile(
    r"(?<![\d])((?:19|20)\d{2})([/_.-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?![\d])"
)


_URL_DATE_SLASHED = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)")


_DIGIT = re.compile(r"\d")


#: A full date inside a longer line ("Erschienen am 26. Jan 2022 im Format Aktuelles",
#: "Von Redaktion 4. 2. 2022", "Publié le 02/11/2023 à 14h49"), with a clock time right
#: after it: ISO, numeric day-month-year, day-month name-year, month name-day-year.
_PRINTED_DATE = re.compile(
    r"(?<![\d.])(?:"
    r"(?:19|20)\d\d-\d{1,2}-\d{1,2}"
    r"|\d{1,2}\s?[./]\s?\d{1,2}\s?[./]\s?(?:19|20)\d\d"
    r"|\d{1,2}\.?\s+[^\W\d_]{3,}\.?,?\s+(?:19|20)\d\d"
    r"|[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d"
    r")(?![\d])(?:,?\s+\d{1,2}:\d{2}(?![\d]))?"
)


_SPACED_NUMERIC = re.compile(r"(\d)\s?([./])\s?(?=\d)")


def is_list(texts: list[tuple[str, str]]) -> bool:
    """Whether the dates printed around the headline are a list: as many different days
    as `LIST_DAYS` are the dates of other articles (an index page, teasers next to the
    story), and which of them, if any, is the article's, their place does not say."""
    days = {match[0] for _, text in texts if (match := _PRINTED_DATE.search(text))}
    return len(days) >= LIST_DAYS


def printed_days(texts: list[tuple[str, bool]]) -> list[str]:
    """The full dates (with their year) printed as publication dates in ``texts``; none
    when they are a list (`is_list`)."""
    published = [("text", text) for text, modified in texts if not modified]
    if is_list(published):
        return []
    return [match[0] for _, text in published if (match := _PRINTED_DATE.search(text))]


def jsonld_dates(meta: Metadata, kind: Kind) -> Iterator[str]:
    """The article object's dates first, then those of the page's other objects."""
    others = (o for document in meta.jsonld_documents for o in document if o is not meta.jsonld)
    objects = [meta.jsonld, *others]
    for obj in objects:
        if json_types(obj) & _FOREIGN_TYPES:
            continue
        for key in JSONLD_KEYS[kind]:
            value = _json_text(obj.get(key))
            if value:
                yield value


def time_dates(page: Selector, kind: Kind) -> Iterator[str]:
    """Machine dates of `itemprop` and `<time>` elements outside comments and teasers."""
    props = _ITEMPROPS[kind]
    elements = page_elements(page)
    for prop in elements.itemprops():
        element = prop.getparent()
        if prop.strip() in props and not _in_foreign_block(element):
            value = _element_date(element)
            if value:
                yield value
    if kind == "modified":
        return
    for element in elements.by_tag("time"):
        value = (element.get("datetime") or "").strip()
        if (
            value
            and (element.get("pubdate") is not None or _in_article(element))
            and not _in_foreign_block(element)
            and not MODIFIED_WORDS.search(_context_words(element))
        ):
            yield value


class HeadlineTexts:
    """Date-like text in the headline's block and its neighbours (bylines, datelines),
    ring by ring outwards (`_neighbourhoods`), each ring read once and only when asked
    for: most pages need only the nearest ones, and the outer rings are most of the page.

    Within a ring, shortest first (the date, not its whole meta line); each text comes
    with whether its words or markup call it a modification. Text without a digit is a
    name or a label, or at best a weekday: never read.
    """

    def __init__(self, main: HtmlElement | None) -> None:
        self._rings = _neighbourhoods(main, ANCESTOR_LEVELS) if main is not None else iter(())
        self._read: list[list[tuple[str, bool]]] = []
        #: Whether each ancestor asked about is, or is inside, a foreign block: the date
        #: elements of a neighbourhood share most of their ancestors.
        self._foreign: dict[HtmlElement, bool] = {}

    def upto(self, rings: int | None = None) -> list[tuple[str, bool]]:
        """The texts of the ``rings`` nearest rings (all when None), nearest first."""
        while rings is None or len(self._read) < rings:
            ring = next(self._rings, None)
            if ring is None:
                break
            self._read.append(_ring_texts(ring, self._foreign))
        return [text for ring in self._read[:rings] for text in ring]


def text_dates(main: HtmlElement | None) -> list[tuple[str, bool]]:
    """All of `HeadlineTexts` around the heading ``main``."""
    return HeadlineTexts(main).upto()


def _ring_texts(
    ring: list[HtmlElement], foreign: dict[HtmlElement, bool]
) -> list[tuple[str, bool]]:
    texts = []
    for root in ring:
        # A walk in Python over every element costs less than libxml2's XPath test of
        # each for a class, id or itemprop (`descendant-or-self::*[...]`).
        for element in root.iter(etree.Element):
            if not is_date_element(element):
                continue
            text = short_text(element, generic.MAX_DATE_TEXT)
            if text is None or not _DIGIT.search(text) or _in_foreign_block(element, foreign):
                continue
            modified = MODIFIED_WORDS.search(f"{text} {_context_words(element)}")
            texts.append((len(text), [(t, modified) for t in printed_dates(text)]))
    return [text for _, found in sorted(texts, key=lambda text: text[0]) for text in found]


def printed_dates(text: str) -> list[str]:
    """The line itself, then the full date inside it when the dates module cannot read
    the whole line (a byline: "Von Redaktion, 4. 2. 2022")."""
    match = _PRINTED_DATE.search(text)
    if match is None or match[0] == text:
        return [text]
    return [text, _SPACED_NUMERIC.sub(r"\1\2", match[0])]


def url_date(url: str) -> str | None:
    """A full date in the URL path (`/2018/09/13/`, `/2018-09-13-`, `/20180913/`) as ISO."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    match = _URL_DATE_SLASHED.search(path)
    if match:
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    match = _URL_DATE.search(path.split("//", 1)[-1].partition("/")[2])
    if match:
        year, _, month, day = match.groups()
        return f"{year}-{month}-{day}"
    return None


def _neighbourhoods(element: HtmlElement, levels: int) -> Iterator[list[HtmlElement]]:
    """Ever wider rings around the heading, each only what the previous did not hold: its
    parent's block, then the rest of each ancestor's a few levels up, below <body>; then,
    when <body> is reached, the blocks next to the heading's own top-level block."""
    top, node = element, element.getparent()
    for _ in range(levels):
        if node is None or node.tag in ("body", "html"):
            break
        yield [node] if top is element else [c for c in node.iterchildren("*") if c is not top]
        top, node = node, node.getparent()
    else:
        return
    yield [
        *islice(top.itersiblings("*", preceding=True), SIBLING_WINDOW),
        *islice(top.itersiblings("*"), SIBLING_WINDOW),
    ]


def is_date_element(element: HtmlElement) -> bool:
    """A <time>, or an element whose class, id or itemprop says it holds a date: has a
    word such as "date", "time", "publish", "posted", "meta" or "created" in it
    ("pubdate", "dateline", "timestamp", "post-meta", ...)."""
    tag = element.tag
    if tag == "time":
        return True
    if not isinstance(tag, str):
        return False
    get = element.get
    markup = f"{get('class', '')} {get('id', '')} {get('itemprop', '')}"
    if markup == "  ":  # none of the three: most elements
        return False
    markup = markup.lower()
    # Plain substring tests, not a regex: a page has thousands of marked elements.
    return (
        "date" in markup
        or "time" in markup
        or "publish" in markup
        or "posted" in markup
        or "meta" in markup
        or "created" in markup
    )


def _context_words(element: HtmlElement) -> str:
    return " ".join(element.get(a, "") for a in ("class", "id", "itemprop", "name"))


def _in_article(element: HtmlElement) -> bool:
    return any(a.tag in ("article", "main") for a in element.iterancestors())


def _in_foreign_block(element: HtmlElement, known: dict[HtmlElement, bool] | None = None) -> bool:
    """Inside a comment thread, a teaser list, a sidebar or a footer.

    ``known`` holds, for the ancestors already asked about, whether each is or is inside
    one; it is filled in for the ancestors this walks, so that the next element of the
    same block stops where this one joined a known path.
    """
    walked = []
    found = False
    for ancestor in element.iterancestors():
        if known is not None and ancestor in known:
            found = known[ancestor]
            break
        walked.append(ancestor)
        if ancestor.tag in _FOREIGN_TAGS or _foreign_markup(ancestor):
            found = True
            break
    if known is not None:
        known.update(dict.fromkeys(walked, found))
    return found


def _foreign_markup(element: HtmlElement) -> bool:
    markup = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(markup.strip()) and FOREIGN_BLOCK.search(markup)


def _element_date(element: HtmlElement) -> str | None:
    value = element.get("datetime") or element.get("content") or element_text(element)
    return value.strip() if value and value.strip() else None


def _json_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | int | float)), None)
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value).strip()
    return None
