"""RSS and Atom feeds -> article links with their publication dates, read with feedparser.

feedparser reads every RSS and Atom dialect, broken encodings and the many date formats
feeds use, and gives dates in UTC. An entry's date is its `published` (RSS `pubDate`,
Atom `published`), else Atom's `updated`: for an entry that gives only `updated`, that
is the feed's own statement of when the entry appeared.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from crawler.discovery import FoundLink


class NotAFeed(ValueError):
    """The document is no RSS or Atom feed (an HTML error page, say)."""


def feed_links(body: bytes, url: str) -> list[FoundLink]:
    """The links of a feed's entries, in feed order, relative links made absolute."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.get("entries"):
        raise NotAFeed(f"{url}: not an RSS or Atom feed")
    links = []
    for entry in parsed.get("entries", []):
        link = entry.get("link")
        if not isinstance(link, str) or not link.strip():
            continue
        links.append(FoundLink(urljoin(url, link.strip()), _entry_date(entry)))
    return links


def _entry_date(entry: feedparser.FeedParserDict) -> datetime | None:
    # dict.get, not entry.get: feedparser maps a missing `updated_parsed` to
    # `published_parsed` behind a DeprecationWarning.
    for key in ("published_parsed", "updated_parsed"):
        value = dict.get(entry, key)
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None
