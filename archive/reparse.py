"""Re-extraction: the stored raw pages read again with today's code, without a request.

Each article's latest raw page goes through the crawl's own steps (response -> Article
item with `crawler.article_page.article_item`, `normalise_dates`, the title-and-body
rule, `archive_row`) and is written back through `Archive.upsert_articles`, so a text
that now reads differently becomes a new version (the old one kept) and a field that
changed is updated, exactly as a re-crawl would. The raw page is not stored again and the
article keeps its identity (its URL) even if the new code would name another canonical.

Pages the crawl refused (no title or body; kept in `raw_pages` without an article) are
tried again too: those today's code reads as articles are archived, with their raw page,
as the crawl would have; the refused copy stays, as the record of what happened then.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from archive import rawpages
from archive.db import Archive
from crawler.article_page import article_item
from crawler.items import Article
from crawler.pipelines import archive_row, normalise_dates
from crawler.sitedef import DefinitionError, SiteDefinition, bundled_sites, load_site

logger = logging.getLogger(__name__)

#: Articles written per transaction.
BATCH_SIZE = 200


@dataclass
class ReparseReport:
    pages: int = 0
    #: Articles whose text changed: a new version was added (or an older one is current).
    new_versions: int = 0
    #: Articles whose text is the same but another field changed (dates, tags, section...).
    updated: int = 0
    unchanged: int = 0
    #: (url, reason) of pages the current code does not archive; their articles are kept.
    rejected: list[tuple[str, str]] = field(default_factory=list)
    #: Site names met in raw pages that have no definition here, with their page counts.
    missing_sites: dict[str, int] = field(default_factory=dict)
    #: Pages the crawl did not archive (no title or body), tried again.
    retried: int = 0
    #: Of those, the pages today's code reads as articles: archived now.
    recovered: int = 0


class SiteDefinitions:
    """Site definitions by name: the one given with `--config`, else the bundled ones."""

    def __init__(self, config: str | Path | None = None) -> None:
        self._given = load_site(config) if config is not None else None
        self._loaded: dict[str, SiteDefinition | None] = {}

    @property
    def only_site(self) -> str | None:
        """The site a `--config` definition restricts the reparse to."""
        return self._given.name if self._given is not None else None

    def get(self, name: str) -> SiteDefinition | None:
        if self._given is not None:
            return self._given if name == self._given.name else None
        if name not in self._loaded:
            path = bundled_sites().get(name)
            self._loaded[name] = load_site(path, expected_name=name) if path else None
        return self._loaded[name]


def reparse(
    archive: Archive,
    definitions: SiteDefinitions,
    *,
    site: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReparseReport:
    """Re-extract every stored article (of `site`, or of the `--config` definition's site)."""
    only = definitions.only_site
    if site is not None and only is not None and site != only:
        raise DefinitionError(f"--site {site!r} differs from the given definition's name {only!r}")
    report = ReparseReport()
    batch: list[tuple[int, dict[str, Any]]] = []
    for page in archive.raw_pages(site or only):
        report.pages += 1
        item = _reextracted(page, definitions, report)
        if item is not None:
            batch.append((page["article_id"], archive_row(item)))
        if len(batch) >= BATCH_SIZE:
            _write(archive, batch, report)
            batch = []
        if progress is not None:
            progress(1)
    _write(archive, batch, report)
    _retry_rejected(archive, definitions, site or only, report, progress)
    return report


def _retry_rejected(
    archive: Archive,
    definitions: SiteDefinitions,
    site: str | None,
    report: ReparseReport,
    progress: Callable[[int], None] | None,
) -> None:
    """Pages the crawl refused, read again: those that now give an article are archived
    (with their raw page, as a crawl would have); the others stay as they were."""
    rows: list[dict[str, Any]] = []
    for page in rejected_pages(archive, site):
        report.retried += 1
        item = _reextracted(page, definitions, report, retrying=True)
        if item is not None:
            row = archive_row(item)
            row["raw_page"] = {key: page[key] for key in rawpages.RAW_PAGE_KEYS}
            rows.append(row)
        if len(rows) >= BATCH_SIZE:
            report.recovered += len(archive.upsert_articles(rows))
            rows = []
        if progress is not None:
            progress(1)
    if rows:
        report.recovered += len(archive.upsert_articles(rows))


def rejected_pages(archive: Archive, site: str | None = None) -> Iterator[dict[str, Any]]:
    """The latest raw page of each URL the crawl refused (no article), body decompressed and
    headers decoded, leaving out URLs that lead to an article since."""
    ids = [
        row[0]
        for row in archive.db.execute(
            """SELECT id FROM (
                SELECT id, row_number() OVER (
                    PARTITION BY url ORDER BY last_fetched_at DESC, id DESC) AS rank
                FROM raw_pages
                WHERE article_id IS NULL AND (? IS NULL OR site = ?)
                AND url NOT IN (SELECT url FROM article_urls)
            ) WHERE rank = 1 ORDER BY id""",
            [site, site],
        )
    ]
    for start in range(0, len(ids), rawpages.READ_CHUNK):
        chunk = ids[start : start + rawpages.READ_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for row in archive.db.query(f"SELECT * FROM raw_pages WHERE id IN ({marks})", chunk):
            row["body"] = rawpages.decompress(row["body"], row.pop("encoding_codec"))
            row["headers"] = json.loads(row["headers"])
            yield row


def _reextracted(
    page: Mapping[str, Any],
    definitions: SiteDefinitions,
    report: ReparseReport,
    *,
    retrying: bool = False,
) -> Article | None:
    """The Article item today's code makes of a raw page (dates normalised, title and body
    present), or None, recorded in `report` unless `retrying` a page refused before."""
    definition = definitions.get(page["site"])
    if definition is None:
        report.missing_sites[page["site"]] = report.missing_sites.get(page["site"], 0) + 1
        return None
    headers = Headers(page["headers"])
    response_class = responsetypes.from_args(headers=headers, url=page["url"], body=page["body"])
    response = response_class(
        url=page["url"], status=page["status"], headers=headers, body=page["body"]
    )
    item = article_item(
        response,
        definition,
        fetched_at=datetime.fromisoformat(page["fetched_at"]),
        listing_section=page["listing_section"],
        listing_year=page["listing_year"],
    )
    if item is None:
        if not retrying:
            report.rejected.append(
                (page["url"], "not an article page of the site for today's code")
            )
        return None
    item = normalise_dates(item, definition)
    item.raw_page = None  # already stored: writing it again would count a fetch
    missing = [name for name in ("title", "body") if not getattr(item, name)]
    if missing and not retrying:
        reason = f"no {' and no '.join(missing)} after selectors, metadata and generic extraction"
        logger.warning(
            "site %r: %s: %s; article kept as it was", definition.name, page["url"], reason
        )
        report.rejected.append((page["url"], reason))
    return None if missing else item


def _write(
    archive: Archive, batch: list[tuple[int, dict[str, Any]]], report: ReparseReport
) -> None:
    """Upsert under each article's stored URL, and count what changed."""
    if not batch:
        return
    before = dict(_hashes(archive, [article_id for article_id, _ in batch]))
    rows = []
    for article_id, row in batch:
        url = before[article_id][0]
        # Today's code may name another canonical URL; the article keeps the one it has.
        variants = [pair for pair in row["urls"] if pair[1] != "canonical" and pair[0] != url]
        rows.append({**row, "url": url, "urls": variants})
    outcomes = archive.upsert_articles(rows)
    after = dict(_hashes(archive, [article_id for article_id, _ in batch]))
    for (article_id, _), outcome in zip(batch, outcomes, strict=True):
        if after[article_id][1] != before[article_id][1]:
            report.new_versions += 1
        elif outcome == "updated":
            report.updated += 1
        else:
            report.unchanged += 1


def _hashes(archive: Archive, ids: list[int]) -> Iterator[tuple[int, tuple[str, str]]]:
    marks = ", ".join("?" * len(ids))
    for article_id, url, content_hash in archive.db.execute(
        f"SELECT id, url, content_hash FROM articles WHERE id IN ({marks})", ids
    ):
        yield article_id, (url, content_hash)


def page_count(archive: Archive, site: str | None = None) -> int:
    """How many raw pages (of `site`) `reparse` reads: each article's latest, and each
    refused URL's latest that no article has taken since."""
    articles = archive.db.execute(
        """SELECT count(DISTINCT raw_pages.article_id) FROM raw_pages
        JOIN articles ON articles.id = raw_pages.article_id
        WHERE ? IS NULL OR articles.site = ?""",
        [site, site],
    ).fetchone()[0]
    refused = archive.db.execute(
        """SELECT count(DISTINCT url) FROM raw_pages
        WHERE article_id IS NULL AND (? IS NULL OR site = ?)
        AND url NOT IN (SELECT url FROM article_urls)""",
        [site, site],
    ).fetchone()[0]
    return int(articles) + int(refused)
