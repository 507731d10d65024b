"""`archive reparse`: stored raw pages re-extracted with another definition, no request."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.http import HtmlResponse, Request

from archive import Archive
from archive.cli import cli
from archive.display import LISTED_REJECTS, format_reparse
from archive.reparse import ReparseReport, SiteDefinitions, page_count, reparse
from crawler.article_page import article_item
from crawler.pipelines import archive_row, normalise_dates
from crawler.sitedef import DefinitionError, SiteDefinition, bundled_sites, load_site

DEMO = load_site(bundled_sites()["demo"])
FETCHED = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8750"  # nothing listens there: reparse must not need it


def page(title: str, update: str = "") -> str:
    return f"""<html lang="en"><body>
<h1 class="news-title">{title}</h1>
<div class="news-meta"><span class="news-date">13 September, 14:15</span>
<span class="news-category">Politics</span></div>
<div class="news-text"><p>{title} happened on Tuesday.</p><p>More followed.</p></div>
{update}
</body></html>"""


CORRECTION = '<div class="news-update"><p>Update: the vote was postponed.</p></div>'
PAGES = {
    "/politics/1": page("Parliament meets", CORRECTION),
    "/economy/2": page("Budget passed"),
    "/world/3": page("Summit ends", CORRECTION),
}
#: The extractor change: the definition now reads the update box as part of the text,
#: and no longer takes /world/ pages as articles.
NEW_DEFINITION = (
    bundled_sites()["demo"]
    .read_text(encoding="utf-8")
    .replace('body = ".news-text"', 'body = ".news-text p, .news-update p"')
    .replace(
        r"article_url = '/(politics|economy|society|world)/\d+$'",
        r"article_url = '/(politics|economy)/\d+$'",
    )
)


def crawl_into(archive: Archive, site: SiteDefinition, pages: dict[str, str]) -> None:
    """What a crawl writes for these pages, through the crawl's own functions."""
    rows = []
    for path, html in pages.items():
        url = BASE + path
        response = HtmlResponse(
            url,
            body=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
            request=Request(url),
        )
        item = article_item(response, site, fetched_at=FETCHED, listing_section="Politics")
        assert item is not None
        rows.append(archive_row(normalise_dates(item, site)))
    archive.upsert_articles(rows)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive.db")
    crawl_into(archive, DEMO, PAGES)
    yield archive
    archive.close()


@pytest.fixture
def new_definition(tmp_path: Path) -> Path:
    path = tmp_path / "demo.toml"
    path.write_text(NEW_DEFINITION, encoding="utf-8")
    return path


def test_reparse_with_a_changed_definition_adds_versions(
    archive: Archive, new_definition: Path
) -> None:
    before = archive.find_article(BASE + "/politics/1")
    assert before is not None and "postponed" not in before["body"]
    report = reparse(archive, SiteDefinitions(new_definition))
    assert (report.pages, report.new_versions, report.updated, report.unchanged) == (3, 1, 0, 1)
    assert report.rejected == [
        (BASE + "/world/3", "not an article page of the site for today's code")
    ]

    after = archive.find_article(BASE + "/politics/1")
    assert after is not None
    assert after["body"].endswith("Update: the vote was postponed.")
    assert (after["version_count"], after["current_version"]) == (2, 2)
    assert after["published_at"] == before["published_at"] == "2023-09-13T10:15:00+00:00"
    old, new = archive.versions(after["id"])
    assert old["body"] == before["body"]  # nothing of the first reading is lost
    assert new["body"] == after["body"]
    # The rejected page's article is kept as it was.
    world = archive.find_article(BASE + "/world/3")
    assert world is not None and world["version_count"] == 1
    assert archive.check() == []


def test_reparse_twice_changes_nothing_more(archive: Archive, new_definition: Path) -> None:
    reparse(archive, SiteDefinitions(new_definition))
    again = reparse(archive, SiteDefinitions(new_definition))
    assert (again.new_versions, again.updated, again.unchanged) == (0, 0, 2)
    # Back with the bundled definition, the first reading becomes current again.
    back = reparse(archive, SiteDefinitions())
    assert (back.new_versions, back.unchanged) == (1, 2)
    article = archive.find_article(BASE + "/politics/1")
    assert article is not None
    assert (article["version_count"], article["current_version"]) == (2, 1)
    # The raw pages were read, not stored again.
    assert archive.db.execute("SELECT count(*), sum(fetch_count) FROM raw_pages").fetchone() == (
        3,
        3,
    )


def test_reparse_one_site_and_sites_without_a_definition(archive: Archive, tmp_path: Path) -> None:
    other = tmp_path / "gone.toml"
    other.write_text(NEW_DEFINITION.replace('name = "demo"', 'name = "gone"'), encoding="utf-8")
    crawl_into(archive, load_site(other), {"/politics/9": page("Elsewhere")})
    assert page_count(archive) == 4
    assert page_count(archive, "gone") == 1
    report = reparse(archive, SiteDefinitions())  # bundled definitions: none named "gone"
    assert report.missing_sites == {"gone": 1}
    assert report.pages == 4
    only = reparse(archive, SiteDefinitions(), site="demo")
    assert (only.pages, only.missing_sites) == (3, {})
    with pytest.raises(DefinitionError, match="--site 'demo' differs"):
        reparse(archive, SiteDefinitions(other), site="demo")


def test_reparse_command(archive: Archive, new_definition: Path) -> None:
    db = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["reparse", "--db", db, "--config", str(new_definition)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "3 raw pages re-extracted: 1 with a changed text (a new version, or an earlier one "
        "current again), 0 other fields updated, "
        "1 unchanged, 1 not archivable",
        f"  not archivable: {BASE}/world/3: not an article page of the site for today's code",
    ]
    diff = CliRunner().invoke(cli, ["diff", "--db", db, BASE + "/politics/1"])
    assert "+Update: the vote was postponed." in diff.output.splitlines()


def test_reparse_command_with_a_broken_definition(archive: Archive, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "demo"\n', encoding="utf-8")
    db = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["reparse", "--db", db, "--config", str(broken)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {broken}: key 'article_url': is required")


def test_reparse_report_lists_the_first_refused_pages_only() -> None:
    report = ReparseReport(pages=25, rejected=[(f"{BASE}/p/{n}", "no body") for n in range(25)])
    lines = format_reparse(report).splitlines()
    assert len(lines) == 1 + LISTED_REJECTS + 1
    assert lines[1] == f"  not archivable: {BASE}/p/0: no body"
    assert lines[-1] == "  … and 5 more not archivable"
    report.retried, report.recovered = 3, 1
    assert format_reparse(report).splitlines()[-1] == (
        "3 pages the crawl refused (no title or body) read again: 1 archived now"
    )


def test_reparse_archives_a_page_the_crawl_refused(archive: Archive, new_definition: Path) -> None:
    url = BASE + "/politics/5"
    # The bundled definition's body box is empty (a video page): no body, refused.
    html = page("Video report", CORRECTION).replace(
        "<p>Video report happened on Tuesday.</p><p>More followed.</p>", ""
    )
    response = HtmlResponse(
        url,
        body=html.encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=Request(url),
    )
    item = article_item(response, DEMO, fetched_at=FETCHED)
    assert item is not None and item.raw_page is not None
    assert normalise_dates(item, DEMO).body is None
    archive.add_rejected_pages([(item.raw_page, f"site 'demo': {url}: no body")])

    still = reparse(archive, SiteDefinitions())  # the same code: still refused, not listed
    assert (still.retried, still.recovered, still.rejected) == (1, 0, [])
    assert archive.find_article(url) is None

    fixed = reparse(archive, SiteDefinitions(new_definition))
    assert (fixed.retried, fixed.recovered) == (1, 1)
    article = archive.find_article(url)
    assert article is not None
    assert (article["title"], article["body"]) == (
        "Video report",
        "Update: the vote was postponed.",
    )
    assert article["published_at"] == "2023-09-13T10:15:00+00:00"  # as of the fetch, in 2024
    assert archive.db.execute(
        "SELECT count(*) FROM raw_pages WHERE article_id = ?", [article["id"]]
    ).fetchone() == (1,)
    assert archive.check() == []
    assert reparse(archive, SiteDefinitions(new_definition)).retried == 0  # it is an article now


def test_reparse_command_on_an_unreadable_raw_page(archive: Archive) -> None:
    db = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    archive.db.execute("UPDATE raw_pages SET encoding_codec = 'lzma' WHERE id = 2")
    archive.db.conn.commit()
    result = CliRunner().invoke(cli, ["reparse", "--db", db])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {db}: raw page body in unknown codec 'lzma'; "
        "the articles written before it are kept\n"
    )
