"""Question -> evidence (qwenrag.evidence: passages, relevance, quotes) -> answer (prompt, model, backing
check: qwenrag.backing) -> events for the command line and the window.

    pipeline = Pipeline(library, engine)                 # or load_engine=... to load the model lazily
    for event in pipeline.ask("病假需要什么证明？"):       # any thread; close the generator to cancel
        match event:
            case Retrieved(sources=s, quotes=q): the quotes and numbered sources, before the model loads
            case Token(text=t):        append t (what the model writes)
            case Done(result=r):       r.answer, r.grounded, r.quotes, r.citations, r.found, r.timings ...

The answer presented (`r.answer`) is the model's text only when qwenrag.backing finds it backed by the
passages it cites and the model is not the small demo model; otherwise it is the best quote, verbatim, with
its [n] (`r.model_text` keeps what the model wrote).

    conv = pipeline.conversation()                       # follow-ups: conv.ask("and for managers?")
    conv.cancel()                                        # from any thread: stop the current answer
    conv.reset()                                         # a new conversation starts clean

Not found: when no passage is relevant enough (see qwenrag.evidence), the answer is a fixed sentence in the
user's language, the model is not called, and the nearest passages are returned as `sources`.
With an empty library, or `use_documents=False`, it is a plain local assistant.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from qwenrag.backing import check
from qwenrag.citations import Citation, Passage, extract_citations
from qwenrag.engine import Engine, Timings
from qwenrag.errors import QwenragError
from qwenrag.evidence import EXCERPT_BUDGET, Evidence, Quote, excerpts, gather
from qwenrag.language import Language, resolve_language
from qwenrag.models import ModelInfo
from qwenrag.prompt import MAX_PASSAGES, BuiltPrompt, HistoryTurn, build_prompt
from qwenrag.settings import Settings

Mode = Literal["documents", "not_found", "plain", "quotes"]

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
    quotes: list[Quote] = field(default_factory=list)  # verbatim sentences that answer it, best first
    grounded: bool | None = None  # the model's answer was backed by its passages (None: no model answer)
    model_text: str | None = None  # what the model wrote (None: no model); `answer` is what is presented

    def to_json(self) -> dict[str, Any]:
        """`qwenrag ask --json`: a contract checked from outside."""
        return {
            "answer": self.answer,
            "found": self.found,
            "quotes": [q.to_json() for q in self.quotes],
            "grounded": self.grounded,
            "model_answer": self.model_text,
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
    quotes: tuple[Quote, ...] = ()  # the documents' own words that answer it, best first (found only)
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


def quote_answer(quotes: Sequence[Quote]) -> str:
    """The documents' own words as the answer: the best quote, verbatim, with its [n]."""
    return f"{quotes[0].text} [{quotes[0].n}]" if quotes else ""


def quote_citations(answer: str, quotes: Sequence[Quote]) -> list[Citation]:
    return extract_citations(answer, [q.passage for q in quotes])


# A turn whose conversation already shows passages to the model gets this share of the excerpt budget for
# its new ones: the earlier passages stay in the prompt (and in the KV cache), and every new token is read
# before the follow-up's first word. Chosen on the calibration split by tests/bench/bench_followup_diet.py
# (--pairs 80) with EXCERPT_BUDGET 480 and EXCERPT_FLOOR 0.6: 0.45, i.e. the same 216 as before the floor
# (x0.986 / 0.986 / 0.984 of the whole budget's recall on CMRC / DRCD / XQuAD; 0.4: CMRC x0.971, no margin;
# evaluation at 0.45: 1.000 / 1.000 / 1.000). With budget 360 and no floor it was 0.6.
FOLLOW_UP_SHARE = 0.45


def prompt_excerpts(question: str, query: str, candidates: Sequence[Passage],
                    budget: float = EXCERPT_BUDGET) -> dict[int, str]:
    """Passage number -> what the model reads of it (the prompt on a diet, see qwenrag.prompt): the
    question-focused part of the best MAX_PASSAGES passages, scored with the search query (a follow-up's
    own words weigh double)."""
    best = list(candidates)[:MAX_PASSAGES]
    by_chunk = excerpts(query, best, focus=question if query != question else "", budget=budget)
    return {p.n: by_chunk[p.chunk_id] for p in best if p.chunk_id in by_chunk}


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

    def evidence(self, question: str, previous: Sequence[str] = (), k: int | None = None) -> Evidence:
        """What the documents say (passages, relevance, quotes): qwenrag.evidence.gather on this library."""
        assert self.library is not None
        return gather(self.library, question, previous, k or self.settings.top_k)


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
            language: str | None = None, use_model: bool = True) -> Iterator[Event]:
        """Stream one answer: Retrieved with the quotes (unless plain), Token*, then Done. Closing the
        generator cancels (the model stops within a token; the turn is not added to the history).
        `use_model=False`: quotes or not-found only; no model is loaded."""
        if not self._lock.acquire(blocking=False):
            raise QwenragError("This conversation is already answering a question.")
        self._cancel.clear()
        try:
            yield from self._ask(question, k, use_documents, max_tokens, temperature, language, use_model)
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
            out.append(h.numbered(n))
        return out

    def _ask(self, question: str, k: int | None, use_documents: bool | None, max_tokens: int | None,
             temperature: float | None, language: str | None, use_model: bool) -> Iterator[Event]:
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
        focused: dict[int, str] | None = None
        quotes: tuple[Quote, ...] = ()
        query = question
        if docs:
            previous = [t_.question for t_ in self.turns[-self.HISTORY_QUESTIONS:]]
            ev = p.evidence(question, previous, k)
            retrieval_ms, query = ev.retrieval_ms, ev.query
            if not ev.found:
                yield from self._not_found(question, ev, lang, started)
                return
            candidates = self._number(ev.passages)
            by_chunk = {c.chunk_id: c for c in candidates}
            quotes = tuple(Quote(by_chunk[q.passage.chunk_id], q.start, q.end, q.score) for q in ev.quotes)
            # The documents' own words first: shown before the model is loaded or has read a token.
            yield Retrieved(tuple(candidates), True, query, retrieval_ms, quotes)
            if not use_model:
                yield from self._quotes_only(question, candidates, quotes, lang, retrieval_ms, started)
                return
            # Passages the model already read in this conversation are referred to, not shown again:
            # the excerpt budget goes to the new ones only.
            shown = {x.chunk_id for t in self.turns[self._start:] for x in t.passages}
            fresh = [c for c in candidates[:MAX_PASSAGES] if c.chunk_id not in shown]
            focused = prompt_excerpts(question, query, fresh, EXCERPT_BUDGET * (FOLLOW_UP_SHARE if shown else 1.0))

        if not p.engine_loaded:
            yield Status("Loading the model…" if lang == "en" else "正在加载模型…")
        engine = p.engine
        t = time.perf_counter()
        in_view = self.turns[self._start:]
        built = build_prompt(question, candidates, engine, language=lang, history=in_view,
                             max_answer_tokens=max_tokens, use_documents=docs, excerpts=focused)
        build_ms = (time.perf_counter() - t) * 1000
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
        model_text = raw.strip()
        visible = built.visible
        citations = extract_citations(model_text, visible)
        sources = list(built.sources) if docs else []
        known = {x.n for x in sources}
        sources += [c.passage for c in citations if c.n not in known]  # cited from an earlier turn
        answer, grounded = model_text, None
        found = docs
        if docs:
            # The model's words are the answer only where the passages back them; else the quotes are.
            backing = check(model_text, question, [c.passage for c in citations] or sources)
            grounded = backing.grounded
            if not citations and _MODEL_SAYS_ABSENT.search(model_text):
                grounded = None  # the model says the passages lack it: the quotes stand alone
            if not grounded or engine.model.demo:
                answer = quote_answer(quotes)
                citations = quote_citations(answer, quotes)
            elif not citations and backing.support:  # backed but unmarked: name the passage it stands on
                answer = f"{model_text} [{backing.support[0]}]"
                citations = extract_citations(answer, visible)
            found = bool(quotes) or bool(grounded)
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
            quotes=list(quotes), grounded=grounded, model_text=model_text,
        )
        if not result.cancelled:
            self._start = len(self.turns) - built.kept_turns
            self._remember(HistoryTurn(question, built.user_content, raw, tuple(built.new_passages), lang),
                           result, built)
        yield Done(result)

    def _not_found(self, question: str, ev: Evidence, lang: Language, started: float) -> Iterator[Event]:
        p = self.pipeline
        nearest = list(ev.passages)
        yield Retrieved(tuple(nearest), False, ev.query, ev.retrieval_ms)
        text = (NOT_FOUND if nearest else NOT_FOUND_EMPTY)[lang]
        yield Token(text)
        result = AnswerResult(
            question=question, answer=text, found=False, citations=[], sources=nearest,
            model=p._engine.model if p._engine else None, language=lang, mode="not_found",
            timings=AnswerTimings(load_s=p._engine.load_s if p._engine else 0.0,
                                  retrieval_ms=ev.retrieval_ms, total_s=time.perf_counter() - started),
        )
        self._remember(HistoryTurn(question, question, text, (), lang), result)
        yield Done(result)

    def _quotes_only(self, question: str, candidates: list[Passage], quotes: tuple[Quote, ...], lang: Language,
                     retrieval_ms: float, started: float) -> Iterator[Event]:
        """No model (`ask --no-model`): the quotes are the answer."""
        answer = quote_answer(quotes)  # no Token: the quotes were in Retrieved; the answer is in Done
        result = AnswerResult(
            question=question, answer=answer, found=True, citations=quote_citations(answer, quotes),
            sources=candidates, model=None, language=lang, mode="quotes", quotes=list(quotes),
            timings=AnswerTimings(retrieval_ms=retrieval_ms, total_s=time.perf_counter() - started),
        )
        # Remembered for follow-ups (their search leans on this question); the prompt history gets no turn
        # text from a model, so the quoted passages are not marked as shown to one.
        self._remember(HistoryTurn(question, question, answer, (), lang), result)
        yield Done(result)

    def _remember(self, turn: HistoryTurn, result: AnswerResult, built: BuiltPrompt | None = None) -> None:
        self.turns.append(turn)
        self.results.append(result)
        for passage in turn.passages:
            self._numbers[passage.chunk_id] = passage.n
            self._next = max(self._next, passage.n + 1)
