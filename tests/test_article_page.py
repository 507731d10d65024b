"""The response -> Article function crawl and reparse share, and the pure date normaliser."""

from datetime import UTC, datetime

from scrapy.http import HtmlResponse, Request, TextResponse

from crawler.article_page import article_item
from crawler.pipelines import normalise_dates
from crawler.sitedef import bundled_sites, load_site

SITE = load_site(bundled_sites()["demo"])
FETCHED = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
PAGE = """<html lang="en"><head><title>Ignored</title>
<link rel="canonical" href="/politics/7"></head><body>
<h1 class="news-title">Parliament meets</h1>
<div class="news-meta"><span class="news-date">13 September, 14:15</span>
<span class="news-category">Politics</span></div>
<div class="news-author"><a rel="author">Anna Müller</a></div>
<div class="news-text"><p>The parliament met on Tuesday.</p><p>It voted.</p></div>
<div class="news-tags"><a rel="tag">parliament</a></div>
</body></html>"""


def response(url: str, body: str = PAGE, **meta: object) -> HtmlResponse:
    request = Request(url, meta=meta)
    return HtmlResponse(
        url,
        body=body.encode(),
        encoding="utf-8",
        request=request,
        headers={"ETag": '"abc"', "Content-Type": "text/html; charset=utf-8"},
    )


def test_item_has_fields_url_variants_and_raw_page() -> None:
    redirected = response(
        "http://127.0.0.1:8750/politics/7/",
        redirect_urls=["http://127.0.0.1:8750/p/7?ref=home", "http://127.0.0.1:8750/politics/7"],
    )
    item = article_item(redirected, SITE, fetched_at=FETCHED, listing_year=2023)
    assert item is not None
    assert (item.url, item.title, item.authors) == (
        "http://127.0.0.1:8750/politics/7",
        "Parliament meets",
        ["Anna Müller"],
    )
    assert item.urls == [
        ("http://127.0.0.1:8750/politics/7", "canonical"),
        ("http://127.0.0.1:8750/p/7?ref=home", "requested"),
        ("http://127.0.0.1:8750/politics/7/", "response"),
    ]  # the declared canonical is the canonical URL itself: recorded once
    assert item.raw_page is not None
    assert item.raw_page["body"] == PAGE.encode()
    assert item.raw_page["headers"]["Etag"] == ['"abc"']
    assert (item.raw_page["status"], item.raw_page["listing_year"]) == (200, 2023)
    assert item.raw_page["fetched_at"] == "2024-03-01T10:00:00+00:00"


def test_rejects_non_html_and_non_article_pages() -> None:
    pdf = TextResponse("http://127.0.0.1:8750/politics/7", body=b"%PDF", encoding="latin-1")
    assert article_item(pdf, SITE, fetched_at=FETCHED) is None
    login = response("http://127.0.0.1:8750/login", body=PAGE.replace("/politics/7", "/login"))
    assert article_item(login, SITE, fetched_at=FETCHED) is None


def test_normalise_dates_is_pure_and_uses_the_fetch_time_and_listing_year() -> None:
    item = article_item(
        response("http://127.0.0.1:8750/politics/7"), SITE, fetched_at=FETCHED, listing_year=2022
    )
    assert item is not None
    normalised = normalise_dates(item, SITE)
    assert item.published_at is None  # the input is left as it was
    # 14:15 in Baku (UTC+4), in the year the listing gave.
    assert normalised.published_at == "2022-09-13T10:15:00+00:00"
    assert normalised.published_year_source == "listing"
    assert normalise_dates(item, SITE) == normalised


def test_a_canonical_link_to_a_non_article_page_is_not_a_variant() -> None:
    home = PAGE.replace('href="/politics/7"', 'href="/"')
    item = article_item(
        response("http://127.0.0.1:8750/politics/7", body=home), SITE, fetched_at=FETCHED
    )
    assert item is not None
    assert item.urls == [("http://127.0.0.1:8750/politics/7", "canonical")]
