"""The incremental rule over Redis: what `archive ingest` publishes, read as a worker reads
it, against a real redis-server. The answers must be the archive file's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from archive import Archive, redis_publish
from archive.ingest import ITEMS_KEY, Keys, RedisIngest, WriterBusy
from archive.redis_publish import KnownPublisher, decode_known, encode_known, known_field
from archive.schema import RUN_COUNT_COLUMNS
from crawler.known_articles import KnownArticles, Visit
from crawler.redis_known import RedisKnownArticles
from tests.archive_rows import article
from tests.test_known_articles import BASE, NOW, VISITS, build_archive

KEYS = Keys(ITEMS_KEY)
WALK_KEY = "example:requests:walk"


def worker(
    client: redis.Redis, *, recheck_days: int = 3, now: datetime = NOW
) -> RedisKnownArticles:
    crawler: Crawler = get_crawler(settings_dict={"REDIS_URL": "redis://unused"})
    return RedisKnownArticles(
        crawler,
        client,
        site="example",
        keys=KEYS,
        walk_key=WALK_KEY,
        recheck_days=recheck_days,
        now=now,
    )


def publish(client: redis.Redis, path: Path) -> None:
    with Archive(path) as archive:
        KnownPublisher(client, archive, KEYS, str(path)).publish_all()


@pytest.mark.parametrize(
    ("since", "etag", "last_modified"),
    [
        ("2024-03-09T07:00:00+00:00", '"v1"', "Sat, 09 Mar 2024 07:00:00 GMT"),
        ("2024-03-09T07:00:00.250000+04:00", None, "Sat, 09 Mar 2024 03:00:00 GMT"),
        ("2024-03-09T07:00:00+00:00", None, None),
        (None, 'W/"ə"', None),
        ("not a time", None, None),
        ("2024-03-09T07:00:00", None, None),  # no offset: no instant, never due
        # Last-Modified in other forms than the standard one goes back as it came.
        ("2024-03-09T07:00:00+00:00", None, "Saturday, 09-Mar-24 07:00:00 GMT"),
        ("2024-03-09T07:00:00+00:00", None, "Sat Mar  9 07:00:00 2024"),
        ("2024-03-09T07:00:00+00:00", None, "Sat, 09 Mar 2024 07:00:00 +0000"),
        ("2024-03-09T07:00:00+00:00", None, "Sat, 9 Mar 2024 07:00:00 GMT"),
        ("2024-03-09T07:00:00+00:00", None, "yesterday"),
    ],
)
def test_entries_round_trip(since: str | None, etag: str | None, last_modified: str | None) -> None:
    encoded = encode_known(since, etag, last_modified)
    expected_since = None
    if since and since[-6] == "+":
        expected_since = datetime.fromisoformat(since).replace(microsecond=0).astimezone(UTC)
    assert decode_known(encoded) == (expected_since, etag, last_modified)
    if etag is None and last_modified is None:
        assert "null" not in encoded  # trailing nulls are left out
    if last_modified == "Sat, 09 Mar 2024 07:00:00 GMT":
        assert "GMT" not in encoded  # the standard form is kept as seconds


@given(st.text() | st.none(), st.text() | st.none())
def test_validators_from_any_server_go_back_as_they_came(
    etag: str | None, last_modified: str | None
) -> None:
    encoded = encode_known("2024-03-09T07:00:00+00:00", etag, last_modified)
    assert decode_known(encoded)[1:] == (etag, last_modified)


@pytest.mark.parametrize(("url", "recheck_days", "expected"), VISITS)
def test_visits_are_the_archive_files(
    client: redis.Redis, tmp_path: Path, url: str, recheck_days: int, expected: Visit
) -> None:
    path = build_archive(tmp_path / "archive.db")
    publish(client, path)
    with KnownArticles(path, recheck_days=recheck_days, now=NOW) as local:
        assert local.visit(url) == expected
    assert worker(client, recheck_days=recheck_days).visit(url) == expected


def test_a_republication_replaces_the_state_whole(client: redis.Redis, tmp_path: Path) -> None:
    path = build_archive(tmp_path / "archive.db")
    client.hset(KEYS.known("gone-site"), known_field("https://gone.example/1"), "[1]")
    client.hset(f"{KEYS.published}:building:gone-site", "x", "[1]")  # a killed publish's
    client.hset(KEYS.known("example"), known_field(f"{BASE}/not-in-the-archive"), "[1]")
    publish(client, path)
    assert not client.exists(KEYS.known("gone-site"))
    assert not client.hexists(KEYS.known("example"), known_field(f"{BASE}/not-in-the-archive"))
    # Each article under each URL it was reached through, and the rejected pages.
    assert client.hlen(KEYS.known("example")) == 7
    assert client.hget(KEYS.published, "urls") == b"7"
    assert client.keys(f"{KEYS.published}:building:*") == []


def test_a_publish_that_loses_the_writers_lock_replaces_nothing(
    client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_archive(tmp_path / "archive.db")
    newer = known_field(f"{BASE}/published-by-a-newer-writer")
    client.hset(KEYS.known("example"), newer, "[1]")
    monkeypatch.setattr(redis_publish, "PIPELINE_CHUNK", 2)
    renewals: list[int] = []

    def keep_lock() -> None:
        renewals.append(1)
        if len(renewals) == 2:
            raise WriterBusy("another writer has the lock")

    with Archive(path) as archive, pytest.raises(WriterBusy):
        KnownPublisher(client, archive, KEYS, str(path)).publish_all(keep_lock)
    assert client.hexists(KEYS.known("example"), newer)
    assert not client.exists(KEYS.published)


def test_a_batch_publishes_every_url_of_the_articles_it_touched(
    client: redis.Redis, tmp_path: Path
) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        writer = RedisIngest(client, archive, keys=KEYS, source=str(path))
        writer.publisher.publish_all()
        archive.upsert_articles([article(1, urls=[(f"{BASE}/1?from=feed", "requested")])])
        # Found again, edited, at a new URL with a new ETag: the old URLs must carry it too.
        raw = {
            "url": f"{BASE}/1-amp",
            "status": 200,
            "headers": {"ETag": ['"v2"']},
            "body": b"<html></html>",
            "fetched_at": "2024-03-09T09:00:00+00:00",
            "site": "example",
            "listing_section": None,
            "listing_year": None,
        }
        archive.upsert_articles(
            [
                article(
                    1, body="Body, corrected.", urls=[(f"{BASE}/1-amp", "requested")], raw_page=raw
                )
            ]
        )
        assert writer.publisher.publish_urls([f"{BASE}/1-amp"]) == 3
        stored = archive.find_article(f"{BASE}/1")
    assert stored is not None and stored["etag"] == '"v2"'
    values = client.hgetall(KEYS.known("example"))
    urls = (f"{BASE}/1", f"{BASE}/1?from=feed", f"{BASE}/1-amp")
    assert set(values) == {known_field(url) for url in urls}
    assert {decode_known(value)[1] for value in values.values()} == {'"v2"'}


def _run(archive: Archive, started: str, finished: str | None, reason: str | None) -> int:
    run_id = archive.start_run(spider="example", site="example", started_at=started)
    if finished is not None and reason is not None:
        counts = dict.fromkeys(RUN_COUNT_COLUMNS, 0)
        archive.finish_run(
            run_id, finished_at=finished, finish_reason=reason, counts=counts, stats={}
        )
    return run_id


@pytest.mark.parametrize(
    ("runs", "unfinished"),
    [
        pytest.param([], False, id="first run"),
        pytest.param([("08:00", "08:10", "finished")], False, id="finished"),
        pytest.param([("08:00", None, None)], True, id="killed"),
        pytest.param([("08:00", "08:10", "shutdown")], True, id="stopped"),
        # Distributed: a worker lost halfway, then the others drained the frontier.
        pytest.param(
            [("08:00", "08:05", "worker_lost"), ("08:00", "08:10", "finished")],
            False,
            id="a worker lost, the run finished",
        ),
        # Every worker of the last run killed, after an earlier run had finished.
        pytest.param(
            [("06:00", "06:10", "finished"), ("08:00", None, None), ("08:01", None, None)],
            True,
            id="every worker killed",
        ),
        # One worker stopped and its work re-queued; a later finish covers it.
        pytest.param(
            [("08:00", "08:03", "shutdown"), ("08:01", "08:10", "finished")],
            False,
            id="a worker stopped, the run finished",
        ),
    ],
)
def test_the_last_runs_end_as_the_writer_publishes_it(
    client: redis.Redis,
    tmp_path: Path,
    runs: list[tuple[str, str | None, str | None]],
    unfinished: bool,
) -> None:
    day = "2024-03-10T"
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        writer = RedisIngest(client, archive, keys=KEYS, source=str(path))
        for started, finished, reason in runs:
            run_id = _run(
                archive,
                f"{day}{started}:00+00:00",
                finished and f"{day}{finished}:00+00:00",
                reason,
            )
            writer.publisher.run_started(run_id, "example", f"{day}{started}:00+00:00")
            if finished is not None and reason is not None:
                writer.publisher.run_finished(
                    run_id, "example", f"{day}{finished}:00+00:00", reason
                )
        # This run's own start, already written (to the second), is not "the last run".
        now = datetime.fromisoformat(f"{day}12:00:00.600000+00:00")
        own = _run(archive, f"{day}12:00:00+00:00", None, None)
        writer.publisher.run_started(own, "example", f"{day}12:00:00+00:00")
        as_published = client.zrange(KEYS.open_runs("example"), 0, -1, withscores=True)
        writer.publisher.publish_all()  # the same state, rebuilt from the archive alone
        assert client.zrange(KEYS.open_runs("example"), 0, -1, withscores=True) == as_published
    assert worker(client, now=now).last_run_unfinished("example", now) is unfinished


def test_the_walk_is_decided_once_per_run(client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        killed = _run(archive, "2024-03-10T08:00:00+00:00", None, None)
        publisher = KnownPublisher(client, archive, KEYS, str(path))
        publisher.publish_all()
        now = datetime(2024, 3, 10, 12, tzinfo=UTC)
        assert worker(client, now=now).last_run_unfinished("example", now) is True
        # The killed run's row is closed by a later finish while this run goes on: a
        # worker joining now still walks as the run's first worker decided.
        publisher.run_finished(killed, "example", "2024-03-10T12:30:00+00:00", "finished")
        assert worker(client, now=now).last_run_unfinished("example", now) is True
        client.delete(WALK_KEY)  # the last worker out of the run clears it
        assert worker(client, now=now).last_run_unfinished("example", now) is False
