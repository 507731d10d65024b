"""The ``archive`` command: parse arguments, call ``Archive``, print. No logic of its own."""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from archive.db import Archive, ArchiveStats
from archive.ingest import ITEMS_KEY, WORKER_STAT, IngestError, run_ingest
from archive.schema import SchemaError

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

db_option = click.option(
    "--db",
    "db_path",
    # exists=True: reading a mistyped path must fail, not create an empty archive.
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default="archive.db",
    show_default=True,
    help="Archive database file.",
)


@click.group()
def cli() -> None:
    """Inspect a news archive database."""


@cli.command()
@db_option
def stats(db_path: Path) -> None:
    """Articles per site and section with their publication range, then the last runs."""
    with _open(db_path) as archive:
        archive_stats = archive.stats()
    click.echo(_format_stats(archive_stats))


@cli.command()
@db_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def runs(db_path: Path, limit: int) -> None:
    """Recent crawl runs, newest first, with their counts and finish reason."""
    with _open(db_path) as archive:
        recent_runs = archive.runs(limit=limit)
    click.echo(_format_runs(recent_runs))


@cli.command()
@click.option("--redis", "redis_url", required=True, help="Redis URL the crawl workers push to.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="archive.db",
    show_default=True,
    help="Archive database file (created if missing).",
)
@click.option("--key", default=ITEMS_KEY, show_default=True, help="Redis list of messages.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--drain", is_flag=True, help="Stop once the list is empty instead of waiting.")
def ingest(redis_url: str, db_path: Path, key: str, batch_size: int, drain: bool) -> None:
    """Write the articles of distributed crawl workers into the archive (one writer)."""
    try:
        totals = run_ingest(redis_url, db_path, key, batch_size, drain=drain)
    except IngestError as error:
        raise click.ClickException(str(error)) from error
    click.echo(totals.summary())


@contextmanager
def _open(db_path: Path) -> Iterator[Archive]:
    """Open the archive, turning "not an archive" into a one-line error instead of a traceback."""
    try:
        archive = Archive(db_path)
    except (SchemaError, sqlite3.DatabaseError) as error:
        raise click.ClickException(f"{db_path}: {error}") from error
    with archive:
        yield archive


def _format_stats(archive_stats: ArchiveStats) -> str:
    articles = _format_sections(archive_stats) if archive_stats.sections else "No articles yet."
    return f"{articles}\n\nLast runs:\n{_format_runs(archive_stats.recent_runs)}"


def _format_sections(archive_stats: ArchiveStats) -> str:
    table = _format_table(
        ["site", "section", "articles", "undated", "earliest", "latest"],
        [
            [s.site, s.section, s.articles, s.undated, s.earliest, s.latest]
            for s in archive_stats.sections
        ],
    )
    total = (
        f"{_plural(archive_stats.articles, 'article')} from "
        f"{_plural(archive_stats.sites, 'site')}, "
        f"published {archive_stats.earliest or '-'} to {archive_stats.latest or '-'}"
    )
    return f"{table}\n\n{total}"


def _format_runs(recent_runs: list[dict[str, Any]]) -> str:
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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
