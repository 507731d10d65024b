"""Versions: every distinct text an article had is kept; articles shows the current one."""

from pathlib import Path
from typing import Any

import pytest

from archive import Archive, content_hash
from tests.archive_rows import T0, article

T1 = "2024-03-02T10:00:00+00:00"
T2 = "2024-03-03T10:00:00+00:00"
T3 = "2024-03-04T10:00:00+00:00"


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    with Archive(tmp_path / "archive.db") as opened:
        yield opened


def current(archive: Archive, n: int = 1) -> dict[str, Any]:
    found = archive.find_article(article(n)["url"])
    assert found is not None
    return found


def test_changed_text_adds_a_version_and_keeps_the_old(archive: Archive) -> None:
    assert archive.upsert_articles([article()]) == ["new"]
    assert archive.upsert_articles([article(seen_at=T1)]) == ["unchanged"]
    assert archive.upsert_articles([article(body="Corrected body.", seen_at=T2)]) == ["updated"]
    row = current(archive)
    assert (row["body"], row["version_count"], row["current_version"]) == ("Corrected body.", 2, 2)
    first, second = archive.versions(row["id"])
    assert (first["version"], first["body"], first["first_seen_at"], first["last_seen_at"]) == (
        1,
        "Body of article 1.",
        T0,
        T1,
    )
    assert (second["version"], second["body"], second["first_seen_at"]) == (
        2,
        "Corrected body.",
        T2,
    )
    assert second["content_hash"] == content_hash("Headline 1", "A summary.", "Corrected body.")
    assert first["authors"] == ["Anna Müller", "Əli Həsənov"]  # lists, not JSON text
    assert (row["first_seen_at"], row["last_seen_at"]) == (T0, T2)
    assert archive.check() == []


@pytest.mark.parametrize("field", ["title", "summary", "body"])
def test_each_text_field_makes_a_version(archive: Archive, field: str) -> None:
    archive.upsert_articles([article()])
    archive.upsert_articles([article(**{field: "Changed."}, seen_at=T1)])
    assert current(archive)["version_count"] == 2


def test_same_text_with_new_metadata_updates_the_version_in_place(archive: Archive) -> None:
    archive.upsert_articles([article()])
    assert archive.upsert_articles([article(tags=["vote", "election"], seen_at=T1)]) == ["updated"]
    row = current(archive)
    (only,) = archive.versions(row["id"])
    assert (only["tags"], only["last_seen_at"], row["version_count"]) == (
        ["vote", "election"],
        T1,
        1,
    )
    assert archive.check() == []


def test_text_that_comes_back_makes_its_old_version_current(archive: Archive) -> None:
    archive.upsert_articles([article()])
    archive.upsert_articles([article(body="Changed.", seen_at=T1)])
    assert archive.upsert_articles([article(seen_at=T2)]) == ["updated"]
    row = current(archive)
    assert (row["body"], row["version_count"], row["current_version"]) == (
        "Body of article 1.",
        2,
        1,
    )
    versions = archive.versions(row["id"])
    assert [(v["version"], v["last_seen_at"]) for v in versions] == [(1, T2), (2, T1)]
    assert archive.check() == []


def test_a_field_the_fetch_missed_is_kept_and_makes_no_version(archive: Archive) -> None:
    archive.upsert_articles([article()])
    assert archive.upsert_articles([article(summary=None, seen_at=T1)]) == ["unchanged"]
    row = current(archive)
    assert (row["summary"], row["version_count"]) == ("A summary.", 1)


def test_guessed_year_never_replaces_evidence_in_any_version(archive: Archive) -> None:
    archive.upsert_articles([article(published_year_source="url")])
    guessed = article(
        published_at="2024-09-13T10:15:00+00:00",
        published_year_source="latest",
        body="Corrected.",
        seen_at=T1,
    )
    assert archive.upsert_articles([guessed]) == ["updated"]
    row = current(archive)
    assert (row["published_at"], row["published_year_source"]) == (
        "2017-09-13T10:15:00+00:00",
        "url",
    )
    assert archive.versions(row["id"])[-1]["published_year_source"] == "url"


def test_repeated_url_in_one_batch_sees_its_earlier_entry(archive: Archive) -> None:
    batch = [article(), article(body="Second.", seen_at=T1), article(body="Third.", seen_at=T2)]
    assert archive.upsert_articles(batch) == ["new", "updated", "updated"]
    assert [v["body"] for v in archive.versions(current(archive)["id"])] == [
        "Body of article 1.",
        "Second.",
        "Third.",
    ]


def test_published_source_is_stored_as_given(archive: Archive) -> None:
    archive.upsert_articles([article(published_source="jsonld")])
    row = current(archive)
    assert row["published_source"] == "jsonld"
    assert archive.versions(row["id"])[0]["published_source"] == "jsonld"


def test_a_late_older_fetch_never_moves_last_seen_back(archive: Archive) -> None:
    archive.upsert_articles([article(seen_at=T2)])
    archive.upsert_articles([article(body="Changed.", seen_at=T3)])
    archive.upsert_articles([article(seen_at=T1)])  # arrives late, the first text
    row = current(archive)
    versions = archive.versions(row["id"])
    assert [(v["first_seen_at"], v["last_seen_at"]) for v in versions] == [(T2, T2), (T3, T3)]
    assert (row["last_seen_at"], row["current_version"]) == (T3, 1)
