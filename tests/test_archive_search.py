"""Full-text search: FTS5 syntax, any string a user types, filters, and `archive search`."""

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import Archive
from archive.cli import cli
from archive.search import (
    ArticleFilter,
    SearchError,
    date_bound,
    fts_syntax_error,
    plain_words_query,
    search,
)
from tests.archive_rows import article

ARTICLES = [
    article(
        1,
        site="alpha",
        section="defence",
        language="en",
        title="Iron Dome deal signed",
        body="Azerbaijan buys the Iron Dome air defence system from Israel.",
        published_at="2017-09-13T10:15:00+00:00",
    ),
    article(
        2,
        site="alpha",
        section="economy",
        language="az",
        title="Şəhər büdcəsi",
        body="İlham Əliyev Bakı şəhərində yeni büdcəni təqdim etdi.",
        published_at="2024-03-01T23:30:00+00:00",
    ),
    article(
        3,
        site="beta",
        section="defence",
        language="ru",
        title="Новости обороны",
        body="Москва обсуждает систему Iron Dome и противовоздушную оборону.",
        published_at="2024-03-02T08:00:00+00:00",
    ),
    article(4, site="beta", section="defence", body="An undated dome story.", published_at=None),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    path = tmp_path_factory.mktemp("search") / "archive.db"
    archive = Archive(path)
    archive.upsert_articles(ARTICLES)
    yield archive
    archive.close()


def ids(archive: Archive, text: str, **filters: str) -> list[int]:
    result = search(archive.db, text, ArticleFilter(**filters), order="oldest")
    return [hit.id for hit in result.hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("iron dome", [1, 3]),
        ('"iron dome"', [1, 3]),
        ('"dome iron"', []),
        ("dome", [1, 3, 4]),
        ("israel OR москва", [1, 3]),
        ("iron NOT israel", [3]),
        ("defen*", [1]),
        ("title:iron", [1]),
        # Case folded in every script; İ and ı kept as the language has them.
        ("МОСКВА", [3]),
        ("ŞƏHƏR", [2]),
        ("ilham", [2]),
        ("bakı", [2]),
        # unicode61 folds I to i: the ı a capital I or a Latin keyboard stands for is added.
        ("BAKI", [2]),
        ("baki şəhərində", [2]),
        # Not FTS5 syntax: searched as the words it holds.
        ('"iron dome', [1, 3]),
        ("iron (dome", [1, 3]),
        ("israel:", [1]),
        ("nato", []),
    ],
)
def test_queries(archive: Archive, query: str, expected: list[int]) -> None:
    assert ids(archive, query) == expected


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Iron dome", '("Iron" OR "ıron") AND "dome"'),
        ("BAKI", '("BAKI" OR "BAKı")'),
        ("qızıl", '"qızıl"'),
        ("iii", '("iii" OR "ıii" OR "iıi" OR "ııi" OR "iiı" OR "ıiı" OR "iıı" OR "ııı")'),
        ("iiii", '("iiii" OR "ıııı")'),
        ("a:b (c", '"a" AND "b" AND "c"'),
    ],
)
def test_plain_words_query(text: str, query: str) -> None:
    assert plain_words_query(text) == query


def test_syntax_errors_are_searched_as_words(archive: Archive) -> None:
    assert fts_syntax_error('"iron') is not None
    assert fts_syntax_error("iron dome") is None
    result = search(archive.db, 'Iron "Dome')
    assert result.as_words
    assert result.query == '("Iron" OR "ıron") AND "Dome"'


def test_snippets_mark_the_matched_words(archive: Archive) -> None:
    (hit,) = search(archive.db, "israel").hits
    assert hit.snippet == "Azerbaijan buys the Iron Dome air defence system from [Israel]."
    assert (hit.url, hit.site, hit.section) == (
        "https://news.example/politics/1",
        "alpha",
        "defence",
    )


@pytest.mark.parametrize("query", ["", "   ", "*", "()", '"', "\x00"])
def test_queries_without_words_are_a_clear_error(archive: Archive, query: str) -> None:
    with pytest.raises(SearchError, match=r"empty query|nothing to search for"):
        search(archive.db, query)


def test_filters(archive: Archive) -> None:
    assert ids(archive, "dome", site="beta") == [3, 4]
    assert ids(archive, "dome", section="defence", language="ru") == [3]
    # A date range leaves undated articles out; --until a date includes that whole day.
    assert ids(archive, "dome OR şəhər", since=date_bound("2024-03-01")) == [2, 3]
    assert ids(archive, "dome OR şəhər", until=date_bound("2024-03-01", end=True)) == [1, 2]
    assert ids(archive, "dome", site="alpha' OR '1'='1") == []


@pytest.mark.parametrize(
    ("value", "end", "bound"),
    [
        ("2024-03-01", False, "2024-03-01T00:00:00+00:00"),
        ("2024-03-01", True, "2024-03-02T00:00:00+00:00"),
        ("2024-12-31", True, "2025-01-01T00:00:00+00:00"),
        ("2024-03-01T14:00", False, "2024-03-01T14:00:00+00:00"),
        ("2024-03-01T14:00+04:00", True, "2024-03-01T10:00:00+00:00"),
        (" 2024-03-01T14:00:00Z ", False, "2024-03-01T14:00:00+00:00"),
    ],
)
def test_date_bound(value: str, end: bool, bound: str) -> None:
    assert date_bound(value, end=end) == bound


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "01/03/2024", ""])
def test_date_bound_rejects_what_it_cannot_read(value: str) -> None:
    with pytest.raises(ValueError, match="is not a date or time"):
        date_bound(value)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=40))
def test_any_string_gets_results_or_a_clear_error(archive: Archive, text: str) -> None:
    try:
        result = search(archive.db, text)
    except SearchError as error:
        assert "query" in str(error) or "nothing to search for" in str(error)
        assert not plain_words_query(text)
    else:
        assert all(hit.id in {1, 2, 3, 4} for hit in result.hits)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("\"*()^:+-{}[],.' ANDORNOTNEAR iron dome şəhər")),
        max_size=30,
    )
)
def test_fts_syntax_soup_never_raises(archive: Archive, text: str) -> None:
    try:
        search(archive.db, text)
    except SearchError:
        assert not plain_words_query(text)


def test_search_command(archive: Archive) -> None:
    db = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["search", "--db", db, "iron dome", "--site", "alpha"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Iron Dome deal signed",
        "  alpha / defence · 2017-09-13T10:15:00+00:00 · https://news.example/politics/1",
        "  [Iron] [Dome] deal signed",
        "",
    ]


@pytest.mark.parametrize(
    ("args", "exit_code", "output"),
    [
        (['"iron'], 0, "(not FTS5 syntax; searched the words: iron)"),
        (["nato"], 0, "No matches."),
        (["()"], 1, "Error: nothing to search for in '()': it has no letters or digits"),
        (["dome", "--since", "last week"], 2, "is not a date or time"),
    ],
)
def test_search_command_messages(
    archive: Archive, args: list[str], exit_code: int, output: str
) -> None:
    db = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["search", "--db", db, *args])
    assert result.exit_code == exit_code
    assert output in result.output
    assert "Traceback" not in result.output


def test_search_order_and_limit(archive: Archive) -> None:
    db = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(
        cli, ["search", "--db", db, "dome", "--order", "newest", "--limit", "2"]
    )
    assert result.exit_code == 0
    titles = [line for line in result.output.splitlines() if line and not line.startswith(" ")]
    assert titles == [
        "Новости обороны",
        "Iron Dome deal signed",
        "(showing the first 2; --limit shows more)",
    ]
