"""Article rows and run counts the archive tests build on."""

from __future__ import annotations

from typing import Any

T0 = "2024-03-01T10:00:00+00:00"

COUNTS = {
    "pages": 12,
    "articles_new": 3,
    "articles_updated": 1,
    "articles_unchanged": 2,
    "rejected": 4,
    "errors": 0,
}


def article(n: int = 1, **overrides: Any) -> dict[str, Any]:
    fields = {
        "url": f"https://news.example/politics/{n}",
        "site": "example",
        "section": "politics",
        "title": f"Headline {n}",
        "authors": ["Anna Müller", "Əli Həsənov"],
        "published_at": "2017-09-13T10:15:00+00:00",
        "published_raw": "13 Sep 2017, 14:15",
        "published_year_source": "date",
        "modified_at": None,
        "modified_raw": None,
        "language": "en",
        "summary": "A summary.",
        "body": f"Body of article {n}.",
        "tags": ["election"],
        "image_url": None,
        "published_source": None,
        "seen_at": T0,
    }
    return fields | overrides
