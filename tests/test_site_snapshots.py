"""Saved pages of the demo site and the exact items they give, with and without selectors.

The pages in tests/sites/demo/ are heavy demo pages (menus, scripts, widgets, JSON-LD)
as `python -m demosite generate --heavy` wrote them on 2026-11-26; demo.json holds every
field of the item each gives through `article_item` and `normalise_dates`, once with the
demo definition's selectors and once with none (metadata and generic extraction), the two
crawls bench/crawl.py measures. Any change to what extraction gives these pages fails
here, so work on extraction speed cannot change its results unnoticed.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.article_page import article_item
from crawler.pipelines import normalise_dates
from crawler.sitedef import SiteDefinition, bundled_sites, load_site

PAGES = Path(__file__).parent / "sites" / "demo"
EXPECTED = json.loads((PAGES / "demo.json").read_text(encoding="utf-8"))
DEMO = load_site(bundled_sites()["demo"])
DEFINITIONS = {"selectors": DEMO, "generic": replace(DEMO, selectors={})}
#: When the pages were generated: their relative and year-less dates are read against it.
FETCHED = datetime(2026, 11, 26, 1, 20, tzinfo=UTC)


def extracted(page: Path, site: SiteDefinition) -> dict[str, Any] | None:
    """The page's item as JSON data, its raw page left out (checked to be the page)."""
    section, number = page.name.removesuffix(".html.gz").split("-")[-2:]
    url = f"http://127.0.0.1:8750/{section}/{number}"
    body = gzip.decompress(page.read_bytes())
    response = HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))
    item = article_item(response, site, fetched_at=FETCHED, listing_section="Section")
    if item is None:
        return None
    assert item.raw_page is not None and item.raw_page["body"] == body
    fields = asdict(normalise_dates(item, site))
    del fields["raw_page"]
    return json.loads(json.dumps(fields, default=str))


@pytest.mark.parametrize("definition", sorted(DEFINITIONS))
@pytest.mark.parametrize("page", sorted(p.name for p in PAGES.glob("*.html.gz")))
def test_saved_page_gives_its_expected_item(page: str, definition: str) -> None:
    assert extracted(PAGES / page, DEFINITIONS[definition]) == EXPECTED[page][definition]


def test_every_saved_page_has_expected_items() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in PAGES.glob("*.html.gz"))
    assert all(set(entry) == set(DEFINITIONS) for entry in EXPECTED.values())
