"""htmldate's reading of a page's oldest and newest date, in one pass over the page.

`page_dates` takes htmldate's guess (its oldest date, `original_date=True`) only when its
newest date (`original_date=False`) is the same day. Two `find_date` calls copy, clean and
search the page twice; most of that work does not depend on which date is asked for.
This runs `find_date`'s steps in its order (htmldate 1.11) once for both questions: each
step that reads the pruned tree is prepared once and asked for both dates, and each
question stops at the first step that answers it, as `find_date` returns there. The
answers are `find_date`'s own (tests/test_htmldate_range.py holds them equal on the
evaluation pages' kinds of markup); pyproject pins the htmldate versions this mirrors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from copy import deepcopy
from datetime import datetime

from htmldate.core import (
    TIMESTAMP_PATTERN,
    compare_reference,
    date_candidates,
    examine_abbr_elements,
    examine_elements,
    examine_header,
    examine_time_elements,
    search_page,
    serialize,
)
from htmldate.extractors import (
    FREE_TEXT_EXPRESSIONS,
    discard_unwanted,
    extract_url_date,
    idiosyncrasies_search,
    img_search,
    json_search,
    pattern_search,
)
from htmldate.settings import CLEANING_LIST, MAX_SEGMENT_LEN, MIN_SEGMENT_LEN
from htmldate.utils import Extractor, clean_html
from htmldate.validators import check_extracted_reference, get_max_date, get_min_date
from lxml.html import HtmlElement

Step = Callable[[Extractor], str | None]


def oldest_and_newest(
    tree: HtmlElement, url: str | None, min_date: datetime, max_date: datetime
) -> tuple[str | None, str | None]:
    """What `find_date(tree, extensive_search=True, url=url, min_date=..., max_date=...)`
    returns with `original_date=True` and with `original_date=False`, as `YYYY-MM-DD`.

    A question whose step raises gets None, as a `find_date` call that raised would be
    taken; ``tree`` is left unchanged (the pruning works on a copy).
    """
    bounds = (get_max_date(max_date), get_min_date(min_date))
    questions = [Extractor(True, *bounds, original, "%Y-%m-%d") for original in (True, False)]
    answers: dict[bool, str | None] = {}
    steps = _steps(tree, url)
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


def _steps(tree: HtmlElement, url: str | None) -> Iterator[Step]:
    """`find_date`'s steps in its order, each shared preparation done once, when the
    first question reaches the step that needs it."""
    if url is None:
        canonical = tree.find('.//link[@rel="canonical"]')
        url = canonical.get("href") if canonical is not None else None
    yield lambda options: extract_url_date(url, options)
    yield lambda options: examine_header(tree, options) or json_search(tree, options)
    yield lambda options: examine_abbr_elements(tree, options)
    pruned = deepcopy(tree)
    try:
        search_tree = discard_unwanted(clean_html(pruned, CLEANING_LIST))
    except ValueError:  # lxml's rare NULL-byte error, which find_date tolerates alike
        search_tree = pruned
    candidates = date_candidates(search_tree, True)
    headings = search_tree.xpath(".//title|.//h1")
    yield (
        lambda options: (
            examine_elements(candidates, options)
            or examine_elements(headings, options)
            or examine_time_elements(search_tree, options)
        )
    )
    html = serialize(search_tree)
    yield (
        lambda options: (
            pattern_search(html, TIMESTAMP_PATTERN, options)
            or img_search(search_tree, options)
            or idiosyncrasies_search(html, options)
        )
    )
    segments = [
        segment
        for segment in (s.strip() for s in FREE_TEXT_EXPRESSIONS(search_tree))
        if MIN_SEGMENT_LEN < len(segment) < MAX_SEGMENT_LEN
    ]
    yield lambda options: _free_text(segments, options) or search_page(html, options)


def _free_text(segments: list[str], options: Extractor) -> str | None:
    reference: datetime | None = None
    for segment in segments:
        reference = compare_reference(reference, segment, options)
    return check_extracted_reference(reference, options)
