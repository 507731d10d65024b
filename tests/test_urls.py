"""URL canonicalisation: table-driven cases, and no text makes it fail other than ValueError."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.urls import canonical_url, clean_url, year_in_path

CASES = [
    # (url, clean_url, canonical_url)
    ("http://a.org/x", "http://a.org/x", "http://a.org/x"),
    ("HTTP://A.Org:80/x#comments", "http://a.org/x", "http://a.org/x"),
    ("https://a.org:443/x/", "https://a.org/x/", "https://a.org/x"),
    ("https://a.org:8443/x", "https://a.org:8443/x", "https://a.org:8443/x"),
    ("http://a.org/", "http://a.org/", "http://a.org/"),
    ("http://a.org", "http://a.org/", "http://a.org/"),
    ("http://a.org/x?utm_source=tw&utm_medium=social", "http://a.org/x", "http://a.org/x"),
    ("http://a.org/x?id=7&fbclid=abc&gclid=1", "http://a.org/x?id=7", "http://a.org/x?id=7"),
    ("http://a.org/x?b=2&a=1", "http://a.org/x?b=2&a=1", "http://a.org/x?a=1&b=2"),
    ("http://a.org/x;jsessionid=0AF3?p=1", "http://a.org/x?p=1", "http://a.org/x?p=1"),
    ("http://a.org/x?PHPSESSID=9&p=1", "http://a.org/x?p=1", "http://a.org/x?p=1"),
    ("http://a.org/x?sid=9", "http://a.org/x", "http://a.org/x"),
    ("http://a.org/x?ASPSESSIONIDQQ=1", "http://a.org/x", "http://a.org/x"),
    ("http://a.org/Path/Case", "http://a.org/Path/Case", "http://a.org/Path/Case"),
    ("http://a.org/x?q=", "http://a.org/x?q=", "http://a.org/x?q="),
    ("http://a.org/a%7eb", "http://a.org/a%7eb", "http://a.org/a~b"),
    ("http://a.org/новости/1", "http://a.org/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1",
     "http://a.org/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1"),
    ("http://[::1]:8080/x/", "http://[::1]:8080/x/", "http://[::1]:8080/x"),
    ("  http://a.org/x  ", "http://a.org/x", "http://a.org/x"),
    # Queries that are not name=value pairs are kept as written.
    ("http://a.org/news.php?12345", "http://a.org/news.php?12345", "http://a.org/news.php?12345="),
    ("http://a.org/index.php?/politics/1&utm_source=x", "http://a.org/index.php?/politics/1",
     "http://a.org/index.php?%2Fpolitics%2F1="),
    ("http://a.org/x?b=c;d=e", "http://a.org/x?b=c;d=e", "http://a.org/x?b=c%3Bd%3De"),
    ("http://a.org/x?q=%E9&fbclid=1", "http://a.org/x?q=%E9", "http://a.org/x?q=%E9"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "clean", "canonical"), CASES)
def test_canonicalisation(url: str, clean: str, canonical: str) -> None:
    assert clean_url(url) == clean
    assert canonical_url(url) == canonical


@pytest.mark.parametrize("url", [case[0] for case in CASES])
def test_idempotent(url: str) -> None:
    assert canonical_url(canonical_url(url)) == canonical_url(url)
    assert clean_url(clean_url(url)) == clean_url(url)


def test_bad_port_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        clean_url("http://a.org:port/x")


@given(st.text())
def test_any_text_gives_a_url_or_value_error(text: str) -> None:
    try:
        result = canonical_url(text)
    except ValueError:
        return
    assert isinstance(result, str)
    assert "#" not in result


@given(
    st.from_regex(r"https?://[a-z]{1,8}\.(org|com)(/[a-z0-9]{0,6}){0,3}", fullmatch=True),
    st.dictionaries(st.sampled_from(["utm_source", "fbclid", "sid", "gclid"]), st.text()),
)
def test_noise_parameters_never_change_identity(base: str, noise: dict[str, str]) -> None:
    noisy = f"{base}?{urlencode(noise)}#frag" if noise else f"{base}#frag"
    assert canonical_url(noisy) == canonical_url(base)


@pytest.mark.parametrize(
    ("url", "year"),
    [
        ("https://a.org/2018/09/13/story", 2018),
        ("https://a.org/news/2018-09-story", 2018),
        ("https://a.org/20180913/story", 2018),
        ("https://a.org/news/2018/story", None),
        ("https://a.org/x?date=2018/09/13", None),
        ("https://a.org/id/20181313", None),
        ("http://[", None),
        ("http://\\[", None),
    ],
)
def test_year_in_path(url: str, year: int | None) -> None:
    assert year_in_path(url) == year
