"""Years read off a newest-first listing's date order, and the disorder that stops it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.dates import ParsedDate, parse_date
from crawler.listing_years import ListingYears

BAKU = "Asia/Baku"
REFERENCE = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def read(text: str) -> ParsedDate:
    parsed = parse_date(text, languages=("en",), timezone=BAKU, reference=REFERENCE)
    assert parsed.value is not None, text
    return parsed


def walk(*pages: list[str]) -> list[list[int | None]]:
    years = ListingYears(ZoneInfo(BAKU))
    return [years.read_page([read(text) for text in page]) for page in pages]


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        # Newest first, within the last year: the latest-year rule already holds.
        ([["25 november — 10:00", "3 october — 09:00", "12 august — 08:00"]],
         [[None, 2026, 2026]]),
        # Past New Year, and past the same day a year ago, across pages.
        ([["2 january — 10:00", "20 december — 09:00"],
          ["28 november — 11:00", "1 october — 09:00"]],
         [[None, 2025], [2025, 2025]]),
        # Two year boundaries, with neighbours no more than two months apart.
        ([["10 january — 10:00", "30 december — 10:00", "1 november — 10:00",
           "2 september — 10:00", "5 july — 10:00", "8 may — 10:00", "10 march — 10:00",
           "12 january — 10:00", "29 december — 07:00"]],
         [[None, 2025, 2025, 2025, 2025, 2025, 2025, 2025, 2024]]),
        # A date printed with its year settles the year for those after it.
        ([["10 january — 10:00", "30 december 2020 — 10:00", "20 december — 10:00"]],
         [[None, None, 2020]]),
        # 29 February goes to the leap year at or before the walk's year.
        ([["10 march 2024 — 10:00", "29 february — 10:00"]], [[None, 2024]]),
        # Same minute twice is still in order.
        ([["5 may — 10:00", "5 may — 10:00"]], [[None, 2026]]),
    ],
)  # fmt: skip
def test_years_from_order(pages: list[list[str]], expected: list[list[int | None]]) -> None:
    assert walk(*pages) == expected


@pytest.mark.parametrize(
    "page",
    [
        # A pinned old story above the newest ones.
        ["1 march — 10:00", "25 november — 09:00", "24 november — 08:00"],
        # "Most read": no order at all.
        ["3 october — 10:00", "20 october — 10:00", "1 september — 10:00"],
        # A gap longer than a listing in order has across New Year.
        ["2 january — 10:00", "1 august — 10:00"],
        # A dated entry newer than the one before it.
        ["2 january 2026 — 10:00", "5 march 2026 — 10:00"],
    ],
)
def test_disorder_ends_the_evidence(page: list[str]) -> None:
    years = ListingYears(ZoneInfo(BAKU))
    first = years.read_page([read(text) for text in page])
    assert not years.ordered
    assert all(year is None for year in first[1:])
    assert years.read_page([read("1 january — 10:00"), read("20 december — 10:00")]) == [
        None,
        None,
    ]


def test_unreadable_entries_give_no_year_and_keep_the_walk() -> None:
    years = ListingYears(ZoneInfo(BAKU))
    dates = [read("2 january — 10:00"), None, read("20 december — 09:00")]
    assert years.read_page(dates) == [None, None, 2025]
