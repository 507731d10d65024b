"""`archive serve`: Datasette on the archive, on 127.0.0.1, read-only, with its metadata.

Datasette runs as its own process (`python -m datasette`) with the metadata of
`archive/datasette/metadata.yml`: titles and descriptions of the tables and columns,
facets on site, section and language, and canned queries. Datasette only ever reads an
archive: its query connections are opened with SQLite's `mode=ro`, and a file opened
that way can still be crawled into by another process while it is served. `immutable`
serves with Datasette's `-i` instead (faster counts, no locking), only right for a file
nothing writes to any more: SQLite then trusts the file not to change under it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

METADATA_PATH = Path(__file__).parent / "datasette" / "metadata.yml"
HOST = "127.0.0.1"
DEFAULT_PORT = 8001


def metadata(db_path: Path) -> dict[str, Any]:
    """The metadata for serving `db_path`: the archive's part keyed by its database name."""
    import yaml  # Datasette's own dependency: present whenever Datasette is

    template = yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))
    database = template.pop("database")
    return {**template, "databases": {database_name(db_path): database}}


def database_name(db_path: Path) -> str:
    """The name Datasette gives a database file: its file name without the suffix."""
    return db_path.stem


def command(db_path: Path, metadata_path: Path, *, port: int, immutable: bool = False) -> list[str]:
    """The Datasette command line; only loopback, never a public interface."""
    files = ["-i", str(db_path)] if immutable else [str(db_path)]
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        *files,
        "--host",
        HOST,
        "--port",
        str(port),
        "--metadata",
        str(metadata_path),
        # Queries that run away on a million rows are stopped, not left to hog the file.
        "--setting",
        "sql_time_limit_ms",
        "5000",
    ]


def check_datasette() -> None:
    """Raise RuntimeError with the install command when Datasette is not installed."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "archive serve needs Datasette: pip install 'news-archiver[serve]'"
        ) from None


def serve(db_path: Path, *, port: int = DEFAULT_PORT, immutable: bool = False) -> int:
    """Run Datasette on the archive until it stops (Ctrl-C); return its exit status."""
    check_datasette()
    with tempfile.TemporaryDirectory(prefix="archive-serve-") as tmp:
        metadata_path = Path(tmp) / "metadata.json"
        metadata_path.write_text(json.dumps(metadata(db_path), ensure_ascii=False), "utf-8")
        process = subprocess.Popen(command(db_path, metadata_path, port=port, immutable=immutable))

        def stop(signum: int, frame: object) -> None:
            process.terminate()

        # Stopping `archive serve` (a service manager's SIGTERM) stops Datasette with it.
        previous = signal.signal(signal.SIGTERM, stop)
        try:
            return process.wait()
        except KeyboardInterrupt:  # Ctrl-C reached Datasette too: wait for it to stop
            return process.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
