"""`archive serve` against a real Datasette process on a free loopback port."""

import json
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.cli import cli
from archive.serve import command, metadata
from tests.archive_rows import article

STARTUP_SECONDS = 60
TODAY = datetime.now(UTC).replace(hour=0, minute=5, second=0, microsecond=0).isoformat()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "news.db"
    with Archive(path) as archive:
        archive.upsert_articles(
            [
                article(
                    1,
                    site="alpha",
                    section="defence",
                    body="The Iron Dome system.",
                    published_at=TODAY,
                ),
                article(
                    2,
                    site="alpha",
                    section="economy",
                    body="A budget.",
                    published_at="2017-09-13T10:15:00+00:00",
                ),
                article(
                    3,
                    site="beta",
                    section="defence",
                    language="ru",
                    body="Москва.",
                    published_at=TODAY,
                ),
            ]
        )
        # Article 2 corrected later: a second version.
        archive.upsert_articles(
            [
                article(
                    2,
                    site="alpha",
                    section="economy",
                    body="A revised budget.",
                    published_at="2017-09-13T10:15:00+00:00",
                    seen_at="2024-03-02T10:00:00+00:00",
                )
            ]
        )
    return path


@pytest.fixture(scope="module")
def base_url(db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from archive.cli import cli; cli()",
                "serve",
                "--db",
                str(db_path),
                "--port",
                "0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{wait_for_port(process, log)}"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) is not None
    # Datasette stopped with it: nothing left serving the file.
    assert "Finished server process" in log.read_text()


def wait_for_port(process: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            raise AssertionError(
                f"archive serve exited with {process.returncode}:\n{log.read_text()}"
            )
        time.sleep(0.1)
    raise AssertionError(f"Datasette did not start in {STARTUP_SECONDS}s:\n{log.read_text()}")


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_table_json_with_facets(base_url: str) -> None:
    data = get(f"{base_url}/news/articles.json?_shape=objects&_sort=id")
    assert [row["id"] for row in data["rows"]] == [1, 2, 3]
    facets = data["facet_results"]
    facets = facets.get("results", facets)  # Datasette 1.0 nests them
    assert {"site", "section", "language"} <= set(facets)
    sites = {value["value"]: value["count"] for value in facets["site"]["results"]}
    assert sites == {"alpha": 2, "beta": 1}


def test_canned_queries(base_url: str) -> None:
    search = get(f"{base_url}/news/search.json?_shape=array&q=" + urllib.parse.quote('iron "dome'))
    # The text is searched as one phrase: a stray quote is punctuation, not an SQL error.
    assert [row["id"] for row in search] == [1]
    (hit,) = get(f"{base_url}/news/search.json?_shape=array&q=iron+dome")
    assert hit["id"] == 1
    assert hit["snippet"] == "The [Iron Dome] system."
    today = get(f"{base_url}/news/todays_articles.json?_shape=array")
    assert sorted(row["id"] for row in today) == [1, 3]
    tagged = get(f"{base_url}/news/tagged.json?_shape=array&tag=ELECTION")
    assert sorted(row["id"] for row in tagged) == [1, 2, 3]
    changed = get(f"{base_url}/news/changed_articles.json?_shape=array")
    assert [(row["id"], row["version_count"]) for row in changed] == [(2, 2)]
    per_day = get(f"{base_url}/news/articles_per_day.json?_shape=array")
    assert {"day": TODAY[:10], "site": "beta", "articles": 1} in per_day
    assert {"day": "2017-09-13", "site": "alpha", "articles": 1} in per_day


def test_metadata_titles_tables_and_columns(base_url: str) -> None:
    served = get(f"{base_url}/-/metadata.json")
    assert served["title"] == "News archive"
    articles = served["databases"]["news"]["tables"]["articles"]
    assert articles["facets"] == ["site", "section", "language"]
    assert "canonical" in articles["columns"]["url"].lower()
    assert set(served["databases"]["news"]["queries"]) == {
        "todays_articles",
        "articles_per_day",
        "search",
        "tagged",
        "changed_articles",
    }


def test_read_only(base_url: str, db_path: Path) -> None:
    sql = urllib.parse.quote("update articles set title = 'x'")
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(f"{base_url}/news.json?sql={sql}")
    assert refused.value.code == 400
    refused.value.close()
    with Archive(db_path) as archive:
        assert archive.find_article("https://news.example/politics/1")["title"] == "Headline 1"


def test_metadata_file_covers_every_table(db_path: Path) -> None:
    """Every table of the schema is titled (or hidden) in the metadata."""
    tables = metadata(db_path)["databases"]["news"]["tables"]
    with Archive(db_path) as archive:
        names = {name for name in archive.db.table_names() if not name.startswith("articles_fts")}
    assert names <= set(tables)


def test_command_binds_loopback_only(db_path: Path) -> None:
    argv = command(db_path, Path("m.json"), port=8001)
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert "-i" not in argv
    assert command(db_path, Path("m.json"), port=8001, immutable=True)[4:6] == ["-i", str(db_path)]


def test_serve_without_datasette_is_a_clear_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "datasette", None)  # as if it were not installed
    result = CliRunner().invoke(cli, ["serve", "--db", str(db_path)])
    assert result.exit_code == 1
    assert (
        result.output
        == "Error: archive serve needs Datasette: pip install 'news-archiver[serve]'\n"
    )
