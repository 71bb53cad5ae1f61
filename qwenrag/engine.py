"""The llama.cpp engine: one owner thread holds the `Llama` object; any thread may ask it for work.

    engine = Engine(find_model(), n_ctx=4096)          # loads now; ModelError if the file is unusable
    gen = engine.generate(messages, max_tokens=256)    # from any thread
    for piece in gen:                                  # text pieces as they are decoded
        ...
    gen.timings                                        # load_s, prompt_tokens, ttft_s, decode_tok_s, ...
    gen.close()                                        # or just stop iterating: generation stops
    engine.close()

Why one thread: a `Llama` object (its context, KV cache and batch) is not thread-safe, and the window
calls from Qt worker threads. Requests travel to the owner thread through a queue; pieces come back
through a per-request queue. Closing or dropping a `Generation` sets its cancel flag, which the owner
thread checks after every token and between prompt batches, so it stops within a token.

Stop is immediate also while a long prompt is evaluated: cancelling sets a byte that llama.cpp reads
after every graph node (its abort callback, see `_AbortFlag`), so a running `llama_decode` returns within
milliseconds and the model is free for the next request. `close()` aborts whatever runs and waits only
briefly.

Follow-ups reuse the KV cache: `Llama.generate` keeps the longest common token prefix of the previous
prompt+answer and the new prompt, so a follow-up whose prompt starts with the previous turn's prompt and
answer (the prompt builder keeps them byte-identical) only evaluates the new tail. `prompt_tokens` counts
tokens actually evaluated; `cached_tokens` those reused.

Threads: see `ThreadGovernor`. llama.cpp's CPU worker threads meet at a barrier after every graph node
(hundreds per token) and spin-wait there. When another busy process takes one of the cores, the partner
thread is descheduled for whole time slices while the other spins, and decode collapses (measured here,
SmolLM2, 2 threads on 2 cores: ~100 tokens/s idle, 3-20 with one busy process). One thread never waits at
a barrier: it keeps ~51-57 tokens/s with or without the competitor. So the governor runs all physical
cores when they are free and fewer (down to one) while other processes keep cores busy; and libgomp is
told to spin only briefly before sleeping (GOMP_SPINCOUNT=2000: same ~100 tokens/s idle, 2-4x better
than the default while a competitor appears mid-answer, before the governor reacts). It must be in the
environment before libgomp loads, so llama_cpp is imported through `llama_module()`.

One thread drives llama.cpp per process, also for speed: while a second thread that has run llama.cpp
is alive, libgomp sees more threads than cores and throttles its spinning, and decode falls from ~100 to
~38 tokens/s (measured). Close an Engine before loading another.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import itertools
import os
import queue
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from qwenrag.errors import EngineError, ModelError, PromptTooLong
from qwenrag.models import GGUFHeader, ModelInfo, find_model, validate_model

DEFAULT_N_CTX = 4096  # Qwen2.5-0.5B: ~50 MB of KV cache; room for 5 passages, history and an answer
DEFAULT_N_BATCH = 512
Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
StopReason = Literal["stop", "length", "cancelled", "error"]

# Spin briefly at OpenMP barriers, then sleep (see the module docstring). A user's own setting wins.
OMP_ENV = {"GOMP_SPINCOUNT": "2000"}
# While a prompt is read, Engine.between_tokens is also called from inside llama_decode, at most this often,
# for batches of at least this many tokens (see _AbortFlag.reading).
HOOK_EVERY_S = 0.002
HOOK_MIN_TOKENS = 16


def llama_module() -> Any:
    """Import llama_cpp lazily, with the OpenMP environment set first (libgomp reads it when it loads)."""
    if "llama_cpp" not in sys.modules:
        for key, value in OMP_ENV.items():
            os.environ.setdefault(key, value)
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError("llama-cpp-python is not installed, so no model can run.", str(exc)) from exc
    return llama_cpp


def physical_cores() -> int:
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
        if n:
            return int(n)
    except ImportError:
        pass
    return max(1, (os.cpu_count() or 2) // 2) if (os.cpu_count() or 1) > 2 else (os.cpu_count() or 1)


def _has_amx(llama_cpp: Any) -> bool:
    try:
        info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    except Exception:  # an old binding without it: assume no AMX
        return False
    return "AMX_INT8 = 1" in info


# -- timings ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timings:
    load_s: float = 0.0  # loading the model (once per engine)
    prompt_tokens: int = 0  # prompt tokens evaluated for this answer (not reused from the KV cache)
    cached_tokens: int = 0  # prompt tokens reused from the previous turn's KV cache
    prompt_total: int = 0  # the whole prompt
    ttft_s: float = 0.0  # from the request to the first answer token
    prompt_s: float = 0.0  # evaluating the prompt (part of ttft_s)
    decode_tokens: int = 0  # tokens generated
    decode_s: float = 0.0  # from the first token to the last
    decode_tok_s: float = 0.0  # (decode_tokens - 1) / decode_s
    threads: int = 0  # decode threads at the end
    thread_changes: int = 0  # times the governor changed the thread count mid-answer
    stop_reason: StopReason = "stop"
    tokens_after_cancel: int = 0  # tokens decoded after the cancel flag was seen set (0 or 1 expected)

    def to_json(self) -> dict[str, Any]:
        return {
            "load_s": round(self.load_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "ttft_s": round(self.ttft_s, 4),
            "decode_tokens": self.decode_tokens,
            "decode_tok_s": round(self.decode_tok_s, 2),
        }


# -- thread governor --------------------------------------------------------------------------------------
class LoadMonitor:
    """CPU time other processes use, in cores, sampled in the background twice a second.

    other = (all CPU busy time - this process's CPU time) / wall time. Cheap: two small reads per sample.
    """

    INTERVAL = 0.5

    def __init__(self) -> None:
        self._other = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sample = self._sampler()
        self._thread: threading.Thread | None = None
        if self._sample is not None:
            self._thread = threading.Thread(target=self._run, name="qwenrag-load", daemon=True)
            self._thread.start()

    @staticmethod
    def _sampler() -> Callable[[], tuple[float, float]] | None:
        """A function returning (system busy CPU seconds, own CPU seconds), or None if unsupported."""
        try:
            import psutil
        except ImportError:
            psutil = None  # type: ignore[assignment]
        if psutil is not None:
            proc = psutil.Process()

            def sample() -> tuple[float, float]:
                t = psutil.cpu_times()
                busy = sum(getattr(t, k, 0.0) for k in ("user", "nice", "system", "irq", "softirq", "steal"))
                own = proc.cpu_times()
                return busy, own.user + own.system

            return sample
        if os.path.exists("/proc/stat"):
            tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

            def sample_proc() -> tuple[float, float]:
                with open("/proc/stat", encoding="ascii") as f:
                    parts = f.readline().split()
                user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[1:9])
                t = os.times()
                return (user + nice + system + irq + softirq + steal) / tick, t.user + t.system

            return sample_proc
        return None

    def _run(self) -> None:
        assert self._sample is not None
        try:
            prev, t_prev = self._sample(), time.monotonic()
        except Exception:
            return
        while not self._stop.wait(self.INTERVAL):
            try:
                cur, t_cur = self._sample(), time.monotonic()
            except Exception:
                return
            wall = t_cur - t_prev
            if wall > 0:
                other = max(0.0, ((cur[0] - prev[0]) - (cur[1] - prev[1])) / wall)
                with self._lock:  # a short average: react within a second, ignore one odd sample
                    self._other = 0.5 * self._other + 0.5 * other
            prev, t_prev = cur, t_cur

    @property
    def available(self) -> bool:
        return self._thread is not None

    def other_cores(self) -> float:
        with self._lock:
            return self._other

    def close(self) -> None:
        self._stop.set()


class ThreadGovernor:
    """Chooses llama.cpp's thread count so that decode survives competing processes.

    - At the start of each answer: max_threads minus the cores other processes kept busy in the last
      second or so (LoadMonitor, rounded), at least 1. Prompt processing and decode both use it.
    - While decoding, every MONITOR_EVERY tokens: fewer threads at once if other load appeared; one more
      (a probe) if it went away.
    - Also while decoding: if tokens get SLOW times slower than this engine's best at the current count,
      drop one thread (covers platforms without CPU statistics and load the monitor has not seen yet).
      Without a monitor, probe one more thread every PROBE_EVERY tokens, backing off after each failure.
    A probe is kept unless tokens got slower than before it.
    """

    WINDOW = 4  # tokens per measurement
    SLOW = 2.5  # "much slower" than the best seen at this thread count
    MONITOR_EVERY = 8
    PROBE_EVERY = 48

    def __init__(self, max_threads: int, adaptive: bool = True, monitor: LoadMonitor | None = None) -> None:
        self.max_threads = max(1, max_threads)
        self.adaptive = adaptive and self.max_threads > 1
        self.monitor = monitor if monitor is not None else (LoadMonitor() if self.adaptive else None)
        self.best: dict[int, float] = {}  # threads -> fastest median seconds/token seen

    @property
    def monitored(self) -> bool:
        return self.monitor is not None and self.monitor.available

    def start_threads(self) -> int:
        if not self.adaptive or not self.monitored:
            return self.max_threads
        assert self.monitor is not None
        busy = self.monitor.other_cores()
        return max(1, min(self.max_threads, self.max_threads - int(busy + 0.4)))

    def session(self, threads: int) -> _GovernorSession:
        return _GovernorSession(self, threads)

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()


class _GovernorSession:
    """Per-answer state: token times at the current count, probing."""

    def __init__(self, gov: ThreadGovernor, threads: int) -> None:
        self.gov = gov
        self.threads = threads
        self.times: deque[float] = deque(maxlen=gov.WINDOW)
        self.count = 0
        self.since_change = 0
        self.probing_from: int | None = None  # thread count before a probe, if probing
        self.probe_base: float = 0.0
        self.probe_every = gov.PROBE_EVERY
        self.changes = 0

    def token(self, seconds: float) -> int | None:
        """Record one token's time; return a new thread count when it should change."""
        gov = self.gov
        self.times.append(seconds)
        self.count += 1
        self.since_change += 1
        if not gov.adaptive:
            return None
        if gov.monitored and self.count % gov.MONITOR_EVERY == 0 and self.probing_from is None:
            target = gov.start_threads()
            if target < self.threads:
                return self._change(target)
            if target > self.threads and self.since_change >= 2 * gov.WINDOW and len(self.times) == gov.WINDOW:
                return self._probe()
        if len(self.times) < gov.WINDOW:
            return None
        median = statistics.median(self.times)
        best = gov.best.get(self.threads)
        if best is None or median < best:
            gov.best[self.threads] = median
            best = median
        if self.probing_from is not None:  # a probe with one more thread: keep it unless slower
            base, self.probing_from = self.probing_from, None
            if median > self.probe_base * 1.05:
                self.probe_every *= 2
                return self._change(base)
            return None
        if self.threads > 1 and median > gov.SLOW * best:
            return self._change(self.threads - 1)
        if not gov.monitored and self.threads < gov.max_threads and self.since_change >= self.probe_every:
            return self._probe()
        return None

    def _probe(self) -> int:
        self.probing_from, self.probe_base = self.threads, statistics.median(self.times)
        return self._change(self.threads + 1)

    def _change(self, threads: int) -> int:
        self.threads = threads
        self.times.clear()
        self.since_change = 0
        self.changes += 1
        return threads


# -- aborting llama_decode -------------------------------------------------------------------------------
class _AbortFlag:
    """A byte llama.cpp polls to abort a running `llama_decode` (prompt evaluation included).

    llama.cpp's CPU backend calls the context's abort callback after every graph node: hundreds of times
    per token. A Python callback would take the GIL each time, which costs decode speed and, while another
    Python thread holds the GIL (the window, indexing), waits up to the switch interval (5 ms) per node.
    So the callback is the C library's `strlen` on a two-byte buffer that stays NUL-terminated: it returns
    0 while running and 1 once set, and a 0/1 return read as C `bool` is exactly the flag. No Python runs
    inside llama.cpp while it generates. Where `strlen` cannot be found, a Python callback does the same job.
    While a prompt batch is read with a between-tokens hook set (the window's), the callback is Python, to
    call the hook too (see reading()): a batch's nodes take milliseconds, not microseconds.
    """

    def __init__(self, llama_cpp: Any) -> None:
        self._buf = ctypes.create_string_buffer(2)  # b"\0\0": not aborted
        self.data = ctypes.cast(self._buf, ctypes.c_void_p)
        proto = llama_cpp.ggml_abort_callback
        strlen = _c_strlen()
        if strlen is not None:
            self.callback = proto(strlen)
            self.native = True
        else:
            self.callback = proto(lambda _data: self._buf.raw[0] != 0)
            self.native = False
        self.hook: Callable[[], None] | None = None  # see reading()
        self._next_hook = 0.0
        self._hooked = proto(self._check_and_hook)

    def _check_and_hook(self, _data: Any) -> bool:
        if self._buf.raw[0] != 0:
            return True
        now = time.perf_counter()
        if self.hook is not None and now >= self._next_hook:
            self.hook()
            self._next_hook = time.perf_counter() + HOOK_EVERY_S
        return False

    @contextlib.contextmanager
    def reading(self, llama_cpp: Any, ctx: Any, hook: Callable[[], None] | None, tokens: int) -> Iterator[None]:
        """While a prompt of `tokens` is evaluated, a Python callback that also calls `hook` (at most every
        HOOK_EVERY_S): a prompt is read in batches of up to 512 tokens, seconds on two cores, and without it
        nothing between tokens runs meanwhile (the window's GUI thread could not get this thread's core).
        A batch's nodes take milliseconds each, so taking the GIL per node costs nothing measurable there; a
        single token's nodes take microseconds, so generation keeps the native callback."""
        if hook is None or tokens < HOOK_MIN_TOKENS:
            yield
            return
        self.hook, self._next_hook = hook, 0.0
        llama_cpp.llama_set_abort_callback(ctx, self._hooked, self.data)
        try:
            yield
        finally:
            self.hook = None
            self.install(llama_cpp, ctx)

    def set(self) -> None:
        self._buf[0] = b"\x01"

    def clear(self) -> None:
        self._buf[0] = b"\x00"

    def is_set(self) -> bool:
        return self._buf.raw[0] != 0

    def install(self, llama_cpp: Any, ctx: Any) -> None:
        llama_cpp.llama_set_abort_callback(ctx, self.callback, self.data)


def _c_strlen() -> int | None:
    """The address of the C library's strlen, or None."""
    try:
        libc = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
        return ctypes.cast(libc.strlen, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


# -- requests ---------------------------------------------------------------------------------------------
@dataclass
class _Piece:
    text: str


@dataclass
class _End:
    timings: Timings
    error: BaseException | None = None


class _Cancelled(Exception):
    pass


@dataclass(eq=False)  # compared and hashed by identity: kept in the engine's set of live requests
class _GenerateRequest:
    prompt: str
    max_tokens: int
    sampling: dict[str, Any]
    out: queue.Queue[_Piece | _End]
    cancel: threading.Event
    submitted: float = field(default_factory=time.perf_counter)


@dataclass
class _CallRequest:
    fn: Callable[[Any], Any]
    future: Future[Any]


class Generation:
    """A streaming answer: iterate for text pieces. Usable from any thread (one consumer at a time).

    `close()` (or leaving a `with` block, or dropping the object) cancels: the engine stops within a
    token. `timings` is set once the stream ended (normally, by cancel, or by error).
    """

    def __init__(self, request: _GenerateRequest, alive: Callable[[], bool] = lambda: True,
                 on_cancel: Callable[[_GenerateRequest], None] | None = None) -> None:
        self._req = request
        self._alive = alive
        self._on_cancel = on_cancel
        self.timings: Timings | None = None
        self.text = ""
        self._done = False

    def __iter__(self) -> Generation:
        return self

    def __next__(self) -> str:
        if self._done:
            raise StopIteration
        while True:
            try:
                item = self._req.out.get(timeout=1.0)
                break
            except queue.Empty:
                if not self._alive() and self._req.out.empty():  # the engine closed under us
                    self._finish(_End(Timings(stop_reason="error"), EngineError("The model engine was closed.")))
        if isinstance(item, _Piece):
            self.text += item.text
            return item.text
        self._finish(item)
        raise StopIteration

    def _finish(self, end: _End) -> None:
        self._done = True
        self.timings = end.timings
        if end.error is not None:
            raise end.error

    def cancel(self) -> None:
        """Ask the engine to stop; returns at once (safe from any thread, e.g. a Stop button). A prompt
        being evaluated is aborted too, within milliseconds."""
        self._req.cancel.set()
        if self._on_cancel is not None:
            self._on_cancel(self._req)

    @property
    def cancelled(self) -> bool:
        return self._req.cancel.is_set()

    def close(self, wait: float = 10.0) -> None:
        """Cancel and wait (up to `wait` seconds) until the engine has stopped, so timings are final."""
        if self._done:
            return
        self.cancel()
        deadline = time.monotonic() + wait
        while not self._done:
            try:
                item = self._req.out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if isinstance(item, _End):
                with contextlib.suppress(Exception):
                    self._finish(item)
                self._done = True

    def __enter__(self) -> Generation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Abandoned without close(): stop the engine, but never block a garbage collector.
        with contextlib.suppress(Exception):
            self.cancel()


# -- the engine -------------------------------------------------------------------------------------------
class Engine:
    """A loaded model with its owner thread. Create once; share between threads; `close()` at exit."""

    def __init__(
        self,
        model: ModelInfo | str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        adaptive_threads: bool = True,
        n_batch: int = DEFAULT_N_BATCH,
        seed: int = 0,
        validate: bool = True,
    ) -> None:
        if model is None:
            model = find_model()
        elif not isinstance(model, ModelInfo):
            model = find_model(model)
        self.model: ModelInfo = model
        self.header: GGUFHeader | None = validate_model(model.path, n_ctx) if validate else None
        self.n_ctx = n_ctx
        self.n_batch = min(n_batch, n_ctx)
        self.max_threads = n_threads or physical_cores()
        self.governor = ThreadGovernor(self.max_threads, adaptive=adaptive_threads and not n_threads)
        self._seed = seed
        self.load_s = 0.0
        self._requests: queue.Queue[_GenerateRequest | _CallRequest | None] = queue.Queue()
        self._calls: queue.Queue[_CallRequest] = queue.Queue()  # served between tokens, too
        self._closed = False
        self._loaded: Future[None] = Future()
        self._llama: Any = None
        self._threads_now = 0
        self._active: _GenerateRequest | None = None
        self._live: set[_GenerateRequest] = set()  # submitted and not yet ended: what cancel_all() stops
        self._live_lock = threading.Lock()
        self._abort: _AbortFlag | None = None  # set up by the owner thread when the model is loaded
        self.last_timings: Timings | None = None  # of the last answer that ran (diagnostics, tests)
        # Called on the owner thread after each token is handed out and every few milliseconds while a prompt
        # is read (it may sleep: the window gives its GUI thread this thread's core when the GUI waits for
        # one); its time is not the governor's.
        self.between_tokens: Callable[[], None] | None = None
        # The last answer's text and the token ids that produced it (owner thread only): see _prompt_ids.
        self._last_answer: tuple[str, list[int]] = ("", [])
        self._thread = threading.Thread(target=self._run, name="qwenrag-llama", daemon=True)
        self._thread.start()
        try:
            self._loaded.result()
        except BaseException:
            self._closed = True
            self._requests.put(None)
            self.governor.close()
            raise

    # -- public, any thread -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.model.name

    @property
    def chat_template(self) -> str:
        return self._template

    @property
    def idle(self) -> bool:
        """No answer is being generated and none is waiting."""
        return self._active is None and self._requests.empty()

    def format_chat(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        """The prompt text for `messages`, rendered with the model's own chat template (ChatML for Qwen)."""
        try:
            return self._formatter.render(messages=list(messages), add_generation_prompt=add_generation_prompt,
                                          bos_token=self._bos_text, eos_token=self._eos_text,
                                          raise_exception=_raise, strftime_now=_strftime_now)
        except Exception as exc:  # a template error is a property of the model file
            raise ModelError(f"The chat template of {self.model.name} cannot be used.", str(exc)) from exc

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        return self._call(lambda llama: [len(self._tok(llama, t)) for t in texts])

    def tokenize(self, text: str) -> list[int]:
        """Tokens of plain text (special-token syntax in it stays text), no BOS."""
        return self._call(lambda llama: self._tok(llama, text))

    def detokenize(self, tokens: Sequence[int]) -> str:
        return self._call(lambda llama: llama.detokenize(list(tokens)).decode("utf-8", errors="ignore"))

    def truncate(self, text: str, max_tokens: int) -> str:
        """`text` cut to at most `max_tokens` tokens (at a character boundary)."""
        def run(llama: Any) -> str:
            toks = self._tok(llama, text)
            if len(toks) <= max_tokens:
                return text
            cut = llama.detokenize(toks[: max(0, max_tokens)]).decode("utf-8", errors="ignore")
            while cut and len(self._tok(llama, cut)) > max_tokens:  # re-tokenizing may merge differently
                cut = cut[:-1]
            return cut

        return self._call(run)

    def prompt_token_count(self, messages: Sequence[Message]) -> int:
        prompt = self.format_chat(messages)
        return self._call(lambda llama: len(self._prompt_tokens(llama, prompt)))

    def generate(
        self,
        messages: Sequence[Message] | str,
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        top_k: int = 40,
        top_p: float = 0.9,
        min_p: float = 0.05,
        repeat_penalty: float = 1.1,
    ) -> Generation:
        """Start generating (the request is queued now); iterate the result for text pieces.

        `messages` is a chat (formatted with the model's template) or an already formatted prompt.
        max_tokens is lowered to what fits the context; a prompt that alone does not fit raises
        PromptTooLong from the iteration.
        """
        if self._closed:
            raise EngineError("The model engine was closed.")
        prompt = messages if isinstance(messages, str) else self.format_chat(messages)
        sampling = {"temp": float(temperature), "top_k": int(top_k), "top_p": float(top_p),
                    "min_p": float(min_p), "repeat_penalty": float(repeat_penalty)}
        req = _GenerateRequest(prompt=prompt, max_tokens=int(max_tokens), sampling=sampling,
                               out=queue.Queue(), cancel=threading.Event())
        with self._live_lock:
            self._live.add(req)
        self._requests.put(req)
        return Generation(req, self._thread.is_alive, self._abort_if_active)

    def complete(self, messages: Sequence[Message] | str, **kwargs: Any) -> tuple[str, Timings]:
        """Generate to the end; (text, timings)."""
        gen = self.generate(messages, **kwargs)
        text = "".join(gen)
        assert gen.timings is not None
        return text, gen.timings

    def warm_up(self, messages: Sequence[Message]) -> int:
        """Evaluate the fixed start of every prompt (the system message) now, so the KV cache holds it and
        the first question evaluates only what follows it (Llama.generate reuses a common token prefix).
        Call it right after loading, e.g. while the window opens. Returns the tokens evaluated: 0 when
        the cache already starts with them or an answer is running (its cache is not disturbed)."""
        prefix = self.format_chat(messages, add_generation_prompt=False)
        # Only the tokens that a real prompt shares: a template may render the end of the system turn
        # differently once a user turn follows.
        probe = self.format_chat([*messages, {"role": "user", "content": "?"}])

        def run(llama: Any) -> int:
            if self._active is not None:
                return 0
            a, b = self._prompt_tokens(llama, prefix), self._prompt_tokens(llama, probe)
            n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            tokens = b[:n]
            if llama.n_tokens >= n and list(llama.input_ids[:n]) == tokens:
                return 0
            llama.reset()
            self._evaluated = 0
            llama.eval(tokens)
            return self._evaluated

        return int(self._call(run))

    def reset_cache(self) -> None:
        """Forget the KV cache (a new conversation does not need this: prefixes simply stop matching)."""
        self._call(lambda llama: llama.reset())

    def cancel_all(self) -> None:
        """Stop the answer being generated (its prompt evaluation included) and every queued one; returns
        at once, from any thread. The engine stays usable."""
        with self._live_lock:
            live = list(self._live)
        for req in live:
            req.cancel.set()
            self._abort_if_active(req)

    def close(self, timeout: float = 30.0) -> bool:
        """Abort whatever runs, then free the model. Waits up to `timeout` seconds for the owner thread
        (the window passes a short one: an aborted decode ends within milliseconds, and the daemon thread
        cannot keep the process alive). True when the owner thread has ended."""
        if not self._closed:
            self._closed = True
            self.cancel_all()
            self._requests.put(None)
            self.governor.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=max(0.0, timeout))
        return not self._thread.is_alive()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------------------
    def _call(self, fn: Callable[[Any], Any]) -> Any:
        if threading.current_thread() is self._thread:
            return fn(self._llama)
        if self._closed:
            raise EngineError("The model engine was closed.")
        fut: Future[Any] = Future()
        req = _CallRequest(fn, fut)
        self._calls.put(req)
        self._requests.put(req)  # wakes the owner when idle; a served call is skipped the second time
        while True:
            try:
                return fut.result(timeout=1.0)
            except FutureTimeout:  # (not the builtin TimeoutError before Python 3.11)
                if not self._thread.is_alive() and not fut.done():  # closed while we were queueing
                    raise EngineError("The model engine was closed.") from None

    def _tok(self, llama: Any, text: str) -> list[int]:
        return list(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _prompt_tokens(self, llama: Any, prompt: str) -> list[int]:
        # Let the vocabulary add BOS where the model wants one, unless the template already wrote it.
        add_bos = not (self._bos_text and prompt.startswith(self._bos_text))
        return list(llama.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True))

    def _prompt_ids(self, llama: Any, prompt: str) -> list[int]:
        """The prompt's tokens, with the previous answer as the ids the model generated. Re-tokenizing an
        answer does not always give back those ids (a model may write a non-canonical split; bytes of a
        partial character come back as U+FFFD), and then Llama.generate's prefix reuse stops at the
        answer: a follow-up would evaluate the whole answer again before its own question."""
        text, ids = self._last_answer
        if text and ids:
            cached = list(llama.input_ids[:llama.n_tokens])
            at = prompt.find(text)
            while at > 0:  # the occurrence the KV cache continues with these ids (a passage may hold it too)
                head = self._prompt_tokens(llama, prompt[:at])
                seen = cached[len(head):len(head) + len(ids)]
                if len(seen) >= len(ids) - 1 and seen == ids[:len(seen)]:
                    # Chat templates put a special token or a line break on both sides of a message,
                    # so the pieces tokenize as the whole does.
                    tail = llama.tokenize(prompt[at + len(text):].encode("utf-8"), add_bos=False, special=True)
                    return head + ids + list(tail)
                at = prompt.find(text, at + 1)
        return self._prompt_tokens(llama, prompt)

    # -- the owner thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._load()
        except BaseException as exc:
            self._loaded.set_exception(exc)
            return
        self._loaded.set_result(None)
        try:
            while True:
                req = self._requests.get()
                if req is None:
                    break
                if isinstance(req, _CallRequest):
                    self._serve_calls()
                else:
                    self._active = req
                    try:
                        self._serve_generate(req)
                    finally:
                        self._active = None
        finally:
            self._fail_pending()
            with contextlib.suppress(Exception):
                self._llama.close()
            self._llama = None

    def _fail_pending(self) -> None:
        err = EngineError("The model engine was closed.")
        while True:
            try:
                req = self._requests.get_nowait()
            except queue.Empty:
                break
            if isinstance(req, _GenerateRequest):
                req.out.put(_End(Timings(load_s=self.load_s, stop_reason="error"), err))
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                break
            if not call.future.done():
                call.future.set_exception(err)
        with self._live_lock:
            self._live.clear()

    def _abort_if_active(self, req: _GenerateRequest) -> None:
        # Any thread. The owner clears the flag before it checks `req.cancel` for a new request, so a cancel
        # racing the start of its request is seen either here or there.
        if self._active is req and self._abort is not None:
            self._abort.set()

    def _serve_calls(self) -> None:
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            if call.future.done() or not call.future.set_running_or_notify_cancel():
                continue
            try:
                call.future.set_result(call.fn(self._llama))
            except BaseException as exc:
                call.future.set_exception(exc)

    def _load(self) -> None:
        llama_cpp = llama_module()
        from llama_cpp import llama as llama_high
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        threads = self.governor.start_threads()
        kwargs: dict[str, Any] = {
            "n_ctx": self.n_ctx, "n_batch": self.n_batch, "n_threads": threads, "n_threads_batch": threads,
            "seed": self._seed, "verbose": False,
            "flash_attn": True,  # measured: ~13% faster prompt processing at 2k tokens on CPU
        }
        started = time.perf_counter()
        try:
            with _model_params_patch(llama_high, disable_extra_bufts=_has_amx(llama_cpp)):
                llama = llama_high.Llama(str(self.model.path), **kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp could not load {self.model.path.name}: the file is damaged or of a "
                             "model type this version does not support.", str(exc),
                             path=str(self.model.path)) from exc
        self.load_s = time.perf_counter() - started
        self._llama = llama
        self._threads_now = threads
        meta = llama.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.model.path.name} has no chat template.", path=str(self.model.path))
        self._template = template
        vocab = llama._model.vocab
        self._vocab = vocab
        self._bos_text = self._token_text(llama, llama.token_bos())
        self._eos_text = self._token_text(llama, llama.token_eos())
        self._formatter = Jinja2ChatFormatter(template=template, eos_token=self._eos_text,
                                              bos_token=self._bos_text)._environment
        self._is_eog = lambda tok: bool(llama_cpp.llama_vocab_is_eog(vocab, tok))
        self._is_control = lambda tok: bool(llama_cpp.llama_vocab_is_control(vocab, tok))
        self._set_threads_fn = lambda n: llama_cpp.llama_set_n_threads(llama.ctx, n, n)
        self._evaluated = 0
        original_eval = llama.eval

        abort = self._abort = _AbortFlag(llama_cpp)
        abort.install(llama_cpp, llama.ctx)

        def counting_eval(tokens: Sequence[int]) -> None:
            # Count what is really evaluated (the prefix reuse happens before this) and let a cancel
            # interrupt a long prompt between batches; within a batch the abort flag stops llama_decode
            # (it then raises RuntimeError, "llama_decode returned 2"). llama-cpp-python counts a batch only
            # after it succeeded, and drops what an aborted one left in the KV cache before the next eval.
            tokens = list(tokens)
            for i in range(0, len(tokens), self.n_batch):
                if self._cancel_now is not None and self._cancel_now.is_set():
                    raise _Cancelled
                chunk = tokens[i:i + self.n_batch]
                try:
                    with abort.reading(llama_cpp, llama.ctx, self.between_tokens, len(chunk)):
                        original_eval(chunk)
                except RuntimeError:
                    if abort.is_set():
                        raise _Cancelled from None
                    raise
                self._evaluated += len(chunk)

        llama.eval = counting_eval
        self._cancel_now: threading.Event | None = None

    @staticmethod
    def _token_text(llama: Any, tok: int) -> str:
        if tok < 0:
            return ""
        try:
            return llama._model.token_get_text(tok)
        except Exception:
            return ""

    def _set_threads(self, n: int) -> None:
        if n != self._threads_now:
            self._set_threads_fn(n)
            self._threads_now = n

    def _serve_generate(self, req: _GenerateRequest) -> None:
        try:
            self._generate(req)
        finally:
            if self._abort is not None:
                self._abort.clear()  # a later call (tokenize, a warm-up) must not see this request's abort
            with self._live_lock:
                self._live.discard(req)

    def _generate(self, req: _GenerateRequest) -> None:
        llama = self._llama
        t0 = req.submitted
        base = Timings(load_s=self.load_s)
        if self._abort is not None:
            self._abort.clear()
        if req.cancel.is_set() or self._closed:
            req.out.put(_End(replace(base, stop_reason="cancelled")))
            return
        try:
            tokens = self._prompt_ids(llama, req.prompt)
        except Exception as exc:
            req.out.put(_End(replace(base, stop_reason="error"), EngineError(f"Tokenizing failed: {exc}")))
            return
        room = self.n_ctx - len(tokens)
        if room < 1:
            req.out.put(_End(replace(base, prompt_total=len(tokens), stop_reason="error"), PromptTooLong(
                f"The prompt has {len(tokens)} tokens; the context holds {self.n_ctx}.")))
            return
        max_tokens = min(req.max_tokens, room)
        threads = self.governor.start_threads()
        self._set_threads(threads)
        session = self.governor.session(threads)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._evaluated = 0
        self._cancel_now = req.cancel
        n_out = 0
        out_ids: list[int] = []
        out_text: list[str] = []
        first_at = last_at = prompt_done = paused = 0.0
        prompt_tokens = 0
        stop: StopReason = "length"
        after_cancel = 0
        error: BaseException | None = None
        try:
            stream = llama.generate(tokens, reset=True, **req.sampling)
            try:
                for tok in itertools.islice(stream, max_tokens):
                    now = time.perf_counter()
                    if n_out == 0:
                        prompt_tokens = self._evaluated
                        prompt_done = first_at = now
                    else:
                        change = session.token(now - last_at - paused)
                        if change is not None:
                            self._set_threads(change)
                    last_at = now
                    if req.cancel.is_set():
                        after_cancel += 1  # decoded although cancel was already asked
                        stop = "cancelled"
                        break
                    if self._is_eog(tok) or self._is_control(tok):
                        stop = "stop"
                        break
                    n_out += 1
                    out_ids.append(tok)
                    text = decoder.decode(llama.detokenize([tok]))
                    if text:
                        out_text.append(text)
                        req.out.put(_Piece(text))
                    if not self._calls.empty():
                        self._serve_calls()
                    paused = 0.0
                    if self.between_tokens is not None:
                        hook_at = time.perf_counter()
                        self.between_tokens()
                        paused = time.perf_counter() - hook_at
            finally:
                stream.close()
            tail = decoder.decode(b"", final=True)
            if tail and stop != "cancelled":
                out_text.append(tail)
                req.out.put(_Piece(tail))
        except _Cancelled:
            stop = "cancelled"
        except Exception as exc:  # llama.cpp failed mid-way: report, keep the engine alive
            stop = "error"
            error = EngineError(f"Generation failed: {exc}")
            with contextlib.suppress(Exception):
                llama.reset()
        finally:
            self._cancel_now = None
        if req.cancel.is_set() and stop != "cancelled" and n_out < max_tokens:
            stop = "cancelled"
        if n_out == 0 and not prompt_done:
            prompt_tokens = self._evaluated
            prompt_done = time.perf_counter()
        decode_s = last_at - first_at if n_out > 1 else 0.0
        timings = Timings(
            load_s=self.load_s, prompt_tokens=prompt_tokens, cached_tokens=max(0, len(tokens) - prompt_tokens),
            prompt_total=len(tokens), ttft_s=(first_at or prompt_done) - t0,
            prompt_s=prompt_done - t0, decode_tokens=n_out, decode_s=decode_s,
            decode_tok_s=(n_out - 1) / decode_s if decode_s > 0 else 0.0, threads=self._threads_now,
            thread_changes=session.changes, stop_reason=stop, tokens_after_cancel=after_cancel,
        )
        self.last_timings = timings
        self._last_answer = ("".join(out_text), out_ids) if stop in ("stop", "length") else ("", [])
        req.out.put(_End(timings, error))


@contextlib.contextmanager
def _model_params_patch(llama_high: Any, disable_extra_bufts: bool) -> Iterator[None]:
    """Load without llama.cpp's extra CPU buffer types when the build has AMX: its AMX matmul crashes
    (SIGSEGV in ggml_backend_amx_mul_mat, seen on this project's build machine). llama-cpp-python
    exposes no parameter for it, so the default model params are adjusted during construction."""
    if not disable_extra_bufts:
        yield
        return
    module = llama_high.llama_cpp
    original = module.llama_model_default_params

    def patched() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    module.llama_model_default_params = patched
    try:
        yield
    finally:
        module.llama_model_default_params = original


def _raise(message: str) -> None:
    raise ValueError(message)


def _strftime_now(fmt: str) -> str:
    return time.strftime(fmt)


def load(model: ModelInfo | str | os.PathLike[str] | None = None, *, n_ctx: int = DEFAULT_N_CTX,
         n_threads: int | None = None, **kwargs: Any) -> Engine:
    """Find (when not given), validate and load a model: `Engine(model, n_ctx=..., n_threads=...)`."""
    return Engine(model, n_ctx=n_ctx, n_threads=n_threads, **kwargs)
