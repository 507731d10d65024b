"""Full-text search over the archive, and the article filters every reader shares.

Any string a user types is answered: it is tried first as an FTS5 query (so `"iron dome"`,
`nato OR otan`, `energ*` and `title:budget` work), and when SQLite rejects its syntax it
is searched again as plain words, each quoted, so quotes, colons and unbalanced brackets
find what they say instead of failing. Every value reaches SQLite as a parameter.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from archive.schema import FTS_COLUMNS, FTS_TOKENIZE

#: Marks around the matched words in a snippet.
SNIPPET_START = "["
SNIPPET_END = "]"
SNIPPET_TOKENS = 16
#: Words of a plain-text query: runs of letters, digits and marks (what unicode61 indexes).
_WORD = re.compile(r"[^\W_]+(?:[\w'’-]*[^\W_])?", re.UNICODE)

Order = Literal["rank", "newest", "oldest"]


class SearchError(ValueError):
    """A query that cannot be answered; the message says why, for the user."""


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles a reader wants: any combination; None means "any".

    `since` and `until` are ISO 8601 bounds on `published_at` (see `date_bound`): an
    article without a date is left out as soon as either is given.
    """

    site: str | None = None
    section: str | None = None
    language: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self, table: str = "articles") -> tuple[str, list[Any]]:
        """SQL conditions (joined by AND, "1" when none) and their parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        for column in ("site", "section", "language"):
            value = getattr(self, column)
            if value is not None:
                conditions.append(f"{table}.{column} = ?")
                params.append(value)
        if self.since is not None:
            conditions.append(f"{table}.published_at >= ?")
            params.append(self.since)
        if self.until is not None:
            conditions.append(f"{table}.published_at < ?")
            params.append(self.until)
        return " AND ".join(conditions) or "1", params


def date_bound(value: str, *, end: bool = False) -> str:
    """A user's date or time as the ISO 8601 UTC text `published_at` is compared with.

    A date alone means its whole day (UTC): as a start, its midnight; as an end
    (`end=True`, an exclusive bound), the next midnight, so `--until 2024-03-01` includes
    that day. A time without an offset is taken as UTC.
    """
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        start = datetime.combine(day, time(), UTC)
        return (start + timedelta(days=1) if end else start).isoformat()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date or time: expected e.g. 2024-03-01 or 2024-03-01T14:00+04:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


#: Every article.
NO_FILTER = ArticleFilter()


@dataclass(frozen=True)
class Hit:
    id: int
    url: str
    site: str
    section: str | None
    title: str
    published_at: str | None
    snippet: str


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    #: The FTS5 query that was run: the user's, or its plain-words form.
    query: str
    #: True when the user's text was not valid FTS5 syntax and was searched as words.
    as_words: bool


def query_words(text: str) -> list[str]:
    """The words of a text, as the plain-words search reads them."""
    return _WORD.findall(text)


def plain_words_query(text: str) -> str:
    """The words of `text`, each as a quoted FTS5 string, all required.

    A word with an `i` or `I` also matches its Azerbaijani dotless-ı spellings
    (`BAKI` or `baki` finds `Bakı`): the index's unicode61 folds I to i, as English
    needs, so the ı a capital I or a Latin keyboard stands for must be asked for.
    """
    return " AND ".join(_with_dotless_i(word) for word in query_words(text))


#: Words with more i's than this get only the all-ı spelling besides their own.
DOTLESS_VARIANTS_UP_TO = 3


def _with_dotless_i(word: str) -> str:
    folded = word.replace("I", "i")
    positions = [i for i, letter in enumerate(folded) if letter == "i"]
    if not positions:
        return f'"{word}"'
    if len(positions) > DOTLESS_VARIANTS_UP_TO:
        choices = [(), tuple(positions)]
    else:
        choices = [
            tuple(p for bit, p in enumerate(positions) if mask >> bit & 1)
            for mask in range(2 ** len(positions))
        ]
    spellings = [word] + [
        "".join("ı" if i in dotless else letter for i, letter in enumerate(folded))
        for dotless in choices
        if dotless
    ]
    return "(" + " OR ".join(f'"{spelling}"' for spelling in spellings) + ")"


#: A query of plain words only: no quotes, operators, prefixes, columns or groups.
_SIMPLE = re.compile(r"[^\W_]+(?:[\w'’-]*[^\W_])?(?:\s+[^\W_]+(?:[\w'’-]*[^\W_])?)*")
_OPERATORS = frozenset(("AND", "OR", "NOT", "NEAR"))


def _is_plain_words(text: str) -> bool:
    return bool(_SIMPLE.fullmatch(text.strip())) and not _OPERATORS & set(text.split())


def search(
    db: Database,
    text: str,
    article_filter: ArticleFilter = NO_FILTER,
    *,
    limit: int = 20,
    order: Order = "rank",
    as_words: bool = False,
) -> SearchResult:
    """The best matches for `text` with snippets of the text around the matched words.

    `as_words=True` skips FTS5 syntax and searches the words of `text` only.
    """
    if not text.strip():
        raise SearchError("empty query: give one or more words to search for")
    if not as_words and _is_plain_words(text):
        # The same question as FTS5 would read it (all the words), with the ı spellings.
        words = plain_words_query(text)
        return SearchResult(_run(db, words, article_filter, limit, order), words, False)
    if not as_words and fts_syntax_error(text) is None:
        return SearchResult(_run(db, text, article_filter, limit, order), text, False)
    words = plain_words_query(text)
    if not words:
        raise SearchError(f"nothing to search for in {text!r}: it has no letters or digits")
    return SearchResult(_run(db, words, article_filter, limit, order), words, True)


@functools.cache
def _syntax_checker() -> sqlite3.Connection:
    """An empty in-memory FTS5 table shaped like articles_fts: a query that fails on it
    fails for its syntax, not for anything about the archive (a lock, a full disk)."""
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    columns = ", ".join(FTS_COLUMNS)
    connection.execute(
        f"CREATE VIRTUAL TABLE probe USING fts5({columns}, tokenize='{FTS_TOKENIZE}')"
    )
    return connection


def fts_syntax_error(text: str) -> str | None:
    """SQLite's complaint about `text` as an FTS5 query, or None when it is valid."""
    try:
        _syntax_checker().execute("SELECT 1 FROM probe WHERE probe MATCH ?", [text]).fetchall()
    except sqlite3.OperationalError as error:
        return str(error)
    return None


_ORDER_BY = {
    "rank": "articles_fts.rank",
    "newest": "articles.published_at IS NULL, articles.published_at DESC",
    "oldest": "articles.published_at IS NULL, articles.published_at",
}


def _run(
    db: Database, fts_query: str, article_filter: ArticleFilter, limit: int, order: Order
) -> list[Hit]:
    where, params = article_filter.where()
    rows = db.execute(
        f"""SELECT articles.id, articles.url, articles.site, articles.section, articles.title,
            articles.published_at,
            snippet(articles_fts, -1, ?, ?, '…', ?) AS snippet
        FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
        WHERE articles_fts MATCH ? AND {where}
        ORDER BY {_ORDER_BY[order]}
        LIMIT ?""",
        [SNIPPET_START, SNIPPET_END, SNIPPET_TOKENS, fts_query, *params, limit],
    ).fetchall()
    return [Hit(*row) for row in rows]
