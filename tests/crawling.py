"""Real HTTP servers on 127.0.0.1 and real crawl processes, for the integration tests.

Crawls run as `python -m scrapy crawl ...` subprocesses, exactly as a user runs them,
so the settings, the spider loader and the exit status are the real ones.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demosite.demo import PORT as DEMO_PORT

ROOT = Path(__file__).resolve().parent.parent
DEMO_DEFINITION = ROOT / "crawler" / "sites" / "demo.toml"
DEMO_ARTICLES = 80


@dataclass
class Server:
    """A `python -m demosite serve` process and its request log."""

    process: subprocess.Popen[str]
    base_url: str
    log: Path

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].strip("/"))

    def requests(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [json.loads(line) for line in lines]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_server(root: Path, log: Path, *, delay: float = 0.0) -> Server:
    command = [sys.executable, "-m", "demosite", "serve", str(root), "--port", "0"]
    command += ["--log", str(log), "--delay", str(delay)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"demo server did not start: {line!r}")
    return Server(process, match.group(1), log)


@dataclass
class Crawl:
    returncode: int
    log: str


def crawl_command(
    definition: Path, archive: Path, *settings: str, spider: str = "site", fast: bool = True
) -> list[str]:
    """A real crawl into `archive`, fast but with per-domain limits still in force; with
    `fast` False, the project's and the site's own politeness settings hold."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"config={definition}"]
    quick = ["DOWNLOAD_DELAY=0.01", "AUTOTHROTTLE_START_DELAY=0.01"]
    quick.append("CONCURRENT_REQUESTS_PER_DOMAIN=4")
    for setting in (
        f"ARCHIVE_PATH={archive}",
        "ARCHIVE_FLUSH_SECONDS=1",
        *(quick if fast else []),
        *settings,
    ):
        command += ["-s", setting]
    return command


#: Warnings are errors in the crawl processes too.
CRAWL_ENV = {**os.environ, "PYTHONWARNINGS": "error"}


def crawl(
    definition: Path, archive: Path, *settings: str, spider: str = "site", fast: bool = True
) -> Crawl:
    """Run one real crawl into `archive` to its end."""
    command = crawl_command(definition, archive, *settings, spider=spider, fast=fast)
    done = subprocess.run(
        command, cwd=ROOT, env=CRAWL_ENV, capture_output=True, text=True, timeout=240, check=False
    )
    return Crawl(done.returncode, done.stdout + done.stderr)


def demo_definition(directory: Path, port: int, *, selectors: bool = True) -> Path:
    """The bundled demo definition pointed at a test server's port."""
    text = DEMO_DEFINITION.read_text(encoding="utf-8").replace(
        f"127.0.0.1:{DEMO_PORT}", f"127.0.0.1:{port}"
    )
    if not selectors:
        text = text.split("[selectors]")[0]
    path = directory / ("demo.toml" if selectors else "demo-generic.toml")
    path.write_text(text, encoding="utf-8")
    return path


def max_in_flight(requests: list[dict[str, Any]]) -> int:
    """The most requests a server's log shows in flight at once."""
    events = sorted([(r["start"], 1) for r in requests] + [(r["end"], -1) for r in requests])
    current = peak = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; a test that waits in vain fails saying for what."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def query(archive: Path, sql: str) -> list[dict[str, Any]]:
    """Rows of an archive file, read as a user would read them."""
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql)]


#: The project's `archive` command, installed beside this interpreter.
ARCHIVE_COMMAND = str(Path(sys.executable).with_name("archive"))


def start_worker(
    definition: Path, archive: Path, redis_url: str, worker: str, log: Path, *settings: str
) -> subprocess.Popen[bytes]:
    """A distributed crawl's worker (`scrapy crawl` with REDIS_URL), its output in `log`."""
    command = crawl_command(
        definition, archive, f"REDIS_URL={redis_url}", f"WORKER_ID={worker}", *settings
    )
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=CRAWL_ENV, stdout=out, stderr=subprocess.STDOUT
        )


def start_writer(redis_url: str, archive: Path, log: Path) -> subprocess.Popen[bytes]:
    """A real archive writer (`archive ingest --redis`) draining Redis into `archive`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [ARCHIVE_COMMAND, "ingest", "--redis", redis_url, "--db", str(archive)],
            cwd=ROOT,
            env=CRAWL_ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
