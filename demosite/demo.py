"""`make demo`: generate the demo site, serve it, crawl it for real, show the archive.

Every step is the command a user would type, run as a subprocess: the server
(`python -m demosite serve`), the crawl (`scrapy crawl demo`) and the report
(`archive stats`), so what the demo shows is exactly what those commands do.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sitedef import bundled_sites, load_site
from demosite.generate import generate_site

SITE_DIR = Path("demo-site")
ARCHIVE = Path("demo.db")
#: The port the bundled definition, crawler/sites/demo.toml, points at.
PORT = urlsplit(load_site(bundled_sites()["demo"]).start_urls[0]).port or 80
#: Fast on loopback, and still non-zero so that per-domain concurrency limits hold.
DOWNLOAD_DELAY = "0.02"
SAMPLE_QUERIES = (
    """select section, published_raw, published_at, title
       from articles where site = 'demo' order by published_at desc limit 5""",
    # The page prints no year: how was each decided?
    """select published_year_source, count(*), min(published_at)
       from articles where site = 'demo' group by 1 order by 2 desc""",
)


def run_demo(articles: int = 240) -> int:
    """Returns the exit status: the crawl's, or 1 when the server could not start."""
    if not (SITE_DIR / "manifest.json").exists():
        # Generated once, so a second `make demo` re-crawls the same site and shows an
        # incremental crawl: no new rows; recent articles re-checked, the others skipped.
        generate_site(SITE_DIR, articles=articles)
    print(f"demo site: {SITE_DIR}/ ({articles} articles), archive: {ARCHIVE}", flush=True)
    with _server() as base_url:
        if base_url is None:
            return 1
        crawl = [sys.executable, "-m", "scrapy", "crawl", "demo"]
        crawl += ["-s", f"ARCHIVE_PATH={ARCHIVE}", "-s", f"DOWNLOAD_DELAY={DOWNLOAD_DELAY}"]
        crawl += ["-s", f"AUTOTHROTTLE_START_DELAY={DOWNLOAD_DELAY}"]
        status = subprocess.call(crawl)
    if status != 0:
        return status
    print("\n$ archive stats --db demo.db", flush=True)
    archive_command = Path(sys.executable).with_name("archive")
    subprocess.call([str(archive_command), "stats", "--db", str(ARCHIVE)])
    _print_sample()
    return 0


@contextmanager
def _server() -> Iterator[str | None]:
    command = [sys.executable, "-m", "demosite", "serve", str(SITE_DIR), "--port", str(PORT)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    try:
        if match is None:
            print(f"demo server did not start on 127.0.0.1:{PORT} (is the port in use?)")
            yield None
        else:
            print(line.strip(), flush=True)
            yield match.group(0)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def _print_sample() -> None:
    with sqlite3.connect(ARCHIVE) as db:
        for query in SAMPLE_QUERIES:
            print(f'\n$ sqlite3 demo.db "{" ".join(query.split())}"')
            for row in db.execute(query):
                print(" | ".join(str(value) for value in row))
    print(
        '\nTry: sqlite-utils demo.db "select title, published_at from articles '
        "where body like '%Iron Dome%'\" --table"
    )
