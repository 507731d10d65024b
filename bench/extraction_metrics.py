"""The two article-body metrics that bench/extraction.py reports, written from their READMEs.

Shingle matching is the article-extraction benchmark's (scrapinghub): 4-token shingles of
``\\w+`` tokens, counted as multisets. ROUGE-LSum is the one the Fundus evaluation takes
from Google's ``rouge_score`` (summary-level LCS of sentence lists, ASCII tokens,
lower-cased, no stemmer), with NLTK punkt as its sentence splitter. Neither package is a
dependency: punkt's English model is data learnt from newspaper text, so
:func:`sentences` follows punkt's rules with a short list of abbreviations and sentence
openers in place of that model. A text that the two split differently can score a little
differently; on the published extractions they agree on all 240 article scores
(bench/README.md).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# Shingle matching ---------------------------------------------------------------------

_WORD = re.compile(r"\w+")
SHINGLE_SIZE = 4


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The text's runs of ``size`` consecutive words; a shorter text is one shorter run."""
    tokens = words(text)
    runs = (tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)))
    return Counter(run for run in runs if run)


@dataclass(frozen=True, slots=True)
class ShingleMatch:
    """Shingle counts of one page: shared, only predicted, only in the truth."""

    tp: int
    fp: int
    fn: int
    exact: bool  # the prediction's words are the truth's, in order

    @classmethod
    def of(cls, truth: str, prediction: str) -> ShingleMatch:
        expected, got = shingles(truth), shingles(prediction)
        tp = sum((expected & got).values())
        return cls(tp, got.total() - tp, expected.total() - tp, words(truth) == words(prediction))


@dataclass(frozen=True, slots=True)
class ShingleScore:
    f1: float
    precision: float
    recall: float
    accuracy: float


def shingle_score(matches: Sequence[ShingleMatch]) -> ShingleScore:
    """Per-page ratios, then means, so that every page weighs the same whatever its length.

    The benchmark divides TP, FP and FN by their sum first, which changes no ratio. A page
    with nothing on one side counts only on the other (an empty prediction lowers recall
    and leaves precision alone), and a page with nothing on either side in neither.
    """
    precision = _mean([m.tp / (m.tp + m.fp) for m in matches if m.tp + m.fp])
    recall = _mean([m.tp / (m.tp + m.fn) for m in matches if m.tp + m.fn])
    accuracy = _mean([float(m.exact) for m in matches])
    return ShingleScore(_f1(precision, recall), precision, recall, accuracy)


# ROUGE-LSum ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RougeScore:
    precision: float
    recall: float
    f1: float


ZERO = RougeScore(0.0, 0.0, 0.0)
#: Above this many optional paragraphs the Fundus scorer tries only "all kept" and "all
#: removed" (its ``max_optional_paragraphs``): one reference has 14.
MAX_OPTIONAL_PARAGRAPHS = 4

_NOT_ASCII_WORD = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """rouge_score's tokens: lower-cased, everything but ASCII letters and digits a space."""
    return _NOT_ASCII_WORD.sub(" ", text.lower()).split()


def best_rouge_lsum(reference: Sequence[str], hypothesis: Sequence[str]) -> RougeScore:
    """ROUGE-LSum of paragraph lists, at the best choice of optional reference paragraphs.

    A reference paragraph written ``[...]`` may be left out; every subset of them is
    tried (smallest first, the first best F1 wins) unless there are more than
    MAX_OPTIONAL_PARAGRAPHS, when only all kept and all left out are.
    """
    optional = [i for i, p in enumerate(reference) if p.startswith("[") and p.endswith("]")]
    if len(optional) > MAX_OPTIONAL_PARAGRAPHS:
        choices: Iterable[tuple[int, ...]] = [(), tuple(optional)]
    else:
        choices = itertools.chain.from_iterable(
            itertools.combinations(optional, size) for size in range(len(optional) + 1)
        )
    scorer = RougeLSum("\n\n".join(hypothesis))
    scores = (
        scorer.score(
            "\n\n".join(
                p[1:-1] if i in optional else p for i, p in enumerate(reference) if i not in left
            )
        )
        for left in choices
    )
    return max(scores, key=lambda score: score.f1)


class RougeLSum:
    """rouge_score's summary-level LCS against one hypothesis, for many references.

    For each reference sentence, the union of its longest common subsequences with every
    hypothesis sentence counts as hits, each token at most as often as it occurs on
    both sides. The unions are kept by sentence, since the references of one article
    differ only by a few paragraphs.
    """

    def __init__(self, hypothesis: str) -> None:
        self.sentences = [
            _Sentence(tokens) for s in sentences(hypothesis) if (tokens := rouge_tokens(s))
        ]
        self.counts = Counter(t for s in self.sentences for t in s.tokens)
        self.length = self.counts.total()
        self._unions: dict[tuple[str, ...], list[str]] = {}

    def score(self, reference: str) -> RougeScore:
        ref_sentences = [tuple(rouge_tokens(s)) for s in sentences(reference)]
        length = sum(map(len, ref_sentences))
        if not length or not self.length:
            return ZERO
        ref_counts = Counter(t for s in ref_sentences for t in s)
        hyp_counts = self.counts.copy()
        hits = 0
        for sentence in ref_sentences:
            for token in self._union(sentence):
                if hyp_counts[token] > 0 and ref_counts[token] > 0:
                    hits += 1
                    hyp_counts[token] -= 1
                    ref_counts[token] -= 1
        precision, recall = hits / self.length, hits / length
        return RougeScore(precision, recall, _f1(precision, recall))

    def _union(self, reference: tuple[str, ...]) -> list[str]:
        """The reference sentence's tokens that some hypothesis sentence's LCS takes.

        Hypothesis sentences sharing the most tokens go first, and one that cannot add an
        index is skipped: the union does not depend on the order, and this makes a
        sentence the hypothesis has verbatim cost one LCS instead of one per sentence.
        """
        if reference in self._unions:
            return self._unions[reference]
        present = set(reference)
        candidates = sorted(
            (s for s in self.sentences if not present.isdisjoint(s.positions)),
            key=lambda s: -len(present.intersection(s.positions)),
        )
        union: set[int] = set()
        for candidate in candidates:
            reachable = {i for i, t in enumerate(reference) if t in candidate.positions}
            if reachable <= union:
                continue
            union.update(candidate.lcs(reference))
            if len(union) == len(reference):
                break
        self._unions[reference] = tokens = [reference[i] for i in sorted(union)]
        return tokens


class _Sentence:
    """A hypothesis sentence with, per token, the bit set of where it occurs."""

    __slots__ = ("positions", "tokens")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.positions: dict[str, int] = {}
        for j, token in enumerate(tokens):
            self.positions[token] = self.positions.get(token, 0) | 1 << j

    def lcs(self, reference: Sequence[str]) -> list[int]:
        """Indices into ``reference`` of the LCS that rouge_score's backtracking picks."""
        return lcs_indices(reference, self.tokens, self.positions)


def lcs_indices(
    reference: Sequence[str], candidate: Sequence[str], positions: dict[str, int] | None = None
) -> list[int]:
    """The LCS of two token lists as indices into ``reference``, ties broken as rouge_score.

    rouge_score fills the whole table; here each row is a bit vector over ``candidate``
    (Hyyrö's bit-parallel LCS: a 0 bit where the row's value steps up), so a row costs a
    few integer operations, and a table value is a popcount.
    """
    if positions is None:
        positions = {}
        for j, token in enumerate(candidate):
            positions[token] = positions.get(token, 0) | 1 << j
    n = len(candidate)
    full = (1 << n) - 1
    rows = [full]
    for token in reference:
        row = rows[-1]
        matched = row & positions.get(token, 0)
        rows.append(((row + matched) | (row - matched)) & full)

    def table(i: int, j: int) -> int:
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    picked: list[int] = []
    i, j = len(reference), n
    while i > 0 and j > 0:
        if reference[i - 1] == candidate[j - 1]:
            picked.append(i - 1)
            i, j = i - 1, j - 1
        elif table(i, j - 1) > table(i - 1, j):
            j -= 1
        else:
            i -= 1
    return picked[::-1]


def mean_rouge(scores: Sequence[RougeScore]) -> RougeScore:
    """Means over articles, in percent, as the Fundus paper's table gives them."""
    return RougeScore(
        100 * _mean([s.precision for s in scores]),
        100 * _mean([s.recall for s in scores]),
        100 * _mean([s.f1 for s in scores]),
    )


# Sentences ----------------------------------------------------------------------------

#: Where punkt considers a sentence end: ., ? or ! followed by a character that cannot
#: be in a word, or by white space and the next token.
_END = re.compile(r"""[.?!](?=[)";}\]*:@'({\[?!]|\s+(\S+))""")
#: Characters that end punkt's word tokens, and the ones no word token starts with.
_NON_WORD = ")\";}]*:@'({[?!"
_NOT_IN_WORD = re.compile(r"""[)";}\]*:@'({\[?!]|-{2,}""")
_NOT_WORD_START = '("`{[:;&#*@)}]-,'
_CLOSING = re.compile(r"""["')\]}]+?(?:\s+|(?=--)|$)""")
_NUMBER = re.compile(r"^-?[.,]?\d[\d,.-]*$")
_INITIAL = re.compile(r"^[^\W\d]$")
_LETTERS = re.compile(r"[^\W\d_]+")

#: Abbreviations of English news text (punkt's model has those of the Wall Street
#: Journal): a period after one ends a sentence only before a common sentence opener.
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "messrs", "dr", "prof", "rev", "gen", "lt", "col", "maj", "capt", "sgt",
        "cpl", "adm", "cmdr", "gov", "sen", "rep", "pres", "sec", "atty", "supt", "hon", "jr",
        "sr", "st", "ft", "mt", "inc", "corp", "co", "cos", "ltd", "bros", "assn", "dept", "mfg",
        "jan", "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "ala", "ariz",
        "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "kans", "ky",
        "la", "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore",
        "pa", "tenn", "tex", "va", "vt", "wash", "wis", "wyo", "n.h", "n.j", "n.m", "n.y", "n.c",
        "n.d", "s.c", "s.d", "r.i", "w.va", "d.c", "u.s", "u.s.a", "u.k", "u.n", "e.u", "l.a",
        "e.g", "i.e", "etc", "vs", "v", "a.m", "p.m", "no", "nos", "vol", "ed", "approx", "est",
        "fig", "ave", "blvd", "rd", "cf", "al", "ph.d"
    }
)  # fmt: skip
#: Capitalised, these start sentences: punkt breaks after an abbreviation, an initial or an
#: ellipsis when the next word is one (its "orthographic" and "sentence starter" evidence).
SENTENCE_OPENERS = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "there", "here", "it", "its", "he",
        "she", "his", "her", "him", "they", "them", "their", "we", "our", "us", "i", "you", "your",
        "my", "me", "and", "but", "or", "so", "yet", "if", "when", "while", "after", "before",
        "since", "as", "at", "in", "on", "of", "for", "from", "to", "by", "with", "without",
        "about", "against", "during", "until", "though", "although", "because", "however",
        "meanwhile", "also", "still", "now", "then", "thus", "instead", "indeed", "yes", "no",
        "not", "one", "two", "some", "many", "most", "more", "much", "all", "both", "each",
        "every", "other", "another", "any", "few", "several", "such", "what", "who", "whom",
        "whose", "which", "why", "how", "where", "according", "despite", "under", "over"
    }
)  # fmt: skip


def sentences(text: str) -> list[str]:
    """The text's sentences as punkt splits them; a paragraph break alone ends none."""
    found: list[str] = []
    start = 0
    ends = list(_END.finditer(text))
    for index, match in enumerate(ends):
        if index + 1 < len(ends) and ends[index + 1].start() == match.end():
            continue  # "?!" or "!!!": punkt decides once, at the last mark
        if _ends_sentence(text, match):
            end, next_start = match.end(), match.start(1) if match.group(1) else match.end()
            # Closing quotes and brackets after the mark stay with its sentence.
            if closing := _CLOSING.match(text, next_start):
                end, next_start = next_start + len(closing.group().rstrip()), closing.end()
            found.append(text[start:end])
            start = next_start
    found.append(text[start:].rstrip())
    return [sentence for sentence in found if sentence]


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Punkt's decision at one candidate, from the token before it and the one after."""
    if match.group() in "?!":
        return True
    begin = match.start()
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin : match.start()]
    following = match.group(1) or text[match.end()]
    if not word or word[-1] in _NON_WORD:
        return True  # the period is a token of its own
    if word.endswith("."):
        return _opens_sentence(following)  # an ellipsis
    token = _NOT_IN_WORD.split(word)[-1].lstrip(_NOT_WORD_START)
    if token.lower() in ABBREVIATIONS or token.lower().split("-")[-1] in ABBREVIATIONS:
        return _opens_sentence(following)
    initial = bool(_INITIAL.match(token))
    if initial or _NUMBER.match(token):
        if following[0].islower() or following[0] in ";:,.!?":
            return False
        return _opens_sentence(following) if initial and following[0].isupper() else True
    return True


def _opens_sentence(following: str) -> bool:
    word = _LETTERS.match(following)
    return bool(word) and following[0].isupper() and word.group().lower() in SENTENCE_OPENERS


# Helpers ------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def splits(ids: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Each id with whether it is held back: every fifth in sorted order (index % 5 == 4)."""
    for index, page_id in enumerate(sorted(ids)):
        yield page_id, index % 5 == 4
