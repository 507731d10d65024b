"""URL variants: any URL an article was reached through finds it; same text is one article."""

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import Archive
from tests.archive_rows import article

T1 = "2024-03-02T10:00:00+00:00"
CANONICAL = "https://news.example/politics/1"
VARIANTS = [
    (CANONICAL, "canonical"),
    ("https://news.example/p/1?utm_source=tg", "requested"),
    ("http://news.example/politics/1", "redirect"),
    ("https://news.example/politics/1/", "response"),
    ("https://m.news.example/politics/1", "declared"),
]


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    with Archive(tmp_path / "archive.db") as opened:
        yield opened


def test_every_variant_finds_the_article(archive: Archive) -> None:
    archive.upsert_articles([article(urls=VARIANTS)])
    found = archive.find_article(CANONICAL)
    assert found is not None
    for url, _ in VARIANTS:
        assert archive.find_article(url) == found, url
    # Not recorded, but canonicalised to a recorded URL: tracking parameters, fragment.
    assert archive.find_article(CANONICAL + "?utm_campaign=x#comments") == found
    assert archive.find_article("https://news.example/politics/2") is None
    assert archive.find_article("not a url") is None
    recorded = archive.urls(found["id"])
    assert (recorded[0]["url"], recorded[0]["kind"]) == (CANONICAL, "canonical")
    assert {u["url"] for u in recorded} == {url for url, _ in VARIANTS}


def test_variants_of_later_fetches_are_added_and_their_times_move(archive: Archive) -> None:
    archive.upsert_articles([article(urls=VARIANTS[:2])])
    archive.upsert_articles([article(urls=VARIANTS[:1] + VARIANTS[3:4], seen_at=T1)])
    found = archive.find_article(CANONICAL)
    assert found is not None
    urls = {u["url"]: u for u in archive.urls(found["id"])}
    assert set(urls) == {CANONICAL, VARIANTS[1][0], VARIANTS[3][0]}
    assert urls[CANONICAL]["last_seen_at"] == T1
    assert urls[VARIANTS[1][0]]["last_seen_at"] == article()["seen_at"]


def test_same_text_under_a_second_canonical_url_is_an_alias(archive: Archive) -> None:
    archive.upsert_articles([article(1)])
    copy = article(1, url="https://news.example/world/77", section="world", seen_at=T1)
    assert archive.upsert_articles([copy]) == ["unchanged"]
    found = archive.find_article(copy["url"])
    assert found is not None and found["url"] == article(1)["url"]
    assert found["last_seen_at"] == T1
    kinds = {u["url"]: u["kind"] for u in archive.urls(found["id"])}
    assert kinds == {article(1)["url"]: "canonical", copy["url"]: "alias"}
    assert archive.db.execute("select count(*) from articles").fetchone()[0] == 1
    # Fetched again through the alias: still the same article, nothing new.
    assert archive.upsert_articles([{**copy, "seen_at": "2024-03-03T10:00:00+00:00"}]) == [
        "unchanged"
    ]
    assert archive.check() == []


def test_an_alias_whose_text_changes_becomes_its_own_article(archive: Archive) -> None:
    archive.upsert_articles([article(1)])
    alias = "https://news.example/world/77"
    archive.upsert_articles([article(1, url=alias)])
    assert archive.upsert_articles([article(2, url=alias, seen_at=T1)]) == ["new"]
    first, second = archive.find_article(article(1)["url"]), archive.find_article(alias)
    assert first is not None and second is not None
    assert (second["url"], second["title"]) == (alias, "Headline 2")
    assert [u["url"] for u in archive.urls(first["id"])] == [article(1)["url"]]
    assert archive.check() == []


def test_other_sites_copies_are_not_merged(archive: Archive) -> None:
    archive.upsert_articles([article(1)])
    other = article(1, url="https://other.example/news/1", site="other")
    assert archive.upsert_articles([other]) == ["new"]
    copy = archive.find_article(other["url"])
    assert copy is not None and copy["site"] == "other"


def test_another_articles_canonical_url_stays_with_it(archive: Archive) -> None:
    """A listing link that now redirects elsewhere does not take the old article's URL."""
    archive.upsert_articles([article(1)])
    moved = article(2, urls=[(article(2)["url"], "canonical"), (article(1)["url"], "requested")])
    archive.upsert_articles([moved])
    found = archive.find_article(article(1)["url"])
    assert found is not None and found["title"] == "Headline 1"
    assert archive.check() == []


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("https://x", "key 'urls' must be a list of"),
        ([("https://x",)], "key 'urls' must be a list of"),
        ([("https://x", "")], "key 'urls' must be a list of"),
        ([(None, "requested")], "key 'urls' must be a list of"),
    ],
)
def test_bad_urls_are_refused_with_the_article_named(
    archive: Archive, urls: object, message: str
) -> None:
    with pytest.raises(ValueError, match=rf"article '{CANONICAL}': {message}"):
        archive.upsert_articles([article(urls=urls)])


def test_fetch_only_records_the_fetch_but_never_the_fields(archive: Archive) -> None:
    """A second page of one article in a crawl (AMP, print) adds its URL, not a version."""
    archive.upsert_articles([article(1)])
    amp = article(
        1,
        body="The AMP page reads a little differently.",
        urls=[(article(1)["url"], "canonical"), ("https://news.example/amp/1", "requested")],
        fetch_only=True,
        seen_at=T1,
    )
    assert archive.upsert_articles([amp]) == ["unchanged"]
    found = archive.find_article("https://news.example/amp/1")
    assert found is not None
    assert (found["body"], found["version_count"], found["last_seen_at"]) == (
        "Body of article 1.",
        1,
        T1,
    )
    with pytest.raises(ValueError, match="key 'fetch_only' must be a bool"):
        archive.upsert_articles([article(1, fetch_only="yes")])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=80))
def test_find_article_answers_any_string(archive: Archive, text: str) -> None:
    assert archive.find_article(text) is None


def test_seen_times_compare_as_instants_not_text(archive: Archive) -> None:
    """10:30+02:00 is 08:30 UTC: earlier than 10:00 UTC although it sorts later as text."""
    archive.upsert_articles([article(1, seen_at="2024-03-01T10:00:00+00:00")])
    alias = article(1, url="https://news.example/world/77", seen_at="2024-03-01T10:30:00+02:00")
    archive.upsert_articles([alias])
    found = archive.find_article(alias["url"])
    assert found is not None and found["last_seen_at"] == "2024-03-01T10:00:00+00:00"
    assert archive.versions(found["id"])[0]["last_seen_at"] == "2024-03-01T10:00:00+00:00"
