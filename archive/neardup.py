"""Near-duplicate articles: MinHash signatures and LSH buckets kept in the archive itself.

The same story syndicated by two sites, or republished with small edits, is linked to
the earlier article (`articles.duplicate_of`, with the estimated similarity), never
merged or deleted. Each article's signature and its LSH band keys are stored
(`article_minhash`, `minhash_bands`), so a new article is compared with the whole
archive by one indexed lookup per band, across crawls and processes, with nothing
recomputed for the articles already there.

Similarity is the Jaccard similarity of the sets of word 3-grams of the body (case
folded), estimated by datasketch's MinHash with NUM_PERM permutations. Two bodies are
near-duplicates at THRESHOLD or above: a 400-word agency story with a new headline, a
changed first sentence and a few edited words stays above it; two stories on the same
topic by different writers share few 3-grams and stay far below. Bodies shorter than
MIN_SHINGLES 3-grams (captions, "video" pages, teasers) are not compared: too little
text to tell a copy from a template.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
from sqlite_utils import Database

THRESHOLD = 0.7
NUM_PERM = 128
SHINGLE_WORDS = 3
MIN_SHINGLES = 20
#: datasketch's hashing scheme (it names it explicitly since 2.0).
SCHEME = "affine32"
#: LSH bands and rows per band for THRESHOLD, weighted to miss few true pairs: every
#: candidate is checked on its full signature, so a false candidate costs one row read,
#: a missed pair a link never made. (20 bands of 6: a pair at 0.8 is found 99.8% of the
#: time, at 0.7 92%, at 0.5 27% and then refused on its signature.)
FALSE_POSITIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT = 0.1, 0.9
#: datasketch's `MinHashLSH` optimum for the figures above (`lsh._optimal_param`; the tests
#: compute it): written out because importing datasketch imports scipy, 60 MB and half a
#: second of CPU in every crawl and `archive` command, for two numbers and a seed.
BANDS, ROWS = 20, 6
#: What a stored signature was made with; only signatures of the same kind are compared.
SIGNATURE_KIND = f"{SCHEME}/crc/p{NUM_PERM}/w{SHINGLE_WORDS}/b{BANDS}r{ROWS}"

_WORD = re.compile(r"\w+")
#: Odd 64-bit constant (the golden ratio's) that spreads word hashes across a 3-gram hash.
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LOW_32 = np.uint64(0xFFFFFFFF)
#: CRC-32 (zlib's polynomial, reflected) of each byte value, for `_crc32_spans`.
_CRC_TABLE = np.array([zlib.crc32(bytes([n])) ^ zlib.crc32(b"\0") for n in range(256)], np.uint32)
#: Bodies permuted at once by `signatures`: about 400 3-grams x 128 permutations x 4 bytes
#: each, so 16 bodies take about 3 MB, small enough to stay in the CPU's caches.
_SIGN_CHUNK = 16
#: The random permutations are the same for every signature (same seed); made once.
_SEED = 1


def _affine32_permutations(count: int) -> np.ndarray:
    """datasketch's `MinHash(num_perm=count, scheme="affine32").permutations` (its
    default seed): odd multipliers `a` and offsets `b` of h -> a * h + b mod 2**32, drawn
    in its order from numpy's legacy generator (the tests compare them with datasketch's)."""
    draw = np.random.RandomState(_SEED)
    a = draw.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, count, dtype=np.uint32)
    return np.array([a, b])


_PERMUTATIONS = _affine32_permutations(NUM_PERM)


@dataclass(frozen=True)
class Match:
    article_id: int
    similarity: float


def shingles(body: str) -> np.ndarray:
    """The distinct word 3-grams of a body, each as a 32-bit hash, sorted."""
    return np.unique(_gram_hashes([body])[0])


def _gram_hashes(bodies: Sequence[str]) -> list[np.ndarray]:
    """Each body's word 3-grams in text order (repeats kept), each as a 32-bit hash, for
    many bodies at once in numpy passes over all their words together.

    The words are `\\w+` (Python's regex on the case-folded body, word for word), found
    and hashed in numpy: each word is hashed by the CRC-32 of its UTF-8 (zlib's) and the
    hashes of three neighbours are combined; 3-grams that would span two bodies are
    dropped. datasketch's affine32 scheme mixes every value again (MurmurHash3's
    finaliser) before its permutations, so the input need not be a cryptographic hash.
    """
    folded = [body.casefold() for body in bodies]
    text = "\n".join(folded)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    padded = np.zeros(len(codes) + 2, dtype=bool)
    padded[1:-1] = _word_characters()[codes]
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    first, last = edges[0::2], edges[1::2]  # each word's code points: [first, last)
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    if len(data) == len(codes):  # ASCII: a code point is a byte
        hashes = _crc32_spans(data, first, last - first)
    else:  # UTF-8 offsets (surrogates take 3 bytes, as "surrogatepass" writes them)
        sizes = 1 + (codes >= 0x80).view(np.uint8) + (codes >= 0x800) + (codes >= 0x10000)
        offsets = np.zeros(len(codes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        hashes = _crc32_spans(data, offsets[first], offsets[last] - offsets[first])
    body_starts = np.cumsum([0] + [len(body) + 1 for body in folded[:-1]])
    body_of_word = np.searchsorted(body_starts, first, side="right") - 1
    count = max(len(hashes) - SHINGLE_WORDS + 1, 0)
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        combined = combined * _MULTIPLIER + hashes[offset : offset + count]
    body = body_of_word[:count]
    whole = body == body_of_word[SHINGLE_WORDS - 1 :]
    grams = (((combined >> np.uint64(32)) ^ combined) & _LOW_32).astype(np.uint32)[whole]
    bounds = np.searchsorted(body[whole], np.arange(len(bodies) + 1))
    return [grams[start:end] for start, end in pairwise(bounds.tolist())]


def _enough_shingles(grams: np.ndarray) -> bool:
    """At least MIN_SHINGLES distinct 3-grams; a body's first few usually tell."""
    if len(grams) < MIN_SHINGLES:
        return False
    return (
        len(np.unique(grams[: 4 * MIN_SHINGLES])) >= MIN_SHINGLES
        or len(np.unique(grams)) >= MIN_SHINGLES
    )


@cache
def _word_characters() -> np.ndarray:
    """Which code points `\\w` matches, for every code point: read from the regex engine
    itself (0.15 s, once per process), so words are exactly what `_WORD` finds."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    table = np.zeros(len(every), dtype=bool)
    for match in _WORD.finditer(every):
        table[match.start() : match.end()] = True
    return table


def _crc32_spans(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """zlib.crc32 of each span of bytes `data[start : start + length]`, as uint64.

    Table-driven, one byte column at a time: with the spans sorted longest first, those
    still being hashed at byte j are a prefix, so the work is one lookup per byte.
    """
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    order = np.argsort(-lengths, kind="stable")
    starts, lengths = starts[order], lengths[order]
    live = np.searchsorted(-lengths, -np.arange(int(lengths[0])), side="left")
    crc = np.full(len(starts), 0xFFFFFFFF, dtype=np.uint32)
    for column, still in enumerate(live.tolist()):
        part = crc[:still]
        crc[:still] = _CRC_TABLE[(part ^ data[starts[:still] + column]) & 0xFF] ^ (part >> 8)
    hashes = np.empty(len(starts), dtype=np.uint64)
    hashes[order] = crc ^ np.uint32(0xFFFFFFFF)
    return hashes


def signature(body: str) -> np.ndarray | None:
    """The MinHash values of a body, or None when it is too short to compare."""
    return signatures([body])[0]


def signatures(bodies: Sequence[str]) -> list[np.ndarray | None]:
    """`signature` of many bodies, hashed together: the values datasketch's
    `MinHash(scheme="affine32").update_batch` gives for each body's 3-grams, computed as
    it does (MurmurHash3 finaliser, then a * h + b in uint32 per permutation, the minimum
    per permutation) but for a whole batch in a few numpy operations."""
    grams = _gram_hashes(bodies)
    # A 3-gram met twice changes no minimum: repeats need not be removed.
    signed = [i for i, values in enumerate(grams) if _enough_shingles(values)]
    result: list[np.ndarray | None] = [None] * len(bodies)
    a, b = _PERMUTATIONS
    for first in range(0, len(signed), _SIGN_CHUNK):
        chunk = signed[first : first + _SIGN_CHUNK]
        values = _fmix32(np.concatenate([grams[i] for i in chunk]))
        permuted = a[:, None] * values  # one row per permutation: reductions run along rows
        permuted += b[:, None]
        starts = np.cumsum([0] + [len(grams[i]) for i in chunk[:-1]])
        minima = np.minimum.reduceat(permuted, starts, axis=1).T
        for i, row in zip(chunk, minima, strict=True):
            result[i] = np.ascontiguousarray(row)
    return result


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before its permutations."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values ^= values >> np.uint32(13)
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def band_keys(values: np.ndarray) -> list[int]:
    """One bucket key per LSH band: articles sharing any bucket are candidates."""
    data = values.tobytes()
    width = ROWS * values.itemsize
    return [
        int.from_bytes(
            hashlib.blake2b(data[i * width : (i + 1) * width], digest_size=8).digest(),
            "big",
            signed=True,
        )
        for i in range(BANDS)
    ]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def index_article(db: Database, article_id: int, values: np.ndarray | None) -> Match | None:
    """Store an article's signature (from `signature`, computed before the write lock is
    taken) and return the earlier article it near-duplicates, if any.

    Only articles with a smaller id (stored earlier) are candidates, so links always point
    back in time and never form a cycle. The most similar candidate wins; ties go to the
    earliest. Must run inside the caller's write transaction.
    """
    _unindex(db, article_id)
    if values is None:
        return None
    keys = band_keys(values)
    bands = " OR ".join(["(minhash_bands.band = ? AND minhash_bands.bucket = ?)"] * len(keys))
    candidates = db.execute(
        f"""SELECT DISTINCT article_minhash.article_id, article_minhash.signature
        FROM minhash_bands JOIN article_minhash
        ON article_minhash.article_id = minhash_bands.article_id AND article_minhash.kind = ?
        WHERE ({bands}) AND minhash_bands.article_id < ?
        ORDER BY article_minhash.article_id""",
        [SIGNATURE_KIND, *(part for pair in enumerate(keys) for part in pair), article_id],
    ).fetchall()
    best: Match | None = None
    for candidate, stored in candidates:
        score = similarity(values, np.frombuffer(stored, dtype=np.uint32))
        if score >= THRESHOLD and (best is None or score > best.similarity):
            best = Match(candidate, score)
    db.execute(
        "INSERT INTO article_minhash (article_id, kind, signature) VALUES (?, ?, ?)",
        [article_id, SIGNATURE_KIND, values.tobytes()],
    )
    db.conn.executemany(
        "INSERT INTO minhash_bands (band, bucket, article_id) VALUES (?, ?, ?)",
        [(band, key, article_id) for band, key in enumerate(keys)],
    )
    return best


def _unindex(db: Database, article_id: int) -> None:
    """Remove an article's signature and band rows; the bands are found by their keys,
    recomputed from the stored signature, as the table has no index on article_id."""
    stored = db.conn.execute(
        "SELECT kind, signature FROM article_minhash WHERE article_id = ?", [article_id]
    ).fetchone()
    if stored is None:
        return
    kind, signature = stored
    if kind == SIGNATURE_KIND:
        keys = band_keys(np.frombuffer(signature, dtype=np.uint32))
        db.conn.executemany(
            "DELETE FROM minhash_bands WHERE band = ? AND bucket = ? AND article_id = ?",
            [(band, key, article_id) for band, key in enumerate(keys)],
        )
    else:  # made by other code, whose band keys cannot be recomputed here: a full scan
        db.conn.execute("DELETE FROM minhash_bands WHERE article_id = ?", [article_id])
    db.conn.execute("DELETE FROM article_minhash WHERE article_id = ?", [article_id])


@dataclass(frozen=True)
class NewArticles:
    """A run of articles about to be stored: what each near-duplicates, and the band keys
    and signatures `store_new_articles` writes once the articles are in."""

    matches: list[Match | None]
    keys: dict[int, list[int]]
    signatures: dict[int, np.ndarray]


def match_new_articles(
    db: Database,
    ids: Sequence[int],
    signatures: Sequence[np.ndarray | None],
    keys_of: Sequence[list[int] | None] | None = None,
) -> NewArticles:
    """What `index_article` would find for each of a run of articles about to be stored,
    with ids above every stored one, in ascending order: their candidates among the
    stored articles are read in a few queries, and the run's own earlier articles are
    candidates too. `keys_of` are the signatures' `band_keys`, if computed before.
    """
    signed = {i: values for i, values in zip(ids, signatures, strict=True) if values is not None}
    given = dict(zip(ids, keys_of or [None] * len(ids), strict=True))
    keys = {
        article_id: given[article_id] or band_keys(values) for article_id, values in signed.items()
    }
    stored = _stored_buckets(db, list({pair for k in keys.values() for pair in enumerate(k)}))
    known = _stored_signatures(db, sorted({i for found in stored.values() for i in found}))
    shared = _sharing_a_bucket(keys, stored)
    added: dict[tuple[int, int], list[int]] = {}
    matches: list[Match | None] = []
    for article_id in ids:
        values = signed.get(article_id)
        if values is None or article_id not in shared:  # no candidate, nor one for another
            matches.append(None)
            continue
        buckets = list(enumerate(keys[article_id]))
        candidates = {
            other
            for bucket in buckets
            for other in (*stored.get(bucket, ()), *added.get(bucket, ()))
            if other in known
        }
        best: Match | None = None
        for candidate in sorted(candidates):
            score = similarity(values, known[candidate])
            if score >= THRESHOLD and (best is None or score > best.similarity):
                best = Match(candidate, score)
        matches.append(best)
        known[article_id] = values
        for bucket in buckets:
            added.setdefault(bucket, []).append(article_id)
    return NewArticles(matches, keys, signed)


def _sharing_a_bucket(
    keys: dict[int, list[int]], stored: dict[tuple[int, int], list[int]]
) -> set[int]:
    """The articles with a bucket that a stored article or another of them is in: the
    only ones with candidates, or that are candidates for others (most of a batch is
    neither, and is told so band by band in numpy rather than bucket by bucket)."""
    if not keys:
        return set()
    ids = list(keys)
    table = np.array([keys[article_id] for article_id in ids], dtype=np.int64)
    shared = np.zeros(len(ids), dtype=bool)
    for band in range(table.shape[1]):
        column = table[:, band]
        _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
        shared |= counts[inverse] > 1
        found = [key for stored_band, key in stored if stored_band == band]
        if found:
            shared |= np.isin(column, np.array(found, dtype=np.int64))
    return {article_id for article_id, hit in zip(ids, shared.tolist(), strict=True) if hit}


def store_new_articles(db: Database, new: NewArticles) -> None:
    """Store the signatures and band keys of articles just inserted, one statement each."""
    db.conn.executemany(
        "INSERT INTO article_minhash (article_id, kind, signature) VALUES (?, ?, ?)",
        [
            (article_id, SIGNATURE_KIND, values.tobytes())
            for article_id, values in new.signatures.items()
        ],
    )
    # In key order: neighbouring rows land on the same pages of the table's B-tree.
    db.conn.executemany(
        "INSERT INTO minhash_bands (band, bucket, article_id) VALUES (?, ?, ?)",
        sorted(
            (band, key, article_id)
            for article_id, keys in new.keys.items()
            for band, key in enumerate(keys)
        ),
    )


#: (band, bucket) pairs or article ids bound per query.
_QUERY_CHUNK = 400


def _stored_buckets(
    db: Database, buckets: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], list[int]]:
    """The stored articles in each of these LSH buckets."""
    found: dict[tuple[int, int], list[int]] = {}
    for start in range(0, len(buckets), _QUERY_CHUNK):
        chunk = buckets[start : start + _QUERY_CHUNK]
        rows = db.conn.execute(
            f"""WITH wanted(band, bucket) AS (VALUES {", ".join(["(?, ?)"] * len(chunk))})
            SELECT minhash_bands.band, minhash_bands.bucket, minhash_bands.article_id
            FROM wanted JOIN minhash_bands
            ON minhash_bands.band = wanted.band AND minhash_bands.bucket = wanted.bucket""",
            [part for pair in chunk for part in pair],
        )
        for band, bucket, article_id in rows:
            found.setdefault((band, bucket), []).append(article_id)
    return found


def _stored_signatures(db: Database, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The stored signatures of these articles made the way this code makes them."""
    found: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), _QUERY_CHUNK):
        chunk = ids[start : start + _QUERY_CHUNK]
        rows = db.conn.execute(
            f"""SELECT article_id, signature FROM article_minhash
            WHERE kind = ? AND article_id IN ({", ".join("?" * len(chunk))})""",
            [SIGNATURE_KIND, *chunk],
        )
        found.update((i, np.frombuffer(stored, dtype=np.uint32)) for i, stored in rows)
    return found
