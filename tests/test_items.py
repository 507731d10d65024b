"""The item loader's text cleaning: what each kind of character becomes."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.items import CONTROL, INVISIBLE, SPACE_LIKE, clean_text

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
    dropped = re.compile(f"[{CONTROL}]")
    text = "".join(
        " " if c in SPACE_LIKE else "" if c in INVISIBLE or dropped.match(c) else c
        for c in unicodedata.normalize("NFC", value)
    )
    return re.sub(" {2,}", " ", text).strip() or None


@given(st.text(alphabet=st.sampled_from(f"ab é\u0301{SPACE_LIKE}{INVISIBLE}\x00\x1f\x7f\u200c")))
def test_clean_text_is_the_character_rule(value: str) -> None:
    assert clean_text(value) == by_character(value)


@given(st.text())
def test_clean_text_of_any_text(value: str) -> None:
    assert clean_text(value) == by_character(value)
