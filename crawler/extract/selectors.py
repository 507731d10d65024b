"""Fields from a site definition's own CSS selectors: the most exact layer when it matches."""

from __future__ import annotations

from parsel import Selector, SelectorList
from w3lib.html import strip_html5_whitespace

from crawler.extract.generic import is_inline_data, split_authors
from crawler.extract.text import clean_paragraphs, element_text

#: Lazy-loading pages keep the real address in data-src and a placeholder in src.
_URL_ATTRIBUTES = ("data-src", "src", "href", "content", "srcset")


def select(page: Selector, field: str, css: str) -> list[str] | None:
    """The field's values from `css`, or None when the selector matched nothing.

    None and [] differ on purpose: nothing matched means the site may have changed its
    markup and extraction falls back to the next layer; a match with no text (a video
    page's empty text block) is the page's true answer and is kept.
    """
    matches = page.css(css)
    if not matches:
        return None
    if _is_pseudo(css):
        return [v.strip() for v in matches.getall() if v.strip()]
    if field == "body":
        return [p for m in matches for p in clean_paragraphs(m.root)]
    if field == "image":
        url = _image_url(matches)
        return [url] if url else []
    if field == "authors":
        return [name for m in matches for name in split_authors(element_text(m.root))]
    return [text for m in matches if (text := element_text(m.root))]


def _is_pseudo(css: str) -> bool:
    """`::text` and `::attr(name)` selectors already give strings."""
    return "::text" in css or "::attr(" in css


def _image_url(matches: SelectorList[Selector]) -> str | None:
    for match in matches:
        for element in (match, *match.css("img")):
            for attribute in _URL_ATTRIBUTES:
                value = strip_html5_whitespace(element.root.get(attribute, ""))
                if value and not is_inline_data(value):
                    # srcset lists "url width" pairs; its first URL is as good as any.
                    return value.split()[0] if attribute == "srcset" else value
    return None
