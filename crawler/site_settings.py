"""The Scrapy settings a site definition's `[settings]` table may override, and their types.

A site file is data a user may have copied from elsewhere, so it can tune how politely
one site is crawled (delays, concurrency, retries, size limits, identity) but not what
code runs: pipelines, extensions, middlewares and paths stay with the project and `-s`.
Values are checked here, at load time, so a typo fails before any request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy.crawler import Crawler

#: Setting -> the Python type its value must have (int values are accepted for floats).
OVERRIDABLE: Mapping[str, type] = {
    "ROBOTSTXT_OBEY": bool,
    "USER_AGENT": str,
    "CONTACT_URL": str,
    "DOWNLOAD_DELAY": float,
    "DOWNLOAD_DELAY_JITTER": float,
    "CONCURRENT_REQUESTS_PER_DOMAIN": int,
    "AUTOTHROTTLE_ENABLED": bool,
    "AUTOTHROTTLE_START_DELAY": float,
    "AUTOTHROTTLE_MAX_DELAY": float,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": float,
    "DOWNLOAD_TIMEOUT": float,
    "DOWNLOAD_MAXSIZE": int,
    "DOWNLOAD_WARNSIZE": int,
    "RETRY_ENABLED": bool,
    "RETRY_TIMES": int,
    "RETRY_HTTP_CODES": list,
    "RETRY_BACKOFF_BASE": float,
    "RETRY_BACKOFF_MAX": float,
    "RETRY_AFTER_MAX": float,
    "COOKIES_ENABLED": bool,
    "CRAWL_ERROR_THRESHOLD": int,
    "CRAWL_EXPECT_ARTICLES": bool,
}


class SettingError(ValueError):
    """A `[settings]` entry that cannot be applied; `name` is the setting's name."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(problem)
        self.name = name


def checked(table: Mapping[str, Any]) -> dict[str, Any]:
    """The table's settings with their values checked against OVERRIDABLE."""
    settings = {}
    for name, value in table.items():
        expected = OVERRIDABLE.get(name)
        if expected is None:
            known = ", ".join(sorted(OVERRIDABLE))
            raise SettingError(name, f"not a setting a site may override (these are: {known})")
        settings[name] = _value(name, value, expected)
    return settings


def _value(name: str, value: Any, expected: type) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if expected is list:
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise SettingError(name, "must be a list of HTTP status codes")
        return value
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise SettingError(name, f"must be a {_TYPE_NAMES[expected]}")
    if expected in (int, float) and value < 0:
        raise SettingError(name, "must not be negative")
    if expected is str and not value.strip():
        raise SettingError(name, "must be a non-empty string")
    return value


_TYPE_NAMES = {bool: "boolean (true or false)", int: "whole number", float: "number", str: "string"}


def apply(crawler: Crawler, overrides: Mapping[str, Any]) -> None:
    """Apply a site's overrides at spider priority (above the project's, below `-s`), then
    put CONTACT_URL into USER_AGENT's `{contact_url}`."""
    settings = crawler.settings
    for name, value in overrides.items():
        settings.set(name, value, priority="spider")
    agent = settings.get("USER_AGENT") or ""
    if "{contact_url}" in agent:
        filled = agent.replace("{contact_url}", settings.get("CONTACT_URL") or "")
        settings.set("USER_AGENT", filled, priority=settings.getpriority("USER_AGENT") or 0)
