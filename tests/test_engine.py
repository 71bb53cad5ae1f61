"""The llama.cpp engine: owner thread, streaming, cancel, KV-cache reuse, context limits, thread governor."""

from __future__ import annotations

import gc
import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from qwenrag.engine import Engine, LoadMonitor, ThreadGovernor, Timings
from qwenrag.errors import EngineError, PromptTooLong
from tests.model_fixtures import small_engine  # noqa: F401  (fixture)

STORY = [{"role": "system", "content": "You are a storyteller."},
         {"role": "user", "content": "Tell a very long story about a dragon and a knight."}]


# -- governor (no model) ----------------------------------------------------------------------------------
class _Monitor:
    def __init__(self, other: float, available: bool = True) -> None:
        self.other = other
        self.available = available

    def other_cores(self) -> float:
        return self.other

    def close(self) -> None:
        pass


def test_governor_start_threads_follows_other_load() -> None:
    assert ThreadGovernor(4, monitor=_Monitor(0.0)).start_threads() == 4
    assert ThreadGovernor(4, monitor=_Monitor(0.2)).start_threads() == 4
    assert ThreadGovernor(4, monitor=_Monitor(1.0)).start_threads() == 3
    assert ThreadGovernor(2, monitor=_Monitor(1.0)).start_threads() == 1
    assert ThreadGovernor(2, monitor=_Monitor(5.0)).start_threads() == 1
    assert ThreadGovernor(2, adaptive=False, monitor=_Monitor(5.0)).start_threads() == 2
    assert ThreadGovernor(2, monitor=_Monitor(5.0, available=False)).start_threads() == 2


def test_governor_follows_the_monitor_while_decoding() -> None:
    mon = _Monitor(0.0)
    gov = ThreadGovernor(2, monitor=mon)
    s = gov.session(2)
    assert all(s.token(0.01) is None for _ in range(10))
    mon.other = 1.0  # a competitor starts
    changes = [s.token(0.01) for _ in range(gov.MONITOR_EVERY)]
    assert 1 in changes and s.threads == 1
    assert all(s.token(0.02) is None for _ in range(3 * gov.MONITOR_EVERY))  # no probing while it runs
    mon.other = 0.0  # it stops
    changes = [s.token(0.02) for _ in range(gov.MONITOR_EVERY)]
    assert 2 in changes and s.threads == 2  # probe ...
    assert [s.token(0.01) for _ in range(4)] == [None] * 4 and s.threads == 2  # ... kept: faster


def test_governor_without_monitor_drops_on_slow_tokens_and_backs_off() -> None:
    gov = ThreadGovernor(2, monitor=_Monitor(0.0, available=False))
    s = gov.session(2)
    assert all(s.token(0.01) is None for _ in range(8))  # learns 10 ms/token at 2 threads
    changes = [s.token(0.2) for _ in range(4)]  # a competitor: 20x slower
    assert 1 in changes and s.threads == 1
    n = 0
    while s.threads == 1 and n < gov.PROBE_EVERY + 4:
        s.token(0.02)
        n += 1
    assert s.threads == 2 and n >= gov.PROBE_EVERY - 4  # tries one more thread after a while ...
    back = [s.token(0.2) for _ in range(4)]  # ... still contended: slower, back to 1
    assert back[-1] == 1 and s.threads == 1
    assert s.probe_every == 2 * gov.PROBE_EVERY  # and waits longer before the next try
    assert all(s.token(0.02) is None for _ in range(gov.PROBE_EVERY + 4))


def test_load_monitor_reports_other_processes() -> None:
    mon = LoadMonitor()
    try:
        if not mon.available:
            pytest.skip("no CPU statistics on this platform")
        time.sleep(1.2)
        assert 0.0 <= mon.other_cores() < 64
    finally:
        mon.close()


def test_timings_json_shape() -> None:
    assert set(Timings().to_json()) == {"load_s", "prompt_tokens", "ttft_s", "decode_tokens", "decode_tok_s"}


# -- the real engine --------------------------------------------------------------------------------------


@pytest.mark.model
def test_generate_streams_text_with_timings(small_engine: Engine) -> None:  # noqa: F811
    gen = small_engine.generate([{"role": "user", "content": "Say hello."}], max_tokens=16, temperature=0)
    pieces = list(gen)
    t = gen.timings
    assert t is not None and pieces and "".join(pieces) == gen.text
    assert t.decode_tokens >= 1 and t.prompt_total > 0 and t.ttft_s > 0 and t.load_s > 0
    assert t.stop_reason in ("stop", "length") and 1 <= t.threads <= small_engine.max_threads
    assert "<|im_end|>" not in gen.text


@pytest.mark.model
def test_usable_from_many_threads(small_engine: Engine) -> None:  # noqa: F811
    out: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            assert small_engine.count_tokens(f"thread number {i}") > 0
            out[i] = small_engine.complete([{"role": "user", "content": f"Count to {i}."}], max_tokens=8)[0]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and sorted(out) == [0, 1, 2, 3]


@pytest.mark.model
def test_cancel_stops_within_a_token_or_two(small_engine: Engine) -> None:  # noqa: F811
    gen = small_engine.generate(STORY, max_tokens=400, temperature=0.7)
    seen = 0
    for _piece in gen:
        seen += 1
        if seen == 5:
            threading.Thread(target=gen.cancel).start()  # the Stop button, on another thread
            break
    gen.close()
    t = gen.timings
    assert t is not None and t.stop_reason == "cancelled"
    assert t.decode_tokens <= seen + 2
    assert t.tokens_after_cancel <= 1


@pytest.mark.model
def test_abandoned_generation_stops_the_engine(small_engine: Engine) -> None:  # noqa: F811
    gen = small_engine.generate(STORY, max_tokens=400, temperature=0.7)
    next(gen)
    del gen
    gc.collect()
    deadline = time.monotonic() + 5
    while not small_engine.idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert small_engine.idle


@pytest.mark.model
def test_cancel_during_a_long_prompt(small_engine: Engine) -> None:  # noqa: F811
    long = [{"role": "user", "content": "Summarize: " + "the quick brown fox jumps over the lazy dog. " * 150}]
    gen = small_engine.generate(long, max_tokens=50)
    gen.cancel()
    assert list(gen) == []
    assert gen.timings is not None and gen.timings.stop_reason == "cancelled"


@pytest.mark.model
def test_follow_up_reuses_the_kv_cache(small_engine: Engine) -> None:  # noqa: F811
    system = {"role": "system", "content": "Answer from the passages. " + "Passage: the office opens at 9. " * 40}
    first = [system, {"role": "user", "content": "When does the office open?"}]
    answer, t1 = small_engine.complete(first, max_tokens=24, temperature=0)
    follow = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "And close?"}]
    _answer2, t2 = small_engine.complete(follow, max_tokens=8, temperature=0)
    assert t1.prompt_tokens > 200
    assert t2.cached_tokens >= t1.prompt_total - 1  # the whole first prompt was reused ...
    assert t2.prompt_tokens < 40  # ... only the answer's end and the new question were evaluated
    assert t2.prompt_tokens + t2.cached_tokens == t2.prompt_total


@pytest.mark.model
def test_prompt_longer_than_the_context_is_refused(small_engine: Engine) -> None:  # noqa: F811
    huge = [{"role": "user", "content": "word " * (small_engine.n_ctx + 100)}]
    gen = small_engine.generate(huge, max_tokens=10)
    with pytest.raises(PromptTooLong):
        list(gen)
    assert small_engine.complete([{"role": "user", "content": "hi"}], max_tokens=4)[1].decode_tokens >= 1


@pytest.mark.model
def test_answer_is_cut_at_the_end_of_the_context() -> None:
    from tests.model_fixtures import demo_model

    with Engine(demo_model(), n_ctx=256) as engine:  # a small context: quick to fill
        messages = [{"role": "user", "content": "word " * 220}]
        total = engine.prompt_token_count(messages)
        assert total < 256
        _text, t = engine.complete(messages, max_tokens=500, temperature=0.8)
        assert t.stop_reason in ("stop", "length")
        assert t.decode_tokens <= 256 - total
        assert t.prompt_total + t.decode_tokens <= 256


@pytest.mark.model
def test_tokenizer_calls_are_served_while_generating(small_engine: Engine) -> None:  # noqa: F811
    gen = small_engine.generate(STORY, max_tokens=300, temperature=0.7)
    next(gen)
    started = time.perf_counter()
    assert small_engine.count_tokens("hello there") >= 2
    waited = time.perf_counter() - started
    assert not gen._done  # still generating: the call was served between two tokens
    gen.close()
    assert waited < 2.0


@pytest.mark.model
def test_chinese_text_streams_as_whole_characters(small_engine: Engine) -> None:  # noqa: F811
    msgs = [{"role": "user", "content": "请重复这句话：病假需要医院证明。"}]
    text, _t = small_engine.complete(msgs, max_tokens=40, temperature=0)
    assert "\ufffd" not in text
    assert small_engine.detokenize(small_engine.tokenize("病假需要医院证明")) == "病假需要医院证明"
    assert small_engine.truncate("病假需要医院证明。" * 20, 10) != ""
    assert small_engine.count_tokens(small_engine.truncate("病假需要医院证明。" * 20, 10)) <= 10


def test_closed_engine_refuses_work() -> None:
    from tests.model_fixtures import demo_model

    engine = Engine(demo_model(), n_ctx=256)
    engine.close()
    with pytest.raises(EngineError):
        engine.generate([{"role": "user", "content": "hi"}])
    with pytest.raises(EngineError):
        engine.count_tokens("hi")


# -- Stop and close during prompt evaluation ----------------------------------------------------------------
LONG_PROMPT_TOKENS = 2000


def _long_messages(engine: Engine, tokens: int = LONG_PROMPT_TOKENS) -> list[dict[str, str]]:
    """A chat whose prompt is about `tokens` tokens (checked with the model's own tokenizer)."""
    filler = "The committee reviewed the annual budget, the staffing plan and the office lease. "
    reps = tokens // engine.count_tokens(filler)
    while True:  # repetitions tokenize a little shorter than one alone: add until there
        messages = [{"role": "user", "content": "Summarize: " + filler * reps}]
        if engine.prompt_token_count(messages) >= tokens:
            return messages
        reps += 1


def _wait_until_evaluating(engine: Engine) -> None:
    deadline = time.monotonic() + 30
    while engine._active is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert engine._active is not None
    time.sleep(0.3)  # well inside the prompt: a 2,000-token batch takes seconds on the demo model


@pytest.fixture(scope="module")
def one_batch_engine() -> Iterator[Engine]:
    """The whole 2,000-token prompt in ONE llama_decode call: cancel checks between batches never run,
    so only the abort inside llama.cpp can stop it early."""
    from tests.model_fixtures import demo_model

    engine = Engine(demo_model(), n_ctx=4096, n_batch=4096)
    yield engine
    engine.close()


@pytest.mark.model
def test_stop_aborts_prompt_evaluation_and_frees_the_model(one_batch_engine: Engine) -> None:
    engine = one_batch_engine
    question = [{"role": "user", "content": "Say hello."}]
    before, _t = engine.complete(question, max_tokens=8, temperature=0)
    gen = engine.generate(_long_messages(engine), max_tokens=50)
    _wait_until_evaluating(engine)
    stopped_at = time.perf_counter()
    gen.cancel()  # the Stop button
    follow = engine.generate(question, max_tokens=8, temperature=0)  # the next question, queued behind
    assert list(gen) == []
    freed_after = time.perf_counter() - stopped_at
    t = gen.timings
    assert t is not None and t.stop_reason == "cancelled"
    assert t.prompt_tokens == 0 and t.prompt_total >= LONG_PROMPT_TOKENS - 100  # aborted inside the batch
    # The model is usable at once and its cache was not left half-written: the same answer as before.
    assert "".join(follow) == before
    assert follow.timings is not None and follow.timings.stop_reason in ("stop", "length")
    assert freed_after < 5.0  # (the 0.5 s bar is measured in tests/bench/bench_gui.py, not timed here)


@pytest.mark.model
def test_close_aborts_a_prompt_being_evaluated() -> None:
    from tests.model_fixtures import demo_model

    engine = Engine(demo_model(), n_ctx=4096, n_batch=4096)
    gen = engine.generate(_long_messages(engine), max_tokens=50)
    queued = engine.generate([{"role": "user", "content": "hi"}], max_tokens=50)
    _wait_until_evaluating(engine)
    assert engine.close(timeout=10.0)  # the owner thread ended
    assert list(gen) == []
    assert gen.timings is not None and gen.timings.prompt_tokens == 0  # aborted, not finished
    assert list(queued) == []  # what was queued behind is dropped, not evaluated
    assert queued.timings is not None and queued.timings.stop_reason == "cancelled"
    assert queued.timings.prompt_tokens == 0


def test_abort_flag_is_read_without_python() -> None:
    """The abort callback is C strlen on a byte buffer: 0 while running, 1 once set."""
    pytest.importorskip("llama_cpp")
    from qwenrag.engine import _AbortFlag, llama_module

    flag = _AbortFlag(llama_module())
    assert flag.native
    assert flag.callback(flag.data) is False
    flag.set()
    assert flag.callback(flag.data) is True and flag.is_set()
    flag.clear()
    assert flag.callback(flag.data) is False


@pytest.mark.model
def test_the_between_tokens_hook_also_runs_while_a_prompt_is_read(one_batch_engine: Engine) -> None:
    """A prompt is read in batches of up to 512 tokens, seconds on two cores, and nothing between tokens
    ran meanwhile: the window's GUI thread could not get the model thread's core back until the first token.
    While a prompt is read the abort check is a Python callback that also calls `between_tokens`, at most
    every HOOK_EVERY_S; generation keeps the native check (its hook runs once per token); Stop still aborts
    inside the batch."""
    from qwenrag import engine as engine_module

    engine = one_batch_engine
    flag = engine._abort
    assert flag is not None
    calls: list[tuple[float, str, bool]] = []  # when, on which thread, from inside llama_decode
    engine.between_tokens = lambda: calls.append(
        (time.perf_counter(), threading.current_thread().name, getattr(flag, "hook", None) is not None))
    try:
        started = time.perf_counter()
        gen = engine.generate(_long_messages(engine), max_tokens=6, temperature=0)
        assert list(gen)
        t = gen.timings
        assert t is not None and t.prompt_tokens >= LONG_PROMPT_TOKENS - 100  # read in one batch
        reading = [at for at, _name, inside in calls if inside]
        assert reading, "not called while the prompt was read"
        # all through a read that took seconds, not once: from its first quarter to its last
        read_from, read_to = started, started + t.prompt_s  # (prompt_s: from the request to the first token)
        quarter = (read_to - read_from) / 4
        assert len(reading) >= 20 and reading[0] < read_from + quarter and reading[-1] > read_to - quarter
        gaps = [b - a for a, b in itertools.pairwise(reading)]
        assert min(gaps) >= engine_module.HOOK_EVERY_S * 0.9
        assert {name for _at, name, _inside in calls} == {"qwenrag-llama"}  # on the model's own thread
        assert len(calls) - len(reading) <= t.decode_tokens  # tokens: once each, not per node
        calls.clear()
        engine.reset_cache()  # else the same prompt is not read again
        gen = engine.generate(_long_messages(engine), max_tokens=50)
        deadline = time.monotonic() + 30
        while not calls and time.monotonic() < deadline:
            time.sleep(0.005)
        assert calls and all(inside for _at, _name, inside in calls)  # the hooked check is installed
        gen.cancel()
        assert list(gen) == []
        assert gen.timings is not None and gen.timings.prompt_tokens == 0  # aborted inside the batch
    finally:
        engine.between_tokens = None
    assert getattr(flag, "hook", None) is None  # the native check is back for the next answer
