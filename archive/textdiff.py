"""A readable unified diff between two versions of an article.

The fields a reader cares about come first, one per line (`title: ...`), then the body
one paragraph per line, so an edited sentence shows as its paragraph taken out and put
back changed, and a moved paragraph as one line moved.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

#: Fields shown before the body, in this order (lists joined by ", ").
HEADER_FIELDS = (
    "title",
    "summary",
    "authors",
    "section",
    "published_at",
    "modified_at",
    "tags",
    "language",
    "image_url",
)


def version_lines(version: Mapping[str, Any]) -> list[str]:
    """A version as lines: `field: value` for the header fields, a blank line, the paragraphs."""
    lines = []
    for name in HEADER_FIELDS:
        value = version.get(name)
        if isinstance(value, list | tuple):
            value = ", ".join(value)
        lines.append(f"{name}: {'' if value is None else value}")
    lines.append("")
    lines.extend(paragraph.strip() for paragraph in (version.get("body") or "").split("\n\n"))
    return lines


def label(version: Mapping[str, Any]) -> str:
    return f"version {version['version']} (first seen {version['first_seen_at']})"


def unified_diff(
    older: Mapping[str, Any], newer: Mapping[str, Any], *, context: int = 3
) -> list[str]:
    """The unified diff from `older` to `newer`; empty when the shown fields are the same."""
    return list(
        difflib.unified_diff(
            version_lines(older),
            version_lines(newer),
            fromfile=label(older),
            tofile=label(newer),
            n=context,
            lineterm="",
        )
    )
