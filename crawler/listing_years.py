"""Years of year-less dates, read off the order of a newest-first section listing.

A site that prints `13 september — 14:15` on every article gives no year, and the
latest-year rule files anything older than twelve months under the wrong year. A listing
in date order carries the year: walking down it, across its pages, a date later in the
calendar than the one before it means a new year (going back) has begun.

That holds only for listings in date order. A jump that no year boundary explains (two
neighbours more than MAX_GAP apart once the year is moved back, as a pinned or "most
read" entry makes) shows the listing is not in date order: from there on the section
gives no years at all, and the latest-year rule holds, as it does without a listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crawler.dates import ParsedDate

#: The longest gap between neighbours of a date-ordered listing across New Year. Longer
#: gaps are read as disorder: a sparse section loses the evidence, never gains a wrong year.
MAX_GAP = timedelta(days=62)
#: Neighbours may be this much out of order (same-minute posts, clock differences).
TOLERANCE = timedelta(minutes=10)
#: How far back a 29 February may go for its leap year.
LEAP_SEARCH = 8


@dataclass
class ListingYears:
    """The walk down one section's listing: feed its pages in order, get a year per entry."""

    zone: ZoneInfo
    #: The last dated entry, in the site's zone, with its year settled.
    previous: datetime | None = None
    ordered: bool = True

    def read_page(self, dates: Sequence[ParsedDate | None]) -> list[int | None]:
        """The year each entry's year-less date takes, or None (no evidence, or not needed).

        Entries whose date printed its year, or was relative, settle the year themselves;
        the newest year-less entry needs none either: the latest-year rule is right for it.
        """
        years: list[int | None] = []
        for parsed in dates:
            if not self.ordered or parsed is None or parsed.value is None:
                years.append(None)
            else:
                years.append(self._year_of(parsed.value.astimezone(self.zone), parsed.year_from))
        return years

    def _year_of(self, local: datetime, year_from: str | None) -> int | None:
        if year_from != "latest":
            if self.previous is not None and local > self.previous + TOLERANCE:
                self.ordered = False
                return None
            self.previous = local
            return None
        if self.previous is None:
            self.previous = local
            return None
        settled = _latest_not_after(local, self.previous + TOLERANCE)
        if settled is None or self.previous - settled > MAX_GAP:
            self.ordered = False
            return None
        self.previous = settled
        return settled.year


def _latest_not_after(local: datetime, limit: datetime) -> datetime | None:
    """`local`'s month, day and time in the latest year that is not after `limit`."""
    for year in range(limit.year, limit.year - LEAP_SEARCH, -1):
        try:
            moved = local.replace(year=year)
        except ValueError:  # 29 February outside a leap year
            continue
        if moved <= limit:
            return moved
    return None
