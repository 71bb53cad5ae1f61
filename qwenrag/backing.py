"""Whether a generated answer stands on the passages it cites: the model's words are shown as the answer
only when they do.

Two tests, both on the passages the answer cites (all passages given to the model when it cites none):

1. Facts: every number (amounts, years, dates, percentages) and every "key term" of the answer that the
   question did not already contain — a Chinese character pair, an English word of 4+ letters, a
   capitalised name — must be found in those passages; at most MAX_MISSING of the key terms may be absent
   (small models rephrase a word or two).
2. Topic: a sentence that holds the answer's terms must answer the question: the quote ranker
   (qwenrag.evidence.rank_candidates, one sentence at a time) scores the best such sentence at most
   SUPPORT_MARGIN below the best sentence of those passages (a true sentence of the passage that answers
   another question is not backing).

Calibrated and measured by tests/bench/bench_backing.py (gold answer sentences kept, unrelated sentences of
the same passage and demo-model answers without the gold answer stopped; calibration vs evaluation split).
SUPPORT_MARGIN was chosen there, on the calibration split (bench_backing.py --demo 40 --margins ...): the
margin whose kept and stopped shares come closest to both bars (the largest min(kept / 0.95, stopped /
0.90)). With the 33-feature ranker: 3.0 gave 0.909 / 0.865; 2.5 0.892 / 0.891; 2.0 0.875 / 0.914; 1.75
0.872 / 0.917; 1.0 0.860 / 0.931; 4.0 0.923 / 0.786 (evaluation split at 3.0: kept 0.923, stopped 0.866).
With the earlier 22-feature ranker 1.75 was chosen (0.887 / 0.860). The earlier test (the supporting
sentences' share of the question's terms, MIN_TOPIC 0.10 and 70% of the best sentence's) gave 0.832 /
0.856 there.
Tried on top of margin 3.0 and not kept (calibration kept / stopped without the demo model's answers,
bench_backing.py --demo 0; margin 3.0 alone: 0.909 / 0.858): the answer's sentence holding a share of the
question's terms (IDF over the passages' sentences) at least a x the best sentence's, a 0.5 / 0.7 / 0.9:
0.879 / 0.898, 0.844 / 0.928, 0.812 / 0.947; a question asking for a number (多少, 几, how many, when...)
answered without one: 0.884 / 0.860; the answer's sentence among the ranker's first k sentences (a rank,
whatever the ranker's scale), k 2 alone 0.908 / 0.796, k 2 with the margin 0.886 / 0.902, k 4 with it 0.908
/ 0.868. None comes closer to both bars than the margin alone; most wrong answers kept are sentences next to
the answer about the same subject, and most correct ones stopped are gold sentences the ranker puts below
another (its hit@1 bounds this test).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexing.analysis import fold_text, tokenize, tokenize_query
from indexing.records import Passage
from qwenrag.citations import extract_citations
from qwenrag.evidence import QUOTE_FEATURES, rank_candidates, term_weight

MAX_MISSING = 0.25  # share of the answer's key terms (by weight) allowed to be absent from the passages
SUPPORT_MARGIN = 3.0  # how far (ranker logit) the best sentence holding the answer may score below the best

_TWO = QUOTE_FEATURES.index("two")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MARKERS = re.compile(r"[\[【［〔]\s*\d[\d\s,，、;；\-–~]*[\]】］〕]")


@dataclass(frozen=True)
class Backing:
    grounded: bool
    missing_numbers: tuple[str, ...] = ()
    missing_share: float = 0.0  # weighted share of key terms absent from the passages
    topic: float = 0.0  # the quote ranker's score of the best sentence holding the answer's terms
    best: float = 0.0  # ... and of the best sentence of those passages
    support: tuple[int, ...] = ()  # numbers of the passages that hold the answer's terms, best first
    reason: str = ""


def _key_terms(answer: str, question: str) -> list[str]:
    asked = set(tokenize_query(question))
    terms = []
    for t in dict.fromkeys(tokenize(answer)):
        if t in asked or t.isdigit():
            continue
        if _HAN.search(t):
            if len(t) >= 2:
                terms.append(t)
        elif len(t) >= 4:
            terms.append(t)
    return terms


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(fold_text(text))}


def check(answer: str, question: str, passages: Sequence[Passage], *, margin: float = SUPPORT_MARGIN) -> Backing:
    """Whether `answer` is backed by the passages it cites (see the module doc). `margin`: SUPPORT_MARGIN
    (bench_backing.py passes others to choose it)."""
    body = _MARKERS.sub(" ", answer).strip()
    if not body or not passages:
        return Backing(False, reason="empty")
    cited = [c.passage for c in extract_citations(answer, passages)]
    pool = cited or list(passages)
    numbers = _numbers(body) - _numbers(question)
    pool_numbers = set().union(*(_numbers(p.text) for p in pool))
    missing_numbers = tuple(sorted(n for n in numbers if n not in pool_numbers))
    keys = _key_terms(body, question)
    pool_terms = set().union(*(set(tokenize(p.text)) for p in pool))
    weight = sum(term_weight(t) for t in keys)
    absent = sum(term_weight(t) for t in keys if t not in pool_terms)
    missing_share = absent / weight if weight else 0.0
    # The sentences holding (half of) the answer's terms, and how well each answers the question: the quote
    # ranker's score over single sentences (a two-sentence quote would let a sentence borrow its neighbour's).
    answer_terms = set(keys) | {t for t in tokenize(body) if t.isdigit()}
    ranked = [(z, c) for z, c in rank_candidates(question, pool) if c.features[_TWO] == 0.0]
    any_topic = ranked[0][0] if ranked else 0.0
    holding = [(z, c.passage.n) for z, c in ranked  # best first
               if answer_terms and len(answer_terms & set(tokenize(c.passage.text[c.start:c.end])))
               >= 0.5 * len(answer_terms)]
    best_topic = holding[0][0] if holding else 0.0
    support = [n for _z, n in holding]
    if not answer_terms:  # an answer of question words only ("Yes.") says nothing checkable
        return Backing(False, reason="nothing to check")
    if missing_numbers:
        return Backing(False, missing_numbers, missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)),
                       "numbers not in the passages")
    if missing_share > MAX_MISSING:
        return Backing(False, (), missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)),
                       "terms not in the passages")
    if not support or best_topic < any_topic - margin:
        return Backing(False, (), missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)),
                       "the passages that hold it are about something else")
    return Backing(True, (), missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)))
