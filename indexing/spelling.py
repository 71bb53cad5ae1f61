"""Tolerance for one slip of the keyboard in a Latin word ("septicemia" for "septicemic", "pasword").

Used by the search index (an unknown query word is searched as the indexed words one edit away) and by
the answer pipeline's relevance test (such a word counts as present), so the two agree. Chinese text
is not touched: a wrong character there is a different word, and bigrams already overlap.
"""

from __future__ import annotations

import re

MIN_LEN = 5  # shorter words have too many neighbours one edit away ("form", "from", "farm")
_LATIN_WORD = re.compile(r"[a-z]+")


def may_be_misspelled(token: str) -> bool:
    """Whether `token` (an analyzed, lower-case term) is a word worth matching approximately."""
    return len(token) >= MIN_LEN and _LATIN_WORD.fullmatch(token) is not None


def one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return a[i + 2 :] == b[i + 2 :] and a[i] == b[i + 1] and a[i + 1] == b[i]
    return a[i:] == b[i + 1 :]


def near_words(token: str, vocabulary: set[str]) -> list[str]:
    """The words of `vocabulary` one edit from `token` (none when the token is in it or too short)."""
    if token in vocabulary or not may_be_misspelled(token):
        return []
    return [w for w in vocabulary if w[:1] == token[:1] and one_edit(w, token)]
