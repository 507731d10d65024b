"""Fields from the metadata a page declares: JSON-LD, OpenGraph, `article:*` and meta tags.

Publishers write this for search engines and social networks, so it is usually more
exact than anything read off the visible page (full dates with offsets, author names
without "By"). It is read from the already-parsed page; nothing is parsed twice.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector

from crawler.extract.page_elements import page_elements

ARTICLE_TYPES = frozenset(
    {
        "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
        "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting",
        "LiveBlogPosting", "Report", "SatiricalArticle", "TechArticle", "ScholarlyArticle",
    }
)  # fmt: skip
_META_AUTHORS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_COMMENTS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")
#: How many times over a CMS may have escaped a metadata value.
MAX_ESCAPES = 2
_XML_SPACE = re.compile(r"[ \t\r\n]+")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_HTML_LANG = etree.XPath("/html/@lang")
#: libxml2's HTML parser keeps `xml:lang` as an attribute of that name, in no namespace.
_HTML_XML_LANG = etree.XPath('/html/@*[name() = "xml:lang"]')


def unescape(text: str) -> str:
    """Decode entities that CMSs escaped once or twice too often (`&amp;quot;`) in
    metadata; only complete ones, with their semicolon, so that `&region=` in a URL
    stays as it is. Most values have no `&` at all, and skip the pattern."""
    if "&" not in text:
        return text
    for _ in range(MAX_ESCAPES):
        decoded = _ENTITY.sub(lambda match: html.unescape(match[0]), text)
        if decoded == text:
            break
        text = decoded
    return text


class Metadata:
    """The metadata of one page, read lazily field by field."""

    def __init__(self, page: Selector) -> None:
        self.page = page
        self.meta = _meta_tags(page)

    @cached_property
    def jsonld_documents(self) -> list[list[dict[str, Any]]]:
        """The objects of every JSON-LD document of the page, in document order; parsed
        when first asked for (a page dated by its meta tags never needs them)."""
        return _jsonld_documents(self.page)

    @cached_property
    def _article(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return _article_object(self.jsonld_documents)

    @property
    def jsonld(self) -> dict[str, Any]:
        """The page's article object."""
        return self._article[0]

    @property
    def jsonld_ids(self) -> dict[str, Any]:
        """Every JSON-LD object of the article's document by @id (authors are often
        references to Person objects elsewhere in the @graph)."""
        return self._article[1]

    def first(self, *names: str) -> str | None:
        for name in names:
            values = self.meta.get(name)
            if values:
                return values[0]
        return None

    def title(self) -> str | None:
        return _text(self.jsonld.get("headline")) or self.first("og:title", "twitter:title")

    def authors(self) -> list[str]:
        names = _names(self.jsonld.get("author"), self.jsonld_ids)
        if names:
            return names
        for key in _META_AUTHORS:
            names = [v for v in self.meta.get(key, []) if not v.startswith(("http:", "https:"))]
            if names:
                return names
        return []

    def publisher_names(self) -> list[str]:
        """The publication's names in JSON-LD: the article's publisher, and the
        Organization or WebSite objects of the page."""
        names = _names(self.jsonld.get("publisher"), self.jsonld_ids)
        for obj in self.jsonld_ids.values():
            if json_types(obj) & {"Organization", "NewsMediaOrganization", "WebSite"}:
                names.extend(_names(obj, {}))
        return names

    def section(self) -> str | None:
        return _text(self.jsonld.get("articleSection")) or self.first("article:section")

    def summary(self) -> str | None:
        return _text(self.jsonld.get("description")) or self.first(
            "og:description", "twitter:description", "description"
        )

    def body(self) -> list[str]:
        body = _text(self.jsonld.get("articleBody"))
        if not body:
            return []
        if "<" in body:  # some CMSs put the HTML of the article here
            body = " ".join(Selector(text=body).xpath("//text()").getall())
        return [line for line in body.splitlines() if line.strip()]

    def tags(self) -> list[str]:
        keywords = self.jsonld.get("keywords")
        if isinstance(keywords, str):
            return [k for k in (s.strip() for s in keywords.split(",")) if k]
        if isinstance(keywords, list):
            return [k for k in (_text(k) for k in keywords) if k]
        return self.meta.get("article:tag", [])

    def image(self) -> str | None:
        return _url(self.jsonld.get("image")) or self.first(
            "og:image", "og:image:url", "og:image:secure_url", "twitter:image"
        )

    def language(self) -> str | None:
        return self._language

    @cached_property
    def _language(self) -> str | None:
        """Read once: the date layer and the language field both ask."""
        return (
            _first_value(_HTML_LANG(self.page.root))
            or _first_value(_HTML_XML_LANG(self.page.root))
            or self.first("og:locale", "content-language", "dc.language")
            or _text(self.jsonld.get("inLanguage"))
        )

    def canonical(self) -> str | None:
        links = page_elements(self.page).by_tag("link")
        declared = (link.get("href") for link in links if "canonical" in _rel(link))
        return next((href for href in declared if href is not None), None) or self.first("og:url")


def _first_value(values: list[str]) -> str | None:
    return str(values[0]) if values else None


def _rel(link: HtmlElement) -> list[str]:
    """The words of a link's rel, as CSS's `[rel~=…]` reads them (XML white space)."""
    return _XML_SPACE.split(link.get("rel", ""))


def _meta_tags(page: Selector) -> dict[str, list[str]]:
    """Every <meta> by its lower-cased name, property, itemprop or http-equiv."""
    tags: dict[str, list[str]] = {}
    for meta in page_elements(page).by_tag("meta"):
        content = meta.get("content")
        if content is None:
            continue
        content = content.strip()
        key = (
            meta.get("property")
            or meta.get("name")
            or meta.get("itemprop")
            or meta.get("http-equiv")
        )
        if key and content:
            tags.setdefault(key.strip().lower(), []).append(unescape(content))
    return tags


def _jsonld_documents(page: Selector) -> list[list[dict[str, Any]]]:
    """The objects of each JSON-LD document of the page, one list per document."""
    documents = []
    scripts = (s for s in page_elements(page).by_tag("script") if "ld+json" in s.get("type", ""))
    for script in (text for s in scripts for text in s.xpath("text()")):
        try:
            data = json.loads(_without_comment_marks(script), strict=False)
        except (ValueError, RecursionError):
            # Broken JSON-LD is common, nesting too deep for the parser rare; the other
            # sources remain.
            continue
        documents.append(list(_objects(data)))
    return documents


def _without_comment_marks(script: str) -> str:
    """The script without the `<!--`/`-->` or CDATA marks some pages wrap JSON-LD in.

    The pattern is tried at every character of the script (JSON-LD runs to tens of
    kilobytes); most scripts hold none of the marks, which substring tests rule out in C.
    """
    if "<!" in script or "-->" in script or "]]>" in script:
        return _COMMENTS.sub("", script)
    return script


def _article_object(
    documents: list[list[dict[str, Any]]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's first JSON-LD object of an article type, and its document's objects by @id."""
    for objects in documents:
        index = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
        for obj in objects:
            if json_types(obj) & ARTICLE_TYPES:
                return obj, index
    return {}, {}


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """All objects of a JSON-LD document: top level, lists, @graph and mainEntity."""
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(data.get(key), list | dict):
                yield from _objects(data[key])


def json_types(obj: dict[str, Any]) -> set[str]:
    """An object's @type names; none when it is missing or not text (`null`, a number)."""
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _text(value: Any) -> str | None:
    """A JSON-LD value as text; the first of a list; entities decoded."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | int | float)), None)
    if isinstance(value, str | int | float) and str(value).strip():
        return unescape(str(value)).strip()
    return None


def _names(value: Any, index: dict[str, Any]) -> list[str]:
    """Author names from a string, a Person, an @id reference, or a list of those."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict) and "name" not in item and item.get("@id") in index:
            item = index[item["@id"]]
        name = _text(item.get("name")) if isinstance(item, dict) else _text(item)
        if name and not name.startswith(("http:", "https:")):
            names.append(name)
    return names


def _url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None
