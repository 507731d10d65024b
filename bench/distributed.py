"""Distributed crawling: 1, 2 and 4 workers on one local site, and the writer's ingest rate.

    .venv/bin/python bench/distributed.py [--articles 300] [--delay 0.5] [--workers 1 2 4]
                                          [--repeat 1] [--messages 20000]

A generated site is served on 127.0.0.1 with a per-request delay, so a crawl is bound by
waiting on the network as real crawls are; a real redis-server is started on a free port.
Each configuration crawls the whole site into a fresh Redis and a fresh archive with one
`archive ingest` writer, and reports pages/s (from the server's log: first request in to
last answer out), the speed-up over one worker, the Redis commands per page, and checks
that nothing was lost (every article archived) or fetched twice (server's request counts).

The writer is then timed alone: --messages article messages pushed to Redis and drained
by ``RedisIngest`` into a fresh archive (publishing each batch's known articles, as it
does for workers), beside the same rows written straight with
``Archive.upsert_articles`` in batches of 500, which is what the local pipeline does.

Last, the Redis memory the workers' known articles take (``MEMORY USAGE`` of a site's
hash, per 1,000 URLs): as the writer published the timed articles (short URLs, no
validators), and for --known entries shaped like a real site's (90-character URLs, an
ETag and a Last-Modified each).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import Archive, redis_codec  # noqa: E402
from archive.ingest import ITEMS_KEY, Keys, RedisIngest  # noqa: E402
from archive.redis_publish import encode_known, known_field  # noqa: E402
from demosite.generate import generate_site  # noqa: E402
from tests.crawling import (  # noqa: E402
    CRAWL_ENV,
    Server,
    crawl_command,
    demo_definition,
    start_server,
)
from tests.redis_server import redis_server  # noqa: E402

ARCHIVE_COMMAND = str(Path(sys.executable).with_name("archive"))
PER_WORKER_CONCURRENCY = 4


def crawl_once(
    workers: int, url: str, site: Path, manifest: list[dict[str, Any]], work: Path, delay: float
) -> dict[str, float]:
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.config_resetstat()
    log = work / f"requests-{workers}-{time.monotonic_ns()}.jsonl"
    server = start_server(site, log, delay=delay)
    archive = work / f"archive-{workers}-{time.monotonic_ns()}.db"
    definition = demo_definition(work, server.port)
    try:
        writer = subprocess.Popen(
            [ARCHIVE_COMMAND, "ingest", "--redis", url, "--db", str(archive)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Workers wait for the writer to publish what the archive holds (nothing, here).
        while not client.exists(Keys(ITEMS_KEY).published):
            time.sleep(0.05)
        started = time.monotonic()
        crawls = [
            subprocess.Popen(
                crawl_command(
                    definition,
                    work / f"no-worker-writes-here-{n}.db",
                    f"REDIS_URL={url}",
                    f"WORKER_ID=bench{n}",
                    f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_WORKER_CONCURRENCY}",
                    "LOG_LEVEL=WARNING",
                ),
                cwd=ROOT,
                env=CRAWL_ENV,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(workers)
        ]
        codes = [crawl.wait() for crawl in crawls]
        wall = time.monotonic() - started
        keys = Keys(ITEMS_KEY)
        while client.llen(keys.items) or client.llen(keys.processing):
            time.sleep(0.1)
        writer.send_signal(signal.SIGTERM)
        writer.wait()
        commands = sum(
            stats["calls"]
            for name, stats in client.info("commandstats").items()
            if name not in ("cmdstat_flushdb", "cmdstat_config|resetstat", "cmdstat_info")
        )
        return _measure(server, manifest, archive, codes, wall, commands)
    finally:
        server.stop()
        client.close()


def _measure(
    server: Server,
    manifest: list[dict[str, Any]],
    archive: Path,
    codes: list[int],
    wall: float,
    commands: int,
) -> dict[str, float]:
    requests = [r for r in server.requests() if r["path"] != "/robots.txt"]
    counts = Counter(r["path"] for r in requests)
    span = max(r["end"] for r in requests) - min(r["start"] for r in requests)
    with Archive(archive) as opened:
        archived = opened.stats().articles
    expected = sum(not a["rejected"] for a in manifest)
    return {
        "pages": len(requests),
        "pages_per_s": len(requests) / span,
        "wall": wall,
        "twice": sum(count > 1 for count in counts.values()),
        "missing": expected - archived,
        "failed": sum(code != 0 for code in codes),
        "commands_per_page": commands / len(requests),
    }


def writer_rates(url: str, messages: int, work: Path) -> tuple[float, float]:
    """Articles/s through Redis and the writer, and straight into the archive."""
    rows = [_row(n) for n in range(messages)]
    client = redis.Redis.from_url(url)
    client.flushdb()
    pipe = client.pipeline(transaction=False)
    for row in rows:
        pipe.lpush(ITEMS_KEY, redis_codec.dumps({"kind": "article", "run": "bench", "row": row}))
    pipe.execute()
    with Archive(work / f"ingest-{time.monotonic_ns()}.db") as archive:
        started = time.perf_counter()
        RedisIngest(client, archive).run(drain=True)
        through_redis = messages / (time.perf_counter() - started)
    with Archive(work / f"direct-{time.monotonic_ns()}.db") as archive:
        started = time.perf_counter()
        for start in range(0, messages, 500):
            archive.upsert_articles(rows[start : start + 500])
        direct = messages / (time.perf_counter() - started)
    client.close()
    return through_redis, direct


def known_bytes_per_1000(client: redis.Redis, key: str) -> float:
    usage = client.memory_usage(key, samples=0) or 0
    return usage / client.hlen(key) * 1000


def realistic_known(url: str, entries: int) -> float:
    """Bytes per 1,000 known URLs shaped like a real news site's."""
    client = redis.Redis.from_url(url)
    key = Keys(ITEMS_KEY).known("realistic")
    client.delete(key)
    pipe = client.pipeline(transaction=False)
    for n in range(entries):
        article_url = (
            f"https://www.daily-news.example/politics/2026/09/13/"
            f"minister-answers-questions-on-the-budget-{n:07d}"
        )
        since = f"2026-09-{1 + n % 28:02d}T10:15:00+00:00"
        value = encode_known(since, f'"6501{n:08x}-1b2c3"', "Wed, 13 Sep 2026 10:15:00 GMT")
        pipe.hset(key, known_field(article_url), value)
        if len(pipe) >= 1000:
            pipe.execute()
    pipe.execute()
    per_1000 = known_bytes_per_1000(client, key)
    client.close()
    return per_1000


def _row(n: int) -> dict[str, Any]:
    return {
        "url": f"https://news.example/politics/{n}",
        "site": "example",
        "section": "politics",
        "title": f"Headline number {n}",
        "authors": ["Anna Müller"],
        "published_at": "2026-09-13T10:15:00+00:00",
        "published_raw": "13 Sep 2026, 14:15",
        "published_year_source": "date",
        "modified_at": None,
        "modified_raw": None,
        "language": "en",
        "summary": "A summary of the article.",
        "body": f"Body of article {n}. " * 150,
        "tags": ["election"],
        "image_url": None,
        "published_source": None,
        "seen_at": "2026-11-25T10:00:00+00:00",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--delay", type=float, default=0.5, help="server delay per request (s)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--known", type=int, default=100000, help="realistic known URLs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        manifest = generate_site(work / "site", articles=args.articles)
        with redis_server(work) as url:
            print(
                f"{args.articles} articles, server delay {args.delay}s, "
                f"{PER_WORKER_CONCURRENCY} requests at once per worker, median of {args.repeat}"
            )
            print("workers  pages/s  speed-up  wall s  redis cmds/page  fetched twice  lost")
            base = None
            for workers in args.workers:
                runs = [
                    crawl_once(workers, url, work / "site", manifest, work, args.delay)
                    for _ in range(args.repeat)
                ]
                rate = statistics.median(run["pages_per_s"] for run in runs)
                base = base or rate
                failed = sum(run["failed"] for run in runs)
                print(
                    f"{workers:7d}  {rate:7.1f}  {rate / base:7.2f}x  "
                    f"{statistics.median(run['wall'] for run in runs):6.1f}  "
                    f"{statistics.median(run['commands_per_page'] for run in runs):15.1f}  "
                    f"{max(run['twice'] for run in runs):13d}  "
                    f"{max(run['missing'] for run in runs):4d}"
                    + (f"  ({failed} workers failed)" if failed else "")
                )
            through_redis, direct = writer_rates(url, args.messages, work)
            print(
                f"writer: {through_redis:.0f} articles/s through Redis and `archive ingest`, "
                f"{direct:.0f} articles/s straight into the archive "
                f"(ratio {through_redis / direct:.2f})"
            )
            client = redis.Redis.from_url(url)
            published = known_bytes_per_1000(client, Keys(ITEMS_KEY).known("example"))
            client.close()
            print(
                f"known articles in Redis: {published / 1024:.0f} KiB per 1,000 URLs as "
                f"published for the timed articles; {realistic_known(url, args.known) / 1024:.0f} "
                f"KiB per 1,000 URLs shaped like a real site's ({args.known} URLs)"
            )


if __name__ == "__main__":
    main()
