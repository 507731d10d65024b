"""htmldate's oldest and newest dates in one pass are exactly two `find_date` calls' answers."""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import datetime

import pytest
from htmldate import find_date
from htmldate.core import CLASS_CUES, ID_CLASS_CUES, date_candidates
from htmldate.extractors import FREE_TEXT_EXPRESSIONS, discard_unwanted
from htmldate.settings import CLEANING_LIST, MIN_SEGMENT_LEN
from htmldate.utils import clean_html
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml.html import HtmlElement, document_fromstring

from crawler.extract.htmldate_range import (
    _CANDIDATE_CUES,
    NEAR_DIGIT_PATTERNS,
    _date_candidates,
    _free_text_nodes,
    _NearDigits,
    _pruned,
    digit_stretches,
    oldest_and_newest,
)

FLOOR = datetime(1995, 1, 1)
NOW = datetime(2026, 11, 25, 12, 0)

#: One page per step of find_date that can answer, and pages where the two questions
#: stop at different steps.
PAGES = {
    "url": ("<p>Text</p>", "https://example.com/2019/03/04/story"),
    "meta": (
        '<head><meta property="article:published_time" content="2019-03-04">'
        '<meta property="article:modified_time" content="2020-05-06"></head><p>x</p>',
        None,
    ),
    "json-ld": (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2019-03-04", "dateModified": "2019-04-05"}</script>',
        None,
    ),
    "abbr": ('<abbr class="published" title="2019-03-04">4 March</abbr>', None),
    "date elements": (
        '<div class="date">4 March 2019</div><div class="updated">6 May 2020</div>',
        None,
    ),
    "bare small and footer, itemprop": (
        '<p id="a">x</p><small>4 March 2019</small>'
        '<span itemprop="dateCreated">5 March 2019</span><footer>6 May 2020</footer>',
        None,
    ),
    "time elements": ('<time datetime="2019-03-04">x</time><time datetime="2020-01-02">', None),
    "timestamps in the markup": ('<p data-x="2019-03-04 10:00:00">x</p>', None),
    "free text": ("<p>Written on 4 March 2019.</p><p>Last changed on 6 May 2020.</p>", None),
    "page patterns": ("<p>x</p><!-- 2019/03/04 and 2021/06/07 -->", None),
    "counted page patterns": (
        "<p>x</p><p>2019/03/04 2019/03/04 2021/06/07 04.05.2018 04.05.2018 04.05.2018</p>",
        None,
    ),
    "copyright": ("<footer>© 2016</footer>", None),
    "out of bounds": ("<p>Posted 4 March 2031 and 5 April 1990.</p>", None),
    "nothing": ("<p>No date here.</p>", "https://example.com/story"),
    "canonical": (
        '<head><link rel="canonical" href="https://example.com/2018/01/02/x"></head><p>x</p>',
        None,
    ),
    # Pruned before the searches of the elements, markup and text: their dates are not
    # found, the text after them is (joined to the text before). htmldate's live
    # iteration stops after dropping an element with a prunable element inside (lxml
    # has already stepped into it): the elements after it stay.
    "pruned elements": (
        "<p>Filed <label>4 March 2019</label>on 6 May 2020</p><svg><text>2018-01-02</text></svg>",
        None,
    ),
    "pruned first and nested": (
        "<div><iframe>2017-02-03</iframe>Posted 5 June 2018<picture><svg>2016-01-01</svg>"
        "<img src=x></picture> and <video>2015-01-01</video></div>",
        None,
    ),
    "pruning stopped by a nested element": (
        "<p>x</p><picture><svg></svg></picture><iframe>Published 2019-03-04</iframe>",
        None,
    ),
    "wayback banner": (
        '<div id="wm-ipp-base"><div id="wm-ipp">Saved 4 March 2019</div>tail 2019-04-05</div>'
        "<p>Written on 6 May 2020.</p>",
        None,
    ),
    # lxml refuses to join a tail with a control character: pruning stops there.
    "a tail lxml refuses": (
        "<p>a<label>2017-01-02</label>x\x01 on 4 March 2019<svg>2018-01-01</svg> 6 May 2020</p>",
        None,
    ),
}


def tree(body: str) -> HtmlElement:
    return document_fromstring(f"<html><body>{body}</body></html>")


def two_calls(page: HtmlElement, url: str | None) -> tuple[str | None, str | None]:
    return tuple(  # type: ignore[return-value]
        find_date(
            page,
            extensive_search=True,
            original_date=original,
            url=url,
            min_date=FLOOR,
            max_date=NOW,
        )
        for original in (True, False)
    )


@pytest.mark.parametrize(("body", "url"), PAGES.values(), ids=PAGES.keys())
def test_one_pass_answers_as_two_find_date_calls(body: str, url: str | None) -> None:
    page = tree(body)
    before = etree.tostring(page)
    assert oldest_and_newest(page, url, FLOOR, NOW) == two_calls(page, url)
    assert etree.tostring(page) == before  # the crawl's tree stays whole


#: Markup with elements htmldate prunes (their dates unseen, their tails kept), the
#: Wayback Machine's banner it discards, dates and tails.
_PRUNABLE = st.recursive(
    st.sampled_from(["", "x", "4 March 2019", "2020-05-06", "2017/02/03", "<!-- c -->", "\x01"]),
    lambda inner: st.tuples(
        st.sampled_from(
            ["p", "div", "span", "label", "iframe", "svg", "picture", "video", "map",
             'div id="wm-ipp"', 'div class="date"']
        ),
        st.lists(inner, max_size=3),
        st.sampled_from(["", "tail", " 6 May 2018", "\x01"]),
    ).map(lambda e: f"<{e[0]}>{''.join(e[1])}</{e[0].split()[0]}>{e[2]}"),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(_PRUNABLE, max_size=4).map("".join))
def test_pruning_in_place_answers_as_find_date_and_puts_the_tree_back(body: str) -> None:
    page = tree(body)
    nodes = list(page.iter())
    texts = [(node.text, node.tail) for node in nodes]
    expected = htmldate_pruned(page)
    with _pruned(page) as pruned:
        assert etree.tostring(pruned) == etree.tostring(expected)
        assert structure(pruned) == structure(expected)
    assert list(page.iter()) == nodes  # the same elements, in the same places
    assert [(node.text, node.tail) for node in nodes] == texts
    assert oldest_and_newest(page, None, FLOOR, NOW) == two_calls(page, None)
    assert list(page.iter()) == nodes


def htmldate_pruned(page: HtmlElement) -> HtmlElement:
    """The copy `find_date` searches."""
    copy = deepcopy(page)
    try:
        return discard_unwanted(clean_html(copy, CLEANING_LIST))
    except ValueError:
        return copy


def structure(node: HtmlElement) -> list[object]:
    """Each node's tag, text and tail, and its text nodes as XPath counts them (a text
    or tail lxml joins from two nodes is two)."""
    return [
        (n.tag, n.text, n.tail, len(n.xpath("text()")) if isinstance(n.tag, str) else 0)
        for n in node.iter()
    ]


def test_a_subtree_is_pruned_as_a_copy_as_find_date_prunes_it() -> None:
    page = tree('<div><p>x</p><div id="wm-ipp">Saved 4 March 2019</div><p>6 May 2020</p></div>')
    part = page.find(".//div")
    before = etree.tostring(page)
    assert oldest_and_newest(part, None, FLOOR, NOW) == two_calls(part, None)
    prunable = tree("<object><p>Posted 4 March 2019</p></object>").find(".//object")
    with pytest.raises(AssertionError):  # drop_tree on its copy's root
        find_date(prunable, extensive_search=True, min_date=FLOOR, max_date=NOW)
    assert oldest_and_newest(prunable, None, FLOOR, NOW) == (None, None)
    assert etree.tostring(page) == before


def test_the_two_questions_can_differ() -> None:
    """The pass really answers two questions (else the test above proves little)."""
    page = tree(PAGES["free text"][0])
    assert oldest_and_newest(page, None, FLOOR, NOW) == ("2019-03-04", "2020-05-06")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "4 March 2019",
                "2020-05-06",
                "06.07.2021",
                "© 2016",
                '<span class="date">1 May 2018</span>',
                '<time datetime="2017-02-03">',
                "Updated",
                "x",
            ]
        ),
        max_size=6,
    ).map(" ".join)
)
def test_one_pass_answers_as_two_calls_on_any_text(text: str) -> None:
    page = tree(f"<p>{text}</p>")
    assert oldest_and_newest(page, None, FLOOR, NOW) == two_calls(page, None)


_ATTRIBUTE_VALUES = st.sampled_from(
    ["date", "Date", "DATE", "datum", "Datum", "meta", "Meta", "time", "publish", "footer",
     "byline", "author", "fecha", "info", "footer-info-lastmod", "x", "", "dat", "ate"]
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["div", "span", "p", "small", "footer", "time"]),
            st.sampled_from(["id", "class", "itemprop", "title"]),
            st.lists(_ATTRIBUTE_VALUES, max_size=3).map("-".join),
        ),
        max_size=8,
    )
)
def test_date_candidates_are_htmldate_s(elements: list[tuple[str, str, str]]) -> None:
    body = "".join(f'<{tag} {name}="{value}">x</{tag}>' for tag, name, value in elements)
    page = tree(f'<div class="info" id="main">{body}<p itemprop="Date" class="a">y</p></div>')
    assert _date_candidates(page) == date_candidates(page, True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        _ATTRIBUTE_VALUES | st.sampled_from(["MEta", "dAte", "Da", "te"]) | st.text(max_size=3)
    ).map(" ".join)
)
def test_candidate_cues_are_htmldate_s_words(value: str) -> None:
    """The cues rewritten so that every alternative starts with a letter find what the
    words as htmldate writes them find."""
    plain = re.compile(f"[Dd]at(?:e|um)|{ID_CLASS_CUES.pattern}|{CLASS_CUES.pattern}")
    assert (_CANDIDATE_CUES.search(value) is None) == (plain.search(value) is None)
    assert "[" not in _CANDIDATE_CUES.pattern  # a new htmldate's words: rewrite them too


_MARKUP = st.recursive(
    st.sampled_from(["", "t", " ", "<br>", "<!-- c -->", "<img src=x>", "sixsix", "seven77"]),
    lambda inner: st.tuples(
        st.sampled_from(["div", "p", "span", "li", "ul", "h2", "time", "b", "a", "td", "section"]),
        st.lists(inner, max_size=4),
        st.sampled_from(["", "tail", "a longer tail", "\n       "]),
    ).map(lambda e: f"<{e[0]}>{'x'.join(e[1])}</{e[0]}>{e[2]}"),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_MARKUP, max_size=5).map("y".join))
def test_free_text_is_htmldate_s_expression(body: str) -> None:
    page = tree(f"<div>{body}</div>")
    for context in (page, *page.iterdescendants(etree.Element)):
        expected = [t for t in FREE_TEXT_EXPRESSIONS(context) if len(t) > MIN_SEGMENT_LEN]
        assert _free_text_nodes(context) == [str(t) for t in expected]


def test_near_digit_patterns_are_the_ones_whose_reach_was_read() -> None:
    """`NEAR_DIGIT_PATTERNS`'s reach (1 before the first digit, 6 looked back, 1 after
    the last, 1 between digits) was read off these patterns: a new htmldate must be read
    again, not trusted."""
    assert sorted(p.pattern for p in NEAR_DIGIT_PATTERNS) == sorted(
        [
            r"/([0-9]{4}/[0-9]{2}/[0-9]{2})[01/]",
            r"\D([0-9]{4}[/.-][0-9]{2}[/.-][0-9]{2})\D",
            r"\D([0-3]?[0-9][/.-][0-1]?[0-9][/.-][0-9]{4})\D",
            r"(\D19[0-9]{2}[01][0-9][0-3][0-9]\D|\D20[0-9]{2}[01][0-9][0-3][0-9]\D)",
            r"\D([0-3]?[0-9]/[0-1]?[0-9]/[0129][0-9]|[0-3][0-9]\.[01][0-9]\.[0129][0-9])\D",
            r"\D([12][0-9]{3}[/.-](?:1[0-2]|0[1-9]))\D",
            r"\D([0-1]?[0-9][/.-][12][0-9]{3})\D",
            r"(?<!w3.org)\D((?:199[0-9]|20[0-3][0-9]))\D",
        ]
    )
    assert all(p.flags == re.UNICODE for p in NEAR_DIGIT_PATTERNS)


#: Pieces of pages around dates: digits of every kind (an Arabic-Indic one is no `\D`
#: and no `[0-9]`), separators, the look-behind's `w3.org`, stretches of text.
_PAGE_PIECES = st.sampled_from(
    ["2019", "1998", "03", "4", "12", "0", "20190304", "/", ".", "-", " ", "w3.org", "x",
     "\u0663", "\n", "<p>", "a" * 9, "b" * 11, "2019/03/04/", "4.3.2019", "© 2016", "12/2020"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PAGE_PIECES, max_size=40).map("".join))
def test_stretches_find_what_the_whole_page_does(html: str) -> None:
    stretches = digit_stretches(html)
    for pattern in NEAR_DIGIT_PATTERNS:
        assert _NearDigits(pattern, stretches).findall(html) == pattern.findall(html)


def stretches_run_by_run(html: str) -> list[tuple[int, int]]:
    """`digit_stretches` by its definition: each run of digits with its reach, joined
    with the previous one when they overlap."""
    stretches: list[tuple[int, int]] = []
    for run in re.finditer("[0-9]+", html):
        start, end = max(run.start() - 8, 0), min(run.end() + 2, len(html))
        if stretches and start <= stretches[-1][1]:
            start = stretches.pop()[0]
        stretches.append((start, end))
    return stretches


@settings(max_examples=300, deadline=None)
@given(st.lists(_PAGE_PIECES, max_size=40).map("".join))
def test_stretches_by_the_gaps_between_them(html: str) -> None:
    assert digit_stretches(html) == stretches_run_by_run(html)


@pytest.mark.parametrize(
    "html", ["", "x", "1", "a1", "1a", "1" + "a" * 10, "1" + "a" * 11, "a" * 11 + "1", "1a1"]
)
def test_stretches_at_the_ends_of_the_page(html: str) -> None:
    assert digit_stretches(html) == stretches_run_by_run(html)


def test_stretches_skip_text_without_digits() -> None:
    html = "a" * 100 + "2019-03-04" + "b" * 100 + "5" + "c" * 50
    assert digit_stretches(html) == [(92, 112), (202, 213)]
