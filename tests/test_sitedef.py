"""Site definitions: the bundled ones load; every kind of error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sitedef import DefinitionError, bundled_sites, load_site

GOOD = """
name = "example"
start_urls = ["https://www.example.com/news/"]
article_url = '/news/\\d+'
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_definitions_load() -> None:
    sites = bundled_sites()
    assert {"azeridaily", "demo"} <= sites.keys()
    for name, path in sites.items():
        site = load_site(path, expected_name=name)
        assert site.name == name
        assert all(site.allows(url) for url in site.start_urls)


def test_azeridaily_definition() -> None:
    site = load_site(bundled_sites()["azeridaily"])
    assert site.timezone == "Asia/Baku"
    assert site.allowed_domains == ("azeridaily.com",)
    assert site.article_url.search("https://azeridaily.com/politics/31986")
    assert not site.article_url.search("https://azeridaily.com/politics")
    assert not site.article_url.search("https://facebook.com/azeridaily.com/politics/1")


def test_defaults(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    assert site.allowed_domains == ("example.com",)
    assert site.allows("https://example.com/news/1")
    assert site.allows("https://m.example.com/news/1")
    assert not site.allows("https://example.com.evil.org/news/1")
    assert (site.timezone, site.languages, site.max_pages, site.next_page) == (
        "UTC",
        (),
        None,
        None,
    )
    assert dict(site.selectors) == {}
    assert (site.feeds, site.sitemaps, dict(site.settings)) == ((), (), {})
    assert (site.recheck_days, site.stop_at_known) == (3, True)


def test_feeds_and_sitemaps_instead_of_sections(tmp_path: Path) -> None:
    site = load_site(
        write(
            tmp_path,
            'name = "a"\narticle_url = "/n/"\nfeeds = ["https://www.a.org/rss"]\n'
            'sitemaps = ["https://news.b.org/robots.txt"]\nrecheck_days = 0\n'
            "stop_at_known = false\n[settings]\nDOWNLOAD_DELAY = 2\nROBOTSTXT_OBEY = true\n",
        )
    )
    assert site.start_urls == ()
    assert site.allowed_domains == ("a.org", "news.b.org")
    assert (site.recheck_days, site.stop_at_known) == (0, False)
    assert dict(site.settings) == {"DOWNLOAD_DELAY": 2.0, "ROBOTSTXT_OBEY": True}
    assert site.is_article("https://a.org/n/1")
    assert not site.is_article("https://c.org/n/1")
    assert not site.is_article("ftp://a.org/n/1")


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        ('timezone = "Mars/Olympus"', "timezone", "Mars/Olympus"),
        ('languages = ["xx-klingon"]', "languages", "xx-klingon"),
        ('languages = "en"', "languages", "list"),
        ("max_pages = 0", "max_pages", "at least 1"),
        ('max_pages = "3"', "max_pages", "whole number"),
        ('next_page = "a[rel="', "next_page", "bad CSS"),
        ('allowed_domains = ["https://example.com/"]', "allowed_domains", "host name"),
        ('allowed_domains = ["other.org"]', "allowed_domains", "(listed in 'start_urls')"),
        ('colour = "blue"', "colour", "unknown key"),
        ('[selectors]\nbody = "div..x"', "selectors.body", "bad CSS"),
        ('[selectors]\nheadline = "h1"', "selectors.headline", "unknown field"),
        ('selectors = "h1"', "selectors", "table"),
        (
            'feeds = ["https://other.org/rss"]\nallowed_domains = ["example.com"]',
            "allowed_domains",
            "(listed in 'feeds')",
        ),
        ('sitemaps = ["/sitemap.xml"]', "sitemaps", "absolute"),
        ("recheck_days = -1", "recheck_days", "at least 0"),
        ("recheck_days = 1.5", "recheck_days", "whole number"),
        ('stop_at_known = "no"', "stop_at_known", "true or false"),
        ('settings = "fast"', "settings", "table"),
        ("[settings]\nITEM_PIPELINES = {}", "settings.ITEM_PIPELINES", "not a setting a site may"),
        ('[settings]\nDOWNLOAD_DELAY = "2"', "settings.DOWNLOAD_DELAY", "must be a number"),
        ("[settings]\nDOWNLOAD_DELAY = -1", "settings.DOWNLOAD_DELAY", "negative"),
        ("[settings]\nROBOTSTXT_OBEY = 1", "settings.ROBOTSTXT_OBEY", "boolean"),
        (
            "[settings]\nCONCURRENT_REQUESTS_PER_DOMAIN = true",
            "settings.CONCURRENT_REQUESTS_PER_DOMAIN",
            "whole number",
        ),
        ('[settings]\nRETRY_HTTP_CODES = ["503"]', "settings.RETRY_HTTP_CODES", "status codes"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, extra: str, key: str, problem: str) -> None:
    path = write(tmp_path, GOOD + extra + "\n")
    with pytest.raises(DefinitionError) as error:
        load_site(path)
    message = str(error.value)
    assert message.startswith(f"{path}: key '{key}'")
    assert problem in message


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('start_urls = ["https://a.org/"]\narticle_url = "x"', "name", "required"),
        ('name = "a"\narticle_url = "x"', "start_urls", "required unless the site lists 'feeds'"),
        ('name = "a"\nstart_urls = ["https://a.org/"]', "article_url", "required"),
        ('name = "a b"\nstart_urls = ["https://a.org/"]\narticle_url = "x"', "name", "letters"),
        ('name = "a"\nstart_urls = []\narticle_url = "x"', "start_urls", "at least one"),
        ('name = "a"\nstart_urls = ["/news"]\narticle_url = "x"', "start_urls", "absolute"),
        ('name = "a"\nstart_urls = ["ftp://a.org/"]\narticle_url = "x"', "start_urls", "absolute"),
        (
            'name = "a"\nstart_urls = ["https://a.org/"]\narticle_url = "(x"',
            "article_url",
            "regular",
        ),
    ],
)
def test_required_keys(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DefinitionError, match=rf"key '{key}'.*{problem}"):
        load_site(path)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no such site definition"):
        load_site(tmp_path / "missing.toml")
    with pytest.raises(DefinitionError, match="not a readable TOML"):
        load_site(write(tmp_path, 'name = "unterminated'))


def test_name_must_match_bundled_file_name(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="must match the file name 'other'"):
        load_site(write(tmp_path, GOOD), expected_name="other")
