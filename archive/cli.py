"""The ``archive`` command: parse arguments, call ``Archive``, print. No logic of its own."""

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from archive.db import Archive
from archive.display import format_article, format_reparse, format_runs, format_stats, plural
from archive.export import FORMATS, ExportError, Format, count, export, format_for
from archive.ingest import ITEMS_KEY, IngestError, run_ingest
from archive.overview import overview
from archive.schema import SchemaError
from archive.search import ArticleFilter, Order, SearchError, date_bound, query_words, search
from archive.serve import DEFAULT_PORT, check_datasette, serve
from archive.textdiff import unified_diff

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
    click.echo(format_stats(archive_stats, totals))


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
    click.echo(format_runs(recent_runs))


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
    click.echo(format_article(article, shown, urls, len(versions)))


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
    click.echo(f"{plural(written, noun)} exported to {destination} ({fmt})", err=True)


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
            except ValueError as error:  # a stored page the archive cannot read back
                raise click.ClickException(
                    f"{db_path}: {error}; the articles written before it are kept"
                ) from None
    click.echo(format_reparse(report))


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
        raise click.ClickException(f"{plural(len(problems), 'problem')} found in {db_path}")
    click.echo(
        f"OK: {db_path} passes the integrity check and the invariants "
        f"({plural(articles, 'article')})."
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
@click.option(
    "--publish-only",
    is_flag=True,
    help="Publish the known articles and open runs for the workers, then stop.",
)
def ingest(
    redis_url: str, db_path: Path, key: str, batch_size: int, drain: bool, publish_only: bool
) -> None:
    """Write the articles of distributed crawl workers into the archive (one writer).

    The writer also publishes to Redis what the workers' incremental rules need (the
    known articles and each site's open runs): whole when it starts, then after each
    batch. --publish-only publishes and stops; a running writer publishes again by
    itself once the KEY:published key is deleted.
    """
    try:
        totals = run_ingest(
            redis_url, db_path, key, batch_size, drain=drain, publish_only=publish_only
        )
    except IngestError as error:
        raise click.ClickException(str(error)) from error
    if not publish_only:
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
