"""Politeness as the server sees it: Retry-After and back-off between retries, the
User-Agent with its contact URL, and a site's [settings] beneath `-s`."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.middlewares.retry_after import retry_after_seconds
from tests.crawling import crawl

PROSE = (
    "The council approved the new budget on Tuesday after a long debate about schools, "
    "roads and the future of the city's libraries, which had faced closure for two years."
)
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


class FlakySite(BaseHTTPRequestHandler):
    """A listing that first answers 429 with Retry-After, an article that first answers 503."""

    log: list[dict[str, Any]]
    failures: dict[str, tuple[int, dict[str, str]]]

    def do_GET(self) -> None:
        self.log.append(
            {"path": self.path, "time": time.monotonic(), "agent": self.headers["User-Agent"]}
        )
        if self.path in self.failures:
            status, headers = self.failures.pop(self.path)
            self._answer(status, "busy", headers)
        elif self.path == "/news/":
            links = "".join(f'<a href="/news/{n}">Story {n}</a> ' for n in (1, 2))
            self._answer(200, f"<html><body><h1>News</h1>{links}</body></html>")
        elif self.path.startswith("/news/"):
            title = f"Story {self.path.rsplit('/', 1)[1]}"
            self._answer(
                200,
                f'<html lang="en"><head><meta property="article:published_time" '
                f'content="2024-05-01T10:00:00Z"></head><body><article><h1>{title}</h1>'
                f"<p>{PROSE}</p><p>{title} ends.</p></article></body></html>",
            )
        else:
            self._answer(404, "not found")

    def _answer(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `log`."""


#: The server's base URL, its request log, and the failures it has yet to answer with.
FlakyServer = tuple[str, list[dict[str, Any]], dict[str, tuple[int, dict[str, str]]]]


@pytest.fixture
def flaky_site() -> Iterator[FlakyServer]:
    log: list[dict[str, Any]] = []
    failures = {"/news/": (429, {"Retry-After": "1"}), "/news/1": (503, {})}
    handler = type("Handler", (FlakySite,), {"log": log, "failures": failures})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", log, failures
    server.shutdown()
    server.server_close()


def test_retries_wait_and_the_site_settings_apply(flaky_site: FlakyServer, tmp_path: Path) -> None:
    base, log, _ = flaky_site
    definition = tmp_path / "flaky.toml"
    definition.write_text(
        f'name = "flaky"\nstart_urls = ["{base}news/"]\narticle_url = "/news/\\\\d+$"\n'
        '[settings]\nCONTACT_URL = "https://example.org/crawler-contact"\n'
        "RETRY_BACKOFF_BASE = 30\n",
        encoding="utf-8",
    )
    # -s beats the site's [settings]: a 30 s back-off would time the test out.
    result = crawl(definition, tmp_path / "archive.db", "RETRY_BACKOFF_BASE=0.6")
    assert result.returncode == 0, result.log[-3000:]
    times: dict[str, list[float]] = {}
    for entry in log:
        times.setdefault(entry["path"], []).append(entry["time"])
    listing, first = times["/news/"], times["/news/1"]
    assert len(listing) == len(first) == 2
    assert listing[1] - listing[0] >= 1.0  # Retry-After: 1
    assert 0.6 <= first[1] - first[0] < 5  # back-off: RETRY_BACKOFF_BASE * 2 ** 0
    assert len(times["/news/2"]) == 1
    agents = {entry["agent"] for entry in log}
    assert agents == {
        "news-archiver/0.1 (news archive crawler; +https://example.org/crawler-contact)"
    }


def test_retry_after_beyond_the_limit_is_given_up(flaky_site: FlakyServer, tmp_path: Path) -> None:
    base, log, _ = flaky_site
    definition = tmp_path / "flaky.toml"
    definition.write_text(
        f'name = "flaky"\nstart_urls = ["{base}news/"]\narticle_url = "/news/\\\\d+$"\n',
        encoding="utf-8",
    )
    result = crawl(definition, tmp_path / "archive.db", "RETRY_AFTER_MAX=0.5")
    assert [entry["path"] for entry in log].count("/news/") == 1
    assert "Retry-After 1 s, more than RETRY_AFTER_MAX (0.5 s); given up" in result.log


def test_site_delay_and_concurrency_hold_at_the_server(
    flaky_site: FlakyServer, tmp_path: Path
) -> None:
    """With the project's own politeness settings (no test speed-ups), as a site sets them."""
    base, log, failures = flaky_site
    failures.clear()
    definition = tmp_path / "slow.toml"
    definition.write_text(
        f'name = "slow"\nstart_urls = ["{base}news/"]\narticle_url = "/news/\\\\d+$"\n'
        "[settings]\nDOWNLOAD_DELAY = 0.4\nDOWNLOAD_DELAY_JITTER = 0\n"
        "AUTOTHROTTLE_ENABLED = false\nRETRY_HTTP_CODES = []\n",
        encoding="utf-8",
    )
    result = crawl(definition, tmp_path / "archive.db", fast=False)
    starts = sorted(entry["time"] for entry in log)
    assert len(starts) >= 4, result.log[-3000:]  # robots.txt, the listing, two articles
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.35, gaps
