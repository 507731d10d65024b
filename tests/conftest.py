"""Shared fixtures: the generated demo site and a server for it, and a real redis-server,
once per session or module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from demosite.generate import generate_site
from tests.crawling import DEMO_ARTICLES, Server, start_server
from tests.redis_server import redis_server


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("demo-site")
    return root, generate_site(root, articles=DEMO_ARTICLES)


@pytest.fixture(scope="module")
def demo_server(
    demo_site: tuple[Path, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    server = start_server(demo_site[0], tmp_path_factory.mktemp("server") / "requests.jsonl")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of the module's own, on a free loopback port."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the module's server, emptied for each test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()
