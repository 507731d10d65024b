"""The project on a real scrapyd: deployed with scrapyd-deploy from a copy of the
checkout, scheduled through schedule.json with the archive path as a setting, and its
articles found in the archive. Everything on 127.0.0.1, in a temporary directory."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import ROOT, Server, demo_definition

PROJECT_FILES = ("crawler", "archive", "demosite", "pyproject.toml", "setup.py", "README.md")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + endpoint, data=body, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.2\nmax_proc = 2\n",
        encoding="utf-8",
    )
    log = (home / "scrapyd.out").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"], cwd=home, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                call(base, "daemonstatus.json")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"scrapyd did not start: {(home / 'scrapyd.out').read_text()}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_deploy_schedule_and_archive(
    scrapyd: str,
    demo_server: Server,
    demo_site: tuple[Path, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, checkout / name)
    config = (ROOT / "scrapy.cfg").read_text(encoding="utf-8")
    (checkout / "scrapy.cfg").write_text(
        config.replace("http://127.0.0.1:6800/", scrapyd), encoding="utf-8"
    )
    deployed = subprocess.run(
        [BIN / "scrapyd-deploy", "--version", "1"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert '"status": "ok"' in deployed.stdout + deployed.stderr
    # The egg scrapyd stores holds the bundled site definitions and the settings entry point.
    (egg_path,) = (tmp_path / "scrapyd" / "eggs" / "crawler").glob("*.egg")
    with zipfile.ZipFile(egg_path) as egg:
        assert {"crawler/sites/demo.toml", "crawler/sites/azeridaily.toml"} <= set(egg.namelist())
        assert "settings = crawler.settings" in egg.read("EGG-INFO/entry_points.txt").decode()
    # Imported from the zipped egg (ahead of this checkout), the spiders find their sites.
    probe = (
        f"import sys; sys.path.insert(0, {str(egg_path)!r}); import crawler.sitedef as s; "
        "print(s.__file__); print(s.load_site(s.bundled_sites()['demo']).name)"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert imported == [str(egg_path / "crawler" / "sitedef.py"), "demo"]
    spiders = call(scrapyd, "listspiders.json?project=crawler")["spiders"]
    assert {"demo", "azeridaily", "site"} <= set(spiders)

    definition = demo_definition(tmp_path, demo_server.port)
    archive = tmp_path / "scheduled.db"
    settings = ["DOWNLOAD_DELAY=0.01", "AUTOTHROTTLE_START_DELAY=0.01", f"ARCHIVE_PATH={archive}"]
    job = call(
        scrapyd,
        "schedule.json",
        [("project", "crawler"), ("spider", "site"), ("config", str(definition))]
        + [("setting", setting) for setting in settings],
    )
    assert job["status"] == "ok", job
    for _ in range(600):
        finished = call(scrapyd, "listjobs.json?project=crawler")["finished"]
        if any(entry["id"] == job["jobid"] for entry in finished):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the scheduled crawl did not finish within 60 s")
    with sqlite3.connect(archive) as db:
        articles = db.execute("select count(*) from articles").fetchone()[0]
        verdict = db.execute("select stats from crawl_runs").fetchone()[0]
    assert articles == len([a for a in demo_site[1] if not a["rejected"]])
    assert json.loads(verdict)["run/verdict"] == "ok"
    job_log = next((tmp_path / "scrapyd" / "logs" / "crawler").glob(f"*/{job['jobid']}.log"))
    assert "crawl of site 'demo': OK" in job_log.read_text(encoding="utf-8").splitlines()[-1]
