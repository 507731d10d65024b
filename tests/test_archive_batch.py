"""Batched writes: a batch of new articles written one statement per table, and batch-wide
MinHash signatures, give exactly what writing the articles one by one gives."""

import re
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import Archive, db, neardup
from tests.archive_rows import article
from tests.test_archive_neardup import story, syndicated

T1 = "2024-03-02T10:00:00+00:00"


def reference_signature(body: str) -> np.ndarray | None:
    """The signature as the first version of neardup made it, word by word with zlib and
    datasketch's own MinHash.update_batch: what archives already hold."""
    words = re.findall(r"\w+", body.casefold())
    grams: set[int] = set()
    for i in range(len(words) - 2):
        combined = 0
        for word in words[i : i + 3]:
            combined = (combined * 0x9E3779B97F4A7C15 + zlib.crc32(word.encode())) % 2**64
        grams.add(((combined >> 32) ^ combined) & 0xFFFFFFFF)
    if len(grams) < neardup.MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=neardup.NUM_PERM, scheme=neardup.SCHEME, hashfunc=int)
    minhash.update_batch(sorted(grams))
    return minhash.hashvalues.astype(np.uint32)


WORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), min_size=1)


@given(st.lists(WORDS, max_size=30))
def test_crc32_is_zlibs(words: list[str]) -> None:
    data = np.frombuffer("".join(words).encode(), dtype=np.uint8)
    lengths = np.array([len(word.encode()) for word in words], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    hashes = neardup._crc32_spans(data, starts, lengths)
    assert hashes.tolist() == [zlib.crc32(w.encode()) for w in words]


TEXTS = [
    " ".join(story(1)),
    " ".join(syndicated(story(1))),
    " ".join(
        f"{word} {n}"
        for n, word in enumerate(
            ["Bakı", "şəhərində", "İlham", "Əliyev", "ıI", "Москва", "ΣΊΣ"] * 6
        )
    ),
    # Case folding that changes lengths (ß, İ), letters beyond the BMP, other digits and
    # numerals, underscores, combining marks, ligatures: words as the regex finds them.
    " ".join(
        f"{word} {n}"
        for n, word in enumerate(
            ["Straße", "İZMİR", "𝒜𝓁𝓅𝒽𝒶", "٣٤", "snake_case", "e\u0301té", "ﬁn", "Ⅻ", "a·b"] * 4
        )
    ),
    "x" * 3000 + " " + " ".join(story(3)),  # a word longer than a page
    "one two three " * 7,
    "one two three " * 40,  # 118 3-grams, 3 distinct: too few
    "one two three " * 40 + " ".join(story(4)),  # its repeats first, then enough new ones
    "too short",
    "",
]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=400) | st.sampled_from(TEXTS), max_size=8))
def test_batch_signatures_equal_the_first_versions(bodies: list[str]) -> None:
    for body, batched in zip(bodies, neardup.signatures(bodies), strict=True):
        expected = reference_signature(body)
        single = neardup.signature(body)
        if expected is None:
            assert batched is None and single is None
        else:
            assert batched is not None and single is not None
            assert batched.dtype == np.uint32
            assert batched.tolist() == expected.tolist() == single.tolist()


def test_bands_and_rows_are_datasketchs_optimum() -> None:
    weights = neardup.FALSE_POSITIVE_WEIGHT, neardup.FALSE_NEGATIVE_WEIGHT
    optimum = _optimal_param(neardup.THRESHOLD, neardup.NUM_PERM, *weights)
    assert optimum == (neardup.BANDS, neardup.ROWS)


@pytest.mark.parametrize("count", [1, 7, neardup.NUM_PERM, 300])
def test_permutations_are_datasketchs(count: int) -> None:
    expected = MinHash(num_perm=count, scheme=neardup.SCHEME).permutations
    permutations = neardup._affine32_permutations(count)
    assert permutations.dtype == expected.dtype == np.uint32
    assert permutations.tolist() == expected.tolist()


def test_a_crawl_and_the_archive_import_neither_datasketch_nor_scipy() -> None:
    """They would cost every crawl and every `archive` command 60 MB and half a second."""
    modules = "archive.cli, crawler.settings, crawler.pipelines, crawler.spiders.site"
    check = f"import sys, {modules}; print(sorted({{'datasketch', 'scipy'}} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_signatures_of_the_sample_texts_equal_the_first_versions() -> None:
    signed = neardup.signatures(TEXTS)
    assert sum(values is not None for values in signed) == 6
    for body, values in zip(TEXTS, signed, strict=True):
        expected = reference_signature(body)
        assert (values is None) == (expected is None)
        assert values is None or values.tolist() == expected.tolist()  # type: ignore[union-attr]


def mixed_batch() -> list[dict[str, Any]]:
    """New articles that share nothing, beside every way entries of a batch can meet."""
    copy_url = "https://other.example/1"
    return [
        article(10, body=" ".join(story(10)), urls=[("https://news.example/p/10?utm=x", "x")]),
        article(11, body=" ".join(story(11)), tags=["election", "vote"]),
        article(1, body="Changed text."),  # stored: a new version
        article(12, body=" ".join(story(12)), authors=["Zeynəb Xanlarova", "anna müller"]),
        article(  # the same article twice
            12, body=" ".join(story(12)), authors=["Zeynəb Xanlarova", "anna müller"], seen_at=T1
        ),
        article(13, body=" ".join(story(13)), authors=[], tags=None),
        # The same text under a second canonical URL of the site: an alias of article 13.
        article(14, body=" ".join(story(13)), title="Headline 13"),
        article(15, url=copy_url, site="other", body=" ".join(syndicated(story(10)))),
        article(16, body=" ".join(syndicated(story(11)))),  # near-duplicate within the batch
        article(17, body=" ".join(story(17)), urls=[("https://news.example/politics/18", "r")]),
        article(18, body=" ".join(story(18))),  # its URL was a variant of the one before
        article(19, body="A caption.", summary=None, image_url="https://img.example/19.jpg"),
        # A new text for stored article 2, its summary missed (the stored one is kept)...
        article(2, body=" ".join(story(30)), summary=None),
        # ...and that very text under another URL of the site: an alias of article 2.
        article(22, title="Headline 2", body=" ".join(story(30))),
        article(20, body=" ".join(story(20)), authors=["ZEYNƏB XANLAROVA", "Ola Nordmann"]),
        article(21, body=" ".join(syndicated(story(20)))),  # near-duplicate, same run
    ]


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    names = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    # The full-text index is compared by what it holds, every term at every position of
    # every row, not by how FTS5 cut it into segments, which follows the statements that
    # wrote it (a batch's articles are indexed by one statement, as one segment).
    segments = ("articles_fts", "articles_fts_data", "articles_fts_idx")
    contents = {
        name: sorted(connection.execute(f"SELECT * FROM [{name}]").fetchall(), key=repr)
        for name in names
        if name not in segments
    }
    connection.execute(
        "CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, articles_fts, instance)"
    )
    contents["articles_fts terms"] = connection.execute(
        "SELECT term, doc, col, offset FROM temp.terms ORDER BY term, doc, col, offset"
    ).fetchall()
    connection.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    connection.close()
    return contents


def test_batch_writes_what_one_by_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = []
    runs: list[int] = []
    insert_new = Archive._insert_new

    def counted(self: Archive, entries: Any, run_id: int | None, prepared: Any) -> None:
        runs.append(len(entries))
        insert_new(self, entries, run_id, prepared)

    monkeypatch.setattr(Archive, "_insert_new", counted)
    for name in ("batched", "one-by-one"):
        if name == "one-by-one":
            monkeypatch.setattr(Archive, "_independent_new", lambda self, entries: [False] * 99)
        with Archive(tmp_path / f"{name}.db") as archive:
            archive.upsert_articles([article(1), article(2, body=" ".join(story(2)))])
            outcomes.append(archive.upsert_articles(mixed_batch()))
            assert archive.check() == []
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == ["new", "new", "updated", "new", "unchanged", "new", "unchanged"] + [
        "new"
    ] * 5 + ["updated", "unchanged", "new", "new"]
    assert runs[:5] == [2, 2, 2, 1, 2]  # the first batch, then the mixed one's independent runs
    batched, one_by_one = tables(tmp_path / "batched.db"), tables(tmp_path / "one-by-one.db")
    assert batched.keys() == one_by_one.keys()
    for table in batched:
        assert batched[table] == one_by_one[table], table


def test_links_and_urls_within_one_batch(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.db") as archive:
        archive.upsert_articles([article(1), article(2, body=" ".join(story(2)))])
        archive.upsert_articles(mixed_batch())
        first = archive.find_article("https://news.example/politics/11")
        copy = archive.find_article("https://news.example/politics/16")
        assert first is not None and copy is not None
        assert copy["duplicate_of"] == first["id"]
        assert neardup.THRESHOLD <= copy["duplicate_similarity"] < 1
        syndicated_copy = archive.find_article("https://other.example/1")
        assert syndicated_copy is not None and syndicated_copy["duplicate_of"] is not None
        alias_of_update = archive.find_article("https://news.example/politics/22")
        assert alias_of_update is not None
        assert alias_of_update["url"] == "https://news.example/politics/2"
        pair = [archive.find_article(f"https://news.example/politics/{n}") for n in (20, 21)]
        assert pair[0] is not None and pair[1] is not None
        assert pair[1]["duplicate_of"] == pair[0]["id"]
        alias = archive.find_article("https://news.example/politics/14")
        assert alias is not None and alias["url"] == "https://news.example/politics/13"
        variant = archive.find_article("https://news.example/p/10?utm=x")
        assert variant is not None and variant["url"] == "https://news.example/politics/10"
        twice = archive.find_article("https://news.example/politics/12")
        assert twice is not None and twice["last_seen_at"] == T1
        assert len(archive.versions(twice["id"])) == 1
        # The URL a variant of article 17 went to is article 18's canonical URL now.
        moved = archive.find_article("https://news.example/politics/18")
        assert moved is not None and moved["url"] == "https://news.example/politics/18"
        tags = archive.db.execute(
            "SELECT name FROM tags JOIN article_tags ON tags.id = tag_id WHERE article_id = ? "
            "ORDER BY position",
            [archive.find_article("https://news.example/politics/11")["id"]],  # type: ignore[index]
        ).fetchall()
        assert tags == [("election",), ("vote",)]
        assert archive.check() == []


def test_a_large_batch_links_what_one_by_one_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most of a batch shares no LSH bucket with anything; the few that do (copies of
    stored articles, of earlier ones in the batch, and chains of copies) are compared."""
    stored = [article(n, body=" ".join(story(n))) for n in range(1, 6)]
    batch = []
    for n in range(6, 46):
        if n % 5 == 0:  # a copy of a stored article, on another site
            body, site = " ".join(syndicated(story(n // 5))), "other"
        elif n % 7 == 0:  # a copy of the batch's article before
            body, site = " ".join(syndicated(story(n - 1))), "third"
        else:
            body, site = " ".join(story(n)), "news"
        batch.append(article(n, url=f"https://{site}.example/{n}", site=site, body=body))
    for name in ("batched", "one-by-one"):
        if name == "one-by-one":
            monkeypatch.setattr(Archive, "_independent_new", lambda self, entries: [False] * 99)
        with Archive(tmp_path / f"{name}.db") as archive:
            archive.upsert_articles(stored)
            assert archive.upsert_articles(batch) == ["new"] * len(batch)
    assert tables(tmp_path / "batched.db") == tables(tmp_path / "one-by-one.db")
    connection = sqlite3.connect(tmp_path / "batched.db")
    linked = connection.execute(
        "SELECT copy.url, original.body FROM articles AS copy "
        "JOIN articles AS original ON original.id = copy.duplicate_of ORDER BY copy.id"
    ).fetchall()
    connection.close()
    # Copies of stored stories 2-5 and of the batch's 6, 8, 9, 13, 27 and 41 (story 7 and
    # story 20 have no original: articles 7 and 20 are copies themselves).
    assert [url.rsplit("/", 1)[1] for url, _ in linked] == [
        "7", "10", "14", "15", "20", "25", "28", "30", "40", "42", "45"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "numbers",
    [
        pytest.param([1, 2], id="an update first: fails before a row is written"),
        pytest.param([2, 3], id="new articles: fails once their rows are inserted"),
    ],
)
def test_an_error_while_preparing_a_batch_is_raised_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, numbers: list[int]
) -> None:
    """Signatures and raw pages are prepared in another thread: what fails there fails
    the write, in the caller, and the batch is rolled back whole."""
    batch = [article(n, body="Changed.") if n == 1 else article(n) for n in numbers]
    with Archive(tmp_path / "archive.db") as archive:
        archive.upsert_articles([article(1)])

        def fail(bodies: Any) -> Any:
            raise MemoryError("no room for signatures")

        monkeypatch.setattr(neardup, "signatures", fail)
        with pytest.raises(MemoryError, match="no room for signatures"):
            archive.upsert_articles(batch)
        monkeypatch.undo()
        assert archive.db.execute("SELECT count(*), max(body) FROM articles").fetchone() == (
            1,
            "Body of article 1.",
        )
        assert archive.upsert_articles([article(2)]) == ["new"]
        assert archive.check() == []


def test_a_failed_write_returns_only_after_its_preparation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of a batch runs on once `upsert_articles` has returned or raised, so the
    caller may keep the batch and retry it at once."""
    finished: list[int] = []
    prepare = db._prepare

    def slow(entries: Any) -> None:
        time.sleep(0.3)
        prepare(entries)
        finished.append(len(entries))

    def fail(self: Archive, entries: Any, run_id: int | None, prepared: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(db, "_prepare", slow)
    with Archive(tmp_path / "archive.db") as archive:
        monkeypatch.setattr(Archive, "_apply", fail)
        with pytest.raises(sqlite3.OperationalError):
            archive.upsert_articles([article(1), article(2)])
        assert finished == [2]
    assert not [t for t in threading.enumerate() if t.name.startswith("archive-prepare")]
