"""The archive CLI against a real database file, through click's CliRunner."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.cli import cli
from tests.archive_rows import COUNTS
from tests.archive_rows import article as archive_row

SECTIONS_TABLE = """\
site     section   articles  undated  earliest                   latest
-------  --------  --------  -------  -------------------------  -------------------------
example  -                1        1  -                          -
example  politics         2        0  2017-09-13T10:15:00+00:00  2018-01-02T00:00:00+00:00

"""


def article(url: str, section: str | None, published_at: str | None) -> dict[str, Any]:
    return archive_row(url=url, section=section, published_at=published_at)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.upsert_articles(
            [
                article("https://news.example/1", "politics", "2017-09-13T10:15:00+00:00"),
                article("https://news.example/2", "politics", "2018-01-02T00:00:00+00:00"),
                article("https://news.example/3", None, None),
            ]
        )
        first = archive.start_run(
            spider="sections", site="example", started_at="2024-03-01T10:00:00+00:00"
        )
        archive.finish_run(
            first,
            finished_at="2024-03-01T10:05:00+00:00",
            finish_reason="finished",
            counts=COUNTS,
            stats={},
        )
        archive.start_run(spider="sections", site="example", started_at="2024-03-02T10:00:00+00:00")
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_stats(db_path: Path) -> None:
    exit_code, output = run("stats", "--db", str(db_path))
    assert exit_code == 0
    assert output.startswith(SECTIONS_TABLE)
    assert "3 articles from 1 site, published 2017-09-13T10:15:00+00:00 to 2018-01-02" in output
    assert "Last runs:" in output
    assert output.count("sections  example") == 2


def test_stats_of_an_empty_archive(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    Archive(path).close()
    assert run("stats", "--db", str(path)) == (
        0,
        "No articles yet.\n\nLast runs:\nNo crawl runs yet.\n",
    )


def test_runs(db_path: Path) -> None:
    exit_code, output = run("runs", "--db", str(db_path))
    assert exit_code == 0
    header, rule, running, finished = output.splitlines()
    columns = "id spider site started finished reason pages new updated unchanged rejected errors"
    assert header.split() == columns.split()
    assert running.split() == ["2", "sections", "example", "2024-03-02T10:00:00+00:00"] + 8 * ["-"]
    assert finished.split()[4:] == [
        "2024-03-01T10:05:00+00:00",
        "finished",
        "12",
        "3",
        "1",
        "2",
        "4",
        "0",
    ]
    assert len({len(line) for line in (header, rule, finished)}) == 1  # aligned columns


def test_runs_limit(db_path: Path) -> None:
    exit_code, output = run("runs", "--db", str(db_path), "--limit", "1")
    assert exit_code == 0
    assert len(output.splitlines()) == 3


@pytest.mark.parametrize("command", ["stats", "runs"])
def test_missing_db_is_an_error_not_a_new_file(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing.db"
    exit_code, output = run(command, "--db", str(missing))
    assert exit_code == 2
    assert "does not exist" in output
    assert not missing.exists()


def test_non_archive_db_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "dogs.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table dogs (name text)")
    exit_code, output = run("stats", "--db", str(path))
    assert exit_code == 1
    assert output.startswith(f"Error: {path}: database has tables ['dogs']")
