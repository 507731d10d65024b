"""A readable unified diff between two versions of an article.

The fields a reader cares about come first, one per line (`title: ...`), then the body
one sentence per line with a blank line between paragraphs, so a corrected word shows as
its sentence changed, not as a whole paragraph taken out and put back.
"""

from __future__ import annotations

import difflib
import re
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

#: Where a sentence may end: . ! ? or … (and closing quotes or brackets), then space.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]?\s+")
_OPENING = "\"'“‘«(["


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut where a sentence end is followed by a capital, a digit or an
    opening quote, in any script ("Mr. smith" and "e.g. this" stay whole)."""
    text = paragraph.strip()
    parts, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        following = text[end.end() : end.end() + 1]
        if following and (following.isupper() or following.isdigit() or following in _OPENING):
            parts.append(text[start : end.end()].rstrip())
            start = end.end()
    parts.append(text[start:])
    return [part for part in parts if part]


def version_lines(version: Mapping[str, Any]) -> list[str]:
    """A version as lines: `field: value` for the header fields, then each paragraph's
    sentences after a blank line."""
    lines = []
    for name in HEADER_FIELDS:
        value = version.get(name)
        if isinstance(value, list | tuple):
            value = ", ".join(value)
        lines.append(f"{name}: {'' if value is None else value}".rstrip())
    for paragraph in (version.get("body") or "").split("\n\n"):
        lines.append("")
        lines.extend(sentences(paragraph))
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
