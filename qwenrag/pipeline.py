"""Question -> search -> prompt -> streamed answer -> citations.

    pipeline = Pipeline(library, engine)                 # or load_engine=... to load the model lazily
    for event in pipeline.ask("病假需要什么证明？"):       # any thread; close the generator to cancel
        match event:
            case Retrieved(sources=s): show the numbered sources first
            case Token(text=t):        append t
            case Done(result=r):       r.answer, r.citations, r.found, r.timings ...

    conv = pipeline.conversation()                       # follow-ups: conv.ask("and for managers?")
    conv.cancel()                                        # from any thread: stop the current answer
    conv.reset()                                         # a new conversation starts clean

Not found: when no passage is relevant enough (see `is_relevant`), the answer is a fixed sentence in the
user's language, the model is not called, and the nearest passages are returned as `sources`.
With an empty library, or `use_documents=False`, it is a plain local assistant.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from indexing.spelling import near_words
from qwenrag.citations import Citation, Passage, extract_citations
from qwenrag.engine import Engine, Timings
from qwenrag.errors import QwenragError
from qwenrag.language import Language, resolve_language
from qwenrag.models import ModelInfo
from qwenrag.prompt import BuiltPrompt, HistoryTurn, build_prompt
from qwenrag.settings import Settings

Mode = Literal["documents", "not_found", "plain"]

NOT_FOUND: dict[Language, str] = {
    "en": "Not found in your documents. The closest passages are listed below.",
    "zh": "在您的文档中没有找到答案。下面列出了最接近的段落。",
}
NOT_FOUND_EMPTY: dict[Language, str] = {
    "en": "Not found in your documents.",
    "zh": "在您的文档中没有找到答案。",
}
# What the instructions tell the model to say when the passages lack the answer (see prompt.py).
_MODEL_SAYS_ABSENT = re.compile(r"do(?:es)? not contain th|文档中没有这方面的信息|资料中没有")

# -- not-found threshold ------------------------------------------------------------------------------------
# A passage is relevant when it holds HIGH_COVERAGE of the question's search terms (weighted: long words,
# numbers and Chinese bigrams weigh more than short words and single characters), or LOW_COVERAGE and at
# least MIN_STRONG_MATCHES "strong" terms (a Chinese bigram, a number, a word of 5+ letters).
# Calibrated with tests/bench/calibrate_not_found.py (top 5 hits; details in `is_relevant`).
HIGH_COVERAGE = 0.45
LOW_COVERAGE = 0.3
MIN_STRONG_MATCHES = 2


@dataclass(frozen=True)
class AnswerTimings:
    load_s: float = 0.0  # model load (once per engine; 0 when the model was not needed)
    retrieval_ms: float = 0.0
    prompt_build_ms: float = 0.0  # fitting the prompt (token counting)
    prompt_tokens: int = 0  # evaluated for this answer; the reused KV-cache prefix is not counted
    cached_tokens: int = 0
    ttft_s: float = 0.0  # from handing the prompt to the engine to the first token
    first_token_s: float = 0.0  # from the question to the first token (retrieval and prompt included)
    decode_tokens: int = 0
    decode_tok_s: float = 0.0
    total_s: float = 0.0
    threads: int = 0

    def to_json(self) -> dict[str, Any]:
        """The `timings` object of `qwenrag ask --json`."""
        return {
            "load_s": round(self.load_s, 4),
            "retrieval_ms": round(self.retrieval_ms, 3),
            "prompt_tokens": self.prompt_tokens,
            "ttft_s": round(self.ttft_s, 4),
            "decode_tokens": self.decode_tokens,
            "decode_tok_s": round(self.decode_tok_s, 2),
        }


@dataclass(frozen=True)
class AnswerResult:
    question: str
    answer: str
    found: bool  # the answer comes from the documents (False: not found, or plain assistant)
    citations: list[Citation]
    sources: list[Passage]  # every passage shown to the model (or, not found: the nearest passages)
    model: ModelInfo | None
    timings: AnswerTimings
    language: Language
    mode: Mode
    cancelled: bool = False
    prompt: BuiltPrompt | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """`qwenrag ask --json`: a contract checked from outside."""
        return {
            "answer": self.answer,
            "found": self.found,
            "citations": [c.to_json() for c in self.citations],
            "sources": [p.to_json() for p in self.sources],
            "model": self.model.to_json() if self.model else None,
            "timings": self.timings.to_json(),
        }


# -- events -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Status:
    """Something slow is happening (loading the model): a line for a person."""

    message: str
    kind: ClassVar[str] = "status"


@dataclass(frozen=True)
class Retrieved:
    """The passages, before any token: numbered as the answer will cite them."""

    sources: tuple[Passage, ...]
    found: bool
    query: str
    retrieval_ms: float
    kind: ClassVar[str] = "sources"


@dataclass(frozen=True)
class Token:
    text: str
    kind: ClassVar[str] = "token"


@dataclass(frozen=True)
class Done:
    result: AnswerResult
    kind: ClassVar[str] = "done"


Event = Status | Retrieved | Token | Done


# -- relevance ----------------------------------------------------------------------------------------------
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _term_weight(term: str) -> float:
    if _HAN.search(term):
        return 2.0 if len(term) >= 2 else 0.5  # a Chinese bigram says much more than one character
    if term.isdigit():
        return 1.5  # years, amounts, IDs: specific
    return min(3.0, 0.5 + len(term) / 4)


def _strong(term: str) -> bool:
    if _HAN.search(term):
        return len(term) >= 2
    return term.isdigit() or len(term) >= 5


@dataclass(frozen=True)
class Relevance:
    coverage: float  # weighted share of the distinct query terms found in the passage
    matched: int
    strong: int  # strong terms matched

    @property
    def relevant(self) -> bool:
        return self.coverage >= HIGH_COVERAGE or (
            self.coverage >= LOW_COVERAGE and self.strong >= MIN_STRONG_MATCHES)


def relevance(query_terms: Sequence[str], passage_terms: set[str], unknown: Collection[str] = ()) -> Relevance:
    """`unknown`: query terms no document contains (Library.unknown_words), which search widened to near
    spellings; one of them one slip from a passage word ("pasword") counts as present, but never as a
    strong match, so a near spelling alone cannot carry a weak passage over the bar. Only unknown words:
    a real word that is merely absent from this passage ("counties" beside "countries") stays absent
    (widening those let 3% more off-topic XQuAD questions through, measured)."""
    terms = list(dict.fromkeys(query_terms))
    total = sum(_term_weight(t) for t in terms)
    if not total:
        return Relevance(0.0, 0, 0)
    found = [t for t in terms if t in passage_terms]
    near = [t for t in terms if t in unknown and t not in passage_terms and near_words(t, passage_terms)]
    return Relevance(sum(_term_weight(t) for t in found + near) / total, len(found) + len(near),
                     sum(map(_strong, found)))


def passage_terms(p: Passage) -> set[str]:
    from indexing.analysis import tokenize

    return set(tokenize("\n".join(x for x in (p.title, p.heading or "", p.text) if x)))


def query_terms(query: str) -> list[str]:
    from indexing.analysis import tokenize_query

    return tokenize_query(query)


def best_relevance(query: str, passages: Sequence[Passage], unknown: Collection[str] = ()) -> Relevance:
    terms = query_terms(query)
    scored = [relevance(terms, passage_terms(p), unknown) for p in passages]
    relevant = [r for r in scored if r.relevant]
    pool = relevant or scored
    return max(pool, key=lambda r: (r.coverage, r.strong), default=Relevance(0.0, 0, 0))


def is_relevant(query: str, passages: Sequence[Passage], unknown: Collection[str] = ()) -> bool:
    """Whether any passage plausibly answers `query`; if not, the answer is "not found", without the model.

    BM25 scores are not comparable across questions (they grow with question length and term rarity), so
    the test is term coverage of each of the top passages (see Relevance). Calibration (top 5 hits,
    tests/bench/calibrate_not_found.py, analyzer of indexing.analysis at the time):
    - samples library, 31 answerable questions: 30 answered (the miss: "去上海出差住酒店每晚最多能报多少钱",
      worded differently from the handbook; its page is still the first "nearest passage"); 3/3 unanswerable
      questions and 98.6% of 900 off-topic QA questions (CMRC, DRCD, XQuAD) answered "not found".
    - QA library (half the articles of CMRC 2018, DRCD, XQuAD-en indexed): 98.0% of 900 questions about
      indexed articles answered; 58% of 900 questions about the other half "not found" (same genre,
      overlapping vocabulary: the model's instruction to say so plainly covers the rest).
    A looser rule (coverage >= 0.22 with 2 strong terms) answers all 31 samples but lets 2 of the 3
    unanswerable ones and 57% of the QA negatives through to the model.
    """
    return best_relevance(query, passages, unknown).relevant


# -- follow-ups ---------------------------------------------------------------------------------------------
_FOLLOW_UP_EN = re.compile(r"^\s*(and|also|what about|how about|and what|what if|or|but|then|so)\b", re.I)
_FOLLOW_UP_ZH = re.compile(r"^\s*(那|那么|还有|另外|并且|而且|以及|和|或者|如果)|呢[？?]?\s*$")
_PRONOUNS = re.compile(r"\b(it|they|them|this|that|those|these|he|she|its|their)\b|它|他们|她|这个|那个|这些|那些|其",
                       re.I)


def is_follow_up(question: str) -> bool:
    """A question that leans on the previous one ("and for managers?", "那经理呢？")."""
    if _FOLLOW_UP_EN.search(question) or _FOLLOW_UP_ZH.search(question) or _PRONOUNS.search(question):
        return True
    return len(query_terms(question)) <= 2


def retrieval_queries(question: str, previous: Sequence[str]) -> list[str]:
    """Queries to try, best first: a follow-up is searched together with the last question."""
    if not previous:
        return [question]
    combined = f"{previous[-1]} {question}"
    return [combined, question] if is_follow_up(question) else [question, combined]


# -- pausing background indexing ----------------------------------------------------------------------------
_pause_lock = threading.Lock()
_pause_count: dict[int, int] = {}  # id(library) -> answers streaming now (several conversations may)


@contextlib.contextmanager
def _indexing_paused(library: Any) -> Iterator[None]:
    """Pause the library's indexing while an answer streams; resume when the last answer ends. A pause
    the user (or someone else) set before is left alone."""
    if library is None or not hasattr(library, "pause_indexing"):
        yield
        return
    key = id(library)
    with _pause_lock:
        mine = _pause_count.get(key, 0) > 0 or not library.indexing_paused
        if mine:
            if _pause_count.get(key, 0) == 0:
                library.pause_indexing()
            _pause_count[key] = _pause_count.get(key, 0) + 1
    try:
        yield
    finally:
        if mine:
            with _pause_lock:
                _pause_count[key] -= 1
                if _pause_count[key] == 0:
                    del _pause_count[key]
                    with contextlib.suppress(Exception):
                        library.resume_indexing()


# -- the pipeline -------------------------------------------------------------------------------------------
class Pipeline:
    """Answers questions from a library with a local model. Thread-agnostic: call from any thread.

    `library` may be None (plain assistant). Give `engine`, or `load_engine` to load the model only when
    an answer needs it (a not-found answer does not).
    """

    def __init__(self, library: Any = None, engine: Engine | None = None, *, settings: Settings | None = None,
                 load_engine: Callable[[], Engine] | None = None, pause_indexing: bool = True) -> None:
        self.library = library
        self._engine = engine
        self._load_engine = load_engine
        self.settings = settings or Settings()
        self.pause_indexing = pause_indexing
        self._engine_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                if self._load_engine is None:
                    raise QwenragError("No model is loaded.")
                self._engine = self._load_engine()
            return self._engine

    @property
    def engine_loaded(self) -> bool:
        return self._engine is not None

    def conversation(self) -> Conversation:
        return Conversation(self)

    def ask(self, question: str, **kwargs: Any) -> Iterator[Event]:
        """One question without a conversation (see Conversation.ask for the options)."""
        return Conversation(self).ask(question, **kwargs)

    def answer(self, question: str, **kwargs: Any) -> AnswerResult:
        return Conversation(self).answer(question, **kwargs)

    # -- retrieval ------------------------------------------------------------------------------------
    def library_empty(self) -> bool:
        if self.library is None:
            return True
        try:
            return bool(self.library.is_empty())
        except Exception:
            return False

    def retrieve(self, question: str, previous: Sequence[str], k: int) -> tuple[list[Any], str, bool]:
        """(hits, the query used, relevant?) trying the follow-up-aware queries in order."""
        assert self.library is not None
        nearest: tuple[list[Any], str] | None = None
        for query in retrieval_queries(question, previous):
            hits = list(self.library.search(query, k=k))
            if nearest is None:
                nearest = (hits, query)
            if hits:
                probe = [Passage.from_hit(h, i + 1) for i, h in enumerate(hits)]
                if is_relevant(query, probe, self.library.unknown_words(query)):
                    return hits, query, True
        assert nearest is not None
        return nearest[0], nearest[1], False


class Conversation:
    """A chat: follow-ups see recent turns (for search and in the prompt); numbers stay stable."""

    HISTORY_QUESTIONS = 2  # questions remembered for follow-up retrieval

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.turns: list[HistoryTurn] = []
        self.results: list[AnswerResult] = []
        self._start = 0  # turns before this one no longer fit the prompt (kept out for a stable prefix)
        self._cancel = threading.Event()
        self._generation: Any = None
        self._numbers: dict[int, int] = {}  # chunk id -> passage number in this conversation
        self._next = 1
        self._lock = threading.Lock()  # one answer at a time per conversation

    def reset(self) -> None:
        """A new conversation: no history, numbering from [1] again."""
        self.turns.clear()
        self.results.clear()
        self._numbers.clear()
        self._next = 1
        self._start = 0

    def cancel(self) -> None:
        """Stop the answer being streamed now, from any thread (a Stop button): the model stops within a
        token and the stream ends with Done(result) where result.cancelled is True. Closing the stream
        works too, but only from the thread iterating it."""
        self._cancel.set()
        gen = self._generation
        if gen is not None:
            gen.cancel()

    @property
    def language(self) -> Language:
        return self.turns[-1].language if self.turns else "en"

    def answer(self, question: str, **kwargs: Any) -> AnswerResult:
        """Ask and wait for the whole answer."""
        result: AnswerResult | None = None
        for event in self.ask(question, **kwargs):
            if isinstance(event, Done):
                result = event.result
        assert result is not None
        return result

    def ask(self, question: str, *, k: int | None = None, use_documents: bool | None = None,
            max_tokens: int | None = None, temperature: float | None = None,
            language: str | None = None) -> Iterator[Event]:
        """Stream one answer: Retrieved (unless plain), Token*, then Done. Closing the generator cancels
        (the model stops within a token; the turn is not added to the history)."""
        if not self._lock.acquire(blocking=False):
            raise QwenragError("This conversation is already answering a question.")
        self._cancel.clear()
        try:
            yield from self._ask(question, k, use_documents, max_tokens, temperature, language)
        finally:
            self._generation = None
            self._lock.release()

    def _number(self, hits: Sequence[Any]) -> list[Passage]:
        out = []
        pending = self._next
        for h in hits:
            n = self._numbers.get(h.chunk_id)
            if n is None:
                n = pending
                pending += 1
            out.append(Passage.from_hit(h, n))
        return out

    def _ask(self, question: str, k: int | None, use_documents: bool | None, max_tokens: int | None,
             temperature: float | None, language: str | None) -> Iterator[Event]:
        p = self.pipeline
        s = p.settings
        started = time.perf_counter()
        question = question.strip()
        lang = resolve_language(question, language or s.answer_language, default=self.language)
        k = k or s.top_k
        docs = (s.use_documents if use_documents is None else use_documents) and not p.library_empty()
        max_tokens = max_tokens or s.max_answer_tokens
        temperature = s.temperature if temperature is None else temperature

        retrieval_ms = 0.0
        candidates: list[Passage] = []
        if docs:
            t = time.perf_counter()
            previous = [t_.question for t_ in self.turns[-self.HISTORY_QUESTIONS:]]
            hits, query, relevant = p.retrieve(question, previous, k)
            retrieval_ms = (time.perf_counter() - t) * 1000
            candidates = self._number(hits)
            if not relevant:
                nearest = [Passage.from_hit(h, i + 1) for i, h in enumerate(hits)]
                yield Retrieved(tuple(nearest), False, query, retrieval_ms)
                text = (NOT_FOUND if nearest else NOT_FOUND_EMPTY)[lang]
                yield Token(text)
                result = AnswerResult(
                    question=question, answer=text, found=False, citations=[], sources=nearest,
                    model=p._engine.model if p._engine else None, language=lang, mode="not_found",
                    timings=AnswerTimings(load_s=p._engine.load_s if p._engine else 0.0,
                                          retrieval_ms=retrieval_ms, total_s=time.perf_counter() - started),
                )
                self._remember(HistoryTurn(question, question, text, (), lang), result)
                yield Done(result)
                return

        if not p.engine_loaded:
            yield Status("Loading the model…" if lang == "en" else "正在加载模型…")
        engine = p.engine
        t = time.perf_counter()
        in_view = self.turns[self._start:]
        built = build_prompt(question, candidates, engine, language=lang, history=in_view,
                             max_answer_tokens=max_tokens, use_documents=docs)
        build_ms = (time.perf_counter() - t) * 1000
        if docs:
            yield Retrieved(tuple(built.sources), True, query, retrieval_ms)
        library = p.library if p.pause_indexing else None
        first_token_s = 0.0
        with _indexing_paused(library):  # the answer gets the CPU; parsing workers wait (SIGSTOP)
            gen = engine.generate(built.messages, max_tokens=min(max_tokens, built.answer_reserve),
                                  temperature=temperature)
            self._generation = gen
            if self._cancel.is_set():  # cancelled while searching or fitting the prompt
                gen.cancel()
            try:
                for piece in gen:
                    if not first_token_s:
                        first_token_s = time.perf_counter() - started
                    yield Token(piece)
            finally:
                gen.close()  # also on GeneratorExit: the caller stopped listening, so the model stops
        et = gen.timings or Timings()
        raw = gen.text
        answer = raw.strip()
        visible = built.visible
        citations = extract_citations(answer, visible)
        sources = list(built.sources) if docs else []
        known = {x.n for x in sources}
        sources += [c.passage for c in citations if c.n not in known]  # cited from an earlier turn
        found = docs and not (not citations and _MODEL_SAYS_ABSENT.search(answer))
        timings = AnswerTimings(
            load_s=engine.load_s, retrieval_ms=retrieval_ms, prompt_build_ms=build_ms,
            prompt_tokens=et.prompt_tokens, cached_tokens=et.cached_tokens, ttft_s=et.ttft_s,
            first_token_s=first_token_s, decode_tokens=et.decode_tokens, decode_tok_s=et.decode_tok_s,
            total_s=time.perf_counter() - started, threads=et.threads,
        )
        result = AnswerResult(
            question=question, answer=answer, found=bool(found), citations=citations, sources=sources,
            model=engine.model, timings=timings, language=lang, mode="documents" if docs else "plain",
            cancelled=et.stop_reason == "cancelled" or self._cancel.is_set(), prompt=built,
        )
        if not result.cancelled:
            self._start = len(self.turns) - built.kept_turns
            self._remember(HistoryTurn(question, built.user_content, raw, tuple(built.new_passages), lang),
                           result, built)
        yield Done(result)

    def _remember(self, turn: HistoryTurn, result: AnswerResult, built: BuiltPrompt | None = None) -> None:
        self.turns.append(turn)
        self.results.append(result)
        for passage in turn.passages:
            self._numbers[passage.chunk_id] = passage.n
            self._next = max(self._next, passage.n + 1)
