"""The demo site: its pages say what its manifest says, and its server serves them locally."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

from demosite.__main__ import main
from demosite.generate import SECTIONS, generate_site
from tests.crawling import max_in_flight

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 6, 1, 12, 0, 30, tzinfo=UTC)
ARTICLES = 240
SEED_PATH = "/politics/31986"
MANIFEST_KEYS = {
    "path",
    "section_slug",
    "section",
    "title",
    "published_at",
    "published_raw",
    "authors",
    "tags",
    "summary",
    "body",
    "image_path",
    "rejected",
    "has_published_meta",
}

Manifest = list[dict[str, Any]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    root = tmp_path_factory.mktemp("demo-site")
    return root, generate_site(root, articles=ARTICLES, now=NOW)


def page(root: Path, path: str) -> Selector:
    file = root / path.lstrip("/")
    if path.endswith("/"):
        file /= "index.html"
    return Selector(text=file.read_text(encoding="utf-8"))


def paragraphs(article: Selector) -> list[str]:
    return article.css(".news-text > p").xpath("string()").getall()


def files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    generate_site(tmp_path / "a", articles=30, now=NOW, seed=7)
    generate_site(tmp_path / "b", articles=30, now=NOW, seed=7)
    other = generate_site(tmp_path / "c", articles=30, now=NOW, seed=8)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8")) != other


def test_manifest_file_is_the_returned_list(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    assert json.loads((root / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert len(manifest) == ARTICLES
    assert all(entry.keys() == MANIFEST_KEYS for entry in manifest)
    assert len({entry["path"] for entry in manifest}) == ARTICLES


def test_article_pages_say_what_the_manifest_says(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    for entry in manifest:
        article = page(root, entry["path"])
        assert article.css("h1.news-title::text").get() == entry["title"]
        assert article.css("title::text").get() == f"{entry['title']} | Azeri Daily"
        assert article.css(".news-meta .news-date::text").get() == entry["published_raw"]
        assert article.css(".news-meta .news-category::text").get() == entry["section"]
        assert article.css(".news-author a[rel=author]::text").getall() == entry["authors"]
        assert article.css(".news-tags a[rel=tag]::text").getall() == entry["tags"]
        assert "\n\n".join(paragraphs(article)) == entry["body"]
        assert article.css("meta[name=description]::attr(content)").get() == entry["summary"]
        assert article.css("link[rel=canonical]::attr(href)").get() == entry["path"]
        assert article.css(".news-image img::attr(src)").get() == entry["image_path"]
        dated = article.css("meta[property='article:published_time']::attr(content)").get()
        assert (dated is not None) == entry["has_published_meta"]


def test_seed_article_is_the_real_one(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    entry = next(entry for entry in manifest if entry["path"] == SEED_PATH)
    seed_text = (ROOT / "demosite" / "hasanov.txt").read_text(encoding="utf-8")
    seed_lines = [line for line in seed_text.splitlines() if line]
    assert seed_lines[0] == f"{entry['section']} {entry['published_raw']}"
    assert entry["section"] == "Azerbaijani Politics"
    assert entry["published_raw"] == "13 september \N{EM DASH} 14:15"
    assert entry["published_at"] == "2017-09-13T10:15:00+00:00"
    assert entry["title"] == "Details of Zakir Hasanov's visit to Israel"
    assert entry["authors"] == []
    assert entry["body"].split("\n\n") == seed_lines[2:-1]
    assert entry["body"].startswith(
        "Azerbaijani Defence Minister, Colonel-General Zakir Hasanov continues his visit to Israel."
    )
    assert entry["body"].endswith(
        "cooperation between Azerbaijan and Israel in the military sphere."
    )
    assert entry["has_published_meta"] and not entry["rejected"]
    published = page(root, SEED_PATH).css("meta[property='article:published_time']::attr(content)")
    assert published.get() == "2017-09-13T14:15:00+04:00"


def test_dates_go_back_from_now_in_baku_time(site: tuple[Path, Manifest]) -> None:
    _, manifest = site
    moments = [datetime.fromisoformat(entry["published_at"]) for entry in manifest]
    assert moments == sorted(moments, reverse=True)
    generated = moments[:-1]  # the seed, from 2017, is the oldest of 240
    assert NOW - timedelta(hours=7) <= generated[0] < NOW
    gaps = [newer - older for newer, older in itertools.pairwise(generated)]
    assert all(timedelta(hours=2) <= gap <= timedelta(hours=7) for gap in gaps)
    assert generated[-1] > NOW - timedelta(days=330)
    for entry, moment in zip(manifest, moments, strict=True):
        baku = moment.astimezone(ZoneInfo("Asia/Baku"))
        shown = f"{baku.day} {baku:%B} \N{EM DASH} {baku:%H:%M}".lower()
        assert entry["published_raw"] == shown
        assert entry["has_published_meta"] == (moment < NOW - timedelta(days=330))
    ids = [int(entry["path"].rsplit("/", 1)[1]) for entry in manifest]
    assert ids == sorted(ids, reverse=True)


def listing_pages(root: Path, slug: str) -> list[Selector]:
    """A section's listing pages in order, found the way a crawler finds them: by "next"."""
    pages = [page(root, f"/{slug}/")]
    while next_url := pages[-1].css(".pagination a.next::attr(href)").get():
        assert pages[-1].css("link[rel=next]::attr(href)").get() == next_url
        pages.append(page(root, next_url))
    return pages


def test_listings_are_newest_first_ten_a_page(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    for slug, label in SECTIONS.items():
        pages = listing_pages(root, slug)
        items = [listing.css(".news-list .news-item") for listing in pages]
        assert all(len(on_page) == 10 for on_page in items[:-1]) and 1 <= len(items[-1]) <= 10
        assert {listing.css("h1.section-title::text").get() for listing in pages} == {label}
        assert not pages[-1].css("link[rel=next]")
        shown = [
            (item.css("a.news-link::attr(href)").get(), item.css(".news-date::text").get())
            for item in itertools.chain.from_iterable(items)
        ]
        expected = [e for e in manifest if e["section_slug"] == slug]
        assert shown == [(e["path"], e["published_raw"]) for e in expected]
    politics = listing_pages(root, "politics")
    assert politics[1].css(".pagination a.prev::attr(href)").get() == "/politics/"
    assert politics[-1].css(".news-link::attr(href)").getall()[-1] == SEED_PATH


def test_home_page_and_robots_txt(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    home = page(root, "/")
    assert home.css(".news-list .news-link::attr(href)").getall() == [
        e["path"] for e in manifest[:10]
    ]
    assert {f"/{slug}/" for slug in SECTIONS} <= set(home.css("a::attr(href)").getall())
    assert (root / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nDisallow: /search\n"


def test_one_society_video_page_is_rejected(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    rejected = [entry for entry in manifest if entry["rejected"]]
    assert len(rejected) == 1
    (video,) = rejected
    assert video["section_slug"] == "society" and video["body"] == ""
    article = page(root, video["path"])
    assert article.css(".news-text iframe") and not article.css(".news-text p")
    assert article.css("h1.news-title::text").get() == video["title"]


def test_generated_articles_look_like_news(site: tuple[Path, Manifest]) -> None:
    _, manifest = site
    generated = [
        entry for entry in manifest if entry["path"] != SEED_PATH and not entry["rejected"]
    ]
    assert len({entry["title"] for entry in manifest}) == ARTICLES
    assert all(5 <= len(entry["title"].split()) <= 12 for entry in manifest)
    assert all(3 <= len(entry["body"].split("\n\n")) <= 8 for entry in generated)
    assert all(len(entry["authors"]) <= 2 and 1 <= len(entry["tags"]) <= 4 for entry in generated)
    with_byline = sum(bool(entry["authors"]) for entry in generated)
    assert 0.3 < with_byline / len(generated) < 0.7
    assert {entry["section_slug"] for entry in manifest} == set(SECTIONS)


def test_latest_news_block_sits_after_p2_or_at_the_end(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    at_end = set()
    for entry in (entry for entry in manifest if not entry["rejected"]):
        children = page(root, entry["path"]).css(".news-text > *")
        kinds = [child.xpath("@class").get() or child.xpath("name()").get() for child in children]
        assert kinds[0] == kinds[-1] == "share-buttons"
        before = kinds.index("latest-news") - 1
        assert before in (2, kinds.count("p"))
        at_end.add(before == kinds.count("p"))
        links = children.css(".latest-news a::attr(href)").getall()
        assert len(links) == 5
        assert all(link.endswith("?utm_source=latest&utm_medium=block") for link in links)
    assert at_end == {True, False}


def test_now_must_be_aware_and_articles_enough(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_site(tmp_path, now=datetime(2025, 6, 1, 12, 0))
    with pytest.raises(ValueError, match="after the seed"):
        generate_site(tmp_path, now=datetime(2017, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="at least"):
        generate_site(tmp_path, articles=3, now=NOW)


def test_cli_generates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", str(tmp_path), "--articles", "12", "--now", "2025-06-01T16:00+04:00"]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"wrote 12 articles to {tmp_path}\n"
    assert (tmp_path / "politics" / "31986").is_file()
    with pytest.raises(SystemExit):
        main(["generate", str(tmp_path), "--now", "2025-06-01T16:00"])


@contextmanager
def serving(root: Path, log: Path, delay: float) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m demosite serve` on a free port; yields its base URL once it listens."""
    command = [sys.executable, "-m", "demosite", "serve", str(root), "--port", "0"]
    command += ["--delay", str(delay), "--log", str(log)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            match = re.fullmatch(
                rf"serving {re.escape(str(root))} on (http://127\.0\.0\.1:\d+/)\n", line
            )
            assert match, line
            yield match.group(1), process
        finally:
            process.terminate()
            process.wait(timeout=10)


def fetch(url: str) -> tuple[str, str]:
    with urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read().decode("utf-8")


def test_server_serves_pages_on_localhost(site: tuple[Path, Manifest], tmp_path: Path) -> None:
    root, _ = site
    log = tmp_path / "requests.jsonl"
    with serving(root, log, delay=0.0) as (base, process):
        assert fetch(base + "politics/") == (
            "text/html; charset=utf-8",
            (root / "politics" / "index.html").read_text(encoding="utf-8"),
        )
        content_type, text = fetch(base + SEED_PATH.lstrip("/") + "?utm_source=sidebar")
        assert content_type == "text/html; charset=utf-8"
        assert "Details of Zakir Hasanov&#x27;s visit to Israel" in text
        with pytest.raises(HTTPError) as missing:
            fetch(base + "politics/1")
        missing.value.close()
        assert missing.value.code == 404
    assert process.returncode == 0
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(r["path"], r["method"], r["status"]) for r in logged] == [
        ("/politics/", "GET", 200),
        (SEED_PATH + "?utm_source=sidebar", "GET", 200),
        ("/politics/1", "GET", 404),
    ]
    assert all(r["start"] <= r["end"] for r in logged)


def test_server_delay_does_not_serialise_requests(
    site: tuple[Path, Manifest], tmp_path: Path
) -> None:
    root, manifest = site
    log = tmp_path / "requests.jsonl"
    paths = [entry["path"] for entry in manifest[:4]]
    with serving(root, log, delay=0.5) as (base, _), ThreadPoolExecutor(len(paths)) as pool:
        list(pool.map(fetch, [base + path.lstrip("/") for path in paths]))
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["path"] for r in logged) == sorted(paths)
    assert all(r["end"] - r["start"] >= 0.5 for r in logged)
    assert max_in_flight(logged) == len(paths)  # a blocking delay would keep this at 1


def test_heavy_pages_weigh_what_real_ones_do_and_say_the_same(tmp_path: Path) -> None:
    light = generate_site(tmp_path / "light", articles=20, now=NOW)
    heavy = generate_site(tmp_path / "heavy", articles=20, now=NOW, heavy=True)
    assert heavy == light
    for entry in heavy:
        path = entry["path"].lstrip("/")
        size = (tmp_path / "heavy" / path).stat().st_size
        assert 30_000 <= size <= 80_100, (path, size)
        article = page(tmp_path / "heavy", entry["path"])
        assert article.css("h1.news-title::text").get() == entry["title"]
        assert "\n\n".join(paragraphs(article)) == entry["body"]
        assert article.css("nav.mega-menu a") and article.css("head script")
    first = (tmp_path / "heavy" / heavy[0]["path"].lstrip("/")).read_bytes()
    generate_site(tmp_path / "again", articles=20, now=NOW, heavy=True)
    assert (tmp_path / "again" / heavy[0]["path"].lstrip("/")).read_bytes() == first
