"""Feeds and sitemaps: the readers (table-driven, and fed hostile text), then real crawls
of a site found only through a feed, a robots.txt `Sitemap:` line and a sitemap index."""

from __future__ import annotations

import gzip
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.discovery import FoundLink
from crawler.discovery.feeds import NotAFeed, feed_links
from crawler.discovery.sitemaps import (
    NotASitemap,
    read_sitemap,
    robots_sitemaps,
    w3c_datetime,
)
from tests.crawling import crawl, start_server

MOSCOW = ZoneInfo("Europe/Moscow")
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" ' + NEWS_NS + ">{}</urlset>"

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title>
<item><title>A</title><link>https://news.example/politics/1?utm_source=rss</link>
<pubDate>Tue, 31 Dec 2024 21:20:00 GMT</pubDate></item>
<item><title>B</title><link>/politics/2</link></item>
<item><title>No link</title></item>
</channel></rss>"""

ATOM = """<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><title>Both</title><link href="https://news.example/a/1"/>
<updated>2025-01-05T10:00:00+03:00</updated><published>2024-12-31T23:00:00+03:00</published></entry>
<entry><title>Updated only</title><link href="https://news.example/a/2"/>
<updated>2025-01-02T09:30:00Z</updated></entry>
</feed>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            RSS,
            [
                FoundLink(
                    "https://news.example/politics/1?utm_source=rss",
                    datetime(2024, 12, 31, 21, 20, tzinfo=UTC),
                ),
                FoundLink("https://news.example/politics/2", None),
            ],
        ),
        (
            ATOM,
            [
                # published wins over updated, which moves with every edit
                FoundLink("https://news.example/a/1", datetime(2024, 12, 31, 20, 0, tzinfo=UTC)),
                FoundLink("https://news.example/a/2", datetime(2025, 1, 2, 9, 30, tzinfo=UTC)),
            ],
        ),
    ],
)
def test_feed_links(body: str, expected: list[FoundLink]) -> None:
    assert feed_links(body.encode(), "https://news.example/rss.xml") == expected


def test_not_a_feed() -> None:
    with pytest.raises(NotAFeed, match=r"https://news\.example/rss: not an RSS or Atom feed"):
        feed_links(b"<html><body>Service unavailable</body></html>", "https://news.example/rss")


def test_news_sitemap_dates_never_lastmod() -> None:
    entries = (
        "<url><loc>https://news.example/n/1</loc><lastmod>2025-03-01</lastmod>"
        "<news:news><news:publication><news:name>N</news:name><news:language>ru</news:language>"
        "</news:publication><news:publication_date>2024-12-31T21:20:00Z</news:publication_date>"
        "<news:title>T</news:title></news:news></url>"
        "<url><loc>/n/2</loc><lastmod>2025-03-01T10:00:00Z</lastmod></url>"
        "<url><loc>https://news.example/n/3</loc><news:news>"
        "<news:publication_date>2025-01-01</news:publication_date></news:news></url>"
    )
    document = read_sitemap(URLSET.format(entries).encode(), "https://news.example/s.xml", MOSCOW)
    assert document.sitemaps == []
    assert document.pages == [
        FoundLink("https://news.example/n/1", datetime(2024, 12, 31, 21, 20, tzinfo=UTC)),
        FoundLink("https://news.example/n/2", None),
        FoundLink("https://news.example/n/3", datetime(2025, 1, 1, tzinfo=MOSCOW)),
    ]


def test_sitemap_index() -> None:
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>https://news.example/news.xml</loc><lastmod>2025-01-01</lastmod></sitemap>"
        "<sitemap><loc>/2024.xml.gz</loc></sitemap></sitemapindex>"
    )
    document = read_sitemap(index.encode(), "https://news.example/index.xml", MOSCOW)
    assert document.sitemaps == [
        "https://news.example/news.xml",
        "https://news.example/2024.xml.gz",
    ]
    assert document.pages == []


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>404</body></html>", b'<?xml version="1.0"?><rss></rss>']
)
def test_not_a_sitemap(body: bytes) -> None:
    with pytest.raises(NotASitemap, match=r"https://news\.example/s\.xml"):
        read_sitemap(body, "https://news.example/s.xml", MOSCOW)


def test_robots_sitemap_lines() -> None:
    robots = (
        b"User-agent: *\nDisallow: /search\nSitemap: /sitemap.xml\n"
        b"sitemap: https://cdn.example/s.xml\nSitemap: /sitemap.xml\n"
    )
    assert robots_sitemaps(robots, "https://news.example/robots.txt") == [
        "https://news.example/sitemap.xml",
        "https://cdn.example/s.xml",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-31T21:20:00Z", datetime(2024, 12, 31, 21, 20, tzinfo=UTC)),
        ("2024-12-31T21:20+00:00", datetime(2024, 12, 31, 21, 20, tzinfo=UTC)),
        ("2024-12-31T21:20:00.5+03:00", datetime(2024, 12, 31, 18, 20, 0, 500000, tzinfo=UTC)),
        ("2024-12-31", datetime(2024, 12, 31, tzinfo=MOSCOW)),
        ("2024-12-31T23:00:00", datetime(2024, 12, 31, 23, tzinfo=MOSCOW)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_w3c_datetime(text: str | None, expected: datetime | None) -> None:
    assert w3c_datetime(text, MOSCOW) == expected


@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_hostile_documents_give_links_or_a_clear_error(body: bytes) -> None:
    for read in (
        lambda: feed_links(body, "https://news.example/rss"),
        lambda: read_sitemap(body, "https://news.example/s.xml", MOSCOW),
    ):
        try:
            links = read()
        except (NotAFeed, NotASitemap):
            continue
        assert links is not None


# --- a real crawl of a site that has no section listing in its definition ---------------

PROSE = (
    "The council approved the new budget on Tuesday after a long debate about schools, "
    "roads and the future of the city's libraries, which had faced closure for two years."
)


def article(title: str, date: str | None) -> str:
    """An article page with a year-less date, or none at all, and no date metadata."""
    printed = f'<span class="date">{date}</span>' if date else ""
    return (
        f'<html lang="en"><head><title>{title}</title></head><body><article><h1>{title}</h1>'
        f"{printed}<p>{PROSE}</p><p>{title} ends here.</p></article></body></html>"
    )


def write_site(root: Path, base: str) -> None:
    rss = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>N</title>
<item><link>{base}news/1?utm_source=rss&amp;utm_medium=feed</link>
<pubDate>Tue, 31 Dec 2024 21:20:00 GMT</pubDate></item>
<item><link>{base}news/2</link><pubDate>Mon, 30 Dec 2024 08:00:00 GMT</pubDate></item>
<item><link>{base}tag/budget</link></item>
<item><link>https://elsewhere.example/news/9</link></item>
</channel></rss>"""
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}sitemap-news.xml</loc></sitemap>"
        f"<sitemap><loc>{base}sitemap-2024.xml.gz</loc></sitemap></sitemapindex>"
    )
    news = URLSET.format(
        f"<url><loc>{base}news/3</loc><lastmod>2025-06-01T00:00:00Z</lastmod><news:news>"
        "<news:publication_date>2024-06-01T09:00:00+03:00</news:publication_date>"
        "</news:news></url>"
        f"<url><loc>{base}news/2</loc></url><url><loc>{base}author/ivanov</loc></url>"
    )
    archive = URLSET.format(f"<url><loc>{base}news/4</loc><lastmod>2025-06-01</lastmod></url>")
    files = {
        "robots.txt": f"User-agent: *\nDisallow: /private\nSitemap: {base}sitemap-index.xml\n",
        "rss.xml": rss,
        "sitemap-index.xml": index,
        "sitemap-news.xml": news,
        "news/1": article("Budget passes", "1 January, 00:20"),
        "news/2": article("Roads plan", "30 December, 11:00"),
        "news/3": article("Library saved", None),
        "news/4": article("Old story", "4 June 2024, 10:00"),
        "tag/budget": article("Tag page", None),
        "author/ivanov": article("Author page", None),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "sitemap-2024.xml.gz").write_bytes(gzip.compress(archive.encode()))


def test_crawl_through_feed_robots_and_sitemap_index(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<html><body>home</body></html>", encoding="utf-8")
    server = start_server(root, tmp_path / "requests.jsonl")
    try:
        base = server.base_url
        write_site(root, base)
        definition = tmp_path / "feeds.toml"
        definition.write_text(
            'name = "feeds"\n'
            f'feeds = ["{base}rss.xml"]\n'
            f'sitemaps = ["{base}robots.txt"]\n'
            'article_url = "/news/\\\\d+$"\n'
            'languages = ["en"]\n'
            'timezone = "Europe/Moscow"\n'
            '[selectors]\npublished = ".date"\n',
            encoding="utf-8",
        )
        result = crawl(definition, tmp_path / "archive.db")
        requests = server.requests()
    finally:
        server.stop()
    assert result.returncode == 0, result.log[-3000:]
    paths = Counter(r["path"] for r in requests)
    assert not [p for p in paths if p.startswith(("/tag/", "/author/")) or "utm_" in p]
    for path in ("/rss.xml", "/sitemap-index.xml", "/sitemap-news.xml", "/sitemap-2024.xml.gz"):
        assert paths[path] == 1, path
    assert all(paths[f"/news/{n}"] == 1 for n in range(1, 5))
    with sqlite3.connect(tmp_path / "archive.db") as db:
        db.row_factory = sqlite3.Row
        rows = {r["url"].rsplit("/", 1)[1]: dict(r) for r in db.execute("select * from articles")}
    assert set(rows) == {"1", "2", "3", "4"}
    # 31 Dec 21:20 UTC is 1 January in Moscow: the feed gives the page's year-less date 2025.
    assert rows["1"]["published_at"] == "2024-12-31T21:20:00+00:00"
    assert rows["1"]["published_year_source"] == "feed"
    assert rows["2"]["published_at"] == "2024-12-30T08:00:00+00:00"
    # No date on the page at all: the news sitemap's publication date is the article's.
    assert rows["3"]["published_at"] == "2024-06-01T06:00:00+00:00"
    assert (rows["3"]["published_source"], rows["3"]["published_year_source"]) == ("feed", "feed")
    # A sitemap's lastmod is no publication date: the page's own full date stands.
    assert rows["4"]["published_at"] == "2024-06-04T07:00:00+00:00"
