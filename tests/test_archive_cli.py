"""The archive CLI against a real database file, through click's CliRunner."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.cli import cli
from archive.textdiff import sentences
from tests.archive_rows import COUNTS
from tests.archive_rows import article as archive_row

SECTIONS_TABLE = """\
site     section   articles  undated  earliest                   latest
-------  --------  --------  -------  -------------------------  -------------------------
example  -                1        1  -                          -
example  politics         2        0  2017-09-13T10:15:00+00:00  2018-01-02T00:00:00+00:00

"""


def article(url: str, section: str | None, published_at: str | None) -> dict[str, Any]:
    n = int(url.rsplit("/", 1)[1])  # each article its own text: one text is one article
    return archive_row(n, url=url, section=section, published_at=published_at)


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


def test_stats_counts_versions_urls_and_raw_pages(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.upsert_articles(
            [archive_row(1, urls=[("https://news.example/p?id=1", "requested")])]
        )
        archive.upsert_articles([archive_row(1, body="Corrected.", seen_at=LATER)])
    exit_code, output = run("stats", "--db", str(path))
    assert exit_code == 0
    assert "versions:         2 (1 article changed after first archived)" in output
    assert "URLs:             2" in output


ALL_COMMANDS = ["stats", "search", "show", "diff", "runs", "export", "reparse", "check", "serve"]


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_every_command_has_help_and_db_option(command: str) -> None:
    exit_code, output = run(command, "--help")
    assert exit_code == 0
    assert "--db FILE" in output
    assert "archive.db" in output
    assert "Example" in output


def test_group_help_lists_every_command() -> None:
    exit_code, output = run("--help")
    assert exit_code == 0
    for command in ALL_COMMANDS:
        assert f"  {command} " in output


LATER = "2024-03-05T08:00:00+00:00"
FIRST_BODY = (
    "Troops left the city.\n\nThe minister spoke on Monday. He left at noon.\n\nTalks go on."
)
SECOND_BODY = (
    "Troops left the city.\n\nThe minister spoke on Tuesday. He left at noon.\n\nTalks go on."
)


@pytest.fixture
def revised_db(tmp_path: Path) -> Path:
    """One article archived twice, its second paragraph corrected in between."""
    path = tmp_path / "revised.db"
    url = "https://news.example/politics/7"
    variant = "https://news.example/politics/7?utm_source=feed"
    with Archive(path) as archive:
        archive.upsert_articles(
            [archive_row(7, url=url, body=FIRST_BODY, urls=[(variant, "requested")])]
        )
        archive.upsert_articles(
            [archive_row(7, url=url, body=SECOND_BODY, tags=["war", "talks"], seen_at=LATER)]
        )
    return path


def test_show_by_a_url_variant(revised_db: Path) -> None:
    # Found through its recorded variant, and through a tracking parameter never seen.
    for url in (
        "https://news.example/politics/7?utm_source=feed",
        "https://news.example/politics/7#top",
    ):
        exit_code, output = run("show", "--db", str(revised_db), url)
        assert exit_code == 0, output
        lines = output.splitlines()
        assert lines[0] == "Headline 7"
        assert "url        https://news.example/politics/7" in lines
        assert "version    2 of 2" in lines
        assert "tags       war, talks" in lines
        assert "  requested  https://news.example/politics/7?utm_source=feed" in lines
        assert output.endswith(SECOND_BODY + "\n")


def test_show_an_older_version_and_as_json(revised_db: Path) -> None:
    exit_code, output = run(
        "show", "--db", str(revised_db), "https://news.example/politics/7", "--version", "1"
    )
    assert exit_code == 0
    assert "version    1 of 2" in output
    assert output.endswith(FIRST_BODY + "\n")
    exit_code, output = run(
        "show", "--db", str(revised_db), "https://news.example/politics/7", "--json"
    )
    assert exit_code == 0
    document = json.loads(output)
    assert document["version_count"] == 2
    assert document["tags"] == ["war", "talks"]
    assert {row["kind"] for row in document["urls"]} == {"canonical", "requested"}


def test_show_unknown_url_or_version_is_a_clear_error(revised_db: Path) -> None:
    assert run("show", "--db", str(revised_db), "https://news.example/nothing") == (
        1,
        "Error: no article in the archive for https://news.example/nothing\n",
    )
    exit_code, output = run(
        "show", "--db", str(revised_db), "https://news.example/politics/7", "--version", "3"
    )
    assert exit_code == 1
    assert "no version 3; the article has versions 1 to 2" in output


def test_diff_of_the_last_two_versions(revised_db: Path) -> None:
    exit_code, output = run("diff", "--db", str(revised_db), "https://news.example/politics/7")
    assert exit_code == 0, output
    lines = output.splitlines()
    assert lines[0] == "--- version 1 (first seen 2024-03-01T10:00:00+00:00)"
    assert lines[1] == "+++ version 2 (first seen 2024-03-05T08:00:00+00:00)"
    changed = [line for line in lines[2:] if line[:1] in "+-"]
    assert changed == [
        "-tags: election",
        "+tags: war, talks",
        "-The minister spoke on Monday.",
        "+The minister spoke on Tuesday.",
    ]
    # Context around the changed sentence, which alone is shown changed.
    assert " Troops left the city." in lines
    assert " He left at noon." in lines


def test_diff_picks_versions_and_explains_what_it_cannot_do(revised_db: Path) -> None:
    url = "https://news.example/politics/7"
    exit_code, output = run("diff", "--db", str(revised_db), url, "--from", "2", "--to", "1")
    assert exit_code == 0
    assert "-The minister spoke on Tuesday." in output.splitlines()
    assert run("diff", "--db", str(revised_db), url, "--from", "2", "--to", "2") == (
        0,
        "Versions 2 and 2 have the same fields.\n",
    )
    exit_code, output = run("diff", "--db", str(revised_db), url, "--to", "9")
    assert exit_code == 1
    assert "no version 9" in output


def test_diff_of_an_article_with_one_version(db_path: Path) -> None:
    assert run("diff", "--db", str(db_path), "https://news.example/1") == (
        0,
        "https://news.example/1 has one version only: nothing to compare.\n",
    )


def test_check_healthy_and_broken(db_path: Path) -> None:
    exit_code, output = run("check", "--db", str(db_path))
    assert (exit_code, output) == (
        0,
        f"OK: {db_path} passes the integrity check and the invariants (3 articles).\n",
    )
    with sqlite3.connect(db_path) as conn:  # damage it behind the archive's back
        conn.execute("UPDATE articles SET version_count = 4 WHERE url = 'https://news.example/2'")
    exit_code, output = run("check", "--db", str(db_path))
    assert exit_code == 1
    problems = output.splitlines()
    assert any("version_count" in line for line in problems[:-1])
    assert problems[-1].startswith("Error: ") and problems[-1].endswith(f"found in {db_path}")


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ('He said "No." Then left.', ['He said "No."', "Then left."]),
        (
            "Москва ответила. 3 человека. «Да» — сказал он.",
            ["Москва ответила.", "3 человека.", "«Да» — сказал он."],
        ),
        ("İlham danışdı. Əliyev gəldi.", ["İlham danışdı.", "Əliyev gəldi."]),
        ("Prices rose 2.5 per cent, e.g. in Baku.", ["Prices rose 2.5 per cent, e.g. in Baku."]),
        ("", []),
    ],
)
def test_diff_compares_sentence_by_sentence(paragraph: str, expected: list[str]) -> None:
    assert sentences(paragraph) == expected
