"""Article links from outside the section listings: RSS/Atom feeds and sitemaps.

Each reader turns a fetched document into `FoundLink`s: an absolute URL and the date the
document gives for it (or None). The spider applies the site's article filter and the
incremental rules to them exactly as it does to listing links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FoundLink:
    url: str
    #: When the feed or sitemap says the article was published: aware, or None. Never an
    #: "updated"/"lastmod" time alone in sitemaps, which moves with every edit.
    published: datetime | None = None
