"""JSON for what crosses Redis: articles, run records and Scrapy requests.

JSON, not pickle (scrapy-redis's default serializer): anyone who can write to the Redis
server could otherwise run code in every worker and in the archive writer. Plain JSON
lacks three things these values carry, so each travels as a one-key tagged object:
bytes (request bodies and headers, raw pages), datetimes (Scrapy's stats) and dicts with
non-string keys (request headers are keyed by bytes). The module has the `dumps`/`loads`
pair scrapy-redis expects of SCHEDULER_SERIALIZER.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

_BYTES = "__bytes__"
_DATETIME = "__datetime__"
_PAIRS = "__pairs__"
_TAGS = frozenset((_BYTES, _DATETIME, _PAIRS))


def dumps(value: Any) -> bytes:
    return json.dumps(_tagged(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    return json.loads(data, object_hook=_untagged)


def _tagged(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and not (_TAGS & value.keys()):
            return {key: _tagged(item) for key, item in value.items()}
        return {_PAIRS: [[_tagged(key), _tagged(item)] for key, item in value.items()]}
    if isinstance(value, list | tuple):
        return [_tagged(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} through Redis: {value!r}")


def _untagged(obj: dict[str, Any]) -> Any:
    if len(obj) != 1:
        return obj
    ((key, value),) = obj.items()
    if key == _BYTES:
        return base64.b64decode(value)
    if key == _DATETIME:
        return datetime.fromisoformat(value)
    if key == _PAIRS:
        return {_hashable(pair_key): pair_value for pair_key, pair_value in value}
    return obj


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
