"""The publication's own name, kept out of the fields where pages mix it in.

Titles carry it ("Council approves budget | The Daily"), and author fields name the
publication or an account instead of a person ("The Daily", "admin", "Jane Doe, The
Daily Business"). The names a page gives itself are in its metadata and its host name.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.extract.metadata import Metadata

#: Separators between a headline and the site's name in a <title> or og:title.
_SEPARATOR = re.compile(r"\s+(?:[|–—•·»:]|::|-{1,2})\s+")
_WORDS = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_AUTHOR_PREFIX = re.compile(r"^\s*(?:\w+\s+)?(?:by|von|par|от)\s+", re.I)
_AUTHOR_AND = re.compile(r"\s+(?:and|&|и|və|ve|und|et)\s+", re.I)
#: Author values that name an account or a role, not a person.
NOT_PEOPLE = frozenset(
    {
        "admin", "administrator", "editor", "editors", "staff", "webmaster", "redaksiya",
        "redaksiyа", "редакция", "редактор", "администратор", "editör", "yönetici",
    }
)  # fmt: skip
#: Host labels that say nothing of the publication.
_HOST_NOISE = frozenset({"www", "m", "amp", "news", "com", "org", "net", "co", "uk", "az", "ru"})


def site_names(meta: Metadata, url: str) -> set[str]:
    """The names the page gives its publication, in a form to compare (see `_key`)."""
    names = [
        meta.first("og:site_name"),
        meta.first("application-name"),
        (meta.first("twitter:site") or "").lstrip("@"),
        *meta.publisher_names(),
    ]
    host = urlsplit(url).hostname or ""
    labels = [label for label in host.split(".") if label not in _HOST_NOISE]
    keys = {_key(name) for name in names if name}
    keys.update(label for label in labels if len(label) > 2)
    keys.discard("")
    return keys


def without_site_name(title: str | None, names: set[str]) -> str | None:
    """The title without a first or last segment that is the site's name."""
    if not title or not names:
        return title
    separators = list(_SEPARATOR.finditer(title))
    if not separators:
        return title
    last, first = separators[-1], separators[0]
    for kept, dropped in (
        (title[: last.start()], title[last.end() :]),
        (title[first.end() :], title[: first.start()]),
    ):
        if len(dropped) < len(kept) and _is_site_name(dropped, names):
            return kept.strip()
    return title


def people(authors: list[str], names: set[str]) -> list[str]:
    """Author names that are people: not the publication, not an account, not a date
    line. "By Jane Doe and John Roe, AP Writers" gives Jane Doe and John Roe: what
    follows a comma in one value is an affiliation or a title ("Jill Doe, CNN Business",
    "Ann Roe, MS, RDN") far more often than another name."""
    kept = []
    for value in authors:
        value = _AUTHOR_PREFIX.sub("", value).partition(",")[0]
        kept.extend(name.strip() for name in _AUTHOR_AND.split(value) if name.strip())
    unique: dict[str, str] = {}
    for author in kept:
        unique.setdefault(author.casefold(), author)
    return [
        author
        for author in unique.values()
        if not (
            _DIGIT.search(author)
            or author.casefold() in NOT_PEOPLE
            or _names_publication(author, names)
        )
    ]


def _key(text: str) -> str:
    """Letters and digits only, lower-cased: 'The Beachbody Blog' -> 'thebeachbodyblog'."""
    return "".join(_WORDS.findall(text.casefold()))


def _names_publication(author: str, names: set[str]) -> bool:
    """An author value that is the publication ("Reuters", "CNBC.com staff"), stricter
    than for titles: a person's name may resemble the site's account name."""
    key = _key(author)
    return any(
        key == name
        or (len(name) >= 4 and name in key)
        or (" " not in author.strip() and len(key) >= 5 and key in name)
        for name in names
    )


def _is_site_name(text: str, names: set[str]) -> bool:
    """A segment names the site when it is one of its names, or holds one of them
    ("The Beachbody Blog" and the host "beachbodyondemand" share "beachbody")."""
    key = _key(text)
    if not key:
        return False
    words = [_key(word) for word in text.split()]
    for name in names:
        if key == name or (len(name) >= 4 and name in key and len(words) <= 5):
            return True
        if any(len(word) >= 5 and word in name for word in words) and len(words) <= 4:
            return True
    return False
