"""The single archive writer of a distributed crawl: Redis messages -> ``Archive``.

Crawl workers on any machine push messages onto one Redis list (``ITEMS_KEY``); this
writer drains it into the SQLite archive through ``Archive.upsert_articles``, the same
deduplicating code the local pipeline calls, so the archive never has to be shared over
a network. Messages are dicts encoded with ``archive.redis_codec``:

- ``{"kind": "article", "run": TOKEN, "row": {...}}``: one article, as the local pipeline
  would batch it;
- ``{"kind": "seen", "run": TOKEN, "url", "seen_at"}``: an archived article found
  unchanged by a conditional re-check (a 304): only its seen time moves;
- ``{"kind": "rejected", "run": TOKEN, "page", "reason"}``: the raw page of an article
  page that gave no article, kept as the local pipeline keeps it;
- ``{"kind": "run_started", "run": TOKEN, "spider", "site", "started_at", "worker"}``;
- ``{"kind": "run_finished", "run": TOKEN, "finished_at", "finish_reason", "counts",
  "stats"}``: the worker's counts; the writer adds the archive outcomes it tallied.

Delivery is at least once: a batch is moved atomically (LMOVE) onto a processing list,
written, and only then dropped from Redis, so a writer killed mid-batch writes the batch
again when it restarts; the archive's upserts make that harmless (an article sent twice
is one row). Messages that cannot be archived go to a rejected list with the reason.

After each written batch, and before it leaves Redis, the writer publishes what the batch
changed in the workers' incremental state (``archive.redis_publish``); it publishes the
whole state from the archive when it starts and whenever that state has gone from Redis.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from archive import redis_codec
from archive.db import Archive
from archive.redis_publish import KnownPublisher
from archive.schema import RUN_COUNT_COLUMNS, SchemaError

logger = logging.getLogger(__name__)

ITEMS_KEY = "archive:items"
#: How long the writer's lock outlives a writer that stopped refreshing it (killed).
LOCK_SECONDS = 10
#: How long the writer waits on a Redis that stopped answering before it stops with an
#: error, as scrapy-redis's workers do; far above the blocking wait for items.
REDIS_TIMEOUT_SECONDS = 30
#: How long the writer remembers a run's row id and tallies after the last message.
RUN_MEMORY_SECONDS = 7 * 24 * 3600
#: The stat naming the worker of a distributed run, kept in crawl_runs.stats.
WORKER_STAT = "distributed/worker"
#: The crawl_runs count columns the writer fills from the outcomes it saw.
OUTCOME_COLUMNS = {
    "articles_new": "new",
    "articles_updated": "updated",
    "articles_unchanged": "unchanged",
}


class IngestError(RuntimeError):
    """The writer cannot run: Redis unreachable, another writer, not an archive."""


class WriterBusy(IngestError):
    """Another writer drains the same list: two would race on the processing list."""


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one item list; workers and the writer agree through these."""

    items: str = ITEMS_KEY

    @property
    def processing(self) -> str:
        return f"{self.items}:processing"

    @property
    def rejected(self) -> str:
        return f"{self.items}:rejected"

    @property
    def writer(self) -> str:
        return f"{self.items}:writer"

    def run(self, token: str) -> str:
        return f"{self.items}:run:{token}"

    # What the writer publishes for the workers' incremental rules (archive.redis_publish).
    def known(self, site: str) -> str:
        return f"{self.items}:known:{site}"

    def open_runs(self, site: str) -> str:
        return f"{self.items}:unfinished-runs:{site}"

    @property
    def published(self) -> str:
        return f"{self.items}:published"


@dataclass
class IngestTotals:
    batches: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    runs_started: int = 0
    runs_finished: int = 0
    rejected: int = 0

    def summary(self) -> str:
        articles = sum(self.outcomes.values())
        parts = ", ".join(f"{self.outcomes[name]} {name}" for name in OUTCOME_COLUMNS.values())
        return (
            f"ingested {articles} articles ({parts}) in {self.batches} batches; "
            f"{self.runs_started} runs started, {self.runs_finished} finished; "
            f"{self.rejected} messages rejected"
        )


class RedisIngest:
    """Drains one Redis item list into one archive file, batch by batch."""

    def __init__(
        self,
        client: redis.Redis,
        archive: Archive,
        *,
        keys: Keys | None = None,
        batch_size: int = 500,
        wait_seconds: float = 1.0,
        source: str = "",
    ) -> None:
        self.client = client
        self.archive = archive
        self.keys = keys or Keys()
        self.publisher = KnownPublisher(client, archive, self.keys, source)
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.totals = IngestTotals()
        self.lock_owner = f"{socket.gethostname()}:{os.getpid()}"

    def run(self, *, drain: bool = False, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Write batches until stopped, or, with ``drain``, until the list is empty."""
        self._lock()
        try:
            self.publisher.publish_all(self._lock)
            while not should_stop():
                self._lock()
                if not self.publisher.is_published():
                    logger.warning("the workers' incremental state has gone from Redis")
                    self.publisher.publish_all(self._lock)
                batch = self._take_batch()
                if batch:
                    self._write(batch)
                elif drain:
                    return
        finally:
            self._unlock()

    def publish(self) -> None:
        """Publish the workers' incremental state from the archive, and stop. It takes the
        writer's lock: a running writer republishes by itself when ``published`` goes."""
        self._lock()
        try:
            self.publisher.publish_all(self._lock)
        finally:
            self._unlock()

    def _lock(self) -> None:
        held = (
            self.client.set(self.keys.writer, self.lock_owner, ex=LOCK_SECONDS, nx=True)
            or self.client.get(self.keys.writer) == self.lock_owner.encode()
            or self._take_stale_lock()
        )
        if not held:
            owner = (self.client.get(self.keys.writer) or b"?").decode()
            raise WriterBusy(
                f"list {self.keys.items!r} already has a writer ({owner}); one writer per "
                f"archive, or wait {LOCK_SECONDS}s if that writer was killed"
            )
        self.client.expire(self.keys.writer, LOCK_SECONDS)

    def _take_stale_lock(self) -> bool:
        """Take the lock of a writer of this host whose process is gone: one that exited
        while Redis was away could not release it, and its successor need not wait. The
        lock names its holder by host name and pid, so host names must be unique."""
        host, _, pid = (self.client.get(self.keys.writer) or b"").decode().rpartition(":")
        if host != socket.gethostname() or not pid.isdigit() or _process_exists(int(pid)):
            return False
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self.keys.writer)
                if pipe.get(self.keys.writer) != f"{host}:{pid}".encode():
                    return False
                pipe.multi()
                pipe.set(self.keys.writer, self.lock_owner, ex=LOCK_SECONDS)
                pipe.execute()
            except redis.WatchError:
                return False
        logger.info("took over the lock of writer %s:%s, which has exited", host, pid)
        return True

    def _unlock(self) -> None:
        if self.client.get(self.keys.writer) == self.lock_owner.encode():
            self.client.delete(self.keys.writer)

    def _take_batch(self) -> list[bytes]:
        """The oldest messages, moved onto the processing list; a dead writer's batch first.

        Both lists are pushed on the left, so reading right to left is oldest first.
        """
        leftover = self.client.lrange(self.keys.processing, 0, -1)
        if leftover:
            logger.info("resuming a batch of %d messages left by a writer", len(leftover))
            return leftover[::-1]
        first = self.client.blmove(
            self.keys.items, self.keys.processing, self.wait_seconds, "RIGHT", "LEFT"
        )
        if first is None:
            return []
        waiting = min(self.batch_size - 1, self.client.llen(self.keys.items))
        pipe = self.client.pipeline(transaction=False)
        for _ in range(waiting):
            pipe.lmove(self.keys.items, self.keys.processing, "RIGHT", "LEFT")
        return [first, *(message for message in pipe.execute() if message is not None)]

    def _write(self, batch: list[bytes]) -> None:
        rows: list[tuple[str, dict[str, Any]]] = []
        #: URLs whose known state the batch may change, published once it is written.
        touched: list[str] = []
        for raw in batch:
            message = self._decode(raw)
            if message is None:
                continue
            if message["kind"] == "article":
                rows.append((message["run"], message["row"]))
                touched += _row_urls(message["row"])
                continue
            self._upsert(rows)
            rows = []
            if message["kind"] == "seen":
                found = self.archive.mark_seen([(message["url"], message["seen_at"])])
                self._tally([(message["run"], "unchanged")] * found)
            elif message["kind"] == "rejected":
                touched += self._add_rejected(message)
            elif message["kind"] == "run_started":
                self._start_run(message)
            else:
                self._finish_run(message)
        self._upsert(rows)
        self.publisher.publish_urls(touched)
        # The batch is written: only now may it leave Redis. Message by message, not the
        # whole list: a writer that took over after this one stalled past its lock may
        # have moved more onto it.
        pipe = self.client.pipeline(transaction=False)
        for raw in batch:
            pipe.lrem(self.keys.processing, 1, raw)
        pipe.execute()
        self.totals.batches += 1

    def _decode(self, raw: bytes) -> dict[str, Any] | None:
        try:
            message = redis_codec.loads(raw)
        except (ValueError, TypeError) as error:
            self._reject(raw, f"not a message: {error}")
            return None
        kind = message.get("kind") if isinstance(message, dict) else None
        needs = {
            "article": ("run", "row"),
            "seen": ("run", "url", "seen_at"),
            "rejected": ("run", "page", "reason"),
            "run_started": ("run",),
            "run_finished": ("run",),
        }
        if kind not in needs or any(key not in message for key in needs[kind]):
            self._reject(raw, f"not a message of a known kind: {str(message)[:200]}")
            return None
        return message

    def _upsert(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """One transaction for the batch; if one row is bad, each row alone, the bad rejected."""
        if not rows:
            return
        try:
            outcomes = self.archive.upsert_articles([row for _, row in rows])
            self._tally(zip((token for token, _ in rows), outcomes, strict=True))
            return
        except ValueError:
            pass
        for token, row in rows:
            try:
                (outcome,) = self.archive.upsert_articles([row])
            except ValueError as error:
                self._reject(redis_codec.dumps(row), str(error))
                continue
            self._tally([(token, outcome)])

    def _add_rejected(self, message: dict[str, Any]) -> list[str]:
        """Keep a page that gave no article; its URL, for publishing, once it is kept."""
        try:
            page = message["page"]
            run_id = self.client.hget(self.keys.run(message["run"]), "run_id")
            self.archive.add_rejected_pages(
                [(page, message["reason"])], run_id=int(run_id) if run_id else None
            )
        except (ValueError, TypeError, KeyError) as error:
            self._reject(redis_codec.dumps(message), f"rejected page: {error}")
            return []
        return [page["url"]]

    def _tally(self, outcomes: Iterable[tuple[str, str]]) -> None:
        counts = Counter(outcomes)
        pipe = self.client.pipeline(transaction=False)
        for (token, outcome), count in counts.items():
            pipe.hincrby(self.keys.run(token), outcome, count)
            pipe.expire(self.keys.run(token), RUN_MEMORY_SECONDS)
            self.totals.outcomes[outcome] += count
        pipe.execute()

    def _start_run(self, message: dict[str, Any]) -> None:
        key = self.keys.run(message["run"])
        if self.client.hget(key, "run_id") is not None:
            return  # a batch written again after a writer died: the run exists
        run_id = self.archive.start_run(
            spider=message["spider"], site=message["site"], started_at=message["started_at"]
        )
        self.client.hset(key, "run_id", run_id)
        self.client.expire(key, RUN_MEMORY_SECONDS)
        self.publisher.run_started(run_id, message["site"], message["started_at"])
        self.totals.runs_started += 1

    def _finish_run(self, message: dict[str, Any]) -> None:
        tallies = {
            name.decode(): int(value)
            for name, value in self.client.hgetall(self.keys.run(message["run"])).items()
        }
        if "run_id" not in tallies:
            self._reject(redis_codec.dumps(message), "run finished but never started")
            return
        counts = {column: int(message["counts"].get(column, 0)) for column in RUN_COUNT_COLUMNS}
        stats = dict(message["stats"])
        for column, outcome in OUTCOME_COLUMNS.items():
            counts[column] = tallies.get(outcome, 0)
            stats[f"archive/{outcome}"] = counts[column]
        self.archive.finish_run(
            tallies["run_id"],
            finished_at=message["finished_at"],
            finish_reason=message["finish_reason"],
            counts=counts,
            stats=stats,
        )
        (site,) = self.archive.db.conn.execute(
            "SELECT site FROM crawl_runs WHERE id = ?", [tallies["run_id"]]
        ).fetchone()
        self.publisher.run_finished(
            tallies["run_id"], site, message["finished_at"], message["finish_reason"]
        )
        self.totals.runs_finished += 1

    def _reject(self, raw: bytes, reason: str) -> None:
        logger.error("list %s: message rejected: %s", self.keys.items, reason)
        self.client.lpush(self.keys.rejected, redis_codec.dumps({"reason": reason, "message": raw}))
        self.totals.rejected += 1


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _row_urls(row: dict[str, Any]) -> list[str]:
    """The URLs an article row was reached through (its own and the variants)."""
    urls = [row["url"]] if isinstance(row.get("url"), str) else []
    for entry in row.get("urls") or ():
        if isinstance(entry, list | tuple) and entry and isinstance(entry[0], str):
            urls.append(entry[0])
    return urls


def ingest(
    redis_url: str,
    db_path: Path,
    *,
    items_key: str = ITEMS_KEY,
    batch_size: int = 500,
    drain: bool = False,
    publish_only: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> IngestTotals:
    """Run one writer from ``redis_url`` into ``db_path``; the totals say what it did.
    With ``publish_only``, only publish the workers' incremental state."""
    timeout = REDIS_TIMEOUT_SECONDS
    client = redis.Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        with Archive(db_path) as archive:
            writer = RedisIngest(
                client,
                archive,
                keys=Keys(items_key),
                batch_size=batch_size,
                source=str(db_path.resolve()),
            )
            if publish_only:
                writer.publish()
            else:
                writer.run(drain=drain, should_stop=should_stop)
            return writer.totals
    finally:
        client.close()


def run_ingest(
    redis_url: str,
    db_path: Path,
    items_key: str,
    batch_size: int,
    *,
    drain: bool,
    publish_only: bool = False,
) -> IngestTotals:
    """``ingest`` as a service: logs to stderr, and SIGTERM or Ctrl-C end it between batches."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stopping: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, _frame: stopping.append(received))
    try:
        totals = ingest(
            redis_url,
            db_path,
            items_key=items_key,
            batch_size=batch_size,
            drain=drain,
            publish_only=publish_only,
            should_stop=lambda: bool(stopping),
        )
    except redis.RedisError as error:
        raise IngestError(f"redis {redis_url}: {error}") from error
    except (SchemaError, sqlite3.DatabaseError) as error:
        raise IngestError(f"{db_path}: {error}") from error
    logger.info("writer stopped: %s", totals.summary())
    return totals
