"""Fetched article responses, kept compressed beside the articles they gave.

One row per distinct body of an article (by sha256 of the bytes as received): a
re-crawl that fetches the same bytes again only moves `last_fetched_at` and counts the
fetch, so daily re-crawls of unchanged pages cost no space, while every body an article
ever had stays available for re-extraction. Bodies are Zstandard-compressed (level 3):
on HTML it compresses as well as zlib's default level at about three times the speed,
which matters because compression is the largest part of writing a new raw page.
`encoding_codec` names the codec of each row, so another can be added without
rewriting old rows.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import zstandard
from sqlite_utils import Database

CODEC = "zstd"
COMPRESSION_LEVEL = 3
#: Raw pages read per query when iterating, so a reader holds no long statement open.
READ_CHUNK = 200
#: The keys of a raw page as the crawl gives it (`run_id` is added by the archive).
RAW_PAGE_KEYS = frozenset(
    ("url", "status", "headers", "body", "fetched_at", "site", "listing_section", "listing_year")
)
#: This thread's Zstandard compressor (see `_compressor`).
_local = threading.local()


def compress(body: bytes) -> bytes:
    """A Zstandard frame with the content size in its header, so readers size the output."""
    return _compressor().compress(body)


def _compressor() -> zstandard.ZstdCompressor:
    """One compressor per thread: making one per page costs as much as a small page's
    compression, and a compressor must not be shared between threads."""
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=COMPRESSION_LEVEL)
    return compressor


def decompress(body: bytes, codec: str) -> bytes:
    if codec != CODEC:
        raise ValueError(f"raw page body in unknown codec {codec!r}")
    return zstandard.ZstdDecompressor().decompress(body)


def header(headers: Mapping[str, Any], name: str) -> str | None:
    """The last value of a header, by case-insensitive name (headers may repeat)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            values = value if isinstance(value, list | tuple) else [value]
            return str(values[-1]) if values else None
    return None


def problem(page: Mapping[str, Any]) -> str | None:
    """What is wrong with a raw page given to the archive, or None."""
    if not isinstance(page, Mapping):
        return f"must be a dict, got {type(page).__name__}"
    if set(page) != RAW_PAGE_KEYS:
        return f"must have exactly the keys {sorted(RAW_PAGE_KEYS)}, got {sorted(page)}"
    checks = (
        ("url", isinstance(page["url"], str) and page["url"].strip()),
        ("status", isinstance(page["status"], int) and not isinstance(page["status"], bool)),
        ("headers", isinstance(page["headers"], Mapping)),
        ("body", isinstance(page["body"], bytes)),
        ("site", isinstance(page["site"], str) and page["site"].strip()),
        (
            "listing_section",
            page["listing_section"] is None or isinstance(page["listing_section"], str),
        ),
        ("listing_year", page["listing_year"] is None or type(page["listing_year"]) is int),
        ("fetched_at", _is_aware(page["fetched_at"])),
    )
    for key, ok in checks:
        if not ok:
            return f"key {key!r} is invalid: {page[key]!r:.80}"
    return None


def _is_aware(value: object) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


@dataclass(frozen=True)
class Prepared:
    """A page's digest and compressed body, computed before the write lock is taken."""

    digest: str
    body: bytes


def prepare(page: Mapping[str, Any]) -> Prepared:
    return Prepared(hashlib.sha256(page["body"]).hexdigest(), compress(page["body"]))


def store(
    db: Database,
    article_id: int | None,
    page: Mapping[str, Any],
    run_id: int | None,
    rejected: str | None = None,
    prepared: Prepared | None = None,
) -> None:
    """Keep one fetch: a new row for a new body, else count the fetch.

    A page that gave no article (`article_id` None) says why in `rejected`; its bodies
    are told apart by URL.
    """
    digest = hashlib.sha256(page["body"]).hexdigest() if prepared is None else prepared.digest
    if article_id is None:
        existing = db.execute(
            "SELECT id, last_fetched_at FROM raw_pages "
            "WHERE article_id IS NULL AND url = ? AND body_sha256 = ?",
            [page["url"], digest],
        ).fetchone()
    else:
        existing = db.execute(
            "SELECT id, last_fetched_at FROM raw_pages WHERE article_id = ? AND body_sha256 = ?",
            [article_id, digest],
        ).fetchone()
    if existing is not None:
        latest = max(existing[1], page["fetched_at"], key=datetime.fromisoformat)
        db.execute(
            "UPDATE raw_pages SET last_fetched_at = ?, fetch_count = fetch_count + 1 WHERE id = ?",
            [latest, existing[0]],
        )
        return
    body = compress(page["body"]) if prepared is None else prepared.body
    db.conn.execute(_INSERT, _row(article_id, page, digest, body, run_id, rejected))


def store_new(
    db: Database,
    pages: Sequence[tuple[int, Mapping[str, Any], Prepared | None]],
    run_id: int | None,
) -> None:
    """Keep the first fetch of articles just created, (article_id, page, prepared) triples,
    in one statement: a new article has no raw page yet, so each is a new row."""
    rows = []
    for article_id, page, prepared in pages:
        ready = prepare(page) if prepared is None else prepared
        rows.append(_row(article_id, page, ready.digest, ready.body, run_id, None))
    db.conn.executemany(_INSERT, rows)


_INSERT = """INSERT INTO raw_pages (article_id, url, status, headers, body, encoding_codec,
    body_size, body_sha256, fetched_at, last_fetched_at, run_id, site, listing_section,
    listing_year, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _row(
    article_id: int | None,
    page: Mapping[str, Any],
    digest: str,
    body: bytes,
    run_id: int | None,
    rejected: str | None,
) -> tuple[Any, ...]:
    return (
        article_id,
        page["url"],
        page["status"],
        json.dumps(dict(page["headers"]), ensure_ascii=False),
        body,
        CODEC,
        len(page["body"]),
        digest,
        page["fetched_at"],
        page["fetched_at"],
        run_id,
        page["site"],
        page["listing_section"],
        page["listing_year"],
        rejected,
    )


def latest(db: Database, site: str | None) -> Iterator[dict[str, Any]]:
    """The most recently fetched raw page of each article (of one site), oldest article first."""
    ids = [
        row[0]
        for row in db.execute(
            """SELECT id FROM (
                SELECT raw_pages.id, raw_pages.article_id, row_number() OVER (
                    PARTITION BY raw_pages.article_id
                    ORDER BY julianday(raw_pages.last_fetched_at) DESC, raw_pages.id DESC) AS rank
                FROM raw_pages JOIN articles ON articles.id = raw_pages.article_id
                WHERE ? IS NULL OR articles.site = ?
            ) WHERE rank = 1 ORDER BY article_id""",
            [site, site],
        )
    ]
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        marks = ", ".join("?" * len(chunk))
        cursor = db.execute(
            f"SELECT * FROM raw_pages WHERE id IN ({marks}) ORDER BY article_id",
            chunk,
        )
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            row["body"] = decompress(row["body"], row.pop("encoding_codec"))
            row["headers"] = json.loads(row["headers"])
            yield row
