"""The publication's name kept out of titles and authors, on values seen on real pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parsel import Selector

from crawler.extract.metadata import Metadata
from crawler.extract.names import people, site_names, without_site_name

HEAD = """
<meta property="og:site_name" content="The Daily Courier">
<meta name="twitter:site" content="@dailycourier">
<script type="application/ld+json">
{"@type": "NewsArticle", "headline": "x", "publisher": {"@type": "Organization",
 "name": "Courier Media Group"}}
</script>
"""
URL = "https://www.dailycourier.co.uk/news/1"
NAMES = site_names(Metadata(Selector(text=f"<html><head>{HEAD}</head></html>")), URL)


def test_site_names_come_from_metadata_and_host() -> None:
    assert {"thedailycourier", "dailycourier", "couriermediagroup"} <= NAMES


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Council approves budget | The Daily Courier", "Council approves budget"),
        ("Council approves budget - Daily Courier", "Council approves budget"),
        ("The Daily Courier — Council approves budget", "Council approves budget"),
        ("Council approves budget :: dailycourier.co.uk", "Council approves budget"),
        # The headline is kept whole when no segment is the site's name.
        ("Budget - what it means for you", "Budget - what it means for you"),
        ("Council approves budget", "Council approves budget"),
        ("Daily Courier strike ends | Opinion", "Daily Courier strike ends | Opinion"),
        # The segment that goes is the shorter side.
        ("Daily Courier | The Daily Courier", "The Daily Courier"),
        (None, None),
    ],
)  # fmt: skip
def test_the_site_name_leaves_the_title(title: str | None, expected: str | None) -> None:
    assert without_site_name(title, NAMES) == expected


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        (["Jane Doe"], ["Jane Doe"]),
        (["By Jane Doe and John Roe, Daily Courier"], ["Jane Doe", "John Roe"]),
        (["Jill Doe, Courier Business"], ["Jill Doe"]),
        (["Ann Roe, MS, RDN"], ["Ann Roe"]),
        (["Analysis by Chris Day, Editor-at-large"], ["Chris Day"]),
        (["The Daily Courier"], []),
        (["Daily Courier staff"], []),
        (["admin"], []),
        (["Редакция"], []),
        (["Jane Doe", "NOVEMBER 20", "2019 10:43"], ["Jane Doe"]),
        (["Jane Doe", "John Roe", "jane doe"], ["Jane Doe", "John Roe"]),
        (["Elçin Həsənov və Aynur Məmmədova"], ["Elçin Həsənov", "Aynur Məmmədova"]),
    ],
)  # fmt: skip
def test_authors_are_people(authors: list[str], expected: list[str]) -> None:
    assert people(authors, NAMES) == expected


def test_a_person_named_like_the_account_stays() -> None:
    # A personal site's account is its author's name: the author is still a person.
    names = {"pamelaiwilson", "bigbrandsystem"}
    assert people(["Pamela Wilson"], names) == ["Pamela Wilson"]


@given(st.text(), st.sets(st.text(max_size=12)))
def test_any_text_is_handled(text: str, raw_names: set[str]) -> None:
    names = {"".join(ch for ch in n.casefold() if ch.isalnum()) for n in raw_names} - {""}
    title = without_site_name(text, names)
    assert title is not None and title in text
    assert all(author in text for author in people([text], names))
