"""Near-duplicates: the same story syndicated or lightly edited is linked, never merged."""

import random
from pathlib import Path

import pytest

from archive import Archive, neardup
from tests.archive_rows import article

VOCABULARY = [
    "the",
    "minister",
    "said",
    "parliament",
    "government",
    "vote",
    "budget",
    "city",
    "council",
    "police",
    "report",
    "year",
    "new",
    "law",
    "court",
    "week",
    "people",
    "country",
    "president",
    "official",
    "election",
    "result",
    "economy",
    "bank",
    "oil",
    "gas",
    "price",
    "rise",
    "fall",
    "talks",
    "meeting",
    "region",
    "border",
    "water",
    "school",
    "hospital",
    "road",
    "project",
    "plan",
    "support",
    "opposition",
    "party",
    "leader",
    "statement",
    "press",
    "agency",
    "capital",
    "north",
    "south",
    "east",
    "west",
    "million",
    "percent",
    "growth",
    "tax",
    "reform",
    "trade",
    "export",
    "import",
    "deal",
    "summit",
]


def story(seed: int, words: int = 300) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCABULARY) for _ in range(words)]


def syndicated(original: list[str]) -> list[str]:
    """A republished copy: a new opening sentence, six words edited, the last line cut."""
    copy = ["according", "to", "local", "media", "on", "tuesday", *original[:-12]]
    for position in (40, 90, 140, 190, 230, 260):
        copy[position] = "edited"
    return copy


def test_thresholds_separate_a_syndicated_copy_from_an_unrelated_story() -> None:
    original = " ".join(story(1))
    copy = " ".join(syndicated(story(1)))
    unrelated = " ".join(story(2))
    a, b, c = (neardup.signature(text) for text in (original, copy, unrelated))
    assert a is not None and b is not None and c is not None
    grams = [set(neardup.shingles(text).tolist()) for text in (original, copy)]
    true_copy = len(grams[0] & grams[1]) / len(grams[0] | grams[1])
    assert abs(neardup.similarity(a, b) - true_copy) < 0.1  # the estimate is close
    assert neardup.similarity(a, b) >= neardup.THRESHOLD
    assert neardup.similarity(a, c) < 0.2


def test_copy_on_another_site_is_linked_to_the_earlier_article(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive(path) as archive:
        archive.upsert_articles([article(1, body=" ".join(story(1)))])
        archive.upsert_articles([article(2, body=" ".join(story(2)))])
    # A later crawl, another process: the stored signatures are what it compares with.
    with Archive(path) as archive:
        copy = article(
            1, url="https://other.example/1", site="other", body=" ".join(syndicated(story(1)))
        )
        same = article(3, url="https://third.example/3", site="third", body=" ".join(story(2)))
        assert archive.upsert_articles([copy, same]) == ["new", "new"]
        linked = archive.find_article(copy["url"])
        exact = archive.find_article(same["url"])
        assert linked is not None and exact is not None
        assert linked["duplicate_of"] == 1
        assert neardup.THRESHOLD <= linked["duplicate_similarity"] < 1
        assert (exact["duplicate_of"], exact["duplicate_similarity"]) == (2, 1.0)
        unrelated = archive.find_article(article(2)["url"])
        assert unrelated is not None and unrelated["duplicate_of"] is None
        assert archive.db.execute("select count(*) from articles").fetchone()[0] == 4
        assert archive.check() == []


def test_a_new_version_is_compared_again(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.db") as archive:
        archive.upsert_articles([article(1, body=" ".join(story(1)))])
        archive.upsert_articles([article(2, body=" ".join(story(2)))])
        assert archive.find_article(article(2)["url"])["duplicate_of"] is None  # type: ignore[index]
        archive.upsert_articles([article(2, body=" ".join(syndicated(story(1))))])
        assert archive.find_article(article(2)["url"])["duplicate_of"] == 1  # type: ignore[index]
        archive.upsert_articles([article(2, body=" ".join(story(3)))])
        assert archive.find_article(article(2)["url"])["duplicate_of"] is None  # type: ignore[index]


@pytest.mark.parametrize("body", ["Video", "Photo gallery: the day in pictures.", ""])
def test_short_texts_are_not_compared(body: str) -> None:
    assert neardup.signature(body) is None
