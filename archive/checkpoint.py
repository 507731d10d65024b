"""WAL checkpoints of an archive, run beside its writes rather than inside its commits.

SQLite's automatic checkpoint runs in the commit that takes the WAL past 1,000 pages:
that commit copies the WAL's pages into the database file and syncs it before it
returns. A batch of 1,000 new articles writes about 15 MB, so every batch's commit did
that copy (a fifth of a batch's write, see bench/README.md). `Checkpointer` makes the
copy in a thread of its own, with a connection of its own, after a commit: SQLite
lets one connection checkpoint while another appends to the WAL, and a passive
checkpoint copies only what no reader still needs, as the automatic one does. Nothing
committed is at risk meanwhile: the WAL holds it until the copy is made, and the last
connection to close checkpoints whatever is left.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from concurrent import futures
from pathlib import Path

logger = logging.getLogger(__name__)

#: The WAL size past which a commit asks for a checkpoint: SQLite's automatic
#: checkpoint threshold, 1,000 pages of 4 KiB.
CHECKPOINT_BYTES = 1000 * 4096


class Checkpointer:
    """Checkpoints one archive file's WAL in a background thread; see the module."""

    def __init__(self, path: str | Path, busy_timeout_ms: int) -> None:
        self._path = os.path.abspath(path)  # the same file should the process change directory
        self._wal = Path(f"{self._path}-wal")
        self._busy_timeout_ms = busy_timeout_ms
        self._thread = futures.ThreadPoolExecutor(1, "archive-checkpoint")
        self._running: futures.Future[None] | None = None
        self._connection: sqlite3.Connection | None = None

    def after_commit(self) -> None:
        """Start a checkpoint if the WAL has grown past the threshold and none is running
        (a running one leaves the newest pages to the next commit's)."""
        if self._running is not None and not self._running.done():
            return
        try:
            size = self._wal.stat().st_size
        except FileNotFoundError:
            return
        if size >= CHECKPOINT_BYTES:
            self._running = self._thread.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        """A failed checkpoint loses nothing (the pages stay in the WAL): it is logged,
        and the next commit asks again."""
        try:
            if self._connection is None:
                self._connection = self._connect()
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:
            logger.warning("archive %s: WAL checkpoint failed (%s); will retry", self._path, error)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path)
        connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        return connection

    def close(self) -> None:
        """Wait for a running checkpoint, then close the thread's connection."""
        self._thread.submit(self._close)
        self._thread.shutdown()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
