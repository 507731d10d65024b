"""Articles out of the archive as JSON Lines, CSV or Parquet, streamed.

Rows are read from one cursor in batches and written as they come, so memory stays at
one batch whatever the archive's size. The columns are the `articles` table's own (read
from the schema, so a column added later is exported too); `authors` and `tags` are
lists in JSON Lines and Parquet, and JSON arrays as text in CSV (one cell per field).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal

from sqlite_utils import Database

from archive.schema import ARTICLE_LIST_FIELDS
from archive.search import NO_FILTER, ArticleFilter

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
#: Rows per read from SQLite and per Parquet row group: a few MB of text at a time.
BATCH_ROWS = 5_000

Progress = Callable[[int], None]


class ExportError(Exception):
    """An export that cannot be made (a missing optional library, a bad format)."""


def format_for(path: str) -> Format | None:
    """The format a file name's suffix names, or None."""
    for suffix, name in SUFFIXES.items():
        if path.lower().endswith(suffix):
            return name  # type: ignore[return-value]
    return None


def count(db: Database, article_filter: ArticleFilter, *, versions: bool = False) -> int:
    """How many rows `export` writes with these options."""
    where, params = article_filter.where()
    source = _VERSIONS_FROM if versions else "articles"
    return int(db.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0])


def export(
    db: Database,
    out: IO[bytes],
    fmt: Format,
    article_filter: ArticleFilter = NO_FILTER,
    *,
    versions: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write the filtered articles to the binary stream `out`, oldest id first; return how many.

    `versions=True` writes every version of the filtered articles instead (the
    `article_versions` columns, with the article's `url` and `site`), oldest first per
    article; the filters apply to the article as it is now. `progress` is called with the
    number of rows of each batch written.
    """
    writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}.get(fmt)
    if writer is None:
        raise ExportError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    columns = version_columns(db) if versions else article_columns(db)
    written = 0
    batches = _batches(db, columns, article_filter, versions)

    def counted() -> Iterator[list[tuple[Any, ...]]]:
        nonlocal written
        for batch in batches:
            yield batch
            written += len(batch)
            if progress is not None:
                progress(len(batch))

    writer(out, [(name, declared) for _, name, declared in columns], counted())
    return written


#: Versions joined to their article, which the filters are about.
_VERSIONS_FROM = "article_versions JOIN articles ON articles.id = article_versions.article_id"


def article_columns(db: Database) -> list[tuple[str, str, str]]:
    """(table, name, declared SQLite type) of every `articles` column, in table order."""
    return _columns(db, "articles")


def version_columns(db: Database) -> list[tuple[str, str, str]]:
    """Every `article_versions` column, with the article's url and site after article_id."""
    columns = _columns(db, "article_versions")
    position = next(i for i, (_, name, _) in enumerate(columns) if name == "article_id") + 1
    article = [("articles", "url", "TEXT"), ("articles", "site", "TEXT")]
    return columns[:position] + article + columns[position:]


def _columns(db: Database, table: str) -> list[tuple[str, str, str]]:
    return [(table, row[1], row[2].upper()) for row in db.execute(f"PRAGMA table_info({table})")]


def _batches(
    db: Database,
    columns: list[tuple[str, str, str]],
    article_filter: ArticleFilter,
    versions: bool,
) -> Iterator[list[tuple[Any, ...]]]:
    where, params = article_filter.where()
    names = ", ".join(f"{table}.{name}" for table, name, _ in columns)
    source, order = (
        (_VERSIONS_FROM, "articles.id, article_versions.version")
        if versions
        else ("articles", "articles.id")
    )
    cursor = db.execute(f"SELECT {names} FROM {source} WHERE {where} ORDER BY {order}", params)
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield batch


def _list_positions(columns: list[tuple[str, str]]) -> list[int]:
    return [i for i, (name, _) in enumerate(columns) if name in ARTICLE_LIST_FIELDS]


def _decoded_lists(row: tuple[Any, ...], positions: list[int]) -> list[Any]:
    values = list(row)
    for i in positions:
        if values[i] is not None:
            values[i] = json.loads(values[i])
    return values


def _write_jsonl(
    out: IO[bytes],
    columns: list[tuple[str, str]],
    batches: Iterator[list[tuple[Any, ...]]],
) -> None:
    names = [name for name, _ in columns]
    lists = _list_positions(columns)
    for batch in batches:
        lines = (
            json.dumps(
                dict(zip(names, _decoded_lists(row, lists), strict=True)), ensure_ascii=False
            )
            for row in batch
        )
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


def _write_csv(
    out: IO[bytes],
    columns: list[tuple[str, str]],
    batches: Iterator[list[tuple[Any, ...]]],
) -> None:
    """RFC 4180 CSV in UTF-8; NULL is an empty cell (as sqlite3 and sqlite-utils export it)."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow([name for name, _ in columns])
        for batch in batches:
            writer.writerows(batch)
        text.flush()
    finally:
        text.detach()  # leave `out` open: it belongs to the caller


def _write_parquet(
    out: IO[bytes],
    columns: list[tuple[str, str]],
    batches: Iterator[list[tuple[Any, ...]]],
) -> None:
    """One row group per batch, written as it comes (pyarrow's ParquetWriter), zstd-compressed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(
            "Parquet export needs pyarrow: pip install 'news-archiver[parquet]' "
            "(or export --format jsonl / csv)"
        ) from None

    def arrow_type(name: str, declared: str) -> Any:
        if name in ARTICLE_LIST_FIELDS:
            return pa.list_(pa.string())
        if "INT" in declared:
            return pa.int64()
        if declared in ("REAL", "FLOAT", "DOUBLE"):
            return pa.float64()
        return pa.string()

    schema = pa.schema([pa.field(name, arrow_type(name, declared)) for name, declared in columns])
    lists = _list_positions(columns)
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in batches:
            rows = [_decoded_lists(row, lists) for row in batch]
            arrays = [
                pa.array([row[i] for row in rows], type=field.type)
                for i, field in enumerate(schema)
            ]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
