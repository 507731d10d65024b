"""The language of an article's text, for pages that declare none (ISO 639-1 code).

Detected with py3langid (a maintained fork of langid.py whose model ships in its wheel).
On short news texts in our languages it was the most accurate of the libraries compared,
including Azerbaijani against Turkish, at a fraction of lingua's size and memory; and its
probabilities are calibrated across text lengths (a softmax tempered by the square root of
the length), so one confidence threshold serves a headline and a paragraph alike.

A wrong code is worse than none, which says only that the page did not tell: so short or
uncertain text gives None.
"""

from __future__ import annotations

from functools import cache
from operator import itemgetter

from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: Fewer letters than this (two or three words) is a name or a label, not a sample of a
#: language: two-word headlines are misread even at high confidence.
MIN_LETTERS = 15
#: Below this probability the answer is None. On 1,370 texts and prefixes of them in 11
#: languages, with at least MIN_LETTERS letters, answers at 0.6 or more were never wrong
#: and at 0.5 three times (Russian read as Bulgarian, German as Luxembourgish); at 0.7,
#: 200 of the 203 texts of 50 letters or more are still answered.
MIN_CONFIDENCE = 0.7
#: The model's labels that are not ISO 639-1 codes but varieties of a language that has one
#: (Egyptian and Moroccan Arabic, Southern Uzbek, ...): their probabilities are added to
#: that language's, since the model splits Standard Arabic between `ar`, `arz` and `ary`.
#: Other labels, such as Crimean Tatar (`crh`) or the model's "not a language" class
#: (`zxx`), give None.
MACROLANGUAGES = {
    "ary": "ar", "arz": "ar", "uzs": "uz", "yue": "zh", "wuu": "zh", "gug": "gn", "sdh": "ku",
}  # fmt: skip


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when it is too short or unsure.

    Meant for a title plus the first ~1,000 characters of the body: the cost grows with
    the length, and more text than that rarely changes the answer.
    """
    if sum(character.isalpha() for character in text) < MIN_LETTERS:
        return None
    by_code: dict[str, float] = {}
    for label, probability in _identifier().rank(text):
        code = MACROLANGUAGES.get(label, label)
        by_code[code] = by_code.get(code, 0.0) + probability
    code, confidence = max(by_code.items(), key=itemgetter(1))
    if confidence < MIN_CONFIDENCE or len(code) != 2:
        return None
    return code


@cache
def _identifier() -> LanguageIdentifier:
    """The model, loaded on first use and kept for the process (~0.5 s and ~100 MB to
    load): a crawl whose pages all declare their language never pays for it."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
