"""htmldate's reading of a page's oldest and newest date, in one pass over the page.

`page_dates` takes htmldate's guess (its oldest date, `original_date=True`) only when its
newest date (`original_date=False`) is the same day. Two `find_date` calls copy, clean and
search the page twice; most of that work does not depend on which date is asked for, and
the copy is not needed (`_pruned` prunes the page itself and puts it back).
This runs `find_date`'s steps in its order (htmldate 1.11) once for both questions: each
step that reads the pruned tree is prepared once and asked for both dates, and each
question stops at the first step that answers it, as `find_date` returns there. Parts of
a step that read only the bounds and the output format, which the two questions share,
and the page-wide pattern counts of `search_page`, are computed once (`_Shared`). The
answers are `find_date`'s own (tests/test_htmldate_range.py holds them equal on the
evaluation pages' kinds of markup); pyproject pins the htmldate versions this mirrors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from copy import deepcopy
from datetime import datetime
from functools import cache, partial
from re import Match, Pattern
from typing import Any, TypeVar

from htmldate import extractors as htmldate_extractors
from htmldate.core import (
    ALWAYS_TAGS,
    CLASS_CUES,
    COPYRIGHT_PATTERN,
    DATESTRINGS_CATCH,
    DATESTRINGS_PATTERN,
    ID_CLASS_CUES,
    MMYYYY_PATTERN,
    SELECT_YMD_PATTERN,
    SELECT_YMD_YEAR,
    SIMPLE_PATTERN,
    SLASHES_PATTERN,
    SLASHES_YEAR,
    THREE_COMP_PATTERNS,
    THREE_COMP_REGEX_A,
    THREE_COMP_REGEX_B,
    THREE_LOOSE_CATCH,
    TIMESTAMP_PATTERN,
    YEAR_PATTERN,
    YMD_PATTERN,
    YYYYMM_CATCH,
    YYYYMM_PATTERN,
    _filter_ymd,
    _finalize_candidate,
    compare_reference,
    examine_abbr_elements,
    examine_elements,
    examine_header,
    examine_time_elements,
    is_date_candidate,
    normalize_match,
    normalize_two_comp,
    select_candidate,
    serialize,
)
from htmldate.extractors import (
    DISCARD_EXPRESSIONS,
    FAST_TAGS,
    discard_unwanted,
    extract_url_date,
    idiosyncrasies_search,
    img_search,
    json_search,
    pattern_search,
    regex_parse,
)
from htmldate.settings import CLEANING_LIST, MAX_SEGMENT_LEN, MIN_SEGMENT_LEN
from htmldate.utils import Extractor, clean_html
from htmldate.validators import (
    check_extracted_reference,
    get_max_date,
    get_min_date,
    is_valid_date,
    plausible_year_filter,
)
from lxml import etree
from lxml.html import HtmlElement

from crawler.dates_locales import LocaleFilteredParser

Step = Callable[[Extractor], str | None]
T = TypeVar("T")

#: What an `id`, `class` or `itemprop` must hold for `htmldate.core.is_date_candidate`
#: to accept its element: "date" or "datum" (after its `D` -> `d`), or one of its two
#: patterns' words; elements without one in any of the three skip that test. Every
#: alternative starts with a letter, not a class such as `[Mm]`: then the regex engine
#: skips the positions no alternative can start at, and searches 40% faster.
_CANDIDATE_CUES = re.compile(
    "Dat(?:e|um)|dat(?:e|um)|"
    f"{ID_CLASS_CUES.pattern.replace('[Mm]eta', 'Meta|meta')}|{CLASS_CUES.pattern}"
)


_FREE_TEXT_TAGS = frozenset(FAST_TAGS)


def _free_text_nodes(tree: HtmlElement) -> list[str]:
    """The text nodes `htmldate.extractors.FREE_TEXT_EXPRESSIONS` gives
    (`.//*[self::div or self::h2 or ...]/text()`), in the same (document) order,
    except those too short to be a segment (stripped, a segment is longer than
    MIN_SEGMENT_LEN).

    libxml2 evaluates that expression, and a union of one such path per tag, in time
    that grows with the square of the page (0.7 s for a 1 MB page of paragraphs, 3.8 s
    for 2 MB); even `.//text()` with a predicate on `string-length()`, linear, costs
    0.7 ms a page, as it copies every text node of the page to measure it. One walk over
    the nodes here reads each element's text when it is met and each node's tail when
    the walk has left the node's subtree (the stack holds the path from ``tree`` down to
    the node met, and whether each holds free text): half the time, and linear. lxml
    reads a run of text nodes as one text, where XPath gives each; a parsed page has no
    such runs, and the pruning joins the texts it puts together into one node
    (`_drop_tree`).
    """
    found: list[str] = []
    path: list[tuple[Any, bool]] = []  # (node, whether its text nodes are free text)

    def leave() -> None:
        node = path.pop()[0]
        tail = node.tail
        if path[-1][1] and tail is not None and len(tail) > MIN_SEGMENT_LEN:
            found.append(tail)

    for node in tree.iter():  # elements, comments and processing instructions
        if path:
            parent = node.getparent()
            while path[-1][0] is not parent:
                leave()
        free = node.tag in _FREE_TEXT_TAGS and node is not tree
        if free and (text := node.text) is not None and len(text) > MIN_SEGMENT_LEN:
            found.append(text)
        path.append((node, free))
    while len(path) > 1:
        leave()
    return found


#: `search_page`'s patterns whose matches stay next to an ASCII digit: each match holds
#: one, starts at most 1 character before its first (`\D` or `/`), ends at most 1 after
#: its last, and has at most 1 character between two of its digits; `SIMPLE_PATTERN`
#: also looks back 6 characters before its start (`(?<!w3.org)`). COPYRIGHT_PATTERN
#: reaches 109 characters back, and its literal start is fast on a whole page anyway.
#: tests/test_htmldate_range.py holds these to htmldate's pinned patterns.
NEAR_DIGIT_PATTERNS = frozenset(
    {
        *THREE_COMP_PATTERNS,
        SELECT_YMD_PATTERN,
        DATESTRINGS_PATTERN,
        SLASHES_PATTERN,
        YYYYMM_PATTERN,
        MMYYYY_PATTERN,
        SIMPLE_PATTERN,
    }
)
#: How far a stretch reaches before its first digit and after its last: more than the
#: patterns above reach (1 + 6 before, 1 after), and more together than 1 character
#: between two digits of a match.
_BEFORE_DIGITS = 8
_AFTER_DIGITS = 2
_DIGIT = re.compile(r"[0-9]")
#: Text without a digit long enough to part two stretches: they would overlap across a
#: shorter one.
_DIGITLESS = re.compile(f"[^0-9]{{{_BEFORE_DIGITS + _AFTER_DIGITS + 1},}}")


def oldest_and_newest(
    tree: HtmlElement, url: str | None, min_date: datetime, max_date: datetime
) -> tuple[str | None, str | None]:
    """What `find_date(tree, extensive_search=True, url=url, min_date=..., max_date=...)`
    returns with `original_date=True` and with `original_date=False`, as `YYYY-MM-DD`.

    A question whose step raises gets None, as a `find_date` call that raised would be
    taken. ``tree`` is pruned while the call runs and left as it was (`_pruned`): no
    other thread may read it meanwhile.
    """
    bounds = (get_max_date(max_date), get_min_date(min_date))
    questions = [Extractor(True, *bounds, original, "%Y-%m-%d") for original in (True, False)]
    with _filtered_dateparser(), closing(_steps(tree, url, _Shared())) as steps:
        return _answers(steps, questions)


def _answers(steps: Iterator[Step], questions: list[Extractor]) -> tuple[str | None, str | None]:
    answers: dict[bool, str | None] = {}
    while len(answers) < len(questions):
        try:
            step = next(steps, None)
        except Exception:  # preparing a step failed, as it would in each find_date call
            step = None
        if step is None:
            break
        for options in questions:
            if options.original in answers:
                continue
            try:
                found = step(options)
            except Exception:  # a heuristic library must not stop a crawl on odd markup
                answers[options.original] = None
                continue
            if found is not None:
                answers[options.original] = found
    return answers.get(True), answers.get(False)


#: htmldate's own dateparser parser, as htmldate builds it.
_STOCK_PARSER = htmldate_extractors.get_external_parser


@cache
def _external_parser() -> LocaleFilteredParser:
    """htmldate's dateparser parser (every locale, htmldate's settings), with the locales
    a word of the string is unknown to ruled out first: the same answers, in a third of
    the time on the strings that reach it (`crawler.dates_locales`)."""
    stock = _STOCK_PARSER()
    return LocaleFilteredParser(
        languages=stock.languages,
        locales=stock.locales,
        region=stock.region,
        try_previous_locales=stock.try_previous_locales,
        use_given_order=stock.use_given_order,
        settings=stock._settings,
        detect_languages_function=stock.detect_languages_function,
    )


@contextmanager
def _filtered_dateparser() -> Iterator[None]:
    """htmldate's extensive search asks dateparser, in every locale, about text its own
    rules cannot read (15 to 40 ms a string); for this pass it gets `_external_parser`.

    htmldate fetches its parser from its module each time, so the pass swaps that
    function and puts back what it found after: a `find_date` call made meanwhile from
    another thread would get the filtered parser, whose answers are the same.
    """
    previous = htmldate_extractors.get_external_parser
    htmldate_extractors.get_external_parser = _external_parser
    try:
        yield
    finally:
        htmldate_extractors.get_external_parser = previous


class _Shared:
    """Results of one page's parts of `find_date` that are the same for both questions,
    computed by the first question that reaches them; a part that raised raises again."""

    def __init__(self) -> None:
        self._results: dict[Any, tuple[Any, Exception | None]] = {}

    def __call__(self, key: Any, part: Callable[[], T]) -> T:
        if key not in self._results:
            try:
                self._results[key] = (part(), None)
            except Exception as error:  # kept for the other question, as find_date raises
                self._results[key] = (None, error)
        result, error = self._results[key]
        if error is not None:
            raise error
        return result  # type: ignore[no-any-return]


def _steps(tree: HtmlElement, url: str | None, shared: _Shared) -> Iterator[Step]:
    """`find_date`'s steps in its order, each shared preparation done once, when the
    first question reaches the step that needs it.

    The URL, the date elements' text, the timestamps in the markup and the image and
    idiosyncrasy patterns read only the bounds and the format: asked once.
    """
    if url is None:
        canonical = tree.find('.//link[@rel="canonical"]')
        url = canonical.get("href") if canonical is not None else None
    yield lambda options: shared("url", lambda: extract_url_date(url, options))
    yield lambda options: examine_header(tree, options) or json_search(tree, options)
    yield lambda options: examine_abbr_elements(tree, options)
    with _pruned(tree) as search_tree:
        yield from _searches(search_tree, shared)


@contextmanager
def _pruned(tree: HtmlElement) -> Iterator[HtmlElement]:
    """``tree`` pruned as `find_date` prunes its copy of it, in place, then put back.

    `find_date` cleans a copy of a tree it is given (`htmldate.utils.clean_html`, then
    `discard_unwanted`): copying and freeing the page cost a third of a millisecond,
    and most pages have only a few elements to prune. Each change here is made as
    htmldate makes it, in its order (the same live iteration, which stops early where
    lxml had already stepped into a dropped element), and its undo is noted before the
    next change; on leaving, the notes are undone last first. A join of texts that
    lxml would refuse (control characters), where `find_date` searches its copy as far
    as it was pruned, and a tree that is not a page's root (whose copy `find_date`
    prunes as a root) are put back at once and pruned as a copy, as `find_date` does.
    """
    undo: list[Callable[[], None]] = []
    try:
        if tree.getparent() is None and _prune(tree, undo):
            yield tree
        else:
            _undo(undo)
            yield _pruned_copy(tree)
    finally:
        _undo(undo)


def _undo(undo: list[Callable[[], None]]) -> None:
    while undo:
        undo.pop()()


def _prune(tree: HtmlElement, undo: list[Callable[[], None]]) -> bool:
    """`clean_html(tree, CLEANING_LIST)` then `discard_unwanted(tree)`, each change's undo
    added to ``undo``; False, with the changes made so far, if a join would fail."""
    check = etree.Element("check")  # where a joined text is tried before the page's
    for element in tree.iter(CLEANING_LIST):
        try:
            _drop_tree(element, check, undo)
        except ValueError:
            return False
    for subtree in DISCARD_EXPRESSIONS(tree):
        if (parent := subtree.getparent()) is not None:
            _remove(parent, subtree, undo)
    return True


def _pruned_copy(tree: HtmlElement) -> HtmlElement:
    """What `find_date` searches on a tree it prunes as a copy."""
    pruned = deepcopy(tree)
    try:
        return discard_unwanted(clean_html(pruned, CLEANING_LIST))
    except ValueError:  # lxml's refusal of a join: searched as far as it was pruned
        return pruned


def _drop_tree(element: HtmlElement, check: etree._Element, undo: list[Callable[[], None]]) -> None:
    """`element.drop_tree()`: its tail joined to the text before it, then removed.

    Raises ValueError, before changing anything, where lxml refuses the joined text
    (setting a text removes the old one before checking the new one). The undo keeps
    the length of the old text, not the text: a run of dropped siblings joins onto one
    text, and keeping each version of it would take memory with the square of its
    length.
    """
    parent = element.getparent()
    assert parent is not None  # drop_tree's own assertion, on the root
    tail = element.tail
    if tail:
        previous = element.getprevious()
        holder, attribute = (parent, "text") if previous is None else (previous, "tail")
        before = getattr(holder, attribute)
        check.text = joined = (before or "") + tail
        restore = partial(_cut_text, holder, attribute, None if before is None else len(before))
        setattr(holder, attribute, joined)
        undo.append(restore)
    _remove(parent, element, undo)


def _cut_text(holder: HtmlElement, attribute: str, length: int | None) -> None:
    """The text or tail back to what it was before a join: its first ``length``
    characters (what lxml took once, it takes again), or none."""
    setattr(holder, attribute, None if length is None else getattr(holder, attribute)[:length])


def _remove(parent: HtmlElement, element: HtmlElement, undo: list[Callable[[], None]]) -> None:
    """``element`` taken out of ``parent`` (its tail with it), and its undo noted: put
    back after the node before it (after that node's tail), or first."""
    previous = element.getprevious()
    put_back = (
        partial(parent.insert, 0, element)
        if previous is None
        else partial(previous.addnext, element)
    )
    parent.remove(element)
    undo.append(put_back)


def _searches(search_tree: HtmlElement, shared: _Shared) -> Iterator[Step]:
    """`find_date`'s steps that read the pruned tree."""
    candidates = _date_candidates(search_tree)
    headings = search_tree.xpath(".//title|.//h1")
    yield (
        lambda options: (
            shared(
                "elements",
                lambda: (
                    examine_elements(candidates, options) or examine_elements(headings, options)
                ),
            )
            or examine_time_elements(search_tree, options)
        )
    )
    html = serialize(search_tree)
    yield (
        lambda options: shared(
            "patterns",
            lambda: (
                pattern_search(html, TIMESTAMP_PATTERN, options)
                or img_search(search_tree, options)
                or idiosyncrasies_search(html, options)
            ),
        )
    )
    segments = [
        segment
        for segment in (s.strip() for s in _free_text_nodes(search_tree))
        if MIN_SEGMENT_LEN < len(segment) < MAX_SEGMENT_LEN
    ]
    yield lambda options: _free_text(segments, options) or _search_page(html, options, shared)


class _Cues(dict[str, bool]):
    """Whether each `id`, `class` or `itemprop` value holds one of `_CANDIDATE_CUES`,
    searched once per value: a page repeats its values (a third of them are distinct),
    and the search of two dozen words is most of the cost of the walk."""

    def __missing__(self, value: str) -> bool:
        found = self[value] = _CANDIDATE_CUES.search(value) is not None
        return found


def _date_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """`htmldate.core.date_candidates(tree, True)`: the same elements in the same order.

    Its test runs only on elements whose `id`, `class` or `itemprop` holds one of its
    cues (`_CANDIDATE_CUES`): a pattern search on a value costs a fraction of the test's
    walk over the element's attributes, and few elements pass (a walk over the page in
    Python is also cheaper than an XPath predicate on each element in libxml2).
    """
    candidates = []
    cues = _Cues()
    for element in tree.iterdescendants(etree.Element):
        if element.tag in ALWAYS_TAGS:
            candidates.append(element)
            continue
        get = element.get
        if (  # most elements have none of the three: no pattern search
            ((value := get("id")) and cues[value])
            or ((value := get("class")) and cues[value])
            or ((value := get("itemprop")) and cues[value])
        ) and is_date_candidate(element):
            candidates.append(element)
    return candidates


def _free_text(segments: list[str], options: Extractor) -> str | None:
    reference: datetime | None = None
    for segment in segments:
        reference = compare_reference(reference, segment, options)
    return check_extracted_reference(reference, options)


def _search_page(html: str, options: Extractor, shared: _Shared) -> str | None:
    """`htmldate.core.search_page(html, options)`, step by step, with the page's counts of
    each pattern (its slow part: every pattern runs over the whole page) made once for
    both questions; only the choice among the counted dates depends on the question."""

    def years(pattern: Pattern[str], yearpat: Pattern[str]) -> Counter[str]:
        scanned: Any = pattern
        if pattern in NEAR_DIGIT_PATTERNS:
            scanned = _NearDigits(pattern, shared("stretches", lambda: digit_stretches(html)))
        return shared(
            ("years", pattern, yearpat),
            lambda: plausible_year_filter(
                html, pattern=scanned, yearpat=yearpat, earliest=options.min, latest=options.max
            ),
        )

    def search(
        pattern: Pattern[str], catch: Pattern[str], yearpat: Pattern[str]
    ) -> Match[str] | None:
        return select_candidate(years(pattern, yearpat), catch, yearpat, options)

    def normalized(
        pattern: Pattern[str], yearpat: Pattern[str], normalizer: Callable[[str], str]
    ) -> str | None:
        counts: Counter[str] = Counter()
        for item, count in years(pattern, yearpat).items():
            counts[normalizer(item)] += count
        best = select_candidate(counts, YMD_PATTERN, YEAR_PATTERN, options)
        return _filter_ymd(best, copyear, options)

    copyear = 0
    best = search(COPYRIGHT_PATTERN, YEAR_PATTERN, YEAR_PATTERN)
    if best is not None:
        year = int(best[1])
        if is_valid_date(datetime(year, 1, 1), "%Y", earliest=options.min, latest=options.max):
            copyear = year
    for pattern in THREE_COMP_PATTERNS:
        result = _filter_ymd(search(pattern, THREE_LOOSE_CATCH, YEAR_PATTERN), copyear, options)
        if result is not None:
            return result
    result = normalized(
        SELECT_YMD_PATTERN, SELECT_YMD_YEAR, partial(normalize_match, THREE_COMP_REGEX_A)
    )
    if result is not None:
        return result
    result = _filter_ymd(
        search(DATESTRINGS_PATTERN, DATESTRINGS_CATCH, YEAR_PATTERN), copyear, options
    )
    if result is not None:
        return result
    result = normalized(SLASHES_PATTERN, SLASHES_YEAR, partial(normalize_match, THREE_COMP_REGEX_B))
    if result is not None:
        return result
    best = search(YYYYMM_PATTERN, YYYYMM_CATCH, YEAR_PATTERN)
    if best is not None:
        result = _finalize_candidate(datetime(int(best[1]), int(best[2]), 1), copyear, options)
        if result is not None:
            return result
    result = normalized(MMYYYY_PATTERN, SELECT_YMD_YEAR, normalize_two_comp)
    if result is not None:
        return result
    result = _finalize_candidate(shared("regex_parse", lambda: regex_parse(html)), copyear, options)
    if result is not None:
        return result
    if copyear != 0:
        return datetime(copyear, 1, 1).strftime(options.format)
    best = search(SIMPLE_PATTERN, YEAR_PATTERN, YEAR_PATTERN)
    if best is not None:
        return _finalize_candidate(datetime(int(best[1]), 1, 1), copyear, options)
    return None


def digit_stretches(html: str) -> list[tuple[int, int]]:
    """The (start, end) stretches of ``html`` that hold its ASCII digits, each reaching
    `_BEFORE_DIGITS` before its first digit and `_AFTER_DIGITS` after its last, in order
    and apart by more than that: every match of `NEAR_DIGIT_PATTERNS`, with what it
    looks back at, lies inside one stretch. Only stretches that would overlap are
    joined: joining near ones saves calls but scans more, which costs more on news
    pages. Found by the runs of text without a digit that part them (`_DIGITLESS`),
    far fewer than the runs of digits on a page full of numbers."""
    first = _DIGIT.search(html)
    if first is None:
        return []
    stretches = []
    start = max(first.start() - _BEFORE_DIGITS, 0)
    for gap in _DIGITLESS.finditer(html, first.start()):
        stretches.append((start, gap.start() + _AFTER_DIGITS))
        if gap.end() == len(html):
            return stretches
        start = gap.end() - _BEFORE_DIGITS
    end = len(html)  # after the last digit, fewer than a gap's characters from the end
    while not "0" <= html[end - 1] <= "9":
        end -= 1
    stretches.append((start, min(end + _AFTER_DIGITS, len(html))))
    return stretches


class _NearDigits:
    """A pattern of `NEAR_DIGIT_PATTERNS` whose `findall` scans only the page's
    `digit_stretches`: the same matches in the same order as over the whole page, with
    a third of the page to scan (its text and most of its markup hold no digit).

    A match of the whole page has its digits within one stretch (stretches are further
    apart than two digits of a match), so it starts and ends inside that stretch and
    is a match of the stretch: the scan of a stretch stops at its end
    (``findall(html, start, end)``) but looks back before its start as over the whole
    page, and the patterns look neither ahead nor at the end of the text. No match
    starts between stretches, where no digit is near enough. The scan of the whole
    page meets each stretch with its previous match ended before it, as the stretch's
    own scan starts, and tries the same paths in the same order at each position.
    """

    def __init__(self, pattern: Pattern[str], stretches: list[tuple[int, int]]) -> None:
        self._pattern = pattern
        self._stretches = stretches

    def findall(self, html: str) -> list[Any]:
        found: list[Any] = []
        for start, end in self._stretches:
            found += self._pattern.findall(html, start, end)
        return found
