"""The news archive: a SQLite database of articles and the crawl runs that found them."""

from archive.db import Archive, ArchiveStats, SectionStats, content_hash
from archive.schema import SCHEMA_VERSION, SchemaError

__all__ = [
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveStats",
    "SchemaError",
    "SectionStats",
    "content_hash",
]
