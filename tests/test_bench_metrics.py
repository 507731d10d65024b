"""bench/extraction_metrics.py on small texts whose scores are worked out by hand."""

from __future__ import annotations

from collections import Counter
from dataclasses import astuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.extraction_metrics import (
    RougeScore,
    ShingleMatch,
    best_rouge_lsum,
    lcs_indices,
    mean_rouge,
    rouge_tokens,
    sentences,
    shingle_score,
    shingles,
    splits,
    words,
)

# Shingle matching ---------------------------------------------------------------------


def test_words_are_unicode_word_runs_with_their_case() -> None:
    assert words("Bakı'da 5-ci gün, Ürək!") == ["Bakı", "da", "5", "ci", "gün", "Ürək"]


def test_shingles_are_a_multiset_of_four_word_runs() -> None:
    assert shingles("a b c d a b c d") == Counter(
        {("a", "b", "c", "d"): 2, ("b", "c", "d", "a"): 1, ("c", "d", "a", "b"): 1,
         ("d", "a", "b", "c"): 1}
    )  # fmt: skip


def test_a_text_under_four_words_is_one_shorter_shingle_and_no_words_none() -> None:
    assert shingles("Hello, world") == Counter({("Hello", "world"): 1})
    assert shingles("") == Counter()
    assert shingles(" — ") == Counter()


def test_shared_only_predicted_and_missed_shingles() -> None:
    # Truth: abcd bcde cdef; prediction: abcd bcde cdex.
    assert ShingleMatch.of("a b c d e f", "a b c d e x") == ShingleMatch(2, 1, 1, exact=False)


def test_punctuation_and_spacing_do_not_matter_but_case_does() -> None:
    assert ShingleMatch.of("One, two; three.", "One two\n\nthree") == ShingleMatch(1, 0, 0, True)
    assert ShingleMatch.of("One two three", "one two three") == ShingleMatch(0, 1, 1, False)


def test_scores_are_means_of_per_page_ratios() -> None:
    identical = ShingleMatch.of("a b c d e f", "a b c d e f")  # P = R = 1
    half_wrong = ShingleMatch.of("a b c d e f", "a b c d e x")  # P = R = 2/3
    empty = ShingleMatch.of("a b c d e f", "")  # no precision; R = 0
    score = shingle_score([identical, half_wrong, empty])
    assert score.precision == pytest.approx((1 + 2 / 3) / 2)  # 5/6
    assert score.recall == pytest.approx((1 + 2 / 3 + 0) / 3)  # 5/9
    assert score.f1 == pytest.approx(2 / 3)  # 2 (5/6) (5/9) / (5/6 + 5/9)
    assert score.accuracy == pytest.approx(1 / 3)


def test_a_page_with_no_words_on_either_side_counts_only_for_accuracy() -> None:
    score = shingle_score([ShingleMatch.of("a b c d", "a b c d"), ShingleMatch.of("", "")])
    assert (score.f1, score.precision, score.recall, score.accuracy) == (1, 1, 1, 1)


def test_a_prediction_where_the_truth_is_empty_has_precision_zero_and_no_recall() -> None:
    score = shingle_score([ShingleMatch.of("a b c d", "a b c d"), ShingleMatch.of("", "x y")])
    assert (score.precision, score.recall, score.accuracy) == (0.5, 1, 0.5)


# ROUGE-LSum ---------------------------------------------------------------------------


def test_rouge_tokens_are_lowercase_ascii_letters_and_digits() -> None:
    assert rouge_tokens("Don't stop: U.S.-made café, 2024!") == [
        "don", "t", "stop", "u", "s", "made", "caf", "2024"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith went to Washington. He stayed.",
            ["Mr. Smith went to Washington.", "He stayed."],
        ),
        (
            "It was made in the U.S. The plant closed.",
            ["It was made in the U.S.", "The plant closed."],
        ),
        ("It was made in the U.S. Army plant.", ["It was made in the U.S. Army plant."]),
        ("J. K. Rowling wrote it.", ["J. K. Rowling wrote it."]),
        ("It closed in 2019. shares fell.", ["It closed in 2019. shares fell."]),
        ("It closed in 2019. Shares fell.", ["It closed in 2019.", "Shares fell."]),
        ("It ended. then again", ["It ended.", "then again"]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ('"Why?" she asked. (He left.) Then', ['"Why?"', "she asked.", "(He left.)", "Then"]),
        ("Wait... The end.", ["Wait...", "The end."]),
        ("Wait... Smith came.", ["Wait... Smith came."]),
        ("A heading\n\nThe first paragraph.", ["A heading\n\nThe first paragraph."]),
    ],
)
def test_sentences_split_as_punkt_does(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_lcs_indices_are_those_of_the_reference() -> None:
    assert lcs_indices(list("abcde"), list("abxd")) == [0, 1, 3]


def test_lcs_ties_go_the_way_rouge_score_backtracks() -> None:
    # Both "a" and "b" are an LCS; rouge_score's backtracking steps up and finds "a".
    assert lcs_indices(["a", "b"], ["b", "a"]) == [0]


def _table_lcs(reference: list[str], candidate: list[str]) -> list[int]:
    """rouge_score's own way: the full table, then the backtrack from its corner."""
    table = [[0] * (len(candidate) + 1) for _ in range(len(reference) + 1)]
    for i in range(1, len(reference) + 1):
        for j in range(1, len(candidate) + 1):
            if reference[i - 1] == candidate[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    picked, i, j = [], len(reference), len(candidate)
    while i > 0 and j > 0:
        if reference[i - 1] == candidate[j - 1]:
            picked.insert(0, i - 1)
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return picked


tokens = st.lists(st.sampled_from("abcd"), max_size=12)


@given(tokens, tokens)
def test_bit_parallel_lcs_picks_what_the_full_table_picks(
    reference: list[str], candidate: list[str]
) -> None:
    assert lcs_indices(reference, candidate) == _table_lcs(reference, candidate)


def test_rouge_lsum_of_one_sentence() -> None:
    # LCS of "a b c d e" and "a b x d" is "a b d": 3 of 4 predicted, 3 of 5 expected.
    score = best_rouge_lsum(["a b c d e."], ["a b x d."])
    assert astuple(score) == pytest.approx((3 / 4, 3 / 5, 2 / 3))


def test_a_reference_sentence_is_matched_by_the_union_over_hypothesis_sentences() -> None:
    assert best_rouge_lsum(["Alpha beta gamma delta."], ["Alpha beta.", "Gamma delta."]) == (
        RougeScore(1, 1, 1)
    )


def test_each_token_is_a_hit_at_most_as_often_as_on_both_sides() -> None:
    # Both reference sentences find "alpha" in the hypothesis, which has it once.
    score = best_rouge_lsum(["Alpha beta. Alpha gamma."], ["Alpha."])
    assert astuple(score) == pytest.approx((1, 1 / 4, 0.4))


def test_an_empty_hypothesis_scores_zero() -> None:
    assert best_rouge_lsum(["Alpha beta."], []) == RougeScore(0, 0, 0)


def test_an_optional_paragraph_counts_only_where_that_scores_better() -> None:
    reference = ["Alpha beta gamma.", "[Delta epsilon zeta.]"]
    assert best_rouge_lsum(reference, ["Alpha beta gamma."]) == RougeScore(1, 1, 1)
    assert best_rouge_lsum(reference, ["Alpha beta gamma.", "Delta epsilon zeta."]) == (
        RougeScore(1, 1, 1)
    )
    required = ["Alpha beta gamma.", "Delta epsilon zeta."]
    assert astuple(best_rouge_lsum(required, ["Alpha beta gamma."])) == pytest.approx(
        (1, 1 / 2, 2 / 3)
    )


def test_over_four_optional_paragraphs_only_all_or_none_are_left_out() -> None:
    hypothesis = ["Alpha beta.", "Gamma."]
    four = ["Alpha beta.", "[Gamma.]", "[Delta.]", "[Epsilon.]", "[Zeta.]"]
    # Leaving out delta, epsilon and zeta only is tried: the hypothesis is all there is.
    assert best_rouge_lsum(four, hypothesis) == RougeScore(1, 1, 1)
    # Five: all kept gives P 1, R 3/7, F1 0.6; all left out P 2/3, R 1, F1 0.8.
    assert astuple(best_rouge_lsum([*four, "[Eta.]"], hypothesis)) == pytest.approx((2 / 3, 1, 0.8))


def test_means_over_articles_are_in_percent() -> None:
    mean = mean_rouge([RougeScore(1, 0.5, 2 / 3), RougeScore(0.5, 1, 2 / 3)])
    assert astuple(mean) == pytest.approx((75, 75, 200 / 3))


def test_every_fifth_id_in_sorted_order_is_held_back() -> None:
    held_back = [page_id for page_id, held in splits("gfedcba") if held]
    assert held_back == ["e"]
    assert [page_id for page_id, _ in splits("cab")] == ["a", "b", "c"]
