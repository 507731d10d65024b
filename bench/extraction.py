"""Score the project's article extraction on a benchmark, beside the tools' published outputs.

    python bench/extraction.py DATA_DIR [--predictions OUT.json] [--only dev|heldback]
                                        [--repeat R]

DATA_DIR is one of the benchmark folders in shared/benchmarks, told apart by its ground
truth file: article-extraction (``ground-truth.json``: shingle F1, precision, recall and
accuracy of the article body) or fundus-evaluation (``ground_truth.json``: ROUGE-LSum
precision, recall and F1, means over the articles in percent). The metrics are in
bench/extraction_metrics.py.

Every page goes through the code a crawl with no selectors runs: ``extract_article`` on
the parsed page, then the item loader, which cleans the text. So the body scored is the
body the archive would store. Plain ``trafilatura.extract(html)`` runs on the same pages
in the same run, for speed, and is scored too; the published outputs are scored with the
same metric. Every score is given on the dev pages, on the held-back pages (every fifth id
in sorted order, fixed before any tuning and looked at only to report) and on all.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import statistics
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from extraction_metrics import (
    RougeScore,
    ShingleMatch,
    best_rouge_lsum,
    mean_rouge,
    shingle_score,
    splits,
)
from parsel import Selector

from crawler import dates
from crawler.extract import extract_article
from crawler.items import Article, ArticleLoader
from crawler.sitedef import SiteDefinition

Body = list[str]  # paragraphs
#: The item fields the report counts, with the names it gives them.
FIELDS = {
    "title": "title",
    "authors": "authors",
    "published_raw": "publication date",
    "section": "section",
    "tags": "tags",
    "summary": "summary",
    "language": "language",
    "image_url": "main image",
}
#: Where ExtractedArticle.sources records each field's layer.
SOURCE_KEYS = {"published_raw": "published", "image_url": "image"}
OURS = "news-archiver (ours)"
TRAFILATURA = f"trafilatura {trafilatura.__version__} extract(html), live"


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    url: str
    html: str
    held_back: bool
    site: SiteDefinition


def read_page(page_id: str, url: str, path: Path, held_back: bool) -> Page:
    """The page, and a site definition with no selectors for its host, as a bare crawl has."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    site = SiteDefinition(
        name="bench",
        start_urls=(url,),
        article_url=re.compile("."),
        allowed_domains=(host,),
        path=Path("bench.toml"),
    )
    html = gzip.decompress(path.read_bytes()).decode("utf-8")
    return Page(page_id, url, html, held_back, site)


class Benchmark(ABC):
    """A benchmark folder: its pages, truth, published outputs and metric."""

    name: str
    truth_file: str
    html_file: str  # the page's file in html/, from its id
    metric: str
    columns: tuple[str, ...]
    digits: int

    def __init__(self, folder: Path, only: str) -> None:
        self.folder = folder
        self.truth: dict[str, Any] = json.loads((folder / self.truth_file).read_text("utf-8"))
        self.pages = [
            read_page(
                page_id,
                self.truth[page_id]["url"],
                folder / "html" / self.html_file.format(id=page_id),
                held_back,
            )
            for page_id, held_back in splits(self.truth)
            if only == "all" or held_back == (only == "heldback")
        ]
        self.published = self.load_published()

    @abstractmethod
    def load_published(self) -> dict[str, dict[str, Body]]:
        """Each published output's bodies by page id, under a label naming the tool."""

    @abstractmethod
    def score(self, page_id: str, body: Body) -> Any:
        """One page's score, which summary() aggregates."""

    @abstractmethod
    def summary(self, scores: list[Any]) -> tuple[float, ...]:
        """The figures of ``columns`` for a set of pages."""

    @abstractmethod
    def record(self, body: Body) -> dict[str, object]:
        """One page of the predictions file, in the benchmark's own format."""

    def extra_report(self, scores: dict[str, dict[str, Any]]) -> list[str]:
        """Lines that only this benchmark prints after the table, given its scores."""
        return []


def published_label(name: str) -> str:
    return f"published: {name}"


class ArticleExtraction(Benchmark):
    name = "article-extraction"
    truth_file = "ground-truth.json"
    html_file = "{id}.html.gz"
    metric = "4-word shingles of the article body (the benchmark README's metric)"
    columns = ("F1", "P", "R", "acc")
    digits = 3

    def load_published(self) -> dict[str, dict[str, Body]]:
        outputs = {}
        for path in sorted((self.folder / "published-output").glob("*.json")):
            data = json.loads(path.read_text("utf-8"))
            label = f"{path.stem} {data['version']}" if "output" in data else path.stem
            pages = data.get("output", data)
            outputs[label] = {p: [pages[p].get("articleBody") or ""] for p in self.truth}
        return outputs

    def score(self, page_id: str, body: Body) -> ShingleMatch:
        return ShingleMatch.of(self.truth[page_id]["articleBody"], "\n\n".join(body))

    def summary(self, scores: list[ShingleMatch]) -> tuple[float, ...]:
        result = shingle_score(scores)
        return result.f1, result.precision, result.recall, result.accuracy

    def record(self, body: Body) -> dict[str, object]:
        return {"articleBody": "\n\n".join(body)}


class FundusEvaluation(Benchmark):
    name = "fundus-evaluation"
    truth_file = "ground_truth.json"
    html_file = "{id}"
    metric = "ROUGE-LSum, mean over articles in percent (rouge_score's, written anew)"
    columns = ("P", "R", "F1")
    digits = 2
    #: Published scores "within rounding": the paper's tables give two decimals of percent.
    ROUNDING = 0.005

    def load_published(self) -> dict[str, dict[str, Body]]:
        outputs = {}
        for path in sorted((self.folder / "published-extractions").glob("*.json.gz")):
            pages = json.loads(gzip.decompress(path.read_bytes()))
            outputs[path.name.removesuffix(".json.gz")] = {p: pages[p]["body"] for p in self.truth}
        return outputs

    def published_scores(self) -> dict[str, dict[str, RougeScore]]:
        """scores/rouge_lsum.tsv: the published per-article scores, by scraper."""
        scores: dict[str, dict[str, RougeScore]] = {}
        with (self.folder / "scores" / "rouge_lsum.tsv").open(encoding="utf-8") as table:
            for row in csv.DictReader(table, delimiter="\t"):
                scores.setdefault(row["scraper"], {})[row["article"]] = RougeScore(
                    float(row["precision"]), float(row["recall"]), float(row["f1_score"])
                )
        return scores

    def score(self, page_id: str, body: Body) -> RougeScore:
        return best_rouge_lsum(self.truth[page_id]["body"], body)

    def summary(self, scores: list[RougeScore]) -> tuple[float, ...]:
        mean = mean_rouge(scores)
        return mean.precision, mean.recall, mean.f1

    def record(self, body: Body) -> dict[str, object]:
        return {"body": body}

    def extra_report(self, scores: dict[str, dict[str, Any]]) -> list[str]:
        """The published per-article scores of all seven scrapers over the same splits, and
        how many of them this run's ROUGE-LSum reproduces from the published extractions."""
        published = self.published_scores()
        lines = ["", "published per-article scores (scores/rouge_lsum.tsv), same splits:"]
        lines += table(self, {name: published[name] for name in sorted(published)})
        lines += ["", "this ROUGE-LSum against the published per-article scores:"]
        for name in self.published:
            ours, theirs = scores[published_label(name)], published[name]
            off = [
                100
                * max(
                    abs(a - b) for a, b in zip(_figures(ours[p]), _figures(theirs[p]), strict=True)
                )
                for p in ours
            ]
            same = sum(difference < self.ROUNDING for difference in off)
            lines.append(
                f"  {name:<12} {same}/{len(off)} articles within {self.ROUNDING} points "
                f"in P, R and F1; largest difference {max(off):.2g} points"
            )
        return lines


def _figures(score: RougeScore) -> tuple[float, float, float]:
    return score.precision, score.recall, score.f1


BENCHMARKS: tuple[type[Benchmark], ...] = (ArticleExtraction, FundusEvaluation)


def detect(folder: Path, only: str) -> Benchmark:
    """The benchmark whose ground truth file the folder holds."""
    for kind in BENCHMARKS:
        if (folder / kind.truth_file).is_file():
            return kind(folder, only)
    known = ", ".join(f"{kind.truth_file} ({kind.name})" for kind in BENCHMARKS)
    raise ValueError(f"{folder}: holds none of {known}")


# Running the extractors -----------------------------------------------------------------


def extract(page: Page) -> tuple[Article, dict[str, str]]:
    """What a crawl with no selectors archives from the page, and which layer gave what."""
    extracted = extract_article(
        Selector(text=page.html), page.url, page.site, fetched_at=datetime.now(UTC)
    )
    loader = ArticleLoader()
    for name in (*FIELDS, "body"):
        loader.add_value(name, getattr(extracted, name))
    return loader.load_item(), extracted.sources


def ours(pages: Sequence[Page]) -> dict[str, tuple[Article, dict[str, str]]]:
    return {page.id: extract(page) for page in pages}


def plain_trafilatura(pages: Sequence[Page]) -> dict[str, Body]:
    """trafilatura's text, one paragraph a line, as a user calling it with defaults gets it."""
    texts = {page.id: trafilatura.extract(page.html) or "" for page in pages}
    return {page_id: [p for p in text.splitlines() if p.strip()] for page_id, text in texts.items()}


def timed(
    runs: dict[str, tuple[Callable[[], Any], Callable[[], None]]], repeat: int
) -> dict[str, tuple[list[float], Any]]:
    """Each run's seconds in each of ``repeat`` rounds, and its first result.

    A run is a function and what to do before it. The runs take turns within a round, so
    that a machine busy for a while slows them alike.
    """
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, (function, before) in runs.items():
            before()
            start = time.perf_counter()
            result = function()
            seconds[name].append(time.perf_counter() - start)
            results.setdefault(name, result)
    return {name: (seconds[name], results[name]) for name in runs}


def field_counts(articles: Sequence[tuple[Article, dict[str, str]]]) -> list[str]:
    """On how many pages each field was found, and by which layer: the page's metadata or
    the generic reading of the visible page."""
    lines = [f"fields found by news-archiver on {len(articles)} pages (layer that gave them):"]
    for name, label in FIELDS.items():
        layers: Counter[str | None] = Counter()
        found = 0
        for article, sources in articles:
            if getattr(article, name):
                found += 1
                layers[sources.get(SOURCE_KEYS.get(name, name))] += 1
        layers.pop(None, None)  # the language is the page's own, whatever layer
        detail = ", ".join(f"{layer} {count}" for layer, count in layers.most_common())
        lines.append(
            f"  {label:<17} {found:4}/{len(articles)} ({found / len(articles):4.0%})"
            + (f"  {detail}" if detail else "")
        )
    return lines


# Report ---------------------------------------------------------------------------------


def table(benchmark: Benchmark, scores: dict[str, dict[str, Any]]) -> list[str]:
    """One row per system: the figures on the dev, the held-back and all of the pages run."""
    pages = benchmark.pages
    by_split = {
        "dev": [p.id for p in pages if not p.held_back],
        "held-back": [p.id for p in pages if p.held_back],
    }
    chosen = {split: ids for split, ids in by_split.items() if ids}
    if len(chosen) > 1:
        chosen["all"] = [p.id for p in pages]
    width = (benchmark.digits + 4) * len(benchmark.columns)
    head = "".join(f"{f'{split} ({len(ids)})':>{width + 3}}" for split, ids in chosen.items())
    names = "".join(
        "   " + "".join(f"{c:>{benchmark.digits + 4}}" for c in benchmark.columns) for _ in chosen
    )
    lines = [f"{'':<44}{head}", f"{'system':<44}{names}"]
    for system, by_page in scores.items():
        cells = []
        for ids in chosen.values():
            figures = benchmark.summary([by_page[page_id] for page_id in ids])
            cells.append(
                "".join(f"{f:>{benchmark.digits + 4}.{benchmark.digits}f}" for f in figures)
            )
        lines.append(f"{system:<44}" + "".join("   " + cell for cell in cells))
    return lines


@dataclass(frozen=True, slots=True)
class Run:
    """What one run measured: each system's per-page scores, our items, and the seconds that
    each round of ours and of plain trafilatura took."""

    scores: dict[str, dict[str, Any]]
    articles: dict[str, tuple[Article, dict[str, str]]]
    bodies: dict[str, Body]
    our_seconds: list[float]
    their_seconds: list[float]


def run(benchmark: Benchmark, repeat: int) -> Run:
    """Extract every page with ours and plain trafilatura (timed), then score every system."""
    pages = benchmark.pages
    extract(pages[0])  # what each loads once, before the clock runs
    trafilatura.extract(pages[0].html)
    times = timed(
        {
            OURS: (lambda: ours(pages), dates.clear_caches),
            TRAFILATURA: (lambda: plain_trafilatura(pages), lambda: None),
        },
        repeat,
    )
    (our_seconds, articles), (their_seconds, theirs) = times[OURS], times[TRAFILATURA]
    bodies = {
        page_id: article.body.split("\n\n") if article.body else []
        for page_id, (article, _) in articles.items()
    }
    systems = {OURS: bodies, TRAFILATURA: theirs}
    systems |= {published_label(name): output for name, output in benchmark.published.items()}
    scores = {
        system: {page.id: benchmark.score(page.id, output[page.id]) for page in pages}
        for system, output in systems.items()
    }
    return Run(scores, articles, bodies, our_seconds, their_seconds)


def report(benchmark: Benchmark, result: Run) -> list[str]:
    pages = benchmark.pages
    held = sum(page.held_back for page in pages)
    runs = len(result.our_seconds)
    ratio = statistics.median(result.their_seconds) / statistics.median(result.our_seconds)

    def rate(seconds: list[float]) -> str:
        median = f"{len(pages) / statistics.median(seconds):6.1f} pages/s"
        return median + (f" (first run {len(pages) / seconds[0]:.1f})" if runs > 1 else "")

    return [
        f"{benchmark.name}: {len(pages)} pages ({len(pages) - held} dev, {held} held back: "
        "every fifth id in sorted order)",
        f"metric: {benchmark.metric}",
        "",
        *table(benchmark, result.scores),
        *benchmark.extra_report(result.scores),
        "",
        f"speed on the same {len(pages)} pages, "
        + (f"median of {runs} runs" if runs > 1 else "one run")
        + " (HTML decompressed beforehand; each parses it itself):",
        f"  news-archiver (extract_article + item loader): {rate(result.our_seconds)}",
        f"  trafilatura.extract(html):                     {rate(result.their_seconds)}",
        f"  ours / trafilatura:                            {ratio:6.2f}x",
        "",
        *field_counts(list(result.articles.values())),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    parser.add_argument("--predictions", type=Path, metavar="OUT.json")
    parser.add_argument(
        "--only", choices=["dev", "heldback"], default="all", help="run these pages only"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the median counts")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    try:
        benchmark = detect(args.data_dir, args.only)
    except ValueError as exc:
        parser.error(str(exc))
    result = run(benchmark, args.repeat)
    print("\n".join(report(benchmark, result)))
    if args.predictions:
        records = {page_id: benchmark.record(body) for page_id, body in result.bodies.items()}
        args.predictions.write_text(json.dumps(records, ensure_ascii=False, indent=1), "utf-8")
        print(f"\npredictions for {len(records)} pages written to {args.predictions}")
    ours_all = benchmark.summary(list(result.scores[OURS].values()))
    print(f"F1={ours_all[benchmark.columns.index('F1')]:.{benchmark.digits}f}")


if __name__ == "__main__":
    main()
