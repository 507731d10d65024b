"""Site definitions: one TOML file per news site, validated before any request is made.

The keys are a public contract documented in the README. Every error names the file
and the key, because the person who reads it is editing that file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from crawler import dates, site_settings

#: The bundled definitions, read as package resources so that they are found inside a
#: zipped egg too (scrapyd runs a deployed project from its egg).
BUNDLED_DIR: Traversable = resources.files("crawler") / "sites"

#: Fields a site may give a CSS selector for, in the order the README lists them.
SELECTOR_FIELDS = (
    "title",
    "published",
    "modified",
    "authors",
    "section",
    "summary",
    "body",
    "tags",
    "image",
)
REQUIRED_KEYS = frozenset({"name", "article_url"})
#: Where article links come from: a definition needs at least one of them.
DISCOVERY_KEYS = ("start_urls", "feeds", "sitemaps")
OPTIONAL_KEYS = frozenset(
    {
        *DISCOVERY_KEYS,
        "allowed_domains",
        "next_page",
        "max_pages",
        "languages",
        "timezone",
        "selectors",
        "recheck_days",
        "stop_at_known",
        "settings",
    }
)
#: Articles published this many days ago or less are re-fetched (conditionally) on re-crawls.
DEFAULT_RECHECK_DAYS = 3
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_EMPTY_PAGE = Selector(text="<html></html>")


class DefinitionError(ValueError):
    """A site definition that cannot be crawled; the message names the file and the key."""


#: Makes the error for a key: fail(key, problem).
Fail = Callable[[str, str], DefinitionError]


@dataclass(frozen=True, slots=True)
class SiteDefinition:
    name: str
    start_urls: tuple[str, ...]
    article_url: re.Pattern[str]
    allowed_domains: tuple[str, ...]
    path: Path | Traversable
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    next_page: str | None = None
    max_pages: int | None = None
    languages: tuple[str, ...] = ()
    timezone: str = "UTC"
    selectors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    recheck_days: int = DEFAULT_RECHECK_DAYS
    stop_at_known: bool = True
    #: Scrapy settings this site overrides (validated: see crawler.site_settings).
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its read-only mappings as dicts (mappingproxy does not pickle), for
        the extraction worker processes (crawler/extraction_worker.py)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["selectors"] = dict(self.selectors)
        values["settings"] = dict(self.settings)
        return (_unpickled_site, (values,))

    def is_article(self, url: str) -> bool:
        """True for an allowed http(s) URL the `article_url` pattern matches."""
        scheme = urlsplit(url).scheme
        return (
            scheme in ("http", "https") and self.allows(url) and bool(self.article_url.search(url))
        )

    def allows(self, url: str) -> bool:
        """True when the URL's host is one of `allowed_domains` or a subdomain of one."""
        host = ascii_host(urlsplit(url).hostname or "")
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def _unpickled_site(values: dict[str, Any]) -> SiteDefinition:
    values["selectors"] = MappingProxyType(values["selectors"])
    values["settings"] = MappingProxyType(values["settings"])
    return SiteDefinition(**values)


def ascii_host(host: str) -> str:
    """The host as requests carry it: lower case, internationalised names in punycode."""
    try:
        return host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return host.lower()


def bundled_sites() -> dict[str, Traversable]:
    """The bundled definitions by spider name (the file name is the spider name)."""
    files = (entry for entry in BUNDLED_DIR.iterdir() if entry.name.endswith(".toml"))
    return {entry.name.removesuffix(".toml"): entry for entry in sorted(files, key=str)}


def load_site(
    path: str | Path | Traversable, *, expected_name: str | None = None
) -> SiteDefinition:
    """Read and validate one definition file (a path, or a bundled package resource)."""
    path = Path(path) if isinstance(path, str) else path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such site definition file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(f"{path}: not a readable TOML file: {exc}") from None
    return _validate(raw, path, expected_name)


def _validate(
    raw: dict[str, Any], path: Path | Traversable, expected_name: str | None
) -> SiteDefinition:
    def fail(key: str, problem: str) -> DefinitionError:
        return DefinitionError(f"{path}: key '{key}': {problem}")

    for key in sorted(REQUIRED_KEYS - raw.keys()):
        raise fail(key, "is required")
    for key in sorted(raw.keys() - REQUIRED_KEYS - OPTIONAL_KEYS):
        known = ", ".join(sorted(REQUIRED_KEYS | OPTIONAL_KEYS))
        raise fail(key, f"unknown key (known keys: {known})")

    name = _string(raw, "name", fail)
    if not _NAME.match(name):
        raise fail("name", f"{name!r} must be letters, digits, '-' or '_'")
    if expected_name is not None and name != expected_name:
        raise fail("name", f"{name!r} must match the file name {expected_name!r}")

    if not any(key in raw for key in DISCOVERY_KEYS):
        raise fail("start_urls", "is required unless the site lists 'feeds' or 'sitemaps'")
    start_urls, feeds, sitemaps = (
        _url_list(raw, key, fail) if key in raw else () for key in DISCOVERY_KEYS
    )
    domains = _domains(raw, (*start_urls, *feeds, *sitemaps), fail)
    site = SiteDefinition(
        name=name,
        start_urls=start_urls,
        feeds=feeds,
        sitemaps=sitemaps,
        article_url=_regex(raw, "article_url", fail),
        allowed_domains=domains,
        path=path,
        next_page=_css(raw, "next_page", fail) if "next_page" in raw else None,
        max_pages=_positive_int(raw, "max_pages", fail) if "max_pages" in raw else None,
        languages=_languages(raw, fail),
        timezone=_timezone(raw, fail),
        selectors=_selectors(raw, fail),
        recheck_days=_whole_number(raw, "recheck_days", fail, DEFAULT_RECHECK_DAYS, minimum=0),
        stop_at_known=_boolean(raw, "stop_at_known", fail, default=True),
        settings=_settings(raw, fail),
    )
    for key, urls in zip(DISCOVERY_KEYS, (start_urls, feeds, sitemaps), strict=True):
        for url in urls:
            if not site.allows(url):
                raise fail("allowed_domains", f"does not allow {url} (listed in {key!r})")
    return site


def _string(raw: Mapping[str, Any], key: str, fail: Fail) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "must be a non-empty string")
    return value.strip()


def _string_list(raw: Mapping[str, Any], key: str, fail: Fail) -> tuple[str, ...]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _url_list(raw: Mapping[str, Any], key: str, fail: Fail) -> tuple[str, ...]:
    urls = _string_list(raw, key, fail)
    if not urls:
        raise fail(key, "must list at least one URL")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise fail(key, f"{url!r} is not an absolute http(s) URL")
    return urls


def _domains(raw: Mapping[str, Any], urls: tuple[str, ...], fail: Fail) -> tuple[str, ...]:
    if "allowed_domains" not in raw:
        hosts = (ascii_host(urlsplit(url).hostname or "") for url in urls)
        # "www." is dropped so that the apex and other subdomains of the site stay allowed.
        return tuple(dict.fromkeys(h.removeprefix("www.") for h in hosts))
    domains = tuple(ascii_host(d) for d in _string_list(raw, "allowed_domains", fail))
    for domain in domains:
        if not _HOST.match(domain):
            problem = f"{domain!r} is not a host name (no scheme, port or path)"
            raise fail("allowed_domains", problem)
    return domains


def _regex(raw: Mapping[str, Any], key: str, fail: Fail) -> re.Pattern[str]:
    pattern = _string(raw, key, fail)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise fail(key, f"bad regular expression {pattern!r}: {exc}") from None


def _css(raw: Mapping[str, Any], key: str, fail: Fail) -> str:
    css = _string(raw, key, fail)
    try:
        _EMPTY_PAGE.css(css)
    except Exception as exc:  # cssselect raises several unrelated types for bad input
        raise fail(key, f"bad CSS selector {css!r}: {exc}") from None
    return css


def _prefixed(fail: Fail, prefix: str) -> Fail:
    """Errors for keys of a sub-table, named with the table: `selectors.body`."""
    return lambda key, problem: fail(prefix + key, problem)


def _positive_int(raw: Mapping[str, Any], key: str, fail: Fail) -> int:
    return _whole_number(raw, key, fail, 1, minimum=1)


def _whole_number(
    raw: Mapping[str, Any], key: str, fail: Fail, default: int, *, minimum: int
) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(key, f"must be a whole number of at least {minimum}")
    return value


def _boolean(raw: Mapping[str, Any], key: str, fail: Fail, *, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise fail(key, "must be true or false")
    return value


def _settings(raw: Mapping[str, Any], fail: Fail) -> Mapping[str, Any]:
    table = raw.get("settings", {})
    if not isinstance(table, dict):
        raise fail("settings", "must be a table of Scrapy setting = value")
    try:
        return MappingProxyType(site_settings.checked(table))
    except site_settings.SettingError as error:
        raise fail(f"settings.{error.name}", str(error)) from None


def _languages(raw: Mapping[str, Any], fail: Fail) -> tuple[str, ...]:
    if "languages" not in raw:
        return ()
    languages = _string_list(raw, "languages", fail)
    try:
        dates.check_languages(languages)
    except ValueError as exc:
        raise fail("languages", str(exc)) from None
    return languages


def _timezone(raw: Mapping[str, Any], fail: Fail) -> str:
    if "timezone" not in raw:
        return "UTC"
    name = _string(raw, "timezone", fail)
    try:
        dates.check_timezone(name)
    except ValueError as exc:
        raise fail("timezone", str(exc)) from None
    return name


def _selectors(raw: Mapping[str, Any], fail: Fail) -> Mapping[str, str]:
    table = raw.get("selectors", {})
    if not isinstance(table, dict):
        raise fail("selectors", "must be a table of field = CSS selector")
    selectors = {}
    for key in table:
        if key not in SELECTOR_FIELDS:
            known = ", ".join(SELECTOR_FIELDS)
            raise fail(f"selectors.{key}", f"unknown field (known fields: {known})")
        selectors[key] = _css(table, key, _prefixed(fail, "selectors."))
    return MappingProxyType(selectors)
