"""One run per site and archive at a time: a lock file next to the archive.

Cron and systemd start a crawl on the hour whether or not the last one has finished; two
runs of one site would fetch everything twice. The lock is an flock(2) on
`<archive>.<site>.lock`, which the kernel releases when its holder exits in any way,
SIGKILL included, so a crashed run never leaves a stale lock behind. The file itself
stays (deleting a lock file races with the next run opening it); it holds the holder's
pid and start time, for the message the next run prints.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from crawler import dates


class AlreadyRunning(RuntimeError):
    """Another live process holds the lock; the message says which and since when."""


def lock_path(archive_path: str | Path, site: str) -> Path:
    archive = Path(archive_path)
    return archive.with_name(f"{archive.name}.{site}.lock")


class RunLock:
    def __init__(self, archive_path: str | Path, site: str) -> None:
        self.path = lock_path(archive_path, site)
        self.site = site
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock at once or raise AlreadyRunning; never waits."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise AlreadyRunning(
                f"site {self.site!r}: another crawl of this site into this archive is running "
                f"({holder}; lock {self.path}); this run exits without touching the archive"
            ) from None
        os.ftruncate(fd, 0)
        started = dates.isoformat(datetime.now(UTC))
        os.pwrite(fd, f"pid {os.getpid()} since {started}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
