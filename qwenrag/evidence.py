"""What the documents say about a question: passages, relevance, quotes, found or not. No model here.

    ev = gather(library, "公司的试用期是多长时间？", previous=[], k=5)
    ev.found            # False: "not found in your documents" (the model is not called)
    ev.passages         # the search hits, best first (numbered by rank)
    ev.quotes           # up to 3 verbatim sentences that answer it, best first, each pointing into a passage

A question goes retrieve -> evidence -> answer: the pipeline asks `gather` for the evidence, shows the quotes
before any model is loaded, and only then builds the prompt.

Relevance (not found): BM25 scores are not comparable across questions, so the test is rarity-weighted term
coverage of each top passage (see Relevance). Quotes: every candidate quote of the top passages (a
sentence, or two neighbouring ones that fit the cap) is scored by a linear ranker over cheap features
(QUOTE_FEATURES: the share of the question's terms it holds, each weighted by its length and by how rare it
is among the candidate sentences; the passage's coverage and search rank; answer-type cues...), its weights
fitted on the calibration split by tests/bench/fit_quotes.py. Measured by tests/bench/bench_quotes.py.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from indexing.analysis import fold_text, tokenize, tokenize_query
from indexing.records import Passage, TermStats
from indexing.spelling import near_words
from qwenrag.quote_model import QUOTE_MODEL
from qwenrag.quote_ranker import QuoteModel

# -- not found ---------------------------------------------------------------------------------------------
# Each term of the question weighs its kind (term_weight: long words, numbers and Chinese bigrams more than
# short words and single characters) times its rarity (idf), so a name of the question that a passage lacks
# counts far more than a common word it holds. Rarity is counted over the library's chunks plus PRIOR_CHUNKS
# chunks of general text (qwenrag._term_prior: Wikipedia paragraphs in Chinese and English), so a common
# word ("时间", "number") is not taken for a distinctive name because a small library lacks it or holds it
# rarely; in a library of thousands of chunks its own counts take over. A passage is relevant when it
# holds HIGH_COVERAGE of that weight, or LOW_COVERAGE and at least MIN_STRONG_MATCHES "strong" terms (a
# Chinese bigram, a number, a word of 5+ letters) -- or, whatever the question's length, RICH_COVERAGE and
# strong terms weighing RICH_WEIGHT in absolute terms (a long question, worded unlike its passage -- DRCD's
# "敦煌地區因氣候關係..." -- spreads its weight over bigrams across word boundaries that no chunk holds, so a
# passage holding several of its rare names can be far below HIGH_COVERAGE; an off-topic question's best
# passage rarely holds that much rare evidence).
# Chosen on the calibration split of the QA sets by tests/bench/calibrate_not_found.py: HIGH / LOW / STRONG
# with QA-sized and small libraries (the best balanced accuracy keeping off-topic questions "not found" >=
# 0.92 and answering no less than the rule before less 0.01); then the rich tier, adding whole-set libraries
# (every article of a set indexed, as bench_quotes.py indexes them): the one answering most there (worst
# set first) that keeps off-topic >= 0.92 and turns away within 0.01 as many unanswerable questions.
# Whole-set libraries, calibration questions answered: CMRC / DRCD / XQuAD 0.986 / 0.958 / 0.967 without
# the rich tier, 0.986 / 0.977 / 0.970 with it (unanswerable not found 0.923 -> 0.915, off-topic 0.977 ->
# 0.974). Reported on the evaluation split by tests/bench/bench_conversation.py.
HIGH_COVERAGE = 0.46
LOW_COVERAGE = 0.31
MIN_STRONG_MATCHES = 2
RICH_COVERAGE = 0.22
RICH_WEIGHT = 40.0  # the strong terms held (term_weight x idf): about four Chinese bigrams each in 1 chunk of 150
PRIOR_CHUNKS = 3000  # the general text counts as this many chunks (chosen with the thresholds: 100-3000)
# A term no chunk holds weighs as one held by a single chunk, not more: it may be a question word or a
# bigram across two words that no document has.
MIN_DOC_FREQ = 1.0

MAX_QUOTES = 3
MAX_CHARS_ZH = 180  # a quote: at most 2 sentences and this many characters (Chinese) ...
MAX_CHARS_EN = 360  # ... or this many (other scripts)

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def term_weight(term: str) -> float:
    if _HAN.search(term):
        return 2.0 if len(term) >= 2 else 0.5  # a Chinese bigram says much more than one character
    if term.isdigit():
        return 1.5  # years, amounts, IDs: specific
    return min(3.0, 0.5 + len(term) / 4)


def _strong(term: str) -> bool:
    if _HAN.search(term):
        return len(term) >= 2
    return term.isdigit() or len(term) >= 5


def idf(doc_freq: float, chunks: float) -> float:
    """BM25's inverse document frequency of a term held by `doc_freq` of `chunks` (MIN_DOC_FREQ at least)."""
    doc_freq = max(doc_freq, MIN_DOC_FREQ)
    return math.log(1 + max(chunks - doc_freq + 0.5, 0.0) / (doc_freq + 0.5))


@functools.cache
def _prior() -> tuple[int, dict[str, int]]:
    from qwenrag._term_prior import PASSAGES, TABLE

    rows = (line.split("\t") for line in TABLE.splitlines())
    return PASSAGES, {term: int(df) for term, df in rows}


def pooled_idf(term: str, stats: TermStats, prior: TermStats | None = None) -> float:
    """idf over the library's chunks plus PRIOR_CHUNKS of general text (`prior`: qwenrag._term_prior's)."""
    if prior is None:
        passages, table = _prior()
        prior = TermStats(passages, table)
    share = prior.doc_freq.get(term, 0) / max(prior.chunks, 1)
    return idf(stats.doc_freq.get(term, 0) + PRIOR_CHUNKS * share, stats.chunks + PRIOR_CHUNKS)


def rarity_weights(terms: Sequence[str], stats: TermStats | None,
                   prior: TermStats | None = None) -> dict[str, float]:
    """term_weight of each term times its rarity (pooled_idf; without the library's statistics, in the
    general text alone)."""
    stats = stats if stats is not None else TermStats(0)
    return {t: term_weight(t) * pooled_idf(t, stats, prior) for t in terms}


@dataclass(frozen=True)
class Relevance:
    coverage: float  # weighted share of the distinct query terms found in the passage
    matched: int
    strong: int  # strong terms matched
    weight: float = 0.0  # the weight of the strong terms matched (not a share)

    @property
    def relevant(self) -> bool:
        return self.covered or (self.coverage >= RICH_COVERAGE and self.weight >= RICH_WEIGHT)

    @property
    def covered(self) -> bool:
        """Relevant by its share of the question alone (not by RICH_WEIGHT)."""
        return self.coverage >= HIGH_COVERAGE or (self.coverage >= LOW_COVERAGE and self.strong >= MIN_STRONG_MATCHES)


NO_RELEVANCE = Relevance(0.0, 0, 0)


def relevance(query_terms: Sequence[str], passage_terms: set[str], unknown: Collection[str] = (),
              weights: dict[str, float] | None = None) -> Relevance:
    """`weights`: each query term's weight (rarity_weights); term_weight when None.

    `unknown`: query terms no document contains (Library.unknown_words), which search widened to near
    spellings; one of them one slip from a passage word ("pasword") counts as present, but never as a
    strong match, so a near spelling alone cannot carry a weak passage over the bar. Only unknown words:
    a real word that is merely absent from this passage ("counties" beside "countries") stays absent
    (widening those let 3% more off-topic XQuAD questions through, measured)."""
    terms = list(dict.fromkeys(query_terms))
    w = weights if weights is not None else {t: term_weight(t) for t in terms}
    total = sum(w[t] for t in terms)
    if not total:
        return NO_RELEVANCE
    found = [t for t in terms if t in passage_terms]
    near = [t for t in terms if t in unknown and t not in passage_terms and near_words(t, passage_terms)]
    return Relevance(sum(w[t] for t in found + near) / total, len(found) + len(near), sum(map(_strong, found)),
                     sum(w[t] for t in found if _strong(t)))


def passage_terms(p: Passage) -> set[str]:
    return set(tokenize("\n".join(x for x in (p.title, p.heading or "", p.text) if x)))


def query_terms(query: str) -> list[str]:
    return tokenize_query(query)


def best_relevance(query: str, passages: Sequence[Passage], unknown: Collection[str] = (),
                   stats: TermStats | None = None, *, rich: bool = True) -> Relevance:
    """The best passage's Relevance, a relevant one first; `rich`: RICH_WEIGHT may make one relevant."""
    terms = query_terms(query)
    weights = rarity_weights(list(dict.fromkeys(terms)), stats)
    scored = [relevance(terms, passage_terms(p), unknown, weights) for p in passages]
    relevant = [r for r in scored if (r.relevant if rich else r.covered)]
    pool = relevant or scored
    return max(pool, key=lambda r: (r.coverage, r.strong), default=NO_RELEVANCE)


def is_relevant(query: str, passages: Sequence[Passage], unknown: Collection[str] = (),
                stats: TermStats | None = None) -> bool:
    """Whether any passage plausibly answers `query`; if not, the answer is "not found", without the model.

    `stats`: the library's Library.term_stats(query), for weighing the terms by rarity (the thresholds
    were chosen with them; without, rarity is that in the general text alone)."""
    return best_relevance(query, passages, unknown, stats).relevant


# -- quotes -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Quote:
    """Sentences of a passage that answer the question: passage.text[start:end], verbatim."""

    passage: Passage
    start: int
    end: int
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.passage.text[self.start:self.end]

    @property
    def n(self) -> int:
        return self.passage.n

    def numbered(self, n: int) -> Quote:
        return Quote(self.passage.numbered(n), self.start, self.end, self.score)

    def to_json(self) -> dict[str, Any]:
        """One entry of `quotes` in `qwenrag ask --json`: n, file, location, text (+ the span in the passage)."""
        return {"n": self.passage.n, "file": self.passage.file, "location": self.passage.location.to_json(),
                "text": self.text, "start": self.start, "end": self.end}


# A sentence ends at 。！？!? (and the closing quote after them), at a line break that is not a wrapped line,
# or at . followed by a space and not by a lower-case letter ("e.g. this" stays whole).
_SENTENCE_END = re.compile(r"[。！？!?]+[”’」』）)]*|\n+|(?<=[^\s.][.])[”’\"')]*(?=\s+[^a-z\s])")
_WRAPPED_MIN = 30  # a line this long that stops mid-sentence was wrapped by the page (PDF, hard-wrapped text)
_ROWS = frozenset({"xlsx", "csv"})  # one row per line: a row ("header: value | ...") is one sentence
_CONTINUES = re.compile(r"[a-z0-9\u3400-\u9fff\uf900-\ufaff(（“\"'%]")


def _soft_break(text: str, at: int, end: int) -> bool:
    """Whether the single line break text[at:end] only wraps a sentence that goes on in the next line."""
    if end - at != 1:
        return False  # a blank line ends a paragraph
    line_start = text.rfind("\n", 0, at) + 1
    before = text[at - 1] if at else ""
    after = text[end] if end < len(text) else ""
    return (at - line_start >= _WRAPPED_MIN and bool(before) and (before.isalnum() or before in ",，、;；-")
            and bool(after) and _CONTINUES.match(after) is not None)


def sentences(text: str, kind: str = "") -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, surrounding spaces left out. `kind`: the document's type
    (a spreadsheet row is one sentence; a PDF line that wraps a sentence does not end it)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    rows = kind in _ROWS
    for m in _SENTENCE_END.finditer(text):
        if m.group().startswith("\n") and not rows and _soft_break(text, m.start(), m.end()):
            continue
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_NUMBER_Q = re.compile(r"多少|几|哪一?年|何时|什么时候|多久|多长|多大|多高|多重|多远|百分之|频率|人口|面积|价格|population|price|"
                       r"how (many|much|long|old|far|often|"
                       r"large|big|tall|high)|what (year|percentage|age|date)|when\b|in which year", re.I)
_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万亿两兩萬億]+[年月日个個名人次岁歲分元%％]|\b(one|two|three|four|five|six|"
                    r"seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|"
                    r"billion|dozen|half|once|twice)\b", re.I)
_DATE_Q = re.compile(r"哪一?年|何时|什么时候|哪一?天|几月|几号|日期|年份|年代|when\b|what (year|date|time|day|month|century|"
                     r"decade)|which (year|century|decade)", re.I)
_DATE = re.compile(r"\d\s*[年月日号]|[一二三四五六七八九十〇零]+[年月日]|世纪|年代|\b(1\d{3}|20\d{2})\b|\b(january|february|"
                   r"march|april|may|june|july|august|september|october|november|december|century|decade)\b", re.I)
_WHO_Q = re.compile(r"谁|哪一?位|何人|什么人|\bwho(m|se)?\b|which (person|man|woman)", re.I)
_WHERE_Q = re.compile(r"哪里|哪儿|何地|何处|什么地方|哪个(国家|城市|省|地区|地方)|哪一?(国|城|省|州)|\bwhere\b|which (country|"
                      r"city|state|region|place|county|island)", re.I)
_PLACE = re.compile(r"[省市县縣州国國岛島山河湖区區镇鎮村港洲]|\b(in|at|near|from|to) (the )?[A-Z]")
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+")  # a capitalised word inside an English sentence
# The question word; the question's terms next to it say what the answer sits beside in the document.
_WH = re.compile(r"什么|哪|谁|多少|几|何|怎|\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)
_WH_REACH = 6  # characters either side of the question word whose terms are "next to" it
_DEFINE_Q = re.compile(r"什么是|是什么|是谁|是哪|指什么|\bwhat (is|was|are|were) (a |an |the )?\w+\W*$|\bwho (is|was) ", re.I)
_DEFINES = re.compile(r"是|为|指|\b(is|was|are|were|refers)\b", re.I)
# "what year / how many": the word after the question word names the answer's type, not something the
# document's sentence repeats ("Each year, ENR compiles..." is not about the year asked for).
_TYPE_WORD = re.compile(r"\b(?:what|which|how)\s+(many|much|year|long|old|far|often|kind|type|sort)\b", re.I)
# The same in Chinese ("多长时间" is "how long"; "试用时间不少于 1 个月" does not answer it by repeating 时间):
# the phrase is left out of the question's terms.
_TYPE_ZH = re.compile(r"(?:多长|多少|什么|哪一?段|几)(?:时间|时候)|(?:哪一?|多少|几)年|什么(?:类型|种类)")
# A sentence that opens with a pronoun leans on the one before it ("He is also the oldest quarterback...").
_LEANS_BACK = re.compile(r"^(?:(?:he|she|it|they|this|these|those|his|her|its|their)\b|[其他她它该該此这這但而])", re.I)

# What the question says just before and after its question word ("X于哪一年Y": "x于" and "y"), at most this
# many characters each; a sentence holding both, with a gap between, holds the answer in that gap.
_SIDE_ZH = 8
_SIDE_EN = 24
_SIDE_TRIM = " ,.;:?!'\"，。？！、；：“”「」《》()（）"
_PARTICLES = frozenset("的了是在有和与及或也都就而被把从对为于之其这那个么吗呢吧啊")
_NUMBERS = re.compile(r"\d+(?:[.,]\d+)*")

# A term of the document's title or heading names the topic, which every question about it repeats and the
# first sentence usually defines; the detail asked for is in the other terms.
TITLE_FACTOR = 0.25

# -- the quote ranker -----------------------------------------------------------------------------------------
# A candidate quote is one sentence, or two neighbouring sentences that fit the cap together (a sentence
# longer than the cap: its window holding the matched terms). Its score is the ranker's (qwenrag/
# quote_ranker.py: linear in the cheap features below; its format also takes small trees, which did not
# help every QA set when cross-validated) fitted by tests/bench/fit_quotes.py (a softmax over each question's candidates, "the quote is from the gold file and
# holds the answer", on the CALIBRATION split of ../shared/corpora/qa only), which writes
# qwenrag/quote_model.py. Refit when a feature changes.
QUOTE_FEATURES = (
    "coverage",  # IDF-weighted share of the question's terms in the span (title terms at TITLE_FACTOR)
    "coverage_best",  # the same for its better sentence alone
    "coverage_other",  # ... and for its other sentence (0 for one sentence)
    "near_wh",  # share of the terms next to the question word found in the span
    "passage",  # the passage's own coverage of the question (title and heading included)
    "rank",  # 1 for the top passage down to 0 for the last
    "bm25",  # the passage's search score over the top passage's
    "two",  # two sentences
    "length",  # characters over the cap
    "new_terms",  # share of the span's terms the question does not hold (where the answer can be)
    "compact",  # how close together the matched terms sit in the better sentence
    "first",  # the passage's first sentence
    "asks",  # the span's first sentence is a question (an FAQ: its answer follows)
    "leans_back",  # the second sentence opens with a pronoun (it belongs with the first)
    "number",  # a number, for a question asking for one
    "date",  # a date or year, for "when / 哪一年"
    "who",  # a capitalised name the question does not hold, for "who / 谁"
    "where",  # a place word, for "where / 哪里"
    "no_number",  # no number, for a question asking for one
    "topic",  # share of the question's title terms (the article's subject) that the span names itself
    "defines",  # "什么是 X / what is X": the span opens by naming a question term and saying what it is
    "run",  # the longest piece of the question (question words left out) found verbatim, over its length
    "detail",  # IDF-weighted share of the question's terms that are not in the title (the detail asked for)
    "loose",  # share of the question's detail characters (Chinese) / word beginnings (English) in the span
    "before_wh",  # the longest end of the question's text before its question word found in the span
    "after_wh",  # ... and the longest start of the text after it, each over its length
    "slot",  # both found, in that order, with a gap between them (where the answer would stand)
    "new_number",  # a number the question does not hold, for a question asking for one
    "position",  # where the sentence sits in its passage: 0 first, 1 last
    "coverage_gap",  # the best candidate's coverage minus this one's (the question's own scale)
    "detail_gap",  # ... the same for detail
    "near_gap",  # ... and for near_wh
    "passage_gap",  # the best coverage of any candidate minus the best of this one's passage
)
_DETAIL = QUOTE_FEATURES.index("detail")

# A quote's score falls from 1 as its logit falls below the best one's; divided by about the weight of full
# coverage (coverage + coverage_best), so that it falls as the earlier coverage-based score did: excerpts()
# and its budget (bench_prompt_diet.py) were chosen with that score.
SCORE_SCALE = 8.0


def _cap(text: str) -> int:
    return MAX_CHARS_ZH if _HAN.search(text) else MAX_CHARS_EN


@dataclass(frozen=True)
class _Candidate:
    """A candidate quote, passage.text[start:end], with its features (QUOTE_FEATURES)."""

    passage: Passage
    rank: int  # 0-based position among the passages
    start: int
    end: int
    features: tuple[float, ...]
    english: bool = False  # the question is not in Chinese (the ranker weighs some features differently)


def _positions(folded: str, term: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(term), folded)]


def _window(text: str, start: int, end: int, terms: dict[str, float], cap: int) -> tuple[int, int]:
    """A span of at most `cap` characters of text[start:end] holding most of the matched terms' weight."""
    if end - start <= cap:
        return start, end
    folded = fold_text(text[start:end])
    if len(folded) != end - start:  # lower-casing changed the length: positions would not map back
        return start, start + cap
    marks = [(a, w) for term, w in terms.items() for a in _positions(folded, term)]
    if not marks:
        return start, start + cap
    marks.sort()
    best, best_at = -1.0, 0
    for at, _w in marks:
        lo = max(0, at - cap // 4)  # a little before the first matched term: the subject often precedes
        inside = {t for t, w in terms.items() if any(lo <= a < lo + cap for a in _positions(folded, t))}
        total = sum(terms[t] for t in inside)
        if total > best:
            best, best_at = total, lo
    lo = min(best_at, end - start - cap)
    s, e = start + lo, start + lo + cap
    if not _HAN.search(text[s:e]):  # do not cut an English word in two
        while s > start and not text[s - 1].isspace() and s < e:
            s += 1
        while e > s and e < end and not text[e].isspace():
            e -= 1
    return s, e


def _near_wh(question: str) -> set[str]:
    """The question's terms within _WH_REACH characters of its question word (what the answer sits beside)."""
    folded = fold_text(question)
    out: set[str] = set()
    for m in _WH.finditer(folded):
        out.update(tokenize_query(folded[max(0, m.start() - _WH_REACH):m.start()]))
        out.update(tokenize_query(folded[m.end():m.end() + _WH_REACH]))
    return out


def _compact(folded: str, matched: Collection[str]) -> float:
    """1 when the matched terms sit side by side in `folded`, towards 0 when they are spread over all of it."""
    at = [(i, i + len(t)) for t in matched if len(t) > 1 and (i := folded.find(t)) >= 0]
    if len(at) < 2 or not folded:
        return 0.0
    spread = max(b for _a, b in at) - min(a for a, _b in at)
    return max(0.0, 1.0 - spread / len(folded))


_SUFFIX = re.compile(r"(?<=[a-z]{3})(?:ing|ed|es|s|ly)$")


@functools.lru_cache(maxsize=65536)
def _stem(term: str) -> str:
    return _SUFFIX.sub("", term) if term.isascii() else term


def _stems(terms: Iterable[str]) -> frozenset[str]:
    """Terms with a crude English suffix cut ("compiled" and "compiles" both "compil"), for quotes only:
    the question and the sentence seldom share the same inflection."""
    out = set(terms)
    cut = [t for t in out if len(t) > 3 and t.isascii()]  # only these can lose a suffix (the cheap test first)
    if cut:
        out.difference_update(cut)
        out.update(map(_stem, cut))
    return frozenset(out)


def _single_han(term: str) -> bool:
    return len(term) == 1 and ("\u3400" <= term <= "\u9fff" or "\uf900" <= term <= "\ufaff")


def _asks(text: str) -> bool:
    return text.rstrip()[-1:] in ("?", "？")


def _longest_run(pieces: Sequence[str], folded: str) -> int:
    """Length of the longest substring of one of `pieces` found in `folded`."""
    best = 0
    for piece in pieces:
        for i in range(len(piece) - best):
            k = best + 1
            while i + k <= len(piece) and piece[i:i + k] in folded:
                best = k
                k += 1
    return best


def _longest_end(side: str, folded: str, *, last: bool) -> tuple[int, int]:
    """(k, at): the longest end of `side` (its last k characters when `last`, else its first k) found in
    `folded`, and where it starts there (-1: none)."""
    k, at = 0, -1
    while k < len(side):
        piece = side[len(side) - k - 1:] if last else side[:k + 1]
        i = folded.find(piece)
        if i < 0:
            break
        k, at = k + 1, i
    return k, at


def _wh_sides(folded: str, english: bool) -> tuple[str, str]:
    """The question's text just before its first question word and just after it (the answer stands between
    what a sentence repeats of the two), without punctuation at the ends."""
    m = _WH.search(folded)
    if m is None:
        return "", ""
    reach = _SIDE_EN if english else _SIDE_ZH
    before = folded[max(0, m.start() - reach):m.start()]
    after = folded[m.end():m.end() + reach]
    return before.strip(_SIDE_TRIM), after.strip(_SIDE_TRIM)


def _loose(question_terms: Iterable[str], named: Collection[str]) -> frozenset[str]:
    """What `loose` looks for: the question's detail characters (Chinese single characters outside the title,
    particles left out) and the first four letters of its longer words outside the title."""
    out = set()
    for t in question_terms:
        if t in named:
            continue
        if _HAN.match(t):
            if len(t) == 1 and t not in _PARTICLES:
                out.add(t)
        elif len(t) >= 4 and not t.isdigit():
            out.add(t[:4])
    return frozenset(out)


def quote_candidates(question: str, passages: Sequence[Passage], *, focus: str = "") -> list[_Candidate]:
    """Every candidate quote of `passages` with its features (QUOTE_FEATURES), in passage and text order.
    `focus`: the part of `question` that matters most (a follow-up's own words): its terms weigh double."""
    typed = {m.group(1).lower() for m in _TYPE_WORD.finditer(question)}
    untyped = _TYPE_ZH.sub("，", fold_text(question))
    q_terms = list(dict.fromkeys(t for t in _stems(tokenize_query(untyped)) if t not in typed))
    if not q_terms or not passages:
        return []
    boost = _stems(tokenize_query(focus)) if focus else frozenset()
    q_set = set(q_terms)
    per_passage = []
    for p in passages:
        spans = sentences(p.text, p.kind)
        per_passage.append((p, spans, [_stems(tokenize(p.text[s:e])) for s, e in spans]))
    n = sum(len(spans) for _p, spans, _t in per_passage)
    if not n:
        return []
    df = Counter(t for _p, _s, terms in per_passage for ts in terms for t in ts.intersection(q_set))
    base = {t: term_weight(t) * (2.0 if t in boost else 1.0) for t in q_terms}
    weights = {t: base[t] * math.log(1 + n / (df[t] + 0.5)) for t in q_terms if df[t]}
    total = sum(base[t] * math.log(1 + n / 0.5) for t in q_terms) or 1.0
    near = _near_wh(question) & q_set
    near_total = sum(weights.get(t, 0.0) for t in near) or 1.0
    wants_number = bool(_NUMBER_Q.search(question))
    wants_date = bool(_DATE_Q.search(question))
    wants_who = bool(_WHO_Q.search(question))
    wants_where = bool(_WHERE_Q.search(question))
    wants_definition = bool(_DEFINE_Q.search(question))
    last = max(1, len(passages) - 1)
    top_score = max((p.score for p in passages), default=0.0) or 1.0
    q_folded = fold_text(question)
    english = not _HAN.search(question)
    q_numbers = set(_NUMBERS.findall(q_folded))
    before, after = _wh_sides(q_folded, english)
    # the question's pieces between its question words and punctuation (what a sentence may repeat verbatim)
    pieces = [x.strip() for x in re.split(r"[^\w\s'-]+|" + _WH.pattern, _TYPE_WORD.sub(" ", _TYPE_ZH.sub(" ", q_folded))) if x and x.strip()]
    run_total = max((len(x) for x in pieces), default=0) or 1

    rows: list[tuple[Passage, int, int, int, list[float]]] = []
    for rank, (p, spans, terms) in enumerate(per_passage):
        named = set(_stems(tokenize(f"{p.title}\n{p.heading or ''}")))
        topic_terms = [t for t in q_terms if t in named and t in weights]
        topic_total = sum(weights[t] for t in topic_terms) or 1.0
        detail_terms = [t for t in q_terms if t not in named]
        detail_total = sum(weights.get(t, 0.0) for t in detail_terms) or 1.0
        loose = _loose(q_terms, named)
        whole = named.union(*terms)
        on_topic = relevance(q_terms, whole).coverage
        head = (on_topic, 1 - rank / last, p.score / top_score)
        last_sentence = max(1, len(spans) - 1)

        def cover(ts: frozenset[str], named: set[str] = named) -> float:
            return sum(weights[t] * (TITLE_FACTOR if t in named else 1.0) for t in ts.intersection(weights)) / total

        covs = [cover(ts) for ts in terms]
        asks = [_asks(p.text[s:e]) for s, e in spans]
        # terms that can hold an answer (words, numbers, character pairs: not single characters)
        content = [frozenset(t for t in ts if not _single_han(t)) for ts in terms]
        folded_text = fold_text(p.text)
        if len(folded_text) != len(p.text):  # lower-casing changed the length: fold piece by piece

            def fold_at(a: int, b: int, text: str = p.text) -> str:
                return fold_text(text[a:b])
        else:

            def fold_at(a: int, b: int, folded: str = folded_text) -> str:
                return folded[a:b]
        for i, (s, e) in enumerate(spans):
            text = p.text
            cap = _cap(text[s:e])
            options: list[tuple[int, int, list[int]]] = []
            if e - s > cap:
                ws, we = _window(text, s, e, {t: weights[t] for t in terms[i] if t in weights}, cap)
                options.append((ws, we, [i]))
            else:
                options.append((s, e, [i]))
                if i + 1 < len(spans) and spans[i + 1][1] - s <= cap:
                    options.append((s, spans[i + 1][1], [i, i + 1]))
            for a, b, idx in options:
                if idx[-1] + 1 < len(spans) and asks[idx[-1]]:
                    continue  # a question of the document (an FAQ) is quoted with the answer after it
                if len(idx) == 2:
                    span_terms, span_content = terms[i] | terms[i + 1], content[i] | content[i + 1]
                elif (a, b) != (s, e):  # a window of a long sentence
                    span_terms = _stems(tokenize(text[a:b]))
                    span_content = frozenset(t for t in span_terms if not _single_han(t))
                else:
                    span_terms, span_content = terms[i], content[i]
                cov = cover(span_terms)
                if cov <= 0:
                    continue
                part = [covs[j] for j in idx]
                best_j = idx[part.index(max(part))]
                chunk = text[a:b]
                folded = fold_at(a, b)
                matched = span_terms & q_set
                new = len(span_content - q_set) / len(span_content) if span_content else 0.0
                digit = wants_number and _DIGIT.search(chunk) is not None
                k_before, at_before = _longest_end(before, folded, last=True)
                k_after, at_after = _longest_end(after, folded, last=False)
                if loose and english:
                    heads = {t[:4] for t in span_terms if len(t) >= 4}
                    loose_share = len(loose & heads) / len(loose)
                elif loose:
                    loose_share = sum(c in folded for c in loose) / len(loose)
                else:
                    loose_share = 0.0
                rows.append((p, rank, a, b, [
                    cov, max(part), min(part) if len(part) == 2 else 0.0,
                    sum(weights.get(t, 0.0) for t in near if t in span_terms) / near_total if near else 0.0,
                    *head,
                    float(len(idx) == 2), (b - a) / cap, new,
                    _compact(fold_at(*spans[best_j]), matched),
                    float(i == 0),
                    float(asks[i]),
                    float(len(idx) == 2 and _LEANS_BACK.match(text[spans[i + 1][0]:spans[i + 1][0] + 8]) is not None),
                    float(digit),
                    float(wants_date and _DATE.search(chunk) is not None),
                    float(wants_who and any(m.group().lower() not in q_folded for m in _NAME.finditer(chunk))),
                    float(wants_where and _PLACE.search(chunk) is not None),
                    float(wants_number and not digit),
                    sum(weights[t] for t in topic_terms if t in span_terms) / topic_total,
                    float(wants_definition and any(t in q_set and len(t) > 1 for t in _stems(tokenize(chunk[:12])))
                          and _DEFINES.search(chunk[:40]) is not None),
                    _longest_run(pieces, folded) / run_total,
                    sum(weights[t] for t in detail_terms if t in span_terms and t in weights) / detail_total,
                    loose_share,
                    k_before / len(before) if before else 0.0,
                    k_after / len(after) if after else 0.0,
                    float(k_before >= 2 and k_after >= 2 and 0 < at_after - (at_before + k_before) <= cap // 3),
                    float(wants_number and any(x not in q_numbers for x in _NUMBERS.findall(folded))),
                    i / last_sentence,
                ]))
    if not rows:
        return []
    # the same features on the question's own scale: how far each candidate stands from the best one
    best_cov = max(r[4][0] for r in rows)
    best_detail = max(r[4][_DETAIL] for r in rows)
    best_near = max(r[4][3] for r in rows)
    passage_best: dict[int, float] = {}
    for r in rows:
        passage_best[r[1]] = max(passage_best.get(r[1], 0.0), r[4][0])
    return [_Candidate(p, rank, a, b, (*f, best_cov - f[0], best_detail - f[_DETAIL], best_near - f[3],
                                       best_cov - passage_best[rank]), english)
            for p, rank, a, b, f in rows]


def rank_candidates(question: str, passages: Sequence[Passage], *, focus: str = "",
                    model: QuoteModel = QUOTE_MODEL) -> list[tuple[float, _Candidate]]:
    """The candidate quotes with the ranker's score (a logit: higher answers the question better), best first."""
    cands = quote_candidates(question, passages, focus=focus)
    z = model.scores([c.features for c in cands], [c.english for c in cands])
    scored = sorted(zip(z.tolist(), cands, strict=True), key=lambda x: -x[0])
    return scored


def find_quotes(question: str, passages: Sequence[Passage], limit: int = MAX_QUOTES, *,
                focus: str = "", model: QuoteModel = QUOTE_MODEL) -> list[Quote]:
    """The candidate quotes of `passages` that best answer `question` (see QUOTE_FEATURES), best first,
    verbatim, at most two sentences each and no overlaps. `focus`: the part of `question` that matters most
    (a follow-up's own words): its terms weigh double. `model`: the ranker's (fit_quotes.py passes its own).
    A quote's score is exp((z - z_best) / SCORE_SCALE) for the ranker's z: 1 for the best, falling with the
    distance from it (excerpts() weighs quotes and their neighbours by it)."""
    out: list[Quote] = []
    ranked = rank_candidates(question, passages, focus=focus, model=model)
    for z, c in ranked:
        if any(q.passage.chunk_id == c.passage.chunk_id and q.start < c.end and c.start < q.end for q in out):
            continue
        out.append(Quote(c.passage, c.start, c.end, round(math.exp((z - ranked[0][0]) / SCORE_SCALE), 4)))
        if len(out) >= limit:
            break
    return out


def baseline_quote(question: str, passages: Sequence[Passage]) -> Quote | None:
    """The baseline the benchmark compares with: the sentence of the top passage sharing most terms."""
    if not passages:
        return None
    q = set(tokenize_query(question))
    p = passages[0]
    best = max(sentences(p.text, p.kind), key=lambda se: len(q & set(tokenize(p.text[se[0]:se[1]]))), default=None)
    if best is None:
        return None
    s, e = best
    e = min(e, s + _cap(p.text[s:e]))
    return Quote(p, s, e)


# -- the evidence for one question --------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """What the library says about one question: the passages found, whether they answer it, the quotes."""

    question: str
    query: str  # what was searched (the question, or the question with the previous one for a follow-up)
    passages: tuple[Passage, ...]
    relevance: Relevance
    quotes: tuple[Quote, ...]
    unknown: frozenset[str] = frozenset()  # query words no document holds (searched as near spellings)
    retrieval_ms: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.passages) and self.relevance.relevant


def own_coverage(question: str, passage: Passage) -> float:
    """Weighted share of the question's own terms (without the previous question's) in `passage`."""
    return relevance(query_terms(question), passage_terms(passage)).coverage


# A follow-up ("那经理呢？", "and for managers?") is searched together with the previous question; the
# combined search counts only when a passage found also holds this much of the follow-up's own terms, so an
# off-topic question is not carried over the bar by the previous question's words.
FOLLOW_UP_OWN = 0.5


def gather(library: Any, question: str, previous: Sequence[str] = (), k: int = 5) -> Evidence:
    """Search the library for `question` (with the last of `previous` for a follow-up) and weigh the hits.

    With a previous question, the two are searched together first: that search counts when a passage it
    finds holds the follow-up's own terms (FOLLOW_UP_OWN) and the passages are relevant to both. No word
    lists decide what a follow-up is, so an off-topic question is not carried over the bar by the previous
    question's words. Otherwise the question is searched alone."""
    question = question.strip()
    t = time.perf_counter()
    if previous:
        combined = f"{previous[-1]} {question}"
        hits = list(library.search(combined, k=k))
        if any(own_coverage(question, p) >= FOLLOW_UP_OWN for p in hits):
            unknown = library.unknown_words(combined)
            # not by RICH_WEIGHT: the two questions together weigh much, the previous one's terms most of it
            rel = best_relevance(combined, hits, unknown, library.term_stats(combined), rich=False)
            if rel.covered:
                ms = (time.perf_counter() - t) * 1000
                quotes = find_quotes(combined, hits, focus=question)
                return Evidence(question, combined, tuple(hits), rel, tuple(quotes), unknown, ms)
    hits = list(library.search(question, k=k))
    unknown = library.unknown_words(question) if hits else frozenset()
    rel = best_relevance(question, hits, unknown, library.term_stats(question)) if hits else NO_RELEVANCE
    ms = (time.perf_counter() - t) * 1000
    quotes = find_quotes(question, hits) if rel.relevant else []
    return Evidence(question, question, tuple(hits), rel, tuple(quotes), unknown, ms)


# -- what the model reads of each passage -------------------------------------------------------------------
# The prompt on a diet: the passages are cut to their question-focused part. One budget for all of them, in
# "Chinese characters" (a digit counts as one, a character of another script as a third; see _cost). The
# quote ranker's spans (find_quotes: a sentence or two neighbouring ones) and, once a span is in, the sentences
# beside it (worth NEIGHBOUR_VALUE of it) go in best first, across passages, while they fit. A passage with
# nothing that fits is left out.
# Every token is read before the first word, so the budget is not filled for its own sake: a span worth less
# than EXCERPT_FLOOR (its quote score, exp((z - z_best) / SCORE_SCALE), times NEIGHBOUR_VALUE per step away)
# is left out, except a sentence right beside a span worth the floor (a table's value cell follows the label
# that matched). When the best quote stands clearly above the rest the model reads it and its neighbours;
# when several are close the budget is shared among them.
# Budget and floor chosen by tests/bench/bench_prompt_diet.py on the calibration split of
# ../shared/corpora/qa: context recall >= 0.97 of the full-passage prompt's on every set with a margin, then
# the fewest tokens. 480 / 0.6: x0.983 / 0.987 / 1.000 for CMRC / DRCD / XQuAD, median prompt 364 / 384 / 316
# tokens (the earlier choice, 360 without a floor: x0.973 / 0.986 / 0.987 at 476 / 495 / 388 now that a span
# overlapping one already taken pays only for its new part; 450 / 466 / 377 before; 480 / 0.65 and
# 420 / 0.6: CMRC x0.976, too little margin; 600 / 0.7: CMRC x0.963).
EXCERPT_BUDGET = 480
EXCERPT_QUOTES = 4  # quote spans considered per passage
EXCERPT_FLOOR = 0.6  # of the best quote's value (1.0); see above
NEIGHBOUR_VALUE = 0.8  # a sentence next to a chosen span is worth this share of the span (0.5 / 0.95: worse)
_GAP = " … "


_DIGITS = re.compile(r"\d")


def _cost(text: str) -> float:
    """About 1.4 Qwen tokens per unit: a Chinese character or a digit (Qwen reads digits one by one) is one
    unit, another character a third."""
    whole = len(_HAN.findall(text)) + len(_DIGITS.findall(text))
    return whole + (len(text) - whole) / 3


def excerpts(question: str, passages: Sequence[Passage], *, focus: str = "",
             budget: float = EXCERPT_BUDGET, floor: float | None = None) -> dict[int | None, str]:
    """chunk id -> the question-focused part of each passage that gets one (see above); `passages` best
    first. A table's row (a spreadsheet's or a document's: "name: value | ...", its column names with it) is
    taken whole or not at all, and only when it holds a question term the table's other rows do not (a term
    every row holds is a column or sheet name: it says nothing about which record answers; for a follow-up,
    a term of its own words); neighbouring rows are not added (they are other records), nor the header line
    (each row names its columns). A span that is only the passage's heading is not taken (the label names
    the section)."""
    floor = EXCERPT_FLOOR if floor is None else floor
    quotes = find_quotes(question, passages, limit=EXCERPT_QUOTES * len(passages), focus=focus)
    chosen: dict[int | None, list[tuple[int, int]]] = {p.chunk_id: [] for p in passages}
    by_chunk = {p.chunk_id: p for p in passages}
    sents = {p.chunk_id: sentences(p.text, p.kind) for p in passages}
    tables = {p.chunk_id: _table_rows(p) for p in passages}
    left = budget

    def take(p: Passage, s: int, e: int) -> bool:
        nonlocal left
        spans = chosen[p.chunk_id]
        if any(a <= s and e <= b for a, b in spans):
            return True
        # only what no chosen span covers yet costs (a quote may overlap a neighbour taken before it)
        cost = _cost("".join(p.text[i] for i in range(s, e) if not any(a <= i < b for a, b in spans)))
        if cost > left:
            return False
        spans.append((s, e))
        left -= cost
        return True

    # Best first: a quote by its score, a neighbouring sentence by its span's value times NEIGHBOUR_VALUE.
    terms = set(tokenize_query(f"{question} {focus}"))
    asked = set(tokenize_query(focus)) if focus else terms  # a follow-up's own words (see _rows_of)
    heap = []
    for q in quotes:
        rows = tables[q.passage.chunk_id]
        spans_of = _rows_of(q, rows, terms, asked) if rows is not None else [(q.score, (q.start, q.end))]
        for value, (s, e) in spans_of:
            heap.append((-value, len(heap), q.passage.chunk_id, s, e, False))
    heapq.heapify(heap)
    order = len(heap)
    while heap:
        value, _k, cid, s, e, beside = heapq.heappop(heap)
        if -value < floor and not beside:
            continue
        p = by_chunk[cid]
        spans = chosen[cid]
        if (any(a <= s and e <= b for a, b in spans) or _only_heading(p, s, e) or not take(p, s, e)
                or tables[cid] is not None):
            continue
        free = [x for x in sents[cid] if not any(a <= x[0] and x[1] <= b for a, b in spans)]
        around = [x for x in free if x[0] < e and s < x[1]]  # the rest of a long sentence cut short
        for x in around or [x for x in free if x[0] >= e][:1] + [x for x in free if x[1] <= s][-1:]:
            order += 1
            # beside a span worth the floor: in even below it (a table's value cell follows its label)
            heapq.heappush(heap, (value * NEIGHBOUR_VALUE, order, cid, x[0], x[1], -value >= floor))
    return {cid: _join(by_chunk[cid].text, spans) for cid, spans in chosen.items() if spans}


@dataclass(frozen=True)
class TableRows:
    """A table passage's records (see _table_rows)."""

    spans: list[tuple[int, int]]  # (start, end) of each record in the passage's text
    own_terms: list[set[str]]  # each record's terms but those every record holds


def _table_rows(p: Passage) -> TableRows | None:
    """A table passage's records, one per line: a spreadsheet's rows, or a document's table (its chunk starts
    with the header line "name | name", then "name: value | name: value" per row; the header line is not a
    record). The terms every record holds (column and sheet names) come with them. None: not a table."""
    text = p.text
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((pos + len(line) - len(line.lstrip()), pos + len(line.rstrip())))
        pos += len(line) + 1
    if not lines:
        return None
    names = text[lines[0][0]:lines[0][1]].split(" | ")
    header = len(names) > 1 and any(text[a:b].startswith(tuple(f"{n}: " for n in names)) for a, b in lines[1:])
    if not (header or p.kind in _ROWS or p.location.table is not None):
        return None
    records = lines[1:] if header else lines
    words = [set(tokenize(text[a:b])) for a, b in records]
    common = set.intersection(*words) if len(words) > 1 else set()
    return TableRows(records, [w - common for w in words])


def _rows_of(q: Quote, rows: TableRows, terms: set[str], asked: set[str]) -> list[tuple[float, tuple[int, int]]]:
    """A table quote as the whole records it touches (a quote window may cut a long row), each holding a
    term of its own from `asked` (the question's; a follow-up's own words: a record naming only what the
    previous question asked about was that turn's to show): the one holding most question terms keeps the
    quote's score, another is worth NEIGHBOUR_VALUE of it."""
    hits = [(len(terms & own), span) for span, own in zip(rows.spans, rows.own_terms, strict=True)
            if span[0] < q.end and q.start < span[1] and asked & own]
    best = max((n for n, _span in hits), default=0)
    return [(q.score if n == best else q.score * NEIGHBOUR_VALUE, span) for n, span in hits]


def _only_heading(p: Passage, s: int, e: int) -> bool:
    heading = p.heading or p.location.heading or ""
    return bool(heading) and p.text[s:e].strip() == heading.rsplit(" > ", 1)[-1].strip()


def _join(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The spans of `text` in document order, gaps marked with "…"."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and (s <= merged[-1][1] or not text[merged[-1][1]:s].strip()):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out = _GAP.join(text[s:e] for s, e in merged)
    if merged[0][0] > 0 and text[:merged[0][0]].strip():
        out = "… " + out
    if text[merged[-1][1]:].strip():
        out += " …"
    return out
