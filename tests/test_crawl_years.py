"""Year-less dates older than a year get their year from the listing's date order."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demosite.generate import generate_site
from tests.crawling import crawl, demo_definition, start_server


def test_years_of_a_section_walked_back_past_a_year(tmp_path: Path) -> None:
    """A site printing `13 september — 14:15` on articles of the last 16 months."""
    now = datetime.now(UTC)
    manifest = generate_site(
        tmp_path / "site",
        articles=160,
        now=now,
        hours_apart=(48, 96),
        archive_age=timedelta(days=3 * 365),  # no generated article carries its year
    )
    articles = [a for a in manifest if not a["rejected"]]
    assert min(a["published_at"] for a in articles[:-1]) < (now - timedelta(days=400)).isoformat()

    server = start_server(tmp_path / "site", tmp_path / "requests.jsonl")
    try:
        result = crawl(demo_definition(tmp_path, server.port), tmp_path / "a.db")
    finally:
        server.stop()
    assert result.returncode == 0, result.log[-3000:]

    with sqlite3.connect(tmp_path / "a.db") as db:
        rows = {
            url: (published_at, source)
            for url, published_at, source in db.execute(
                "select url, published_at, published_year_source from articles"
            )
        }
    base = server.base_url.rstrip("/")
    wrong = [
        (a["path"], a["published_at"], rows[base + a["path"]])
        for a in articles
        if rows[base + a["path"]][0] != a["published_at"]
    ]
    assert wrong == []
    sources = {source for _, source in rows.values()}
    assert sources == {"latest", "listing", "metadata"}
    assert rows[f"{base}/politics/31986"] == ("2017-09-13T10:15:00+00:00", "metadata")
