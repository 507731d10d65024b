"""A real `redis-server` on a free 127.0.0.1 port, started and stopped by the tests.

Nothing is saved to disk unless asked (`durable`), and only loopback is bound.
`make test` installs Debian's redis-server when it is missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

STARTUP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server(directory: Path, *, port: int = 0, durable: bool = False) -> Iterator[str]:
    """Yield the URL of a fresh server; stop it afterwards, whatever happened.

    A `durable` server writes every command to an append-only file in `directory`, so a
    server started again there, on the same `port`, has the data of the one stopped.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed: apt-get install -y redis-server")
    port = port or free_port()
    command = [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    command += ["--appendonly", "yes" if durable else "no", "--appendfsync", "always"]
    command += ["--dir", str(directory), "--protected-mode", "yes"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on {url}") from None
                time.sleep(0.05)
    finally:
        client.close()
