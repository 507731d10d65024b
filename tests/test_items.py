"""The item loader's text cleaning: what each kind of character becomes."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.items import clean_text

# The rule's own lists, written out again so that the test checks the sets, not only
# the mechanism.
SPACES = set("\u00a0\u1680\u202f\u205f\u3000\t\r\n\f\v") | set(map(chr, range(0x2000, 0x200B)))
DROPPED = set("\u200b\u2060\ufeff\u00ad\x7f") | set(map(chr, range(0x20))) - SPACES

CASES = [
    ("  Plain   text  ", "Plain text"),
    ("no\u00a0break\u2009thin\u3000wide", "no break thin wide"),
    ("tab\tline\nbreak\r\nfeed\fvertical\vend", "tab line break feed vertical end"),
    ("soft\u00adhyphen zero\u200bwidth\ufeffmark\u2060joiner", "softhyphen zerowidthmarkjoiner"),
    ("keeps \u200cjoiners\u200d", "keeps \u200cjoiners\u200d"),
    ("bell\x07 null\x00 delete\x7f", "bell null delete"),
    ("e\u0301 composed", "\u00e9 composed"),
    ("&lt;b&gt; stays text", "&lt;b&gt; stays text"),
    (" \u00a0\t\u200b ", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "cleaned"), CASES)
def test_clean_text(raw: str, cleaned: str | None) -> None:
    assert clean_text(raw) == cleaned


def by_character(value: str) -> str | None:
    """The rule read one character at a time: NFC, then each space-like character a
    space, each invisible or control character dropped, runs of spaces one, trimmed."""
    text = "".join(
        " " if c in SPACES else "" if c in DROPPED else c
        for c in unicodedata.normalize("NFC", value)
    )
    return re.sub(" {2,}", " ", text).strip() or None


@given(st.text(alphabet=st.sampled_from(sorted({*"ab é\u0301\u200c-]^\\", *SPACES, *DROPPED}))))
def test_clean_text_is_the_character_rule(value: str) -> None:
    assert clean_text(value) == by_character(value)


@given(st.text())
def test_clean_text_of_any_text(value: str) -> None:
    assert clean_text(value) == by_character(value)
