"""From an HTML element to clean paragraphs: boilerplate out, block structure kept.

Used on the element a site's `body` selector picks. Sites put share buttons, "Latest news"
lists and tag clouds inside their article containers, so the selected element is never
taken whole: widgets are recognised by their markup (tags, class and id words, link
density), not by any one site's class names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable

from lxml import etree
from lxml.html import HtmlElement

#: Elements that never hold article prose.
DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "form", "button", "input",
        "select", "textarea", "nav", "aside", "footer", "header", "figure", "figcaption",
        "svg", "object", "embed", "video", "audio", "canvas", "picture", "dialog", "menu",
    }
)  # fmt: skip
#: Words in a class or id (split at '-', '_' and case changes) that mark a widget.
BOILERPLATE_WORDS = frozenset(
    {
        "share", "sharing", "sharer", "social", "socials", "related", "latest", "popular",
        "trending", "recommended", "recommendations", "newsletter", "subscribe",
        "subscription", "signup", "advert", "advertisement", "ad", "ads", "adv", "promo",
        "sponsored", "banner", "comment", "comments", "breadcrumb", "breadcrumbs", "tags",
        "tag", "byline", "author", "authors", "caption", "cookie", "cookies", "consent",
        "paywall", "readmore", "nav", "navbar", "navigation", "menu", "sidebar", "widget",
        "print", "toolbar", "pagination", "pager", "rating", "footer", "meta", "mostread",
        "seealso", "alsoread", "outbrain", "taboola", "disqus", "embed",
    }
)  # fmt: skip
#: Short lines that label widgets rather than say anything, in the languages we crawl.
BOILERPLATE_LINES = frozenset(
    {
        "share", "share this", "share this article", "latest news", "related", "related news",
        "related articles", "read more", "read also", "see also", "most read", "advertisement",
        "tags", "comments", "последние новости", "читайте также", "читайте также:",
        "похожие новости", "поделиться", "реклама", "теги", "son xəbərlər", "paylaş",
        "oxşar xəbərlər", "digər xəbərlər", "ən çox oxunan", "reklam", "etiketlər",
        "son dakika", "ilgili haberler", "paylaş:", "останні новини", "читайте також",
    }
)  # fmt: skip
#: A short line that opens a list of other stories.
_MORE_STORIES = re.compile(
    r"^(?:more (?:from|on|in|stories|news)|related (?:stories|articles|news|coverage|content)"
    r"|you (?:may|might) also like|recommended (?:for you|stories|reading)|read next"
    r"|other news|ещё по теме|еще по теме|другие новости|digər xəbərlər|oxşar xəbərlər"
    r"|ilgili haberler|diğer haberler)\b[^.!?]{0,50}$",
    re.IGNORECASE,
)
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "li",
        "dl", "dt", "dd", "table", "thead", "tbody", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "address", "center", "details", "summary",
    }
)  # fmt: skip
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
LINK_DENSE = 0.6
#: How far above the main block the markup of its chunks may repeat.
CHUNK_LEVELS = 3
PROSE_CHARS = 40
SHORT_PARAGRAPH = 160
#: The share of the running text a block must hold for the spine to go down into it.
SPINE_SHARE = 0.5
_HIDDEN_CANDIDATES = ".//*[@hidden or @aria-hidden or contains(@style, ':')]"
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.I)
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_SPACES = re.compile(r"\s+")
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]")


def clean_paragraphs(element: HtmlElement) -> list[str]:
    """The prose of an element as paragraphs, with widgets and labels removed."""
    tree = copy.deepcopy(element)
    remove_boilerplate(tree)
    return _drop_dangling_headings(block_texts(tree))


def element_text(element: HtmlElement) -> str:
    """The visible text of an element on one line, scripts and styles left out."""
    value = _attribute_text(element)
    if value is not None:
        return value
    return _SPACES.sub(" ", " ".join(_visible_parts(element))).strip()


def shows_text(element: HtmlElement) -> bool:
    """Whether `element_text` is not empty, read only up to the first text that is not
    white space: an unclosed tag may hold the rest of the page."""
    value = _attribute_text(element)
    if value is not None:
        return bool(value)
    return any(part.strip() for part in _visible_parts(element))


def short_text(element: HtmlElement, limit: int) -> str | None:
    """`element_text` when it is at most ``limit`` characters long, else None.

    A block marked as a date may hold a whole story: its text is not joined and cleaned
    only to be found too long. Reading stops once more than ``limit`` characters other
    than white space have been seen, since joining and collapsing white space never
    removes any of them.
    """
    text = _attribute_text(element)
    if text is None:
        kept = []
        seen = 0
        for part in _visible_parts(element):
            seen += sum(map(len, part.split()))
            if seen > limit:
                return None
            kept.append(part)
        text = _SPACES.sub(" ", " ".join(kept)).strip()
    return text if len(text) <= limit else None


def _attribute_text(element: HtmlElement) -> str | None:
    """What a `<meta>` or a `<time datetime>` says in its attribute, which is its text."""
    if element.tag == "meta":
        return element.get("content", "")
    if element.tag == "time" and element.get("datetime"):
        return element.get("datetime", "")
    return None


def _visible_parts(element: HtmlElement) -> Iterable[str]:
    # Without code in or around it, its text nodes are all visible: no XPath test of
    # each one's ancestors.
    return _VISIBLE_TEXT(element) if _holds_code(element) else element.itertext()


def _holds_code(element: HtmlElement) -> bool:
    """Whether a script or style is ``element``, inside it or around it."""
    return (
        next(element.iter("script", "style"), None) is not None
        or next(element.iterancestors("script", "style"), None) is not None
    )


def remove_boilerplate(root: HtmlElement) -> None:
    """Remove widgets from `root` in place; `root` itself always stays.

    Three passes over the tree: what readers never see (a hidden copy of the story for
    machines must not count as where the story is), widgets by markup, then what is
    left that is mostly links. Text lengths are counted once per pass, bottom up, so a
    big page costs linear time.
    """
    # Candidates by XPath (in C), then the exact test; removing an outer one first
    # detaches the inner ones, which are then skipped.
    remove_keeping_tails(
        element
        for element in root.xpath(_HIDDEN_CANDIDATES)
        if _is_hidden(element) and not any(map(_is_hidden, element.iterancestors()))
    )
    lengths = _TextLengths(root)
    total = lengths.text[root] or 1
    spine = lengths.prose_spine()
    remove_keeping_tails(
        _outermost(root, lambda e: e not in spine and _is_widget(e, total, lengths))
    )
    lengths = _TextLengths(root)
    remove_keeping_tails(_outermost(root, lambda e: e not in spine and lengths.link_dense(e)))


def main_blocks(root: HtmlElement) -> list[HtmlElement]:
    """The block with the most running text of its own and of its paragraphs, and the
    other chunks of the same story.

    Pages cut a long story into chunks with advertising between them, each in a
    container like the first's; reading only the first loses the rest. The chunks are
    blocks with the main block's tag and class under siblings that repeat the markup of
    one of its near ancestors, and that hold running text.
    """
    cores = _TextLengths(root).text_cores()
    if len(cores) < 2:
        return []
    block = cores[0]
    if not block.get("class"):
        return [block]
    node = block
    for _ in range(CHUNK_LEVELS):
        parent = node.getparent()
        if parent is None:
            break
        chunks = [
            chunk
            for sibling in parent
            if sibling.tag == node.tag and sibling.get("class") == node.get("class")
            for chunk in sibling.iter(block.tag)
            if chunk.get("class") == block.get("class") and _holds_prose(chunk)
        ]
        if len(chunks) > 1:
            return chunks
        node = parent
    return [block]


def _holds_prose(element: HtmlElement) -> bool:
    return any(_own_text(p) >= PROSE_CHARS for p in element.iter("p"))


def _own_text(element: HtmlElement) -> int:
    """Characters of text right inside the element, not inside its child elements."""
    return len((element.text or "").strip()) + sum(
        len((child.tail or "").strip()) for child in element
    )


class _TextLengths:
    """Characters of visible text, and of link text, under every element of a tree, and
    where its running text is; all counted in one walk, bottom up."""

    def __init__(self, root: HtmlElement) -> None:
        self.root = root
        self.text: dict[HtmlElement, int] = {}
        self.links: dict[HtmlElement, int] = {}
        #: Running text (PROSE_CHARS or more of an element's own text, outside links,
        #: scripts and styles) under every element.
        self.held: dict[HtmlElement, int] = {}
        #: Running text of each block, its own and its paragraphs' (a <p> counts for its
        #: parent), in the order first met.
        self.blocks: dict[HtmlElement, int] = {}
        text, links, held, blocks = self.text, self.links, self.held, self.blocks
        for element in reversed(list(root.iter())):  # descendants before ancestors
            tag = element.tag
            if not isinstance(tag, str) or tag in ("script", "style"):
                text[element] = links[element] = 0
                held[element] = sum(held[child] for child in element)
                continue
            own = len((element.text or "").strip())
            total = own
            link_total = held_total = 0
            for child in element:
                tail = len((child.tail or "").strip())
                own += tail
                total += text[child] + tail
                link_total += links[child]
                held_total += held[child]
            text[element] = total
            links[element] = total if tag == "a" else link_total
            prose = own if own >= PROSE_CHARS and tag != "a" else 0
            held[element] = prose + held_total
            if prose:
                holder = element.getparent() if tag == "p" else element
                if holder is not None:
                    blocks[holder] = blocks.get(holder, 0) + prose

    def text_cores(self) -> list[HtmlElement]:
        """Where the running text is, two ways, as either may be the article when comments
        or a long footer compete with it: the block with the most running text of its own
        and of its paragraphs (absent when there is none), and the block the text
        concentrates in, walking down from the root into the child that holds most of it
        while one does.
        """
        held = self.held
        cores = [max(self.blocks, key=self.blocks.__getitem__)] if self.blocks else []
        core = self.root
        while held[core]:
            richest = max(core, key=held.__getitem__, default=None)
            if richest is None or held[richest] < SPINE_SHARE * held[core]:
                break
            core = richest
        return [*cores, core]

    def prose_spine(self) -> set[HtmlElement]:
        """The blocks that hold the page's running text, and every element around them.

        Whatever its markup says, this is where the article is: pages wrap everything in
        a <form> (ASP.NET), put the story in a <header>, name its container like a widget
        (Blogger's "widget Blog", WordPress's "tag-…" and "author-…"), or write it as
        text and <br>s.
        """
        return {e for core in self.text_cores() for e in (core, *core.iterancestors())}

    def link_dense(self, element: HtmlElement) -> bool:
        """A block of mostly link text, like a list of other articles, and no real prose.

        A paragraph counts only when short ("Read more: …"): a long one that links much
        of its sentence is still the story's paragraph.
        """
        text = self.text[element]
        if element.tag == "p":
            return 0 < text <= SHORT_PARAGRAPH and self.links[element] / text >= LINK_DENSE
        return (
            element.tag in ("ul", "ol", "div", "section")
            and text > 0
            and self.links[element] / text >= LINK_DENSE
        )


def _outermost(root: HtmlElement, test: Callable[[HtmlElement], bool]) -> list[HtmlElement]:
    """The descendants of `root` that pass `test`, without looking inside those that do."""
    found = []
    stack = list(reversed(root))
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        if test(element):
            found.append(element)
        else:
            stack.extend(reversed(element))
    return found


def block_texts(root: HtmlElement) -> list[tuple[str, bool]]:
    """(text, is_heading) for each block of `root`, in document order.

    Inline text accumulates until a block element or a <br> ends it, which keeps
    `text<br><br>text` bodies and nested <div> bodies apart as paragraphs.
    """
    blocks: list[tuple[str, bool]] = []
    buffer: list[str] = []

    def flush(heading: bool = False) -> None:
        text = _SPACES.sub(" ", "".join(buffer)).strip()
        buffer.clear()
        if text:
            blocks.append((text, heading))

    def walk(node: HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in BLOCK_TAGS or tag == "br":
            flush()
        if node.text and tag not in ("script", "style"):
            buffer.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                buffer.append(child.tail)
        if tag in BLOCK_TAGS:
            flush(heading=tag in HEADING_TAGS)

    walk(root)
    flush()
    return blocks


def drop_labels(paragraphs: list[str]) -> list[str]:
    """Drop lines that only label a widget ("Latest news", "Share"), and the list of
    other stories that a "More from …" line opens after the article's text."""
    total = sum(map(len, paragraphs))
    read = 0
    for index, paragraph in enumerate(paragraphs):
        if read >= total / 2 and _MORE_STORIES.match(paragraph):
            paragraphs = paragraphs[:index]
            break
        read += len(paragraph)
    return [p for p in paragraphs if not _is_label(p)]


def _drop_dangling_headings(blocks: list[tuple[str, bool]]) -> list[str]:
    """Drop widget labels, and headings left with nothing under them."""
    kept = [(text, heading) for text, heading in blocks if not _is_label(text)]
    return [
        text
        for i, (text, heading) in enumerate(kept)
        if not (heading and (i + 1 == len(kept) or kept[i + 1][1]))
    ]


def _is_label(text: str) -> bool:
    return text.casefold().rstrip(":").strip() in BOILERPLATE_LINES


def _is_widget(element: HtmlElement, total: int, lengths: _TextLengths) -> bool:
    if element.tag in DROP_TAGS:
        return True
    if element.get("role") in ("navigation", "complementary", "banner", "contentinfo"):
        return True
    words = _markup_words(element)
    if not words & BOILERPLATE_WORDS:
        return False
    # A wrapper named like a widget (WordPress puts "tag-…" on the whole post) holds
    # most of the text, in paragraphs; a real widget holds a little, or no prose.
    return lengths.text[element] < total / 2 or not any(
        lengths.text[p] >= PROSE_CHARS for p in element.iter("p", "blockquote", "li")
    )


def _is_hidden(element: HtmlElement) -> bool:
    """Hidden from readers by its attributes or its inline style: copies of the text for
    machines (microdata), templates and collapsed widgets."""
    if element.get("aria-hidden") == "true" or element.get("hidden") is not None:
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style", "")))


def _markup_words(element: HtmlElement) -> set[str]:
    words: set[str] = set()
    for value in (element.get("class", ""), element.get("id", "")):
        for token in value.split():
            parts = [p.lower() for p in _WORD_SPLIT.split(token) if p]
            words.update(parts)
            words.add("".join(parts))
    return words


#: What lxml refuses to assign as text (XML 1.0's excluded characters), though its HTML
#: parser keeps them from a page: a control character in a tail must not crash the move.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def remove_keeping_tails(elements: Iterable[etree._Element]) -> None:
    """Remove elements (in document order) but keep their tail texts, which belong to
    their parents: each joins the text before it, the previous sibling's tail or the
    parent's text.

    The tails that join one text are joined once, at the end: appending each to a
    growing string, and setting it again, took time growing with the square of a run of
    removed siblings (a page of 10,000 buttons between lines of text, 18 s a megabyte).
    Removal by lxml alone (`strip_elements`) leaves the tails as separate text nodes,
    which lxml then joins on every read of the text, as slowly.
    """
    joined: dict[tuple[etree._Element, bool], list[str]] = {}
    for element in elements:
        parent = element.getparent()
        if parent is None:
            continue
        tail = element.tail
        previous = element.getprevious()
        parent.remove(element)
        if tail:
            target = (parent, True) if previous is None else (previous, False)
            joined.setdefault(target, []).append(tail)
    for (target, is_text), tails in joined.items():
        before = (target.text if is_text else target.tail) or ""
        text = _NOT_XML.sub("", before + "".join(tails))
        if is_text:
            target.text = text
        else:
            target.tail = text
