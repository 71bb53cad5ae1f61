"""Whether a generated answer stands on the passages it cites: the model's words are shown as the answer
only when they do.

Two tests, both on the passages the answer cites (all passages given to the model when it cites none):

1. Facts: every number (amounts, years, dates, percentages) and every "key term" of the answer that the
   question did not already contain — a Chinese character pair, an English word of 4+ letters, a
   capitalised name — must be found in those passages; at most MAX_MISSING of the key terms may be absent
   (small models rephrase a word or two).
2. Topic: the passage sentences that hold the answer's terms must be about the question: they hold at
   least MIN_TOPIC of the question's weighted terms and MIN_RELATIVE of what the passages' best sentence
   holds (a true sentence of the passage that answers another question is not backing).

Calibrated and measured by tests/bench/bench_backing.py (gold answer sentences kept, unrelated sentences of
the same passage and demo-model answers without the gold answer stopped; calibration vs evaluation split).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexing.analysis import fold_text, tokenize, tokenize_query
from indexing.records import Passage
from qwenrag.citations import extract_citations
from qwenrag.evidence import sentences, term_weight

MAX_MISSING = 0.25  # share of the answer's key terms (by weight) allowed to be absent from the passages
MIN_TOPIC = 0.10  # weighted share of the question's terms in the sentences that hold the answer ...
MIN_RELATIVE = 0.7  # ... and at least this share of the best any sentence of those passages reaches

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MARKERS = re.compile(r"[\[【［〔]\s*\d[\d\s,，、;；\-–~]*[\]】］〕]")


@dataclass(frozen=True)
class Backing:
    grounded: bool
    missing_numbers: tuple[str, ...] = ()
    missing_share: float = 0.0  # weighted share of key terms absent from the passages
    topic: float = 0.0  # question coverage of the supporting sentences
    best: float = 0.0  # the best question coverage of any sentence of those passages
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


def check(answer: str, question: str, passages: Sequence[Passage]) -> Backing:
    """Whether `answer` is backed by the passages it cites (see the module doc)."""
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
    # The sentences holding the answer's terms, and how much of the question they cover.
    answer_terms = set(keys) | {t for t in tokenize(body) if t.isdigit()}
    q_terms = list(dict.fromkeys(tokenize_query(question)))
    q_total = sum(term_weight(t) for t in q_terms) or 1.0
    best_topic, support, any_topic = 0.0, [], 0.0
    for p in pool:
        for s, e in sentences(p.text, p.kind):
            sent_terms = set(tokenize(p.text[s:e]))
            any_topic = max(any_topic, sum(term_weight(t) for t in q_terms if t in sent_terms) / q_total)
            share = len(answer_terms & sent_terms) / len(answer_terms) if answer_terms else 0.0
            if share < 0.5:
                continue
            topic = sum(term_weight(t) for t in q_terms if t in sent_terms) / q_total
            if topic > best_topic:
                best_topic = topic
                support.insert(0, p.n)
            elif p.n not in support:
                support.append(p.n)
    if not answer_terms:  # an answer of question words only ("Yes.") says nothing checkable
        return Backing(False, reason="nothing to check")
    if missing_numbers:
        return Backing(False, missing_numbers, missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)),
                       "numbers not in the passages")
    if missing_share > MAX_MISSING:
        return Backing(False, (), missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)),
                       "terms not in the passages")
    if best_topic < MIN_TOPIC or best_topic < MIN_RELATIVE * any_topic:
        return Backing(False, (), missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)),
                       "the passages that hold it are about something else")
    return Backing(True, (), missing_share, best_topic, any_topic, tuple(dict.fromkeys(support)))
