"""`archive ingest`: the single writer draining a real Redis into a real archive file, and
publishing what the workers' incremental rules need."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from archive import redis_codec
from archive.ingest import ITEMS_KEY, Keys
from archive.redis_publish import decode_known, known_field
from tests.archive_rows import COUNTS, T0, article
from tests.crawling import ARCHIVE_COMMAND

KEYS = Keys(ITEMS_KEY)


@pytest.mark.parametrize(
    "value",
    [
        {"body": b"\x00\xffraw", "headers": {b"Content-Type": [b"text/html"]}},
        {"start_time": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)},
        {"baku": datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=4)))},
        {"__bytes__": "text a site happened to use as a key"},
        {"pairs": {1: "one", (2, 3): ["x"]}},
        {"title": "Zakir Həsənov: «İsrail» — ə ş ç ğ ı İ ö ü", "tags": [], "n": None},
    ],
)
def test_codec_round_trips_what_crosses_redis(value: dict[str, Any]) -> None:
    assert redis_codec.loads(redis_codec.dumps(value)) == value


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text() | st.binary(), inner),
    max_leaves=20,
)


@given(json_like)
def test_codec_round_trips_any_text_and_bytes(value: Any) -> None:
    assert redis_codec.loads(redis_codec.dumps(value)) == value


def test_codec_refuses_what_it_cannot_rebuild() -> None:
    with pytest.raises(TypeError, match="cannot send a set"):
        redis_codec.dumps({"tags": {"a"}})


def ingest(redis_url: str, archive: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [ARCHIVE_COMMAND, "ingest", "--redis", redis_url, "--db", str(archive), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def message(kind: str, **fields: Any) -> bytes:
    return redis_codec.dumps({"kind": kind, "run": "w1@T0", **fields})


def test_a_killed_writers_batch_is_written_again_and_duplicates_are_one_row(
    redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    started = message("run_started", spider="example", site="example", started_at=T0, worker="w1")
    # A writer died after moving these onto the processing list (newest on the left).
    client.lpush(KEYS.processing, started, message("article", row=article(1)))
    client.lpush(
        KEYS.items,
        message("article", row=article(1)),  # pushed again by a worker that was re-queued
        message("article", row=article(2)),
        message("article", row=article(3, title=None)),
        b"\x80 not json",
        message(
            "run_finished",
            finished_at=T0,
            finish_reason="finished",
            counts=COUNTS,
            stats={"distributed/worker": "w1", "start_time": datetime.now(UTC)},
        ),
    )
    archive = tmp_path / "archive.db"
    done = ingest(redis_url, archive, "--drain", "--batch-size", "2")
    assert done.returncode == 0, done.stderr
    assert "ingested 3 articles (2 new, 0 updated, 1 unchanged)" in done.stdout
    assert "2 messages rejected" in done.stdout
    with sqlite3.connect(archive) as db:
        urls = [url for (url,) in db.execute("select url from articles order by url")]
        db.row_factory = sqlite3.Row
        (run,) = db.execute("select * from crawl_runs").fetchall()
    assert urls == [article(1)["url"], article(2)["url"]]
    assert (run["articles_new"], run["articles_unchanged"], run["pages"]) == (2, 1, COUNTS["pages"])
    assert json.loads(run["stats"])["distributed/worker"] == "w1"
    assert run["finish_reason"] == "finished"
    reasons = [redis_codec.loads(raw)["reason"] for raw in client.lrange(KEYS.rejected, 0, -1)]
    assert any("politics/3" in reason and "'title'" in reason for reason in reasons), reasons
    assert any("not a message" in reason for reason in reasons), reasons
    assert client.llen(KEYS.items) == client.llen(KEYS.processing) == 0
    assert not client.exists(KEYS.writer), "the writer's lock outlived it"


def test_a_second_writer_is_refused(redis_url: str, client: redis.Redis, tmp_path: Path) -> None:
    client.set(KEYS.writer, "archive-host:4242", ex=30)
    client.lpush(KEYS.items, message("article", row=article(1)))
    done = ingest(redis_url, tmp_path / "archive.db", "--drain")
    assert done.returncode == 1
    assert "already has a writer (archive-host:4242)" in done.stderr
    assert client.llen(KEYS.items) == 1, "the refused writer took messages"


def test_unreachable_redis_is_one_clear_line(tmp_path: Path) -> None:
    done = ingest("redis://127.0.0.1:1/0", tmp_path / "archive.db", "--drain")
    assert done.returncode == 1
    assert "Error: redis redis://127.0.0.1:1/0:" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_not_modified_recheck_moves_only_the_seen_time(
    redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    # A worker's conditional re-check answered 304: the article's text stays, its
    # last_seen_at moves; a 304 for a URL the archive lacks changes nothing.
    later = "2030-01-01T00:00:00+00:00"
    client.lpush(KEYS.items, message("article", row=article(1)))
    archive = tmp_path / "archive.db"
    assert ingest(redis_url, archive, "--drain").returncode == 0
    client.lpush(
        KEYS.items,
        message("seen", url=article(1)["url"], seen_at=later),
        message("seen", url="https://example.com/politics/404", seen_at=later),
    )
    done = ingest(redis_url, archive, "--drain")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(archive) as db:
        rows = db.execute("select url, last_seen_at, version_count from articles").fetchall()
    assert rows == [(article(1)["url"], later, 1)]
    assert client.llen(KEYS.rejected) == 0


def test_a_page_that_gave_no_article_is_kept_and_published(
    redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    url = "https://example.com/politics/video-1"
    page = {
        "url": url,
        "status": 200,
        "headers": {"Content-Type": ["text/html"]},
        "body": b"<html><video></video></html>",
        "fetched_at": T0,
        "site": "example",
        "listing_section": None,
        "listing_year": None,
    }
    client.lpush(
        KEYS.items,
        message("rejected", page=page, reason="site 'example': no body"),
        message("rejected", page={**page, "body": None}, reason="no body"),
        message("rejected", page="not a page", reason="no body"),
        message("rejected", reason="no page at all"),
    )
    archive = tmp_path / "archive.db"
    done = ingest(redis_url, archive, "--drain")
    assert done.returncode == 0, done.stderr
    assert "3 messages rejected" in done.stdout
    with sqlite3.connect(archive) as db:
        kept = db.execute("select url, rejected from raw_pages where article_id is null").fetchall()
    assert kept == [(url, "site 'example': no body")]
    (since, etag, last_modified) = decode_known(
        client.hget(KEYS.known("example"), known_field(url))
    )
    assert (since, etag, last_modified) == (datetime.fromisoformat(T0), None, None)


def test_publish_only_rebuilds_the_workers_state_and_stops(
    redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    archive = tmp_path / "archive.db"
    client.lpush(KEYS.items, message("article", row=article(1)), message("article", row=article(2)))
    assert ingest(redis_url, archive, "--drain").returncode == 0
    client.flushdb()
    client.lpush(KEYS.items, message("article", row=article(3)))
    done = ingest(redis_url, archive, "--publish-only")
    assert done.returncode == 0, done.stderr
    assert "published 2 known URLs of 1 sites" in done.stderr
    assert client.hlen(KEYS.known("example")) == 2
    assert client.exists(KEYS.published)
    assert client.llen(KEYS.items) == 1, "--publish-only must not drain the list"


def test_a_writer_takes_over_the_lock_of_an_exited_writer_of_its_host(
    redis_url: str, client: redis.Redis, tmp_path: Path
) -> None:
    exited = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    client.set(KEYS.writer, f"{socket.gethostname()}:{exited.stdout.strip()}", ex=30)
    client.lpush(KEYS.items, message("article", row=article(1)))
    done = ingest(redis_url, tmp_path / "archive.db", "--drain")
    assert done.returncode == 0, done.stderr
    assert "took over the lock of writer" in done.stderr
    assert client.llen(KEYS.items) == 0
