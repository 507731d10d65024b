"""Extraction in worker processes (EXTRACTION_PROCESSES): the archive a crawl leaves is the
one extraction in the crawl's process leaves, and a worker's faults stay one page's."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawler.article_page import article_item
from crawler.extraction_processes import (
    ExtractionPool,
    ExtractionProcesses,
    ExtractionTimedOut,
    ExtractionWorkerDied,
    ExtractionWorkersFailed,
)
from crawler.extraction_worker import FetchedPage, StatsCounts, WorkerSetup, extract_article_item
from crawler.faults import fault_recorded
from crawler.items import Article
from crawler.rejections import Counts
from crawler.run_verdict import EXIT_STATUS
from crawler.sitedef import SiteDefinition, load_site
from tests.crawling import (
    CRAWL_ENV,
    DEMO_DEFINITION,
    ROOT,
    Crawl,
    Server,
    crawl,
    crawl_command,
    demo_definition,
    wait_until,
)

FETCHED = datetime(2024, 3, 1, 10, tzinfo=UTC)
SITE = load_site(DEMO_DEFINITION)
URL = "http://127.0.0.1:8750/politics/7"
PAGE = """<html lang="az"><head><meta charset="windows-1251">
<link rel="canonical" href="/politics/7"></head><body>
<h1 class="news-title">Парламент собрался</h1>
<div class="news-meta"><span class="news-date">13 сентября, 14:15</span></div>
<div class="news-text"><p>Парламент собрался во вторник.</p></div></body></html>"""

#: Per table, the rows a crawl leaves, with article ids replaced by the article's URL and
#: without the columns that say when or in which run (and the Date header).
CONTENTS = {
    "articles": "select * from articles",
    "article_versions": "select a.url as article, v.* from article_versions v "
    "join articles a on a.id = v.article_id",
    "article_urls": "select a.url as article, u.url, u.kind from article_urls u "
    "join articles a on a.id = u.article_id",
    "article_authors": "select a.url as article, n.name, x.position from article_authors x "
    "join articles a on a.id = x.article_id join authors n on n.id = x.author_id",
    "article_tags": "select a.url as article, n.name, x.position from article_tags x "
    "join articles a on a.id = x.article_id join tags n on n.id = x.tag_id",
    "raw_pages": "select a.url as article, r.* from raw_pages r "
    "left join articles a on a.id = r.article_id",
}
WHEN = {"id", "article_id", "first_seen_at", "last_seen_at", "fetched_at", "last_fetched_at"}
WHEN |= {"run_id", "seen_at", "duplicate_of"}


def contents(archive: Path) -> dict[str, list[str]]:
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        tables = {}
        for table, sql in CONTENTS.items():
            rows = []
            for row in db.execute(sql):
                values = {k: row[k] for k in row.keys() if k not in WHEN}  # noqa: SIM118
                if "headers" in values:
                    headers = json.loads(values["headers"])
                    values["headers"] = {k: v for k, v in headers.items() if k != "Date"}
                rows.append(json.dumps(values, sort_keys=True, default=repr))
            tables[table] = sorted(rows)
    return tables


def stats(log: str) -> dict[str, Any]:
    """The stats Scrapy dumps at the end of a crawl, those that do not depend on timing."""
    dumped = log[log.index("Dumping Scrapy stats") :]
    found = dict(re.findall(r"'([a-z_/]+[a-z_]+)': (\d+)", dumped))
    counted = ("article/", "selectors/", "articles/", "item_", "log_count/WARNING")
    return {k: int(v) for k, v in found.items() if k.startswith(counted)}


def warnings(log: str) -> list[str]:
    return sorted(re.sub(r"^\S+ \S+ ", "", line) for line in log.splitlines() if "WARNING" in line)


def worker_pids(log: str) -> list[int]:
    match = re.search(r"extracted in \d+ worker processes \(pids ([\d, ]+)\)", log)
    assert match, log[-3000:]
    return [int(pid) for pid in match.group(1).split(", ")]


def archived(archive: Path) -> int:
    try:
        with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as db:
            return db.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:  # no file or no schema yet
        return 0


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@dataclass
class Crawled:
    crawl: Crawl
    archive: Path


@pytest.fixture(scope="module")
def crawls(demo_server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Crawled]:
    """The demo site crawled with extraction here (0) and in two workers (2), a selector
    stale so that pages log and count what they miss."""
    directory = tmp_path_factory.mktemp("extraction")
    text = demo_definition(directory, demo_server.port).read_text(encoding="utf-8")
    stale = directory / "stale.toml"
    stale.write_text(text.replace('body = ".news-text"', 'body = ".story-body"'))
    done = {}
    for processes in (0, 2):
        archive = directory / f"{processes}.db"
        settings = (f"EXTRACTION_PROCESSES={processes}", "LOG_LEVEL=INFO")
        done[processes] = Crawled(crawl(stale, archive, *settings), archive)
    return done


def test_workers_archive_what_the_crawl_process_archives(crawls: dict[int, Crawled]) -> None:
    here, workers = crawls[0], crawls[2]
    assert here.crawl.returncode == workers.crawl.returncode == 0, workers.crawl.log[-3000:]
    expected = contents(here.archive)
    assert len(expected["articles"]) > 50
    assert contents(workers.archive) == expected


def test_workers_count_and_log_what_the_crawl_process_does(crawls: dict[int, Crawled]) -> None:
    here, workers = crawls[0].crawl.log, crawls[2].crawl.log
    assert stats(workers) == stats(here)
    assert stats(here)["selectors/unmatched/body"] > 50
    assert stats(here)["articles/rejected/no_body"] == 1
    assert warnings(workers) == warnings(here)
    assert "selector 'body' (.story-body) matched nothing" in "".join(warnings(here))


def test_workers_stop_with_the_crawl(crawls: dict[int, Crawled]) -> None:
    log = crawls[2].crawl.log
    pids = worker_pids(log)
    assert len(pids) == 2
    assert all(gone(pid) for pid in pids)
    assert "'extraction/workers_started': 2" in log
    assert "'extraction/workers_died': 0" in log
    peak = re.search(r"'extraction/workers_peak_rss_mb': (\d+)", log)
    assert peak and int(peak.group(1)) > 50  # two interpreters with lxml and trafilatura


def test_ctrl_c_stops_crawl_and_workers_after_the_pages_in_hand(
    demo_server: Server, tmp_path: Path
) -> None:
    """SIGINT to the whole process group, as Ctrl-C in a terminal sends it: the workers
    ignore it, the crawl stops cleanly and stops them; a resumed crawl finishes the job."""
    definition = demo_definition(tmp_path, demo_server.port)
    archive, jobdir = tmp_path / "stopped.db", tmp_path / "job"
    settings = ("EXTRACTION_PROCESSES=1", f"JOBDIR={jobdir}", "LOG_LEVEL=INFO")
    command = crawl_command(definition, archive, *settings, "DOWNLOAD_DELAY=0.1")
    log = tmp_path / "crawl.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=CRAWL_ENV, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    served = len(demo_server.requests())
    wait_until(lambda: len(demo_server.requests()) > served + 20, 60, "pages served")
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == EXIT_STATUS["failed"]  # stopped before its end
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert all(gone(pid) for pid in worker_pids(text))
    resumed = crawl(definition, archive, *settings)
    assert resumed.returncode == 0, resumed.log[-3000:]
    assert "Resuming crawl" in resumed.log


def test_a_killed_worker_loses_one_page_and_the_crawl_goes_on(
    demo_server: Server, tmp_path: Path
) -> None:
    """SIGKILL to the worker while it holds a page: that page is one recorded error with
    its URL, a fresh worker takes the rest, and the next run archives the lost page."""
    definition = demo_definition(tmp_path, demo_server.port)
    archive = tmp_path / "killed.db"
    settings = ("EXTRACTION_PROCESSES=1", "LOG_LEVEL=INFO")
    log = tmp_path / "crawl.log"
    with log.open("w") as out:
        command = crawl_command(definition, archive, *settings, "DOWNLOAD_DELAY=0.1")
        process = subprocess.Popen(
            command, cwd=ROOT, env=CRAWL_ENV, stdout=out, stderr=subprocess.STDOUT
        )
    wait_until(lambda: archived(archive), 60, "an article archived")  # the worker is ready
    (pid,) = worker_pids(log.read_text())
    os.kill(pid, signal.SIGSTOP)  # so that it holds a page when killed
    served = len(demo_server.requests())
    wait_until(lambda: len(demo_server.requests()) > served + 10, 30, "more pages served")
    os.kill(pid, signal.SIGKILL)
    assert process.wait(timeout=120) == 0
    text = log.read_text()
    errors = [line for line in text.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, text[-3000:]
    assert "'faults/extraction_worker_died': 1" in text
    died = re.search(
        rf"site 'demo': (\S+): the extraction worker \(pid {pid}\) was killed by SIGKILL "
        "while extracting it; not archived",
        text,
    )
    assert died, text[-3000:]
    assert "'extraction/workers_started': 2" in text
    assert "'extraction/workers_died': 1" in text
    lost = died.group(1)
    with sqlite3.connect(archive) as db:
        urls = {url for (url,) in db.execute("select url from articles")}
    assert lost not in urls
    again = crawl(definition, archive, *settings)
    assert again.returncode == 0, again.log[-3000:]
    with sqlite3.connect(archive) as db:
        assert db.execute("select count(*) from articles where url = ?", (lost,)).fetchone()


def responses() -> list[Response]:
    """Pages as the spider gets them: redirected, decoded from a declared or a detected
    charset, not HTML, not an article."""
    body = PAGE.encode("windows-1251")
    redirects = {"redirect_urls": ["http://127.0.0.1:8750/p/7?ref=home", URL]}
    return [
        HtmlResponse(URL + "/", body=body, request=Request(URL + "/", meta=redirects)),
        HtmlResponse(URL, body=body.replace(b"windows-1251", b"utf-8"), encoding="cp1251"),
        HtmlResponse(URL, body=body, headers={"Content-Type": "text/html; charset=utf-8"}),
        TextResponse(URL, body=b"%PDF", encoding="latin-1", request=Request(URL)),
        HtmlResponse("http://127.0.0.1:8750/login", body=body, request=Request(URL)),
    ]


@pytest.mark.parametrize("response", responses(), ids=range(5))
def test_a_fetched_page_gives_the_item_its_response_gives(response: Response) -> None:
    page = FetchedPage.of(
        response, fetched_at=FETCHED, listing_section="Politics", listing_year=2023
    )
    here, there = StatsCounts(), StatsCounts()
    expected = article_item(
        response, SITE, fetched_at=FETCHED, listing_section="Politics", listing_year=2023,
        stats=here,
    )  # fmt: skip
    assert extract_article_item(page, SITE, there) == expected
    assert there == here


def marked(page: FetchedPage, site: SiteDefinition, stats: Counts) -> Article | None:
    """Extraction that counts, logs, and fails on pages whose URL asks for it."""
    stats.inc_value("test/pages")
    logging.getLogger("tests.extraction").warning("site %r: reading %s", site.name, page.url)
    if page.url.endswith("/raise"):
        raise ValueError(f"cannot read {page.url}")
    if page.url.endswith("/die"):
        os.kill(os.getpid(), signal.SIGKILL)
    return extract_article_item(page, site, stats)


def fetched(url: str) -> FetchedPage:
    response = HtmlResponse(url, body=PAGE.encode("windows-1251"), request=Request(url))
    return FetchedPage.of(response, fetched_at=FETCHED, listing_section=None, listing_year=None)


def extract_all(pool: ExtractionPool, urls: list[str]) -> tuple[list[Any], list[int]]:
    """Each URL's extraction (or exception) by the pool, started and then closed, and the
    pids of its workers just before it closed (a closed pool lists none)."""
    pids: list[int] = []

    async def run() -> list[Any]:
        pool.start()
        try:
            tasks = [pool.extract(fetched(url)) for url in urls]
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        finally:
            pids.extend(pool.pids)
            await pool.close()

    return asyncio.run(run()), pids


def test_pool_returns_items_stats_records_and_errors_and_survives_a_death() -> None:
    pool = ExtractionPool(WorkerSetup(SITE, marked), 2)
    urls = [URL, URL + "/raise", URL + "/die", "http://127.0.0.1:8750/politics/8"]
    (good, raised, died, after), pids = extract_all(pool, urls)
    counts = StatsCounts()
    assert good.item == article_item(
        fetched(URL).response(), SITE, fetched_at=FETCHED, stats=counts
    )
    assert good.counts == {"test/pages": 1, **counts.values}
    assert [r.getMessage() for r in good.records] == [f"site 'demo': reading {URL}"]
    assert isinstance(raised.error, ValueError)
    assert str(raised.error) == f"cannot read {URL}/raise"
    assert "in marked" in raised.error.__notes__[0]  # the worker's traceback
    assert isinstance(died, ExtractionWorkerDied)
    assert f"{URL}/die: the extraction worker (pid " in str(died)
    assert "was killed by SIGKILL while extracting it" in str(died)
    assert after.item is not None
    assert after.item.raw_page["url"] == "http://127.0.0.1:8750/politics/8"
    assert (pool.started, pool.died, len(pool.usages)) == (3, 1, 2)
    pids.append(int(re.findall(r"\(pid (\d+)\)", str(died))[0]))
    assert len(set(pids)) == 3
    assert all(gone(pid) for pid in pids)


def hanging(page: FetchedPage, site: SiteDefinition, stats: Counts) -> None:
    """Extraction that never returns on pages whose URL asks for it (a runaway regex), and
    only counts the others (real extraction's first page in a process takes a second)."""
    while page.url.endswith("/hang"):
        time.sleep(1)
    stats.inc_value(f"test/{page.url}")


def test_a_page_over_the_timeout_fails_alone_and_its_worker_is_replaced() -> None:
    """The worker is killed; the pages sent to it after the hanging one are extracted by
    its replacement."""
    pool = ExtractionPool(WorkerSetup(SITE, hanging), 1, timeout=1.5)
    urls = [URL, URL + "/hang", URL + "/8", URL + "/9"]
    (first, hung, after, last), pids = extract_all(pool, urls)
    assert isinstance(hung, ExtractionTimedOut)
    killed = re.fullmatch(
        rf"site 'demo': {URL}/hang: extraction took longer than 1.5 s \(EXTRACTION_TIMEOUT\); "
        r"its worker \(pid (\d+)\) was killed; not archived",
        str(hung),
    )
    assert killed
    assert [r.counts for r in (first, after, last)] == [
        {f"test/{URL}": 1}, {f"test/{URL}/8": 1}, {f"test/{URL}/9": 1},
    ]  # fmt: skip
    assert (pool.started, pool.died) == (2, 1)
    assert all(gone(pid) for pid in [*pids, int(killed[1])])


#: Set in a worker process once it has extracted a page ending in /a.
_after_a = False


def slow_after_a(page: FetchedPage, site: SiteDefinition, stats: Counts) -> None:
    """/a takes 0.3 s; in the worker that took it, /b then takes 5 s (elsewhere none)."""
    global _after_a
    if page.url.endswith("/a"):
        time.sleep(0.3)
        _after_a = True
    elif page.url.endswith("/b") and _after_a:
        time.sleep(5)
    stats.inc_value(f"test/{page.url}")


def test_a_worker_killed_after_its_overdue_page_answered_fails_no_page() -> None:
    """The crawl's loop, busy past /a's deadline, finds /a's answer waiting only after the
    deadline has killed the worker, then on /b: /b did not overrun, and is extracted again."""

    async def run() -> tuple[list[Any], ExtractionPool]:
        pool = ExtractionPool(WorkerSetup(SITE, slow_after_a), 1, timeout=1.0)
        pool.start()
        try:
            await pool.extract(fetched(URL))  # the worker is ready
            tasks = [asyncio.ensure_future(pool.extract(fetched(URL + p))) for p in ("/a", "/b")]
            await asyncio.sleep(0.05)  # both sent
            time.sleep(1.5)  # the crawl's own work holds the loop past /a's deadline
            return list(await asyncio.gather(*tasks, return_exceptions=True)), pool
        finally:
            await pool.close()

    (a, b), pool = asyncio.run(run())
    assert a.counts == {f"test/{URL}/a": 1}
    assert b.counts == {f"test/{URL}/b": 1}  # from the replacement worker
    assert (pool.started, pool.died) == (2, 1)


@pytest.mark.parametrize("timeout", ["-1", "nan", "inf", "soon"])
def test_a_timeout_that_is_not_seconds_is_refused_by_name(timeout: str) -> None:
    crawler = get_crawler(settings_dict={"EXTRACTION_PROCESSES": 1, "EXTRACTION_TIMEOUT": timeout})
    with pytest.raises(ValueError, match=f"EXTRACTION_TIMEOUT must be .*, not '{timeout}'"):
        ExtractionProcesses.from_crawler(crawler, SITE)


def test_a_timed_out_page_is_a_fault_of_the_crawl_with_its_url() -> None:
    crawler = get_crawler(settings_dict={"EXTRACTION_PROCESSES": 1, "EXTRACTION_TIMEOUT": 1.5})
    extension = ExtractionProcesses.from_crawler(crawler, SITE, hanging)
    assert extension is not None
    faults: list[tuple[str, str]] = []

    def recorded(kind: str, url: str, detail: str) -> None:
        faults.append((kind, url))

    crawler.signals.connect(recorded, fault_recorded)
    url = URL + "/hang"
    response = HtmlResponse(url, body=PAGE.encode("windows-1251"), request=Request(url))

    async def run() -> None:
        extension.spider_opened()
        try:
            with pytest.raises(ExtractionTimedOut):
                await extension.article_item(
                    response, fetched_at=FETCHED, listing_section=None, listing_year=None
                )
        finally:
            await extension.spider_closed()

    asyncio.run(run())
    assert faults == [("extraction_timeout", url)]
    assert crawler.stats.get_value("faults/extraction_timeout") == 1
    assert crawler.stats.get_value("extraction/workers_died") == 1


def badly_logged(page: FetchedPage, site: SiteDefinition, stats: Counts) -> Article | None:
    """Extraction whose library code makes a logging mistake: logging reports it, the page
    is extracted all the same, as in the crawl's process."""
    logging.getLogger("tests.extraction").warning("%s and %s", page.url)
    return extract_article_item(page, site, stats)


def test_workers_ignore_stop_signals_and_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service manager's SIGTERM or SIGHUP reaches every process of a crawl: the crawl
    stops its workers itself. A module in the crawl's working directory is not imported."""
    (tmp_path / "struct.py").write_text("raise SystemExit('imported from the working directory')")
    monkeypatch.chdir(tmp_path)

    async def run() -> tuple[Any, ExtractionPool]:
        pool = ExtractionPool(WorkerSetup(SITE, badly_logged), 1)
        pool.start()
        try:
            first = await pool.extract(fetched(URL))
            (pid,) = pool.pids
            for stop in (signal.SIGTERM, signal.SIGHUP):
                os.kill(pid, stop)
            return await pool.extract(fetched(URL)), pool
        finally:
            await pool.close()
            assert first.item is not None

    extraction, pool = asyncio.run(run())
    assert extraction.item is not None
    assert extraction.records == []
    assert (pool.started, pool.died) == (1, 0)


def test_a_worker_that_dies_while_starting_fails_the_pool() -> None:
    async def run() -> BaseException | None:
        pool = ExtractionPool(WorkerSetup(SITE), 1)
        pool.start()
        (pid,) = pool.pids
        os.kill(pid, signal.SIGKILL)  # while it imports
        try:
            await pool.extract(fetched(URL))
        except ExtractionWorkersFailed as error:
            return error
        finally:
            await pool.close()
        return None

    error = asyncio.run(run())
    assert error is not None
    assert "an extraction worker (pid" in str(error)
    assert "was killed by SIGKILL while starting" in str(error)


def test_workers_end_when_the_crawl_is_killed(demo_server: Server, tmp_path: Path) -> None:
    """SIGKILL to the crawl: its workers see their socket close and exit, leaving nothing."""
    definition = demo_definition(tmp_path, demo_server.port)
    archive = tmp_path / "killed.db"
    log = tmp_path / "crawl.log"
    settings = ("EXTRACTION_PROCESSES=2", "LOG_LEVEL=INFO", "DOWNLOAD_DELAY=0.05")
    with log.open("w") as out:
        process = subprocess.Popen(
            crawl_command(definition, archive, *settings),
            cwd=ROOT, env=CRAWL_ENV, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_until(lambda: archived(archive), 60, "an article archived")
    pids = worker_pids(log.read_text())
    process.kill()
    process.wait(timeout=10)
    wait_until(lambda: all(gone(pid) or zombie(pid) for pid in pids), 10, "the workers' exit")


def zombie(pid: int) -> bool:
    """Exited, waiting to be reaped by init (their parent was killed)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
