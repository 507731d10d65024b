"""Write a static news site in the style of azeridaily.com, plus the truth about it.

The site is what the crawler's integration tests and benchmarks crawl on 127.0.0.1; the
manifest (`manifest.json`, also returned) holds the true fields of every article, so a
test can compare what the crawler archived with what the pages say. Everything is drawn
from one seeded `Random`, so the same (articles, now, seed) always gives the same bytes.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from demosite.furniture import dress
from demosite.text import (
    choose_authors,
    choose_tags,
    compose_paragraphs,
    compose_sentence,
    compose_title,
)

SITE_NAME = "Azeri Daily"
SECTIONS = {
    "politics": "Azerbaijani Politics",
    "economy": "Economy",
    "society": "Society",
    "world": "World",
}
BAKU = ZoneInfo("Asia/Baku")
PER_PAGE = 10
#: Pages of articles older than this carry article:published_time, because a year-less
#: visible date no longer says which year it is.
ARCHIVE_AGE = timedelta(days=330)
SEED_FILE = Path(__file__).with_name("hasanov.txt")
SEED_ID = 31986
SEED_SECTION = "politics"
SEED_PUBLISHED = datetime(2017, 9, 13, 14, 15, tzinfo=BAKU)
SEED_TAGS = ("Zakir Hasanov", "Israel", "Defence")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
ROBOTS_TXT = "User-agent: *\nDisallow: /search\n"
_TITLE_TRIES = 1000
_SHARERS = (
    ("Facebook", "https://facebook.com/sharer?u="),
    ("Twitter", "https://twitter.com/intent/tweet?url="),
    ("WhatsApp", "https://wa.me/?text="),
    ("Telegram", "https://t.me/share/url?url="),
)


@dataclass(frozen=True, slots=True)
class Article:
    section_slug: str
    title: str
    published: datetime
    summary: str
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: How many paragraphs precede the inner "Latest news" block.
    latest_after: int = 2
    #: A video page: a player and no paragraphs, which a crawler must refuse.
    video: bool = False
    dated_in_head: bool = False
    id: int = 0

    @property
    def path(self) -> str:
        return f"/{self.section_slug}/{self.id}"

    @property
    def image_path(self) -> str:
        return f"/images/{self.id}.jpg"

    @property
    def section(self) -> str:
        return SECTIONS[self.section_slug]

    @property
    def published_raw(self) -> str:
        """The year-less Baku time the site prints, e.g. '13 september — 14:15'."""
        local = self.published.astimezone(BAKU)
        return f"{local.day} {MONTHS[local.month - 1]} \N{EM DASH} {local:%H:%M}"

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "section_slug": self.section_slug,
            "section": self.section,
            "title": self.title,
            "published_at": self.published.astimezone(UTC).isoformat(timespec="seconds"),
            "published_raw": self.published_raw,
            "authors": list(self.authors),
            "tags": list(self.tags),
            "summary": self.summary,
            "body": "\n\n".join(self.paragraphs),
            "image_path": self.image_path,
            "rejected": self.video,
            "has_published_meta": self.dated_in_head,
        }


def generate_site(
    root: Path,
    *,
    articles: int = 240,
    now: datetime | None = None,
    seed: int = 1,
    hours_apart: tuple[int, int] = (2, 7),
    archive_age: timedelta = ARCHIVE_AGE,
    heavy: bool = False,
) -> list[dict[str, Any]]:
    """Write the site under `root` (existing files are overwritten, others kept).

    Returns the manifest, newest article first; the seed article counts as one of
    `articles`. `now` (timezone-aware, default: the current time) is the moment the site
    is generated at: the other articles are dated backwards from it, `hours_apart` apart.
    Articles older than `archive_age` carry their full date in `article:published_time`.
    `heavy` pages carry a real site's furniture (demosite/furniture.py): 30-80 KB an article.
    """
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    if now <= SEED_PUBLISHED:
        raise ValueError(f"now ({now.isoformat()}) must be after the seed article's date")
    if articles < 1 + len(SECTIONS):
        raise ValueError(f"articles must be at least {1 + len(SECTIONS)}, got {articles}")
    site = _build_articles(Random(seed), articles, now, hours_apart, archive_age)
    _write_site(root, site, heavy)
    manifest = [article.manifest_entry() for article in site]
    manifest_json = json.dumps(manifest, ensure_ascii=False, indent=1)
    (root / "manifest.json").write_text(manifest_json + "\n", encoding="utf-8")
    return manifest


def _build_articles(
    rng: Random,
    count: int,
    now: datetime,
    hours_apart: tuple[int, int],
    archive_age: timedelta,
) -> list[Article]:
    """All `count` articles, newest first, numbered and archive-dated."""
    seed_article = _seed_article(rng)
    generated = _generated_articles(rng, count - 1, now, hours_apart, seed_article.title)
    oldest_first = sorted([*generated, seed_article], key=lambda article: article.published)
    seed_index = oldest_first.index(seed_article)
    return _number(rng, oldest_first, seed_index, now - archive_age)[::-1]


def _seed_article(rng: Random) -> Article:
    """The real article the project started from; its paragraphs are the seed file's."""
    text = SEED_FILE.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    paragraphs = tuple(lines[2 : lines.index("Latest news")])
    return Article(
        section_slug=SEED_SECTION,
        title=lines[1],
        published=SEED_PUBLISHED.astimezone(UTC),
        summary=paragraphs[0].partition(". ")[0] + ".",
        paragraphs=paragraphs,
        tags=SEED_TAGS,
        latest_after=rng.choice((2, len(paragraphs))),
    )


def _generated_articles(
    rng: Random, count: int, now: datetime, hours_apart: tuple[int, int], seed_title: str
) -> list[Article]:
    """Round-robin over the sections, so each has a share; one society page is a video."""
    slugs = list(itertools.islice(itertools.cycle(SECTIONS), count))
    video_index = rng.choice([i for i, slug in enumerate(slugs) if slug == "society"])
    times = _publication_times(rng, count, now, hours_apart)
    taken = {seed_title}
    return [
        _generated_article(rng, slug, _new_title(rng, slug, taken), published, i == video_index)
        for i, (slug, published) in enumerate(zip(slugs, times, strict=True))
    ]


def _generated_article(
    rng: Random, slug: str, title: str, published: datetime, video: bool
) -> Article:
    paragraphs = () if video else compose_paragraphs(rng, slug)
    return Article(
        section_slug=slug,
        title=title,
        published=published,
        summary=compose_sentence(rng, slug),
        paragraphs=paragraphs,
        authors=choose_authors(rng),
        tags=choose_tags(rng),
        latest_after=rng.choice((2, len(paragraphs))),
        video=video,
    )


def _new_title(rng: Random, slug: str, taken: set[str]) -> str:
    """A headline no other article has, because the crawler deduplicates by content."""
    for _ in range(_TITLE_TRIES):
        title = compose_title(rng, slug)
        if title not in taken:
            taken.add(title)
            return title
    raise ValueError(
        f"section {slug!r}: no new headline in {_TITLE_TRIES} tries; too many articles"
    )


def _publication_times(
    rng: Random, count: int, now: datetime, hours_apart: tuple[int, int]
) -> list[datetime]:
    """Newest first, `hours_apart` apart, on whole minutes because the pages show minutes."""
    moment = now.astimezone(UTC).replace(second=0, microsecond=0)
    fewest, most = hours_apart
    times = []
    for _ in range(count):
        moment -= timedelta(minutes=rng.randint(fewest * 60, most * 60))
        times.append(moment)
    return times


def _number(
    rng: Random, oldest_first: list[Article], seed_index: int, cutoff: datetime
) -> list[Article]:
    """Ids grow with time, with gaps like a real site's, and the seed keeps its real id."""
    ids = list(itertools.accumulate(rng.randint(1, 2) for _ in oldest_first))
    offset = SEED_ID - ids[seed_index]
    if ids[0] + offset < 1:
        raise ValueError(f"too many articles older than the seed article to number below {SEED_ID}")
    return [
        replace(article, id=number + offset, dated_in_head=article.published < cutoff)
        for article, number in zip(oldest_first, ids, strict=True)
    ]


def _write_site(root: Path, site: list[Article], heavy: bool) -> None:
    """Write every page; article files have no extension, as on the real site."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text(ROBOTS_TXT, encoding="utf-8")
    _write(root / "index.html", _home_page(site[:PER_PAGE]), heavy)
    for slug in SECTIONS:
        in_section = [article for article in site if article.section_slug == slug]
        _write_listing(root, slug, in_section, heavy)
    newest = site[: PER_PAGE + 1]
    latest_items = {article.id: _latest_item(article) for article in newest}
    sidebar_items = {article.id: _sidebar_item(article) for article in newest}
    for article in site:
        others = [other.id for other in newest if other is not article]
        latest = "".join(latest_items[other] for other in others[:5])
        sidebar = "".join(sidebar_items[other] for other in others[:PER_PAGE])
        page = _article_page(article, latest, sidebar)
        _write(root / article.path.lstrip("/"), page, heavy)


def _write_listing(root: Path, slug: str, in_section: list[Article], heavy: bool) -> None:
    for start in range(0, len(in_section), PER_PAGE):
        number = start // PER_PAGE + 1
        page = in_section[start : start + PER_PAGE]
        last = start + PER_PAGE >= len(in_section)
        _write(root / _listing_file(slug, number), _listing_page(slug, number, page, last), heavy)


def _write(path: Path, page: str, heavy: bool) -> None:
    """A heavy page's furniture is drawn from a Random seeded with its own path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if heavy:
        page = dress(page, Random(f"{path.parent.name}/{path.name}"))
    path.write_text(page, encoding="utf-8")


def _listing_url(slug: str, number: int) -> str:
    return f"/{slug}/" if number == 1 else f"/{slug}/page/{number}/"


def _listing_file(slug: str, number: int) -> str:
    return _listing_url(slug, number).lstrip("/") + "index.html"


_NAV = " ".join(f'<a href="/{slug}/">{slug.capitalize()}</a>' for slug in SECTIONS)
_HEADER = (
    f'<header class="site-header"><a class="logo" href="/">{SITE_NAME}</a>\n'
    f' <nav class="main-menu">{_NAV}</nav></header>'
)
_FOOTER = f'<footer class="site-footer">© {SITE_NAME} (demo) · <a href="/about">About</a></footer>'


def _page(title: str, head: str, main: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n{head}</head><body>\n{_HEADER}\n"
        f'<main class="container">\n{main}</main>\n{_FOOTER}\n</body></html>\n'
    )


def _news_list(articles: list[Article]) -> str:
    items = "".join(
        f'  <li class="news-item"><a class="news-link" href="{article.path}">'
        f'{escape(article.title)}</a> <span class="news-date">{article.published_raw}</span></li>\n'
        for article in articles
    )
    return f' <ul class="news-list">\n{items} </ul>\n'


def _home_page(newest: list[Article]) -> str:
    sections = "".join(
        f'<li><a href="/{slug}/">{escape(label)}</a></li>' for slug, label in SECTIONS.items()
    )
    main = (
        f' <ul class="sections">{sections}</ul>\n'
        ' <h1 class="section-title">Latest news</h1>\n' + _news_list(newest)
    )
    return _page(f"{SITE_NAME} — news from Azerbaijan", "", main)


def _listing_page(slug: str, number: int, page: list[Article], last: bool) -> str:
    label = SECTIONS[slug]
    links = []
    head = ""
    if number > 1:
        links.append(f'<a class="prev" href="{_listing_url(slug, number - 1)}">« Previous</a>')
    if not last:
        head = f'<link rel="next" href="{_listing_url(slug, number + 1)}">\n'
        links.append(f'<a class="next" href="{_listing_url(slug, number + 1)}">Next »</a>')
    main = (
        f' <h1 class="section-title">{escape(label)}</h1>\n'
        + _news_list(page)
        + f' <div class="pagination">{" ".join(links)}</div>\n'
    )
    title = label if number == 1 else f"{label} — page {number}"
    return _page(f"{title} — {SITE_NAME}", head, main)


def _latest_item(article: Article) -> str:
    return (
        f'<li><a href="{article.path}?utm_source=latest&amp;utm_medium=block">'
        f'{escape(article.title)}</a> <span class="news-date">{article.published_raw}</span></li>'
    )


def _sidebar_item(article: Article) -> str:
    """Tracking parameters and, on some links, a #comments fragment: URLs to normalise."""
    fragment = "#comments" if article.id % 3 == 0 else ""
    return (
        f'<li><a href="{article.path}?utm_source=sidebar{fragment}">{escape(article.title)}</a> '
        f'<span class="news-date">{article.published_raw}</span></li>'
    )


def _article_head(article: Article) -> str:
    summary = escape(article.summary)
    head = (
        f'<link rel="canonical" href="{article.path}">\n'
        f'<meta name="description" content="{summary}">\n'
        '<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta property="og:description" content="{summary}">'
        f'<meta property="og:image" content="{article.image_path}">\n'
        f'<meta property="article:section" content="{escape(article.section)}">\n'
    )
    if article.dated_in_head:
        published = article.published.astimezone(BAKU).isoformat()
        head += f'<meta property="article:published_time" content="{published}">\n'
    return head


def _byline(authors: tuple[str, ...]) -> str:
    if not authors:
        return ""
    links = ", ".join(
        f'<a rel="author" href="/author/{_slugify(name)}">{escape(name)}</a>' for name in authors
    )
    return f'  <div class="news-author">By {links}</div>\n'


def _share_buttons(path: str) -> str:
    target = quote(path, safe="")
    links = " ".join(f'<a href="{prefix}{target}">{name}</a>' for name, prefix in _SHARERS)
    return f'<div class="share-buttons">Share: {links}</div>'


def _news_text(article: Article, latest_items: str) -> str:
    """The body container: paragraphs around the boilerplate a crawler must strip."""
    blocks = [f"<p>{escape(paragraph)}</p>" for paragraph in article.paragraphs]
    latest = f'<div class="latest-news"><h3>Latest news</h3><ul>{latest_items}</ul></div>'
    blocks.insert(article.latest_after, latest)
    if article.video:
        blocks.insert(
            0,
            f'<div class="video-player"><iframe src="https://video.example/embed/{article.id}"'
            f' title="{escape(article.title)}" allowfullscreen></iframe></div>',
        )
    share = _share_buttons(article.path)
    inner = "\n   ".join([share, *blocks, share])
    return f'  <div class="news-text">\n   {inner}\n  </div>\n'


def _article_page(article: Article, latest_items: str, sidebar_items: str) -> str:
    title = escape(article.title)
    tags = " ".join(
        f'<a rel="tag" href="/tag/{_slugify(tag)}">{escape(tag)}</a>' for tag in article.tags
    )
    main = (
        ' <article class="news-detail">\n'
        f'  <div class="news-meta"><a class="news-category" href="/{article.section_slug}/">'
        f"{escape(article.section)}</a> "
        f'<span class="news-date">{article.published_raw}</span></div>\n'
        f'  <h1 class="news-title">{title}</h1>\n'
        + _byline(article.authors)
        + f'  <figure class="news-image"><img src="{article.image_path}" alt="{title}">'
        "<figcaption>Photo: Azeri Daily</figcaption></figure>\n"
        + _news_text(article, latest_items)
        + f'  <div class="news-tags">{tags}</div>\n </article>\n'
        f' <aside class="sidebar"><h3>Latest news</h3><ul>{sidebar_items}</ul></aside>\n'
    )
    return _page(f"{article.title} | {SITE_NAME}", _article_head(article), main)


def _slugify(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
