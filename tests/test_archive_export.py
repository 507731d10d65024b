"""Export round trips: what `archive export` writes reads back as the articles stored."""

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from archive import Archive
from archive import export as export_module
from archive.cli import cli
from archive.export import export, format_for
from archive.search import ArticleFilter
from tests.archive_rows import article

HOSTILE = "Quotes \" and ' commas, new\nlines\r\n, tabs\t, NUL-free ünïcödé Şəhər Москва"


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive.db")
    archive.upsert_articles(
        [
            article(
                n, site="alpha" if n % 2 else "beta", published_at=f"2024-03-{n:02d}T12:00:00+00:00"
            )
            for n in range(1, 8)
        ]
        + [
            article(
                8, title=HOSTILE, summary=None, authors=[], tags=["a,b", 'q"t'], published_at=None
            )
        ]
    )
    yield archive
    archive.close()


def stored(archive: Archive) -> list[dict[str, Any]]:
    rows = archive.db.query("SELECT * FROM articles ORDER BY id")
    return [
        {**row, "authors": json.loads(row["authors"]), "tags": json.loads(row["tags"])}
        for row in rows
    ]


def test_jsonl_round_trip(archive: Archive) -> None:
    out = io.BytesIO()
    assert export(archive.db, out, "jsonl") == 8
    lines = out.getvalue().decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == stored(archive)


def test_csv_round_trip(archive: Archive) -> None:
    out = io.BytesIO()
    export(archive.db, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    expected = stored(archive)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert json.loads(row["authors"]) == want["authors"]
        assert json.loads(row["tags"]) == want["tags"]
        for key in ("id", "version_count", "current_version"):
            assert int(row[key]) == want[key]
        for key in ("url", "title", "body", "published_at", "summary"):
            assert row[key] == (want[key] or "")  # NULL is an empty cell
    assert rows[-1]["title"] == HOSTILE


def test_parquet_round_trip_in_row_groups(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "BATCH_ROWS", 3)
    out = io.BytesIO()
    assert export(archive.db, out, "parquet") == 8
    parquet = pq.ParquetFile(io.BytesIO(out.getvalue()))
    assert parquet.metadata.num_row_groups == 3  # written batch by batch, not all at once
    assert str(parquet.schema_arrow.field("tags").type).startswith("list<")
    assert str(parquet.schema_arrow.field("id").type) == "int64"
    assert parquet.read().to_pylist() == stored(archive)


def test_filters_and_progress(archive: Archive) -> None:
    out = io.BytesIO()
    seen: list[int] = []
    article_filter = ArticleFilter(site="alpha", since="2024-03-02T00:00:00+00:00")
    assert export(archive.db, out, "jsonl", article_filter, progress=seen.append) == 3
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == [3, 5, 7]
    assert sum(seen) == 3


def test_empty_export(archive: Archive) -> None:
    out = io.BytesIO()
    assert export(archive.db, out, "csv", ArticleFilter(site="nobody")) == 0
    assert out.getvalue().decode().startswith("id,url,site,")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "jsonl"),
        ("A.NDJSON", "jsonl"),
        ("a.csv", "csv"),
        ("x.parquet", "parquet"),
        ("a.txt", None),
    ],
)
def test_format_for(name: str, fmt: str | None) -> None:
    assert format_for(name) == fmt


def db_file(archive: Archive) -> str:
    return archive.db.conn.execute("PRAGMA database_list").fetchone()[2]


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_export_command_to_files(archive: Archive, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out.{suffix}"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--db",
            db_file(archive),
            "-o",
            str(target),
            "--site",
            "beta",
            "--until",
            "2024-03-04",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output == f"2 articles exported to {target} ({suffix})\n"
    )  # no progress bar off a terminal
    if suffix == "parquet":
        ids = pq.read_table(target).column("id").to_pylist()
    elif suffix == "csv":
        ids = [
            int(row["id"])
            for row in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline=""))
        ]
    else:
        ids = [json.loads(line)["id"] for line in target.read_text().splitlines()]
    assert ids == [2, 4]


def test_export_command_to_stdout(archive: Archive) -> None:
    result = CliRunner().invoke(
        cli, ["export", "--db", db_file(archive), "--format", "csv", "--language", "en"]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("id,url,")
    assert len(list(csv.reader(io.StringIO(result.stdout)))) == 9


def test_parquet_to_stdout_is_refused(archive: Archive) -> None:
    result = CliRunner().invoke(cli, ["export", "--db", db_file(archive), "--format", "parquet"])
    assert result.exit_code == 2
    assert "Parquet needs a file" in result.output


def test_parquet_without_pyarrow_is_a_clear_error(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    target = tmp_path / "out.parquet"
    result = CliRunner().invoke(cli, ["export", "--db", db_file(archive), "-o", str(target)])
    assert result.exit_code == 1
    assert "Parquet export needs pyarrow: pip install 'news-archiver[parquet]'" in result.output
    jsonl = CliRunner().invoke(cli, ["export", "--db", db_file(archive)])
    assert jsonl.exit_code == 0  # the other formats do not need it


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_versions_export(archive: Archive, fmt: str) -> None:
    archive.upsert_articles(
        [article(3, body="Corrected.", site="alpha", seen_at="2024-04-01T00:00:00+00:00")]
    )
    out = io.BytesIO()
    assert export(archive.db, out, fmt, ArticleFilter(site="alpha"), versions=True) == 5
    if fmt == "parquet":
        rows = pq.ParquetFile(io.BytesIO(out.getvalue())).read().to_pylist()
    else:
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(row["url"], row["version"]) for row in rows] == [
        ("https://news.example/politics/1", 1),
        ("https://news.example/politics/3", 1),
        ("https://news.example/politics/3", 2),
        ("https://news.example/politics/5", 1),
        ("https://news.example/politics/7", 1),
    ]
    first, second = rows[1], rows[2]
    assert (first["body"], second["body"]) == ("Body of article 3.", "Corrected.")
    assert first["site"] == "alpha" and first["tags"] == ["election"]
    assert list(rows[0])[:5] == ["id", "article_id", "url", "site", "version"]


def test_versions_export_command(archive: Archive) -> None:
    result = CliRunner().invoke(cli, ["export", "--db", db_file(archive), "--versions"])
    assert result.exit_code == 0
    assert result.output.endswith("8 article versions exported to standard output (jsonl)\n")
