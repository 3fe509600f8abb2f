"""How alike two customers are (T4 Similar customers): pure scoring.

Evidence, each with a weight (how sure it alone makes us that the two records
are one person):

- the same document number: 0.95 (a typo in the type still counts, a bit less);
- the same normalised phone: 0.60 (families and offices share a line);
- the same e-mail address: 0.65;
- a close name: 0.60 x the name score, once the accent-folded names score at
  least NAME_THRESHOLD with rapidfuzz's token_sort_ratio (word order, accents
  and case do not matter; a missing second last name or a swapped letter
  still scores high).

Independent evidence combines like independent probabilities (noisy-or):
p = 1 - prod(1 - w). So a document alone gives 95 %, a phone and a very
similar name about 85 %, an identical common name alone 60 %, and records
with nothing in common are not similar at all. Results below MIN_PERCENT are
not offered.
"""

from __future__ import annotations

from itertools import combinations
from dataclasses import dataclass

from sagicc_tui.domain.customers import SimilarityReason
from sagicc_tui.domain.text import fold

DOCUMENT_WEIGHT = 0.95
DOCUMENT_OTHER_TYPE_WEIGHT = 0.85
PHONE_WEIGHT = 0.60
EMAIL_WEIGHT = 0.65
NAME_WEIGHT = 0.60
NAME_THRESHOLD = 80
MIN_PERCENT = 50



def name_score(a: str, b: str) -> int:
    """0-100: rapidfuzz token_sort_ratio of the accent-folded names."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0
    from rapidfuzz import fuzz  # imported here: the UI's first paint never needs it

    # A missing second last name or middle name should not cost much: compare
    # the shorter name with the same number of leading words of the other too.
    full = fuzz.token_sort_ratio(fa, fb)
    wa, wb = fa.split(), fb.split()
    if len(wa) != len(wb) and min(len(wa), len(wb)) >= 2:
        short, long_ = (wa, wb) if len(wa) < len(wb) else (wb, wa)
        best = max(
            fuzz.token_sort_ratio(" ".join(short), " ".join(words))
            for words in combinations(long_[:6], len(short))
        )
        full = max(full, 0.95 * best)
    return int(round(full))


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the scorer compares: document, names, normalised contacts."""

    id: int
    id_type: str
    id_number: str
    name: str
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Similarity:
    percentage: int
    reasons: tuple[SimilarityReason, ...]
    name_score: int


def _document_key(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())


def score(a: CustomerFacts, b: CustomerFacts) -> Similarity | None:
    """How alike b is to a, or None when it is not worth offering."""
    reasons: list[SimilarityReason] = []
    weights: list[float] = []
    doc_a, doc_b = _document_key(a.id_number), _document_key(b.id_number)
    if doc_a and len(doc_a) >= 5 and doc_a == doc_b:
        reasons.append(SimilarityReason.SAME_DOCUMENT)
        weights.append(DOCUMENT_WEIGHT if a.id_type == b.id_type else DOCUMENT_OTHER_TYPE_WEIGHT)
    if a.phones & b.phones:
        reasons.append(SimilarityReason.SAME_PHONE)
        weights.append(PHONE_WEIGHT)
    if a.emails & b.emails:
        reasons.append(SimilarityReason.SAME_EMAIL)
        weights.append(EMAIL_WEIGHT)
    names = name_score(a.name, b.name)
    if names >= NAME_THRESHOLD:
        reasons.append(SimilarityReason.SIMILAR_NAME)
        weights.append(NAME_WEIGHT * names / 100)
    if not weights:
        return None
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    percentage = int(round(100 * (1.0 - miss)))
    if percentage < MIN_PERCENT:
        return None
    return Similarity(min(percentage, 100), tuple(reasons), names)


def rank(subject: CustomerFacts, candidates: list[CustomerFacts], limit: int) -> list[tuple[CustomerFacts, Similarity]]:
    """The candidates worth offering, most similar first (then lowest id)."""
    scored = []
    for c in candidates:
        if c.id == subject.id:
            continue
        s = score(subject, c)
        if s is not None:
            scored.append((c, s))
    scored.sort(key=lambda cs: (-cs[1].percentage, -cs[1].name_score, cs[0].id))
    return scored[:limit]
