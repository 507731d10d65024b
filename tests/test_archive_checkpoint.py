"""WAL checkpoints run beside the writes: the database file gets the committed pages,
a failed checkpoint loses nothing, and a closed archive leaves no WAL behind."""

import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, checkpoint
from tests.archive_rows import article


def rows_in_database_file(path: Path) -> int:
    """Articles in the database file alone, without its WAL: what checkpoints copied."""
    copies = sorted(path.parent.glob("copy*.db"))
    copy = path.parent / f"copy{len(copies)}.db"
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        return connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        connection.close()


def test_committed_pages_reach_the_database_file_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "archive.db"
    monkeypatch.setattr(checkpoint, "CHECKPOINT_BYTES", 1)
    with Archive(path) as archive:
        assert archive.db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        archive.upsert_articles([article(n) for n in range(1, 21)])
        running = archive._checkpointer._running  # type: ignore[union-attr]
        assert running is not None
        running.result(timeout=30)
        assert rows_in_database_file(path) == 20
        assert Path(f"{path}-wal").exists()
    assert not Path(f"{path}-wal").exists()  # the last connection checkpointed the rest
    assert rows_in_database_file(path) == 20


def test_below_the_threshold_no_checkpoint_starts(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.db") as archive:
        archive.upsert_articles([article(1)])
        assert archive._checkpointer._running is None  # type: ignore[union-attr]


def test_a_failed_checkpoint_is_logged_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "archive.db"
    Archive(path).close()  # the schema, in the database file
    monkeypatch.setattr(checkpoint, "CHECKPOINT_BYTES", 1)
    connect = checkpoint.Checkpointer._connect

    def refuse(self: checkpoint.Checkpointer) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    with caplog.at_level(logging.WARNING, logger="archive.checkpoint"), Archive(path) as archive:
        monkeypatch.setattr(checkpoint.Checkpointer, "_connect", refuse)
        archive.upsert_articles([article(1)])
        archive._checkpointer._running.result(timeout=30)  # type: ignore[union-attr]
        monkeypatch.setattr(checkpoint.Checkpointer, "_connect", connect)
        assert rows_in_database_file(path) == 0  # still in the WAL
        assert archive.upsert_articles([article(2)]) == ["new"]
        archive._checkpointer._running.result(timeout=30)  # type: ignore[union-attr]
        assert rows_in_database_file(path) == 2
    assert f"archive {path}: WAL checkpoint failed (unable to open database file)" in caplog.text
