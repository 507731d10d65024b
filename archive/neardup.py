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
import zlib
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param
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
BANDS, ROWS = _optimal_param(THRESHOLD, NUM_PERM, FALSE_POSITIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT)
#: What a stored signature was made with; only signatures of the same kind are compared.
SIGNATURE_KIND = f"{SCHEME}/crc/p{NUM_PERM}/w{SHINGLE_WORDS}/b{BANDS}r{ROWS}"

_WORD = re.compile(r"\w+")
#: Odd 64-bit constant (the golden ratio's) that spreads word hashes across a 3-gram hash.
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
#: The random permutations are the same for every signature (same seed); made once.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, scheme=SCHEME).permutations


@dataclass(frozen=True)
class Match:
    article_id: int
    similarity: float


def shingles(body: str) -> np.ndarray:
    """The distinct word 3-grams of a body, each as a 32-bit hash, sorted.

    Each word is hashed once (CRC-32 of its UTF-8, in C) and the hashes of three
    neighbours are combined in one numpy pass, so a body costs one Python call per word,
    not one per 3-gram. datasketch's affine32 scheme mixes every value again (MurmurHash3's
    finaliser) before its permutations, so the input need not be a cryptographic hash.
    """
    words = _WORD.findall(body.casefold())
    if len(words) < SHINGLE_WORDS:
        return np.empty(0, dtype=np.uint32)
    hashes = np.fromiter(
        (zlib.crc32(word.encode("utf-8")) for word in words), dtype=np.uint64, count=len(words)
    )
    count = len(words) - SHINGLE_WORDS + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        combined = combined * _MULTIPLIER + hashes[offset : offset + count]
    return np.unique(((combined >> np.uint64(32)) ^ combined).astype(np.uint32))


def signature(body: str) -> np.ndarray | None:
    """The MinHash values of a body, or None when it is too short to compare."""
    grams = shingles(body)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME, permutations=_PERMUTATIONS, hashfunc=int)
    minhash.update_batch(grams.tolist())
    return minhash.hashvalues.astype(np.uint32)


def band_keys(values: np.ndarray) -> list[int]:
    """One bucket key per LSH band: articles sharing any bucket are candidates."""
    return [
        int.from_bytes(
            hashlib.blake2b(values[i * ROWS : (i + 1) * ROWS].tobytes(), digest_size=8).digest(),
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
    db.execute("DELETE FROM minhash_bands WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM article_minhash WHERE article_id = ?", [article_id])
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
