"""What the `archive` command prints: tables, an article, the reports of stats and reparse.

Plain text that reads the same on a terminal and in a pipe: the only styling is a bold
title, which click strips when the output is not a terminal.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from archive.db import ArchiveStats
from archive.ingest import WORKER_STAT
from archive.overview import Overview

if TYPE_CHECKING:
    from archive.reparse import ReparseReport

RUN_COLUMNS = {
    "id": "id",
    "spider": "spider",
    "site": "site",
    "started_at": "started",
    "finished_at": "finished",
    "finish_reason": "reason",
    "pages": "pages",
    "articles_new": "new",
    "articles_updated": "updated",
    "articles_unchanged": "unchanged",
    "rejected": "rejected",
    "errors": "errors",
}

#: Pages `reparse` lists by name when today's code refuses them; the rest are counted.
LISTED_REJECTS = 20


def format_article(
    article: Mapping[str, Any],
    shown: Mapping[str, Any],
    urls: list[dict[str, Any]],
    versions: int,
) -> str:
    """The article's identity, then the fields and text of `shown` (it or one of its versions)."""
    version = shown.get("version", article["current_version"])
    fields = [
        ("url", article["url"]),
        ("site", article["site"]),
        ("section", shown["section"]),
        ("published", shown["published_at"] or f"- (printed: {shown['published_raw'] or '-'})"),
        ("modified", shown["modified_at"]),
        ("authors", ", ".join(shown["authors"] or []) or None),
        ("tags", ", ".join(shown["tags"] or []) or None),
        ("language", shown["language"]),
        ("image", shown["image_url"]),
        ("version", f"{version} of {versions}"),
        ("seen", f"{shown['first_seen_at']} to {shown['last_seen_at']}"),
    ]
    if article.get("duplicate_of") is not None:
        fields.append(
            (
                "duplicate of",
                f"article {article['duplicate_of']} "
                f"(similarity {article['duplicate_similarity']:.2f})",
            )
        )
    width = max(len(name) for name, _ in fields)
    lines = [click.style(shown["title"], bold=True), ""]
    lines += [f"{name.ljust(width)}  {'-' if value is None else value}" for name, value in fields]
    lines += ["", "URLs:"] + [f"  {row['kind'].ljust(9)}  {row['url']}" for row in urls]
    if shown["summary"]:
        lines += ["", _wrapped(shown["summary"])]
    lines += ["", _wrapped(shown["body"])]
    return "\n".join(lines)


def _wrapped(text: str) -> str:
    """Paragraphs filled to the terminal's width (at most 100 columns), still apart."""
    width = min(shutil.get_terminal_size().columns, 100)
    return "\n\n".join(textwrap.fill(paragraph, width) for paragraph in text.split("\n\n"))


def format_reparse(report: ReparseReport) -> str:
    lines = [
        f"{plural(report.pages, 'raw page')} re-extracted: "
        f"{report.new_versions} with a changed text (a new version, or an earlier one "
        f"current again), {report.updated} other fields "
        f"updated, {report.unchanged} unchanged, {len(report.rejected)} not archivable"
    ]
    lines += [
        f"  not archivable: {url}: {reason}" for url, reason in report.rejected[:LISTED_REJECTS]
    ]
    if len(report.rejected) > LISTED_REJECTS:
        lines.append(f"  … and {len(report.rejected) - LISTED_REJECTS} more not archivable")
    if report.retried:
        lines.append(
            f"{plural(report.retried, 'page')} the crawl refused (no title or body) read "
            f"again: {report.recovered} archived now"
        )
    lines += [
        f"  skipped {plural(pages, 'page')} of site {site!r}: no bundled definition; "
        "give it with --config"
        for site, pages in sorted(report.missing_sites.items())
    ]
    return "\n".join(lines)


def format_stats(archive_stats: ArchiveStats, totals: Overview) -> str:
    runs = f"Last runs:\n{format_runs(archive_stats.recent_runs)}"
    if not archive_stats.sections:
        return f"No articles yet.\n\n{runs}"
    return f"{_format_sections(archive_stats)}\n\n{_format_totals(totals)}\n\n{runs}"


def _format_totals(totals: Overview) -> str:
    ratio = totals.raw_stored_bytes / totals.raw_bytes if totals.raw_bytes else 0
    return "\n".join(
        [
            f"versions:         {totals.versions} "
            f"({plural(totals.changed_articles, 'article')} changed after first archived)",
            f"URLs:             {totals.urls}",
            f"near-duplicates:  {totals.near_duplicates}",
            f"raw pages:        {totals.raw_pages} ({_megabytes(totals.raw_bytes)} received, "
            f"{_megabytes(totals.raw_stored_bytes)} stored, {ratio:.0%}; "
            f"{totals.refused_pages} of pages refused)",
            f"crawl runs:       {totals.runs}",
        ]
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _format_sections(archive_stats: ArchiveStats) -> str:
    table = _format_table(
        ["site", "section", "articles", "undated", "earliest", "latest"],
        [
            [s.site, s.section, s.articles, s.undated, s.earliest, s.latest]
            for s in archive_stats.sections
        ],
    )
    total = (
        f"{plural(archive_stats.articles, 'article')} from "
        f"{plural(archive_stats.sites, 'site')}, "
        f"published {archive_stats.earliest or '-'} to {archive_stats.latest or '-'}"
    )
    return f"{table}\n\n{total}"


def format_runs(recent_runs: list[dict[str, Any]]) -> str:
    if not recent_runs:
        return "No crawl runs yet."
    headers = list(RUN_COLUMNS.values())
    rows = [[run[column] for column in RUN_COLUMNS] for run in recent_runs]
    workers = [(run["stats"] or {}).get(WORKER_STAT) for run in recent_runs]
    if any(workers):  # a distributed run: one row per worker, named
        headers.append("worker")
        rows = [[*row, worker] for row, worker in zip(rows, workers, strict=True)]
    return _format_table(headers, rows)


def _format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; integer columns right-aligned so digits line up."""
    texts = [["-" if value is None else str(value) for value in row] for row in rows]
    widths = [max(map(len, column)) for column in zip(headers, *texts, strict=True)]
    numeric = [any(isinstance(row[i], int) for row in rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, texts)])


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
