"""The crontab lines and the systemd units in deploy/ work as written: each command is
run as cron's /bin/sh or systemd would run it, against the demo site on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.run_lock import RunLock
from crawler.run_verdict import EXIT_STATUS
from tests.crawling import ROOT, Server, demo_definition

DEPLOY = ROOT / "deploy"


@pytest.fixture
def installation(demo_server: Server, tmp_path: Path) -> dict[str, Path]:
    """A checkout where the files expect one: scrapy.cfg and .venv/bin, site definitions
    (the demo's, quick: one listing page per section, short delays) and a data folder."""
    app, sites, data = tmp_path / "app", tmp_path / "sites", tmp_path / "data"
    for folder in (app / ".venv", sites, data / "logs"):
        folder.mkdir(parents=True)
    shutil.copy(ROOT / "scrapy.cfg", app / "scrapy.cfg")
    (app / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    text = demo_definition(tmp_path, demo_server.port).read_text(encoding="utf-8")
    quick = "\n[settings]\nDOWNLOAD_DELAY = 0.01\nAUTOTHROTTLE_START_DELAY = 0.01\n"
    (sites / "demo.toml").write_text(
        text.replace("[selectors]", "max_pages = 1\n\n[selectors]") + quick, encoding="utf-8"
    )
    return {"NEWS_ARCHIVER": app, "NEWS_SITES": sites, "NEWS_DATA": data}


def articles_in(archive: Path) -> int:
    with sqlite3.connect(archive) as db:
        return int(db.execute("select count(*) from articles").fetchone()[0])


def test_crontab_line_runs_as_written(installation: dict[str, Path]) -> None:
    lines = (DEPLOY / "cron" / "news-archiver.crontab").read_text(encoding="utf-8").splitlines()
    variables = dict(re.findall(r"^([A-Z_]+)=(\S+)$", "\n".join(lines), re.MULTILINE))
    assert set(variables) == set(installation)
    (command,) = [
        line.split(None, 5)[5]
        for line in lines
        if "sites/demo.toml" in line or "/demo.toml" in line
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(installation["NEWS_DATA"])}
    env.update({name: str(path) for name, path in installation.items()})

    def run_as_cron() -> subprocess.CompletedProcess[str]:
        """/bin/sh -c, with the crontab's variables and cron's short PATH."""
        return subprocess.run(
            ["/bin/sh", "-c", command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    ran = run_as_cron()
    assert ran.returncode == 0
    assert ran.stdout + ran.stderr == "", "a run that worked must give cron nothing to mail"
    archive = installation["NEWS_DATA"] / "news.db"
    assert articles_in(archive) > 0
    log = (installation["NEWS_DATA"] / "logs" / "demo.log").read_text(encoding="utf-8")
    assert "crawl of site 'demo': OK" in log.splitlines()[-1]
    with RunLock(archive, "demo"):
        blocked = run_as_cron()
    assert "another crawl of this site into this archive is running" in blocked.stdout


def test_systemd_service_runs_as_written(installation: dict[str, Path]) -> None:
    service = (DEPLOY / "systemd" / "news-archiver@.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "systemd" / "news-archiver@.timer").read_text(encoding="utf-8")
    assert "OnCalendar=hourly" in timer and "WantedBy=timers.target" in timer
    keys = dict(re.findall(r"^(\w+)=(.*)$", service, re.MULTILINE))
    assert keys["Type"] == "oneshot"
    assert keys["SuccessExitStatus"] == str(EXIT_STATUS["already_running"])
    app = str(installation["NEWS_ARCHIVER"])
    environment = dict(
        value.split("=", 1) for value in re.findall(r"^Environment=(.*)$", service, re.MULTILINE)
    )
    assert set(environment) == {"NEWS_SITES", "NEWS_DATA"}
    values = {name: str(installation[name]) for name in environment}

    def expand(text: str) -> str:
        """systemd's %i and ${NAME}, and the checkout's place on this machine."""
        text = text.replace("%i", "demo").replace("/srv/news-archiver", app)
        return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)

    command = shlex.split(expand(keys["ExecStart"]))
    ran = subprocess.run(
        command,
        cwd=expand(keys["WorkingDirectory"]),
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "crawl of site 'demo': OK" in ran.stderr.strip().splitlines()[-1]
    assert articles_in(installation["NEWS_DATA"] / "news.db") > 0
    assert os.path.exists(installation["NEWS_DATA"] / "news.db.demo.lock")
