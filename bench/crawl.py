"""Crawl throughput: the project's full crawl side by side with bare Scrapy, in one run.

    python bench/crawl.py [--articles 20000] [--repeat 3] [--extraction-processes 1,0]
                          [--site-dir DIR]

Generates the demo site with heavy pages (30-80 KB, demosite/furniture.py) once per
size, serves it from a separate `python -m demosite serve` process on 127.0.0.1, and
crawls it three ways, each into a fresh archive, in turn within each repetition:

  a  bare Scrapy (bench/bare_spider.py): the same links, a trivial item, no pipeline
  b  the project's crawl with the demo site's selectors (crawler/sites/demo.toml)
  c  the project's crawl with no selectors: metadata and generic extraction

b and c run with EXTRACTION_PROCESSES = 1 (extraction in one worker process beside the
crawl, as bench/README.md recommends for a machine with a core to spare), or with each
value of --extraction-processes in turn (b1, b0, c1, c0 for `1,0`): the verdict is the
first value's. All crawls get the same politeness settings (POLITENESS below). Each crawl
is a process of its own, measured by the kernel (`wait4`): CPU seconds (user + system,
its extraction workers' included: it reaps them) and peak RSS (the largest process's; the
workers' own peaks, which they report, are printed beside it and added in the summary).
The demo server's CPU during each crawl is printed too. Ratios are taken within each
repetition (the crawls run in turn, so each ratio compares crawls made under the same
conditions) and their median printed. The last line, `b/a=<ratio> c/a=<ratio>`, is the
ratio of pages per second (wall clock), the verdict the issue asks for; the line before it
gives the ratio of pages per CPU second (workers included), the throughput ratio of crawls
that each have one core. Wall-clock figures depend on what else the machine runs, so the
load average is printed after each crawl and in the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crawling import start_server  # noqa: E402

DEMO_DEFINITION = ROOT / "crawler" / "sites" / "demo.toml"
BARE_SPIDER = ROOT / "bench" / "bare_spider.py"
#: Equal for the three crawls. DOWNLOAD_DELAY 0 measures the ceiling; with it Scrapy may
#: run more than CONCURRENT_REQUESTS_PER_DOMAIN requests at once, equally for all three.
POLITENESS = {
    "ROBOTSTXT_OBEY": "True",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "AUTOTHROTTLE_ENABLED": "False",
    "USER_AGENT": "news-archiver-bench",
    "TELNETCONSOLE_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}
MODES = {
    "a": "bare Scrapy, trivial item",
    "b": "full crawl, site selectors",
    "c": "full crawl, no selectors",
}
#: EXTRACTION_PROCESSES for b and c unless --extraction-processes says otherwise: what
#: README.md and bench/README.md recommend for a machine with a core to spare.
EXTRACTION_PROCESSES = (1,)


@dataclass(frozen=True)
class Measure:
    pages: int
    items: int
    seconds: float
    cpu: float
    peak_rss_mb: float
    #: The machine's 1-minute load average when the crawl ended.
    load: float
    #: EXTRACTION_PROCESSES, and the workers' own CPU seconds and the sum of their peak
    #: RSS (they report both when they stop; `cpu` above includes theirs, as the crawl
    #: process reaps them, and `peak_rss_mb` is the largest process's).
    processes: int = 0
    workers_cpu: float = 0.0
    workers_peak_rss_mb: float = 0.0
    #: The demo server's CPU seconds during the crawl: on a machine of few cores, what the
    #: crawl's processes could not have.
    server_cpu: float = 0.0

    @property
    def total_peak_rss_mb(self) -> float:
        """The crawl's and its workers' peaks added: an upper bound of what they held."""
        return self.peak_rss_mb + self.workers_peak_rss_mb

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / self.pages * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--extraction-processes",
        type=_processes,
        default=EXTRACTION_PROCESSES,
        help="EXTRACTION_PROCESSES for b and c, or several, comma-separated (as 1,0): "
        "b and c then run once with each, in turn; the verdict is the first one's "
        f"(default: {','.join(map(str, EXTRACTION_PROCESSES))})",
    )
    parser.add_argument(
        "--site-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "news-archiver-bench",
        help="where generated sites are kept between runs (one per size)",
    )
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the server below is stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    site = ensure_site(args.site_dir / f"demo-heavy-{args.articles}", args.articles)
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as work:
        server = start_server(site, Path(work) / "requests.jsonl")
        try:
            crawls = plan(Path(work), server.base_url, args.extraction_processes)
            results = run_all(Path(work), crawls, site, args.repeat, server.process.pid)
        finally:
            server.stop()
    return report(results, crawls, args)


def _processes(text: str) -> tuple[int, ...]:
    values = tuple(int(value) for value in text.split(","))
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError("0 or more processes, comma-separated")
    return values


def ensure_site(directory: Path, articles: int) -> Path:
    if not (directory / "manifest.json").exists():
        print(f"generating {articles} heavy articles in {directory} ...", flush=True)
        command = [sys.executable, "-m", "demosite", "generate", str(directory)]
        subprocess.run([*command, "--articles", str(articles), "--heavy"], cwd=ROOT, check=True)
    return directory


@dataclass(frozen=True)
class Crawl:
    """One of the crawls of a repetition: `key` names it in the output (a, b, c, or b0,
    b1, ... when b and c run with several EXTRACTION_PROCESSES)."""

    key: str
    mode: str
    config: Path
    processes: int = 0


def plan(work: Path, base_url: str, processes: tuple[int, ...]) -> list[Crawl]:
    text = re.sub(r"http://127\.0\.0\.1:\d+/", base_url, DEMO_DEFINITION.read_text("utf-8"))
    selectors = work / "demo.toml"
    selectors.write_text(text, encoding="utf-8")
    generic = work / "demo-generic.toml"
    generic.write_text(text.split("[selectors]")[0], encoding="utf-8")
    crawls = [Crawl("a", "a", selectors)]
    for mode, config in (("b", selectors), ("c", generic)):
        for count in processes:
            key = mode if len(processes) == 1 else f"{mode}{count}"
            crawls.append(Crawl(key, mode, config, count))
    return crawls


def run_all(
    work: Path, crawls: list[Crawl], site: Path, repeat: int, server: int
) -> list[dict[str, Measure]]:
    expected = sum(not a["rejected"] for a in json.loads((site / "manifest.json").read_text()))
    results = []
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average (1, 5, 15 min) before the run: {load}", flush=True)
    for run in range(1, repeat + 1):
        measures = {}
        for planned in crawls:
            before = cpu_seconds(server)
            measure = crawl(work, planned, run)
            measures[planned.key] = replace(measure, server_cpu=cpu_seconds(server) - before)
            print(f"run {run} {planned.key}: {format_measure(measures[planned.key])}", flush=True)
            if planned.mode != "a":
                check_archive(work / f"{planned.key}-{run}.db", expected)
        results.append(measures)
    return results


def crawl(work: Path, planned: Crawl, run: int) -> Measure:
    log = work / f"{planned.key}-{run}.log"
    settings = {**POLITENESS, "LOG_FILE": str(log)}
    if planned.mode == "a":
        command = ["runspider", str(BARE_SPIDER)]
        cwd, env = work, {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    else:
        command = ["crawl", "site"]
        settings["ARCHIVE_PATH"] = str(work / f"{planned.key}-{run}.db")
        settings["EXTRACTION_PROCESSES"] = str(planned.processes)
        cwd, env = ROOT, dict(os.environ)
    command = [sys.executable, "-m", "scrapy", *command, "-a", f"config={planned.config}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"crawl {planned.key} failed with status {process.returncode}; see {log}")
    text = log.read_text(encoding="utf-8")
    return Measure(
        pages=int(_stat(text, "response_received_count")),
        items=int(_stat(text, "item_scraped_count")),
        seconds=seconds,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        load=os.getloadavg()[0],
        processes=planned.processes,
        workers_cpu=_stat(text, "extraction/workers_cpu_seconds"),
        workers_peak_rss_mb=_stat(text, "extraction/workers_peak_rss_mb"),
    )


def cpu_seconds(pid: int) -> float:
    """A running process's CPU seconds so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat(log: str, name: str) -> float:
    match = re.search(rf"'{name}': ([\d.]+)", log)
    return float(match.group(1)) if match else 0


def check_archive(archive: Path, expected: int) -> None:
    """A fast crawl that archives less is not faster: every article must be there."""
    with sqlite3.connect(archive) as db:
        (count,) = db.execute("select count(*) from articles").fetchone()
    if count != expected:
        raise SystemExit(f"{archive}: {count} articles archived, expected {expected}")


def format_measure(m: Measure) -> str:
    workers = ""
    if m.processes:
        workers = (
            f" ({m.processes} extraction processes: {m.workers_cpu:.1f} CPU s, "
            f"peak RSS {m.workers_peak_rss_mb:.0f} MB together)"
        )
    return (
        f"{m.pages} pages, {m.items} items in {m.seconds:.1f} s: "
        f"{m.pages_per_second:.0f} pages/s, {m.cpu_per_1000:.2f} CPU s/1000 pages, "
        f"peak RSS {m.peak_rss_mb:.0f} MB{workers}, "
        f"server {m.server_cpu / m.pages * 1000:.2f} CPU s/1000 pages, load average {m.load:.1f}"
    )


def report(results: list[dict[str, Measure]], crawls: list[Crawl], args: argparse.Namespace) -> int:
    def median(key: str, figure: str) -> float:
        return statistics.median(getattr(r[key], figure) for r in results)

    def ratio(key: str, figure: str = "pages_per_second") -> float:
        return statistics.median(getattr(r[key], figure) / getattr(r["a"], figure) for r in results)

    print(f"\n{args.articles} articles, median of {len(results)} run(s), {os.cpu_count()} CPUs")
    print(
        f"{'':<31}{'workers':>8}{'pages':>7}{'pages/s':>9}{'CPU s/1000':>12}"
        f"{'(workers)':>10}{'peak RSS MB':>13}{'(+workers)':>11}"
    )
    for planned in crawls:
        key = planned.key
        workers_cpu = median(key, "workers_cpu") / results[0][key].pages * 1000
        print(
            f"{key:<4}{MODES[planned.mode]:<27}{planned.processes:>8}"
            f"{results[0][key].pages:>7}{median(key, 'pages_per_second'):>9.0f}"
            f"{median(key, 'cpu_per_1000'):>12.2f}{workers_cpu:>10.2f}"
            f"{median(key, 'peak_rss_mb'):>13.0f}{median(key, 'total_peak_rss_mb'):>11.0f}"
        )
    loads = sorted(m.load for r in results for m in r.values())
    print(
        f"load average (1 min) at the end of each crawl: {loads[0]:.1f} to {loads[-1]:.1f}, "
        f"median {statistics.median(loads):.1f}"
    )
    others = [c.key for c in crawls if c.mode != "a" and c.processes != crawls[1].processes]
    if others:
        pairs = " ".join(f"{key}/a={ratio(key):.2f}" for key in others)
        print(f"pages per second, the other EXTRACTION_PROCESSES: {pairs}")
    b, c = (next(x.key for x in crawls if x.mode == mode) for mode in "bc")
    cpu_b, cpu_c = 1 / ratio(b, "cpu_per_1000"), 1 / ratio(c, "cpu_per_1000")
    print(f"pages per CPU second: b/a={cpu_b:.2f} c/a={cpu_c:.2f}")
    print(f"b/a={ratio(b):.2f} c/a={ratio(c):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
