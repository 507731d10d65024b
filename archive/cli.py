"""The ``archive`` command: parse arguments, call ``Archive``, print. No logic of its own."""

import json
import shutil
import sqlite3
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.db import Archive, ArchiveStats
from archive.export import FORMATS, ExportError, Format, count, export, format_for
from archive.overview import Overview, overview
from archive.schema import SchemaError
from archive.search import ArticleFilter, Order, SearchError, date_bound, query_words, search
from archive.serve import DEFAULT_PORT, check_datasette, serve
from archive.textdiff import unified_diff

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
    """Read, search, export, check and serve a news archive database."""


@cli.command(short_help="Articles per site and section, versions, raw pages, runs.")
@db_option
def stats(db_path: Path) -> None:
    """Articles per site and section with their publication range, versions, and the last runs.

    \b
    Example:
      archive stats --db news.db
    """
    with _open(db_path) as archive:
        archive_stats = archive.stats()
        totals = overview(archive.db)
    click.echo(_format_stats(archive_stats, totals))


@cli.command(short_help="Recent crawl runs with their counts.")
@db_option
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Runs shown."
)
def runs(db_path: Path, limit: int) -> None:
    """Recent crawl runs, newest first, with their counts and finish reason.

    \b
    Example:
      archive runs --db news.db --limit 5
    """
    with _open(db_path) as archive:
        recent_runs = archive.runs(limit=limit)
    click.echo(_format_runs(recent_runs))


def _filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--site, --section, --language, --since, --until: the filters search and export share."""
    for option in reversed(
        [
            click.option("--site", help="Only this site (the site definition's name)."),
            click.option("--section", help="Only this section, as the site prints it."),
            click.option("--language", help="Only this language code, e.g. en, ru, az."),
            click.option(
                "--since",
                metavar="DATE",
                help="Published on or after this date or time (UTC unless it has an offset).",
            ),
            click.option(
                "--until",
                metavar="DATE",
                help="Published before this time, or on or before this date.",
            ),
        ]
    ):
        command = option(command)
    return command


def _article_filter(
    site: str | None,
    section: str | None,
    language: str | None,
    since: str | None,
    until: str | None,
) -> ArticleFilter:
    try:
        return ArticleFilter(
            site=site,
            section=section,
            language=language,
            since=None if since is None else date_bound(since),
            until=None if until is None else date_bound(until, end=True),
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--since' / '--until'") from None


@cli.command(name="search", short_help="Full-text search with snippets and filters.")
@click.argument("query")
@db_option
@_filter_options
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Matches shown."
)
@click.option(
    "--order",
    type=click.Choice(["rank", "newest", "oldest"]),
    default="rank",
    show_default=True,
    help="Best match first, or by publication time.",
)
@click.option("--words", is_flag=True, help="Search the words only, ignoring FTS5 syntax.")
def search_command(
    query: str,
    db_path: Path,
    site: str | None,
    section: str | None,
    language: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    order: Order,
    words: bool,
) -> None:
    """Full-text search of titles, summaries and bodies, with snippets.

    QUERY is FTS5 syntax ("iron dome" for a phrase, nato OR otan, energ* for a prefix,
    title:budget for one column); text that is not valid syntax is searched as plain
    words. Case and the diacritics of Azerbaijani and other scripts do not matter;
    plain words also find their dotless-ı spellings (BAKI finds Bakı).

    \b
    Examples:
      archive search --db news.db "Iron Dome"
      archive search --db news.db 'nato OR otan' --site azeridaily --since 2024-01-01
    """
    article_filter = _article_filter(site, section, language, since, until)
    with _open(db_path) as archive:
        try:
            result = search(
                archive.db, query, article_filter, limit=limit, order=order, as_words=words
            )
        except SearchError as error:
            raise click.ClickException(str(error)) from None
    if result.as_words and not words:
        click.echo(
            f"(not FTS5 syntax; searched the words: {', '.join(query_words(query))})", err=True
        )
    if not result.hits:
        click.echo("No matches.")
        return
    for hit in result.hits:
        where = " / ".join(part for part in (hit.site, hit.section) if part)
        click.echo(click.style(hit.title, bold=True))
        click.echo(f"  {where} · {hit.published_at or 'undated'} · {hit.url}")
        click.echo(f"  {' '.join(hit.snippet.split())}\n")
    if len(result.hits) == limit:
        click.echo(f"(showing the first {limit}; --limit shows more)", err=True)


url_argument = click.argument("url")


@cli.command(short_help="An article by any of its URLs.")
@url_argument
@db_option
@click.option("--version", "version_number", type=click.IntRange(min=1), help="Show this version.")
@click.option("--json", "as_json", is_flag=True, help="Print the article (and its URLs) as JSON.")
def show(url: str, db_path: Path, version_number: int | None, as_json: bool) -> None:
    """An article by any URL it was reached through (redirects, tracking parameters...).

    \b
    Examples:
      archive show --db news.db https://azeridaily.com/politics/31986
      archive show --db news.db 'https://azeridaily.com/politics/31986?utm_source=x' --version 1
    """
    with _open(db_path) as archive:
        article = _find(archive, url)
        urls = archive.urls(article["id"])
        versions = archive.versions(article["id"])
    shown = article
    if version_number is not None:
        shown = _version(versions, version_number, url)
    if as_json:
        document = {**article, "urls": urls}
        if version_number is not None:
            document["version"] = shown
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    click.echo(_format_article(article, shown, urls, len(versions)))


@cli.command(short_help="Unified diff between two versions of an article.")
@url_argument
@db_option
@click.option(
    "--from",
    "old",
    type=click.IntRange(min=1),
    help="Older version [default: the one before --to].",
)
@click.option("--to", "new", type=click.IntRange(min=1), help="Newer version [default: the last].")
@click.option(
    "--context", type=click.IntRange(min=0), default=3, show_default=True, help="Lines of context."
)
def diff(url: str, db_path: Path, old: int | None, new: int | None, context: int) -> None:
    """What changed between two versions of an article's text, as a unified diff.

    \b
    Examples:
      archive diff --db news.db https://azeridaily.com/politics/31986
      archive diff --db news.db https://azeridaily.com/politics/31986 --from 1 --to 3
    """
    with _open(db_path) as archive:
        article = _find(archive, url)
        versions = archive.versions(article["id"])
    if len(versions) < 2 and old is None and new is None:
        click.echo(f"{article['url']} has one version only: nothing to compare.")
        return
    newer = _version(versions, new if new is not None else versions[-1]["version"], url)
    older = _version(versions, old if old is not None else max(newer["version"] - 1, 1), url)
    lines = unified_diff(older, newer, context=context)
    if not lines:
        click.echo(f"Versions {older['version']} and {newer['version']} have the same fields.")
        return
    for line in lines:
        colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])
        if line.startswith(("+++", "---")):
            colour = None
        click.echo(click.style(line, fg=colour) if colour else line)


@cli.command(name="export", short_help="Articles as JSON Lines, CSV or Parquet, streamed.")
@db_option
@_filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format [default: from the output file's suffix, else jsonl].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default="-",
    show_default=True,
    help="Output file; - for standard output (not for Parquet).",
)
@click.option(
    "--versions",
    is_flag=True,
    help="Every version of the articles (article_versions, with url and site) instead.",
)
def export_command(
    db_path: Path,
    site: str | None,
    section: str | None,
    language: str | None,
    since: str | None,
    until: str | None,
    fmt: Format | None,
    output: Path,
    versions: bool,
) -> None:
    """Articles as JSON Lines, CSV or Parquet, streamed (memory stays small at any size).

    \b
    Examples:
      archive export --db news.db -o articles.parquet --since 2024-01-01
      archive export --db news.db --format csv --site azeridaily > azeridaily.csv
      archive export --db news.db | jq .title
      archive export --db news.db --versions -o versions.parquet
    """
    to_stdout = str(output) == "-"
    fmt = fmt or (None if to_stdout else format_for(str(output))) or "jsonl"
    if fmt == "parquet" and to_stdout:
        raise click.UsageError("Parquet needs a file: give -o FILE.parquet")
    article_filter = _article_filter(site, section, language, since, until)
    with _open(db_path) as archive:
        total = count(archive.db, article_filter, versions=versions) if _stderr_is_terminal() else 0
        with click.open_file(str(output), "wb") as out, _progress(total, f"Exporting {fmt}") as bar:
            try:
                written = export(
                    archive.db, out, fmt, article_filter, versions=versions, progress=bar
                )
            except ExportError as error:
                raise click.ClickException(str(error)) from None
    destination = "standard output" if to_stdout else str(output)
    noun = "article version" if versions else "article"
    click.echo(f"{_plural(written, noun)} exported to {destination} ({fmt})", err=True)


@cli.command(name="reparse", short_help="Re-extract the stored raw pages, no request.")
@db_option
@click.option("--site", help="Only the articles of this site.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Site definition file to re-extract with (its site's articles only); "
    "default: the bundled definitions.",
)
def reparse_command(db_path: Path, site: str | None, config: Path | None) -> None:
    """Re-extract every stored raw page with today's code, without a request.

    Articles whose text now reads differently get a new version (the old one is
    kept); other changed fields are updated; nothing is fetched.

    \b
    Examples:
      archive reparse --db news.db
      archive reparse --db news.db --site mysite --config mysite.toml
    """
    # Imported here: extraction brings Scrapy and trafilatura, which no other command needs.
    from archive.reparse import SiteDefinitions, page_count, reparse
    from crawler.sitedef import DefinitionError

    try:
        definitions = SiteDefinitions(config)
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None
    with _open(db_path) as archive:
        total = page_count(archive, site or definitions.only_site) if _stderr_is_terminal() else 0
        with _progress(total, "Re-extracting") as bar:
            try:
                report = reparse(archive, definitions, site=site, progress=bar)
            except DefinitionError as error:
                raise click.ClickException(str(error)) from None
    click.echo(_format_reparse(report))


@cli.command(short_help="Integrity check and the archive's invariants.")
@db_option
def check(db_path: Path) -> None:
    """Integrity check and the archive's own invariants; exit status 1 on any problem.

    \b
    Example:
      archive check --db news.db
    """
    with _open(db_path) as archive:
        problems = archive.check()
        articles = overview(archive.db).articles
    if problems:
        for problem in problems:
            click.echo(problem)
        raise click.ClickException(f"{_plural(len(problems), 'problem')} found in {db_path}")
    click.echo(
        f"OK: {db_path} passes the integrity check and the invariants "
        f"({_plural(articles, 'article')})."
    )


@cli.command(name="serve", short_help="Datasette on 127.0.0.1, read-only.")
@db_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--immutable",
    is_flag=True,
    help="Open the file as immutable (faster counts); only for a file nothing writes to any more.",
)
def serve_command(db_path: Path, port: int, immutable: bool) -> None:
    """Browse and query the archive in Datasette on 127.0.0.1, read-only.

    With facets on site, section and language, the full-text search box, and canned
    queries: today's articles, articles per day per site, search, articles with a tag,
    articles changed after publication.

    \b
    Example:
      archive serve --db news.db --port 8001
    """
    with _open(db_path):  # refuses a file that is not an archive, upgrades an old one
        pass
    try:
        check_datasette()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    sys.exit(serve(db_path, port=port, immutable=immutable))


@contextmanager
def _open(db_path: Path) -> Iterator[Archive]:
    """Open the archive, turning "not an archive" into a one-line error instead of a traceback."""
    try:
        archive = Archive(db_path)
    except (SchemaError, sqlite3.DatabaseError) as error:
        raise click.ClickException(f"{db_path}: {error}") from error
    with archive:
        yield archive


def _stderr_is_terminal() -> bool:
    """Progress bars go to a terminal only, never into a pipe or a log."""
    return sys.stderr.isatty()


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error when it is a terminal, else nothing at all."""
    if not total:
        yield lambda _: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _find(archive: Archive, url: str) -> dict[str, Any]:
    article = archive.find_article(url)
    if article is None:
        raise click.ClickException(f"no article in the archive for {url}")
    return article


def _version(versions: list[dict[str, Any]], number: int, url: str) -> dict[str, Any]:
    for version in versions:
        if version["version"] == number:
            return version
    raise click.ClickException(
        f"{url}: no version {number}; the article has versions 1 to {len(versions)}"
    )


def _format_article(
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


def _format_reparse(report: "ReparseReport") -> str:
    lines = [
        f"{_plural(report.pages, 'raw page')} re-extracted: "
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
            f"{_plural(report.retried, 'page')} the crawl refused (no title or body) read "
            f"again: {report.recovered} archived now"
        )
    lines += [
        f"  skipped {_plural(pages, 'page')} of site {site!r}: no bundled definition; "
        "give it with --config"
        for site, pages in sorted(report.missing_sites.items())
    ]
    return "\n".join(lines)


def _format_stats(archive_stats: ArchiveStats, totals: Overview) -> str:
    runs = f"Last runs:\n{_format_runs(archive_stats.recent_runs)}"
    if not archive_stats.sections:
        return f"No articles yet.\n\n{runs}"
    return f"{_format_sections(archive_stats)}\n\n{_format_totals(totals)}\n\n{runs}"


def _format_totals(totals: Overview) -> str:
    ratio = totals.raw_stored_bytes / totals.raw_bytes if totals.raw_bytes else 0
    return "\n".join(
        [
            f"versions:         {totals.versions} "
            f"({_plural(totals.changed_articles, 'article')} changed after first archived)",
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
        f"{_plural(archive_stats.articles, 'article')} from "
        f"{_plural(archive_stats.sites, 'site')}, "
        f"published {archive_stats.earliest or '-'} to {archive_stats.latest or '-'}"
    )
    return f"{table}\n\n{total}"


def _format_runs(recent_runs: list[dict[str, Any]]) -> str:
    if not recent_runs:
        return "No crawl runs yet."
    return _format_table(
        list(RUN_COLUMNS.values()),
        [[run[column] for column in RUN_COLUMNS] for run in recent_runs],
    )


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
