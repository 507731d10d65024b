"""Score the project's publication dates on htmldate's 1,000-page evaluation, beside htmldate.

    python bench/page_dates.py DATA_DIR [--predictions OUT.json] [--origins OUT.json] [--repeat R]
                                        [--without SOURCE,...] [--ablation] [--no-htmldate]

DATA_DIR is shared/benchmarks/htmldate-eval. Every page goes through the code a crawl with
no `published` selector runs: Scrapy's response (which decodes the bytes as a crawl does),
the page's one parse (``parsed_page``, as the spider parses it), then ``generic_dates``,
the generic layer ``extract_article`` uses for `published`. Its answer is the day of the
chosen date at the offset the page states (the day the page means; the archive then
stores the instant in UTC). htmldate runs on the same bytes in the same run, with
``original_date=True``, in its extensive and fast modes. Scored by the
README's metric (one label per page, unit one day) on the dev URLs, on the held-back URLs
(every fifth URL in sorted order, fixed before any tuning and looked at only to report)
and on all; the published figures are printed beside them. ``--ablation`` also scores the
project with each source left out in turn, which says what each adds.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from extraction_metrics import splits
from htmldate.meta import reset_caches
from scrapy.http import HtmlResponse

from crawler import dates
from crawler.extract import page_dates
from crawler.extract.article import generic_dates
from crawler.extract.page import parsed_page
from crawler.sitedef import SiteDefinition

LABELS = ("eval_default.json", "eval_mediacloud_2020.json")
ARCHIVES = ("pages-bbaw.tar.xz", "pages-mediacloud2020.tar.xz")
#: The README's table: htmldate 1.10.0 and the others on the same 1,000 reviewed labels.
PUBLISHED = {
    "articleDateExtractor 0.20": (0.846, 0.745, 0.656, 0.792),
    "date_guesser 2.1.4": (0.832, 0.611, 0.544, 0.705),
    "goose3 3.1.21": (0.930, 0.568, 0.545, 0.706),
    "htmldate[all] 1.10.0 fast": (0.924, 0.927, 0.861, 0.925),
    "htmldate[all] 1.10.0 extensive": (0.908, 0.993, 0.903, 0.949),
    "newspaper4k 0.9.5": (0.912, 0.728, 0.680, 0.810),
    "news-please 1.6.16": (0.845, 0.777, 0.680, 0.810),
}
Answer = str | None  # "YYYY-MM-DD"


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    label: str | None  # None for the pages labelled NaN (no identifiable date)
    body: bytes
    held_back: bool


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    accuracy: float
    f1: float


def load(folder: Path) -> list[Page]:
    """Every labelled URL with its page's bytes; a page labelled twice counts twice."""
    files: dict[str, bytes] = {}
    for archive in ARCHIVES:
        with tarfile.open(folder / archive, "r:xz") as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    files[Path(member.name).name] = handle.read()
    labels: dict[str, dict[str, object]] = {}
    for name in LABELS:
        labels.update(json.loads((folder / name).read_text("utf-8")))
    held_back = dict(splits(labels))
    pages = []
    for url, entry in labels.items():
        date = entry["date"]
        label = None if isinstance(date, float) and math.isnan(date) else str(date)
        pages.append(Page(url, label, files[str(entry["file"])], held_back[url]))
    return sorted(pages, key=lambda page: page.url)


def score(pages: Sequence[Page], answers: dict[str, Answer]) -> Score:
    """The README's metric: no answer is a false negative; a wrong answer, or any answer
    on a page labelled NaN, a false positive."""
    tp = fp = fn = 0
    for page in pages:
        answer = answers[page.url]
        if answer is None:
            fn += 1
        elif page.label is not None and answer == page.label:
            tp += 1
        else:
            fp += 1
    return Score(
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        accuracy=tp / len(pages) if pages else 0.0,
        f1=2 * tp / (2 * tp + fp + fn) if pages else 0.0,
    )


def bench_site(url: str) -> SiteDefinition:
    """A site definition with no selectors, languages or zone, as a site added bare has;
    one per host, as a crawl builds one per site, not one per page."""
    return _site_of((urlsplit(url).hostname or "").removeprefix("www."))


@cache
def _site_of(host: str) -> SiteDefinition:
    return SiteDefinition(
        name="bench",
        start_urls=(f"https://{host}/",),
        article_url=re.compile("."),
        allowed_domains=(host,),
        path=Path("bench.toml"),
    )


def ours(
    sources: Collection[str], reference: datetime, origins: dict[str, str] | None = None
) -> Callable[[Page], Answer]:
    """The crawl's generic date layer; ``origins`` collects the source of each page's date."""

    def answer(page: Page) -> Answer:
        page_tree = parsed_page(HtmlResponse(page.url, body=page.body))
        site = bench_site(page.url)
        found = generic_dates(page_tree, page.url, site, reference, sources=sources)
        if origins is not None:
            origins[page.url] = (
                found.published.source
                if found.published
                else "contradicted"
                if found.contradicted
                else "none"
            )
        return found.published.day.isoformat() if found.published else None

    return answer


def htmldate(extensive: bool) -> Callable[[Page], Answer]:
    from htmldate import find_date

    def answer(page: Page) -> Answer:
        return find_date(page.body, extensive_search=extensive, original_date=True, url=page.url)

    return answer


@dataclass(frozen=True, slots=True)
class Timing:
    answers: dict[str, Answer]
    #: Wall-clock seconds of each timed run.
    seconds: list[float]
    #: The process's CPU seconds in each run: what a method costs on a shared machine,
    #: where the wall clock also counts the time another job held the CPU.
    cpu_seconds: list[float]


def timed(
    methods: dict[str, Callable[[Page], Answer]],
    pages: Sequence[Page],
    repeat: int,
    untimed: Collection[str] = (),
) -> dict[str, Timing]:
    """Each method's answers and the seconds of each of its runs.

    A first untimed run of each loads what a long-running crawl loads once (dateparser's
    locales). Then the methods take turns, run after run, so that the load of a shared
    machine falls on all alike; each timed run starts with every string cache cleared,
    ours and htmldate's, so no run reuses the answers of another.
    """
    answers = {name: {page.url: method(page) for page in pages} for name, method in methods.items()}
    timings = {name: Timing(answers[name], [], []) for name in methods}
    for _ in range(repeat):
        for name, method in methods.items():
            if name in untimed:
                continue
            dates.clear_caches()
            reset_caches()
            start, cpu_start = time.perf_counter(), time.process_time()
            for page in pages:
                method(page)
            timings[name].seconds.append(time.perf_counter() - start)
            timings[name].cpu_seconds.append(time.process_time() - cpu_start)
    return timings


def parsed_seconds(pages: Sequence[Page], reference: datetime, repeat: int) -> list[float]:
    """Seconds of the date layer alone on pages already parsed: what it adds to a crawl,
    which parses every page once for all its fields."""
    runs = []
    for _ in range(repeat):
        dates.clear_caches()
        reset_caches()
        total = 0.0
        for page in pages:
            selector = parsed_page(HtmlResponse(page.url, body=page.body))
            start = time.perf_counter()
            generic_dates(selector, page.url, bench_site(page.url), reference)
            total += time.perf_counter() - start
        runs.append(total)
    return runs


def row(name: str, figures: Sequence[float], rate: str = "") -> str:
    cells = " ".join(f"{value:6.3f}" for value in figures)
    return f"{name:<34} {cells}  {rate}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    parser.add_argument("--predictions", type=Path, metavar="OUT.json")
    parser.add_argument(
        "--origins", type=Path, metavar="OUT.json", help="where each of our dates came from"
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs; the median counts")
    parser.add_argument("--without", default="", help="sources to leave out, comma-separated")
    parser.add_argument("--ablation", action="store_true", help="leave out each source in turn")
    parser.add_argument("--no-htmldate", action="store_true", help="do not run htmldate itself")
    parser.add_argument("--only", choices=("all", "dev"), default="all")
    args = parser.parse_args(argv)

    pages = load(args.data_dir)
    if args.only == "dev":
        pages = [page for page in pages if not page.held_back]
    reference = datetime.now(UTC)
    left_out = {s for s in args.without.split(",") if s}
    unknown = left_out - set(page_dates.SOURCES)
    if unknown:
        parser.error(f"unknown sources {sorted(unknown)}; known: {page_dates.SOURCES}")
    sources = [s for s in page_dates.SOURCES if s not in left_out]
    methods: dict[str, Callable[[Page], Answer]] = {}
    origins: dict[str, str] = {}
    methods["ours" + (f" without {','.join(sorted(left_out))}" if left_out else "")] = ours(
        sources, reference, origins
    )
    if not args.no_htmldate:
        methods["htmldate extensive (this run)"] = htmldate(extensive=True)
        methods["htmldate fast (this run)"] = htmldate(extensive=False)
    ablation = []
    if args.ablation:
        for source in page_dates.SOURCES[1:]:
            ablation.append(f"ours without {source}")
            methods[ablation[-1]] = ours([s for s in sources if s != source], reference)

    results = timed(methods, pages, args.repeat, untimed=ablation)
    first = next(iter(methods))
    if args.predictions:
        args.predictions.write_text(json.dumps(results[first].answers, indent=1, sort_keys=True))
    if args.origins:
        args.origins.write_text(json.dumps(origins, indent=1, sort_keys=True))

    dev = [page for page in pages if not page.held_back]
    held = [page for page in pages if page.held_back]
    print(
        f"{len(pages)} labelled URLs ({len(dev)} dev, {len(held)} held back), reference time "
        f"{reference.isoformat(timespec='minutes')}; columns P R acc F1"
    )
    for split, subset in (("dev", dev), ("held back", held), ("all", pages)):
        if not subset or (split == "all" and not held):
            continue
        print(f"\n{split} ({len(subset)} URLs)")
        for name, timing in results.items():
            figures = score(subset, timing.answers)
            rate = ""
            if split == "all" and timing.seconds:
                rate = f"{len(pages) / statistics.median(timing.seconds):6.1f} pages/s"
            print(
                row(name, (figures.precision, figures.recall, figures.accuracy, figures.f1), rate)
            )
    if not held:
        for name, timing in results.items():
            if timing.seconds:
                print(f"{name}: {len(pages) / statistics.median(timing.seconds):6.1f} pages/s")
    if args.only == "all":
        print("\npublished (README, 1000 URLs)")
        for name, figures in PUBLISHED.items():
            print(row(name, figures))
    base, cpu_base = (
        statistics.median(getattr(results[first], c)) for c in ("seconds", "cpu_seconds")
    )
    print(f"\nspeed, median of {args.repeat} runs, caches cleared before each (wall clock; CPU):")
    for name, timing in results.items():
        if name.startswith("htmldate"):
            wall = statistics.median(timing.seconds) / base
            cpu = statistics.median(timing.cpu_seconds) / cpu_base
            print(f"  ours / {name}: {wall:.2f}x; {cpu:.2f}x")
            rounds = [
                theirs / own
                for theirs, own in zip(timing.cpu_seconds, results[first].cpu_seconds, strict=True)
            ]
            print(f"    CPU, round by round: {' '.join(f'{r:.2f}x' for r in rounds)}")
    if not args.no_htmldate:
        extensive = statistics.median(results["htmldate extensive (this run)"].seconds)
        layer = statistics.median(parsed_seconds(pages, reference, args.repeat))
        print(
            f"  the date layer alone on parsed pages: {len(pages) / layer:.1f} pages/s, "
            f"{extensive / layer:.2f}x htmldate extensive from bytes"
        )
    counts = Counter(origins.values()).most_common()
    print("where our dates came from:", ", ".join(f"{source} {n}" for source, n in counts))


if __name__ == "__main__":
    main()
