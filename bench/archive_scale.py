"""The archive at scale: ingest, lookups, queries, search, export and size on N articles.

Builds an archive of synthetic articles (default 1,000,000) through the crawl's own write
path: Article items with their URL variants and raw HTML pages go through the
`ArchiveArticles` pipeline (`archive_row`, batches, `Archive.upsert_articles`: content
hashes, versions, URL aliases, authors/tags tables, FTS triggers, MinHash near-duplicate
signatures and raw page compression). Only the writes are timed, not making the items.
Then it times the questions users ask (median of many), the export formats, and reports
the file size per 1,000 articles, and what compressing the stored text would save
(with the codec raw pages are stored in).

    .venv/bin/python bench/archive_scale.py [--articles 1000000] [--db PATH] [--keep] [--steps]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.utils.test import get_crawler
from sqlite_utils import Database

from archive import Archive, neardup, rawpages
from archive import db as archive_db
from archive.export import export
from archive.search import ArticleFilter, search
from crawler import pipelines
from crawler.items import Article
from crawler.pipelines import ArchiveArticles

SITES = [f"site{n:02d}" for n in range(10)]
SECTIONS = ["politics", "economy", "society", "world", "sport", "culture"]
TAGS = [f"tag{n}" for n in range(400)]
AUTHORS = [f"Author {n}" for n in range(2000)]
START = datetime(2015, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 11, 1, tzinfo=UTC) - START).total_seconds())
SEEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
#: Samples per timed question; the median is reported.
SAMPLES = 200


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    """Made-up words with Zipf-like frequencies, as in running text."""
    syllables = ["ka", "lo", "mi", "ne", "ra", "tu", "so", "vi", "de", "an", "el", "or", "is", "ba"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(size * 2)})
    rng.shuffle(words)
    words = words[:size]
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1 / rank
        cumulative.append(total)
    return words, cumulative


class Generator:
    """Deterministic synthetic articles: bodies of 4-8 paragraphs of 40-90 words."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words, self.cumulative = vocabulary(self.rng)

    def sentence_words(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def article(self, n: int) -> Article:
        rng = self.rng
        site, section = SITES[n % len(SITES)], rng.choice(SECTIONS)
        url = f"https://{site}.example/{section}/{n}"
        paragraphs = [
            " ".join(self.sentence_words(rng.randint(40, 90))).capitalize() + "."
            for _ in range(rng.randint(4, 8))
        ]
        body = "\n\n".join(paragraphs)
        title = " ".join(self.sentence_words(rng.randint(5, 10))).capitalize()
        summary = paragraphs[0][:200]
        published = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        html = (
            f"<html lang='en'><head><title>{title}</title><meta name='description' "
            f"content='{summary}'><link rel='canonical' href='{url}'></head><body>"
            "<nav><a href='/'>Home</a> <a href='/politics/'>Politics</a> "
            "<a href='/economy/'>Economy</a></nav>"
            f"<h1>{title}</h1><time>{published.isoformat()}</time><article>"
            + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "</article><footer>© Example media. All rights reserved.</footer></body></html>"
        )
        return Article(
            url=url,
            site=site,
            section=section,
            title=title,
            authors=rng.sample(AUTHORS, rng.randint(1, 2)),
            published_at=published.isoformat(),
            published_raw=published.strftime("%d %B %Y, %H:%M"),
            published_year_source="date",
            published_source="time",
            language="en",
            summary=summary,
            body=body,
            tags=rng.sample(TAGS, rng.randint(1, 4)),
            seen_at=SEEN,
            urls=[(url, "canonical"), (url + "?utm_source=rss", "requested")],
            raw_page={
                "url": url,
                "status": 200,
                "headers": {"Content-Type": ["text/html; charset=utf-8"]},
                "body": html.encode(),
                "fetched_at": SEEN.isoformat(),
                "site": site,
                "listing_section": section,
                "listing_year": None,
            },
        )


def ingest(path: Path, count: int, batch_size: int, seed: int) -> tuple[float, float]:
    """Feed `count` items through the ArchiveArticles pipeline; return the wall-clock and
    CPU seconds spent in it (on a shared machine the CPU time is the steadier figure)."""
    crawler = get_crawler(
        settings_dict={
            "ARCHIVE_PATH": str(path),
            "ARCHIVE_BATCH_SIZE": batch_size,
            "ARCHIVE_FLUSH_SECONDS": 3600,
        }
    )
    pipeline = ArchiveArticles.from_crawler(crawler)
    generator = Generator(seed)
    spent = cpu = 0.0
    started, started_cpu = time.perf_counter(), time.process_time()
    pipeline.open_spider()
    spent += time.perf_counter() - started
    cpu += time.process_time() - started_cpu
    report_every = max(count // 20, batch_size)
    for start in range(0, count, batch_size):
        items = [generator.article(n) for n in range(start, min(start + batch_size, count))]
        started, started_cpu = time.perf_counter(), time.process_time()
        for item in items:
            pipeline.process_item(item)
        pipeline.flush()
        spent += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        done = start + len(items)
        if done % report_every < batch_size:
            print(f"  {done:>9,} articles, {done / spent:,.0f}/s", file=sys.stderr, flush=True)
    started, started_cpu = time.perf_counter(), time.process_time()
    pipeline.close_spider()
    spent += time.perf_counter() - started
    cpu += time.process_time() - started_cpu
    new = crawler.stats.get_value("archive/new", 0)
    if new != count:
        raise SystemExit(f"expected {count} new articles, the archive counted {new}")
    return spent, cpu


class StepTimes:
    """CPU time of each step of the write path (`--steps`): every SQL statement the archive
    runs, by its text, and the Python steps around them, each in the CPU time of the thread
    that ran it (`time.thread_time`), so that the preparing thread's work is told apart.

    Patched in for this measurement only: the archive's connections are made with a
    `sqlite3.Connection` that times its statements, and the steps' functions are wrapped.
    """

    #: (module, function, label) of the Python steps timed.
    STEPS = (
        (archive_db, "_checked_input", "validation of the input (_checked_input)"),
        (archive_db, "_prepare", "prepared in the second thread (_prepare)"),
        (neardup, "signatures", "  of which MinHash signatures"),
        (neardup, "match_new_articles", "near-duplicate matching, its lookups included"),
        (pipelines, "archive_row", "the pipeline's archive_row"),
    )

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def add(self, label: str, started: float) -> None:
        self.seconds[label] += time.thread_time() - started
        self.calls[label] += 1

    @contextmanager
    def patched(self) -> Iterator[None]:
        times = self

        class TimedConnection(sqlite3.Connection):
            def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
                started = time.thread_time()
                try:
                    return super().execute(sql, *args)
                finally:
                    times.add(_statement(sql), started)

            def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
                started = time.thread_time()
                try:
                    return super().executemany(sql, *args)
                finally:
                    times.add("(many) " + _statement(sql), started)

        def database(path: str | Path) -> Database:
            return Database(sqlite3.connect(str(path), factory=TimedConnection))

        def timed(function: Callable[..., Any], label: str) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.thread_time()
                try:
                    return function(*args, **kwargs)
                finally:
                    times.add(label, started)

            return run

        originals = [(module, name, getattr(module, name)) for module, name, _ in self.STEPS]
        originals.append((archive_db, "Database", archive_db.Database))
        try:
            for module, name, label in self.STEPS:
                setattr(module, name, timed(getattr(module, name), label))
            archive_db.Database = database  # type: ignore[assignment,misc]
            yield
        finally:
            for module, name, original in originals:
                setattr(module, name, original)

    def report(self, articles: int, top: int = 24) -> None:
        print("CPU per article, by step (thread CPU time; statements run in the writing thread):")
        for label, seconds in self.seconds.most_common(top):
            print(f"  {seconds / articles * 1e6:8.1f} µs  {self.calls[label]:6d} calls  {label}")


def _statement(sql: str) -> str:
    """A statement's text, short, without its run of placeholders."""
    text = " ".join(sql.split())
    return re.sub(r"\(\?.*", "(...)", text)[:70]


def median_ms(samples: int, run: Callable[[int], Any]) -> float:
    times = []
    for i in range(samples):
        started = time.perf_counter()
        run(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def questions(archive: Archive, count: int, seed: int) -> list[tuple[str, float]]:
    rng = random.Random(seed + 1)
    ids = [rng.randrange(count) for _ in range(SAMPLES)]
    urls = [
        archive.db.execute("SELECT url FROM articles WHERE id = ?", [n + 1]).fetchone()[0]
        for n in ids
    ]
    db = archive.db

    def range_query(i: int) -> list[Any]:
        day = START + timedelta(days=rng.randrange(SPAN_SECONDS // 86400 - 30))
        article_filter = ArticleFilter(
            site=rng.choice(SITES),
            section=rng.choice(SECTIONS),
            since=day.isoformat(),
            until=(day + timedelta(days=30)).isoformat(),
        )
        where, params = article_filter.where()
        return db.execute(
            f"SELECT id, title, published_at FROM articles WHERE {where} "
            "ORDER BY published_at DESC LIMIT 100",
            params,
        ).fetchall()

    words = Generator(seed).words
    rare = words[5000:5200]
    common = words[20:220]
    return [
        (
            "lookup by canonical URL (find_article)",
            median_ms(SAMPLES, lambda i: archive.find_article(urls[i])),
        ),
        (
            "lookup by a tracking-parameter variant",
            median_ms(SAMPLES, lambda i: archive.find_article(urls[i] + "?utm_source=rss")),
        ),
        ("site + section + 30-day range, newest 100", median_ms(SAMPLES, range_query)),
        ("FTS, a rare word, best 20 by rank", median_ms(SAMPLES, lambda i: search(db, rare[i]))),
        (
            "FTS, two common words, newest 20",
            median_ms(20, lambda i: search(db, f"{common[i]} {common[i + 1]}", order="newest")),
        ),
    ]


class Discard(io.RawIOBase):
    """A binary sink that counts what it is given."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


def exports(archive: Archive) -> Iterator[tuple[str, float, int]]:
    for fmt in ("jsonl", "csv", "parquet"):
        sink = Discard()
        started = time.perf_counter()
        rows = export(archive.db, sink, fmt)  # type: ignore[arg-type]
        yield fmt, rows / (time.perf_counter() - started), sink.size


#: Runs `archive export` and prints its peak memory (kB) after the imports, then at the
#: end. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, from the (large) parent.
EXPORT_PROCESS = """import re, sys
from pathlib import Path
def peak():
    return re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)
from archive.cli import cli
imported = peak()
cli.main(sys.argv[1:], standalone_mode=False)
print(imported, peak(), file=sys.stderr)
"""


def export_peak_memory(path: Path) -> Iterator[tuple[str, float, float]]:
    """Peak resident memory (MB) of an `archive export` process over the whole archive,
    after its imports and at the end: what streaming means for a user."""
    for fmt in ("jsonl", "parquet"):
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"out.{fmt}"
            command = ["export", "--db", str(path), "-o", str(target)]
            process = subprocess.run(
                [sys.executable, "-c", EXPORT_PROCESS, *command],
                check=True,
                capture_output=True,
                text=True,
            )
        imported, peak = map(int, process.stderr.splitlines()[-1].split())
        yield fmt, imported / 1024, peak / 1024


def sizes(archive: Archive, path: Path, count: int) -> dict[str, float]:
    """Bytes per 1,000 articles: the file, its tables, and the text with and without compression."""
    db = archive.db
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    per_k = 1000 / count
    tables = {
        name: size * per_k
        for name, size in db.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    }
    text_columns = " + ".join(
        f"length(CAST(coalesce({column}, '') AS BLOB))" for column in ("title", "summary", "body")
    )
    stored_text = sum(
        db.execute(f"SELECT sum({text_columns}) FROM {table}").fetchone()[0]
        for table in ("articles", "article_versions")
    )
    # What the raw pages' codec (per row, as they are stored) makes of the same text: a sample.
    sample = db.execute(
        "SELECT title, coalesce(summary, ''), body FROM articles ORDER BY random() LIMIT 5000"
    ).fetchall()
    plain = sum(len("\x1f".join(row).encode()) for row in sample)
    packed = sum(len(rawpages.compress("\x1f".join(row).encode())) for row in sample)
    raw_received, raw_stored = db.execute(
        "SELECT sum(body_size), sum(length(body)) FROM raw_pages"
    ).fetchone()
    file_size = path.stat().st_size
    saved = stored_text * (1 - packed / plain)
    return {
        "file": file_size * per_k,
        f"file, stored text {rawpages.CODEC}-compressed (estimate)": (file_size - saved) * per_k,
        "stored text (articles + versions)": stored_text * per_k,
        f"  {rawpages.CODEC} ratio of that text": packed / plain,
        "raw pages as received": raw_received * per_k,
        f"raw pages as stored ({rawpages.CODEC})": raw_stored * per_k,
        **{f"table {name}": size for name, size in list(tables.items())[:8]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="ARCHIVE_BATCH_SIZE")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--db", type=Path, help="archive file (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the archive file")
    parser.add_argument(
        "--steps", action="store_true", help="time each step of the ingest, then stop"
    )
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="archive-scale-", dir=os.environ.get("TMPDIR"))
    path = args.db or Path(directory) / "scale.db"
    if path.exists():
        raise SystemExit(f"{path} exists: give a new file")
    print(f"{args.articles:,} synthetic articles into {path}, batches of {args.batch}", flush=True)
    steps = StepTimes()
    with steps.patched() if args.steps else nullcontext():
        seconds, cpu = ingest(path, args.articles, args.batch, args.seed)
    rate, cpu_rate = args.articles / seconds, args.articles / cpu
    print(f"ingest through ArchiveArticles:  {rate:10,.0f} articles/s  ({seconds:.0f} s wall)")
    print(f"                  per CPU second: {cpu_rate:10,.0f} articles/s  ({cpu:.0f} s CPU)")
    print(f"load average during the run:     {os.getloadavg()[0]:10.1f} on {os.cpu_count()} CPUs")
    if args.steps:
        steps.report(args.articles)
        remove(path, args.db is None and not args.keep, directory)
        return
    with Archive(path) as archive:
        for name, ms in questions(archive, args.articles, args.seed):
            print(f"{name:<45} {ms:8.2f} ms (median)")
        for fmt, rate, size in exports(archive):
            per_article = size / args.articles
            print(f"export {fmt:<8} {rate:10,.0f} articles/s  {per_article:8,.0f} bytes/article")
        for fmt, imported, peak in export_peak_memory(path):
            print(
                f"archive export to .{fmt:<8} peak memory {peak:5.0f} MB ({imported:.0f} at start)"
            )
        print("size per 1,000 articles:")
        for name, value in sizes(archive, path, args.articles).items():
            shown = f"{value:.2f}" if value < 1 else f"{value / 1e6:8.2f} MB"
            print(f"  {name:<45} {shown}")
    remove(path, args.db is None and not args.keep, directory)


def remove(path: Path, temporary: bool, directory: str) -> None:
    """The archive file, if it was a temporary one, and the temporary directory."""
    if temporary:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    with suppress(OSError):  # not empty: the file was kept there
        os.rmdir(directory)


if __name__ == "__main__":
    main()
