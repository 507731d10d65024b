"""Two real crawl processes writing one archive at once lose and duplicate nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from demosite.generate import generate_site
from tests.crawling import ROOT, Server, demo_definition, start_server

ARTICLES = 24


def site(tmp: Path, seed: int) -> tuple[Path, list[dict]]:
    root = tmp / f"site-{seed}"
    return root, generate_site(root, articles=ARTICLES, seed=seed)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[Server, list]]]:
    tmp = tmp_path_factory.mktemp("sites")
    started = []
    try:
        for seed in (1, 2):
            root, manifest = site(tmp, seed)
            started.append((start_server(root, tmp / f"requests-{seed}.jsonl"), manifest))
        yield started
    finally:
        for server, _ in started:
            server.stop()


def definition(directory: Path, server: Server, name: str) -> Path:
    path = demo_definition(directory, server.port)
    renamed = directory / f"{name}.toml"
    renamed.write_text(
        path.read_text(encoding="utf-8").replace('name = "demo"', f'name = "{name}"'),
        encoding="utf-8",
    )
    return renamed


def crawl_at_once(archive: Path, *definitions: Path) -> None:
    """Start every crawl before waiting for any, with small batches so their writes interleave."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"config={path}",
             "-s", f"ARCHIVE_PATH={archive}", "-s", "DOWNLOAD_DELAY=0.01",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "ARCHIVE_BATCH_SIZE=3",
             "-s", "ARCHIVE_FLUSH_SECONDS=0.2",
             # Overlapping runs on purpose, each fetching every page (not only new ones).
             "-s", "RUN_LOCK_ENABLED=False", "-s", "INCREMENTAL_CRAWL=False"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for path in definitions
    ]  # fmt: skip
    logs = [process.communicate(timeout=240)[0] for process in processes]
    for process, log in zip(processes, logs, strict=True):
        assert process.returncode == 0, log
        assert "Traceback" not in log and "ERROR" not in log, log


def expected_urls(server: Server, manifest: list[dict]) -> set[str]:
    return {server.base_url.rstrip("/") + a["path"] for a in manifest if not a["rejected"]}


def test_two_sites_at_once(servers: list[tuple[Server, list]], tmp_path: Path) -> None:
    archive_path = tmp_path / "archive.db"
    (first, first_manifest), (second, second_manifest) = servers
    crawl_at_once(
        archive_path,
        definition(tmp_path, first, "alpha"),
        definition(tmp_path, second, "beta"),
    )
    with Archive(archive_path) as archive:
        assert archive.check() == []
        db = archive.db
        by_site = dict(db.execute("select site, count(*) from articles group by site").fetchall())
        urls = {row[0] for row in db.execute("select url from articles").fetchall()}
        assert urls == expected_urls(first, first_manifest) | expected_urls(second, second_manifest)
        assert by_site == {
            "alpha": len(expected_urls(first, first_manifest)),
            "beta": len(expected_urls(second, second_manifest)),
        }
        assert db.execute("select count(*) from raw_pages where article_id is not null").fetchone()[
            0
        ] == len(urls)
        # The page each site serves without a body is kept too, with the reason.
        rejected = db.execute(
            "select site, rejected from raw_pages where article_id is null order by site"
        ).fetchall()
        assert [site for site, _ in rejected] == ["alpha", "beta"]
        assert all("no body" in reason for _, reason in rejected)
        # Each raw page names the run that fetched it, a run of its own site.
        assert db.execute(
            "select count(*) from raw_pages join crawl_runs on crawl_runs.id = raw_pages.run_id "
            "where crawl_runs.site = raw_pages.site"
        ).fetchone()[0] == len(urls) + len(rejected)
        assert db.execute("select max(version_count) from articles").fetchone()[0] == 1
        runs = db.execute("select site, finish_reason, articles_new from crawl_runs").fetchall()
        assert sorted(runs) == [
            ("alpha", "finished", by_site["alpha"]),
            ("beta", "finished", by_site["beta"]),
        ]
        # Both generated sites carry the same real seed article: one is linked to the other.
        linked = db.execute(
            "select a.site, b.site, a.duplicate_similarity from articles a "
            "join articles b on b.id = a.duplicate_of"
        ).fetchall()
        assert len(linked) >= 1
        assert all({s1, s2} == {"alpha", "beta"} and sim >= 0.7 for s1, s2, sim in linked)


def test_same_site_twice_at_once(servers: list[tuple[Server, list]], tmp_path: Path) -> None:
    archive_path = tmp_path / "archive.db"
    server, manifest = servers[0]
    path = definition(tmp_path, server, "alpha")
    crawl_at_once(archive_path, path, path)
    with Archive(archive_path) as archive:
        assert archive.check() == []
        db = archive.db
        expected = expected_urls(server, manifest)
        urls = [row[0] for row in db.execute("select url from articles").fetchall()]
        assert sorted(urls) == sorted(expected)  # each once
        assert db.execute("select count(*), max(version) from article_versions").fetchone() == (
            len(expected),
            1,
        )
        # Each page was fetched twice with the same bytes: one raw page, two fetches.
        assert db.execute(
            "select count(*), sum(fetch_count) from raw_pages where article_id is not null"
        ).fetchone() == (
            len(expected),
            2 * len(expected),
        )
        runs = db.execute("select articles_new + articles_unchanged from crawl_runs").fetchall()
        assert [total for (total,) in runs] == [len(expected), len(expected)]
        new = db.execute("select sum(articles_new) from crawl_runs").fetchone()[0]
        assert new == len(expected)


def test_opening_waits_out_a_lock_sqlite_reports_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two crawls opening a new archive together can meet an immediate "locked"."""
    configure = Archive._configure
    failures = iter([sqlite3.OperationalError("database is locked")])

    def locked_once(self: Archive) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        configure(self)

    monkeypatch.setattr(Archive, "_configure", locked_once)
    with Archive(tmp_path / "archive.db") as archive:
        assert archive.check() == []

    def broken(self: Archive) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Archive, "_configure", broken)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        Archive(tmp_path / "archive.db")
